/// What the app is, as the factory run named it.
const String appName = {{ name | tojson | replace("$", "\\$") }};

/// What the app is for.
const String appIdea = {{ idea | tojson | replace("$", "\\$") }};

/// Ports of the local Firebase emulators (see firebase.json).
const int authEmulatorPort = {{ ports.auth_emulator }};
const int firestoreEmulatorPort = {{ ports.firestore_emulator }};
