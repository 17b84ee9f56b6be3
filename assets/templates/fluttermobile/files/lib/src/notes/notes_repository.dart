import 'dart:async';

import 'note.dart';

/// Where notes are kept. Widgets use only this interface.
abstract class NotesRepository {
  /// The notes, newest first, and again whenever they change.
  Stream<List<Note>> watch();

  /// Adds a note; throws [ArgumentError] for empty or oversized text.
  Future<Note> add(String text);

  Future<void> remove(String id);
}

/// Notes in memory: for tests, and when Firebase is not configured.
class InMemoryNotesRepository implements NotesRepository {
  InMemoryNotesRepository({DateTime Function()? clock}) : _clock = clock ?? DateTime.now;

  final DateTime Function() _clock;
  final List<Note> _notes = [];
  final StreamController<List<Note>> _changes = StreamController<List<Note>>.broadcast();
  int _nextId = 1;

  List<Note> get _sorted => List.unmodifiable(
        [..._notes]..sort((a, b) => b.createdAt.compareTo(a.createdAt)),
      );

  @override
  Stream<List<Note>> watch() async* {
    yield _sorted;
    yield* _changes.stream;
  }

  @override
  Future<Note> add(String text) async {
    final note = Note(id: '${_nextId++}', text: Note.validate(text), createdAt: _clock());
    _notes.add(note);
    _changes.add(_sorted);
    return note;
  }

  @override
  Future<void> remove(String id) async {
    _notes.removeWhere((n) => n.id == id);
    _changes.add(_sorted);
  }
}
