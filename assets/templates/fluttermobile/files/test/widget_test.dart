import 'package:flutter/material.dart';
import 'package:flutter_test/flutter_test.dart';

import 'package:{{ py_name }}/config.dart';
import 'package:{{ py_name }}/src/app.dart';
import 'package:{{ py_name }}/src/notes/notes_repository.dart';

void main() {
  testWidgets('shows the app name and idea', (tester) async {
    await tester.pumpWidget(App(repository: InMemoryNotesRepository()));
    await tester.pumpAndSettle();

    expect(find.text(appName), findsOneWidget);
    expect(find.text(appIdea), findsOneWidget);
    expect(find.text('No notes yet'), findsOneWidget);
  });

  testWidgets('adds a note and lists it', (tester) async {
    await tester.pumpWidget(App(repository: InMemoryNotesRepository()));
    await tester.pumpAndSettle();

    await tester.enterText(find.byKey(const Key('note-text')), 'Call the first customer');
    await tester.tap(find.byKey(const Key('add-note')));
    await tester.pumpAndSettle();

    expect(find.text('Call the first customer'), findsOneWidget);
    expect(find.text('No notes yet'), findsNothing);
  });

  testWidgets('refuses an empty note with a message', (tester) async {
    await tester.pumpWidget(App(repository: InMemoryNotesRepository()));
    await tester.pumpAndSettle();

    await tester.tap(find.byKey(const Key('add-note')));
    await tester.pumpAndSettle();

    expect(find.text('Write something first'), findsOneWidget);
  });
}
