/// A note: the sample resource that shows the data flow from screen to storage.
class Note {
  const Note({required this.id, required this.text, required this.createdAt});

  /// Builds a note from a Firestore document's id and data.
  factory Note.fromMap(String id, Map<String, Object?> data) {
    final text = data['text'];
    final createdAt = data['createdAt'];
    return Note(
      id: id,
      text: text is String ? text : '',
      createdAt: createdAt is int ? DateTime.fromMillisecondsSinceEpoch(createdAt) : DateTime.now(),
    );
  }

  /// Longest note accepted.
  static const int maxLength = 500;

  final String id;
  final String text;
  final DateTime createdAt;

  Map<String, Object?> toMap() => {
        'text': text,
        'createdAt': createdAt.millisecondsSinceEpoch,
      };

  /// The text trimmed, or an [ArgumentError] saying what is wrong with it.
  static String validate(String text) {
    final trimmed = text.trim();
    if (trimmed.isEmpty) {
      throw ArgumentError('Write something first');
    }
    if (trimmed.length > maxLength) {
      throw ArgumentError('A note holds at most $maxLength characters');
    }
    return trimmed;
  }
}
