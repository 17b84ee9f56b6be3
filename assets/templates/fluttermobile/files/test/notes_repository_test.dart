import 'package:flutter_test/flutter_test.dart';

import 'package:{{ py_name }}/src/notes/note.dart';
import 'package:{{ py_name }}/src/notes/notes_repository.dart';

void main() {
  test('lists notes newest first and removes them', () async {
    DateTime now = DateTime(2025, 1, 1);
    final repository = InMemoryNotesRepository(clock: () => now = now.add(const Duration(minutes: 1)));
    final first = await repository.add('first');
    await repository.add('  second  ');

    final notes = await repository.watch().first;
    expect(notes.map((n) => n.text), ['second', 'first']);

    await repository.remove(first.id);
    expect((await repository.watch().first).map((n) => n.text), ['second']);
  });

  test('refuses empty and oversized notes', () {
    expect(() => Note.validate('   '), throwsArgumentError);
    expect(() => Note.validate('x' * (Note.maxLength + 1)), throwsArgumentError);
    expect(Note.validate(' ok '), 'ok');
  });

  test('converts to and from a Firestore map', () {
    final note = Note(id: 'a', text: 'hello', createdAt: DateTime.fromMillisecondsSinceEpoch(1000));
    final back = Note.fromMap('a', note.toMap());
    expect(back.text, 'hello');
    expect(back.createdAt, note.createdAt);
  });
}
