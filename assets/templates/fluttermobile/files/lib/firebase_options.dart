import 'package:firebase_core/firebase_core.dart';

/// Firebase settings from `--dart-define` values, so that no project keys live in the code.
///
/// - Nothing defined: Firebase is not used and the app keeps its data in memory.
/// - `--dart-define=USE_FIREBASE_EMULATORS=true`: a demo project on the local emulators
///   (`firebase emulators:start`), no Firebase account needed.
/// - `--dart-define=FIREBASE_API_KEY=... --dart-define=FIREBASE_APP_ID=...
///   --dart-define=FIREBASE_MESSAGING_SENDER_ID=... --dart-define=FIREBASE_PROJECT_ID=...`:
///   a real project. Or run `flutterfire configure` to generate this file for it.
class DefaultFirebaseOptions {
  const DefaultFirebaseOptions._();

  static const bool useEmulators = bool.fromEnvironment('USE_FIREBASE_EMULATORS');
  static const String _apiKey = String.fromEnvironment('FIREBASE_API_KEY');
  static const String _appId = String.fromEnvironment('FIREBASE_APP_ID');
  static const String _senderId = String.fromEnvironment('FIREBASE_MESSAGING_SENDER_ID');
  static const String _projectId = String.fromEnvironment('FIREBASE_PROJECT_ID');

  /// The project of the local emulators; a `demo-` id needs no real project.
  static const String demoProjectId = {{ ("demo-" ~ slug[:25]) | trim("-") | tojson }};

  /// The options to start Firebase with, or null when Firebase is not configured.
  static FirebaseOptions? get currentPlatform {
    if (_apiKey.isNotEmpty && _appId.isNotEmpty && _projectId.isNotEmpty) {
      return const FirebaseOptions(
        apiKey: _apiKey,
        appId: _appId,
        messagingSenderId: _senderId,
        projectId: _projectId,
      );
    }
    if (useEmulators) {
      return const FirebaseOptions(
        apiKey: 'demo-api-key',
        appId: '1:000000000000:web:0000000000000000',
        messagingSenderId: '000000000000',
        projectId: demoProjectId,
      );
    }
    return null;
  }
}
