import 'package:cloud_firestore/cloud_firestore.dart';
import 'package:firebase_auth/firebase_auth.dart';
import 'package:firebase_core/firebase_core.dart';
import 'package:flutter/material.dart';

import 'config.dart';
import 'firebase_options.dart';
import 'src/app.dart';
import 'src/notes/firestore_notes_repository.dart';
import 'src/notes/notes_repository.dart';

Future<void> main() async {
  WidgetsFlutterBinding.ensureInitialized();
  runApp(App(repository: await _repository()));
}

/// Cloud Firestore for the signed-in user when Firebase is configured, else memory.
Future<NotesRepository> _repository() async {
  final options = DefaultFirebaseOptions.currentPlatform;
  if (options == null) {
    return InMemoryNotesRepository();
  }
  await Firebase.initializeApp(options: options);
  final auth = FirebaseAuth.instance;
  final firestore = FirebaseFirestore.instance;
  if (DefaultFirebaseOptions.useEmulators) {
    await auth.useAuthEmulator('localhost', authEmulatorPort);
    firestore.useFirestoreEmulator('localhost', firestoreEmulatorPort);
  }
  final user = auth.currentUser ?? (await auth.signInAnonymously()).user;
  if (user == null) {
    throw StateError('Firebase Auth gave no user');
  }
  return FirestoreNotesRepository(firestore: firestore, userId: user.uid);
}
