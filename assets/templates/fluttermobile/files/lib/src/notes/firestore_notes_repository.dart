import 'package:cloud_firestore/cloud_firestore.dart';

import 'note.dart';
import 'notes_repository.dart';

/// Notes in Cloud Firestore, under users/{userId}/notes (see firestore.rules).
class FirestoreNotesRepository implements NotesRepository {
  FirestoreNotesRepository({required FirebaseFirestore firestore, required String userId})
      : _notes = firestore.collection('users').doc(userId).collection('notes');

  final CollectionReference<Map<String, dynamic>> _notes;

  @override
  Stream<List<Note>> watch() {
    return _notes.orderBy('createdAt', descending: true).snapshots().map(
          (snapshot) => [
            for (final doc in snapshot.docs) Note.fromMap(doc.id, doc.data()),
          ],
        );
  }

  @override
  Future<Note> add(String text) async {
    final draft = Note(id: '', text: Note.validate(text), createdAt: DateTime.now());
    final ref = await _notes.add(draft.toMap());
    return Note(id: ref.id, text: draft.text, createdAt: draft.createdAt);
  }

  @override
  Future<void> remove(String id) => _notes.doc(id).delete();
}
