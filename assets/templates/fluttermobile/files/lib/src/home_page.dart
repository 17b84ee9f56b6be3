import 'package:flutter/material.dart';

import '../config.dart';
import 'notes/note.dart';
import 'notes/notes_repository.dart';

/// The first screen: what the app is, and a list of notes to show the data flow.
class HomePage extends StatefulWidget {
  const HomePage({super.key, required this.repository});

  final NotesRepository repository;

  @override
  State<HomePage> createState() => _HomePageState();
}

class _HomePageState extends State<HomePage> {
  final TextEditingController _text = TextEditingController();
  late final Stream<List<Note>> _notes = widget.repository.watch();
  String? _error;

  @override
  void dispose() {
    _text.dispose();
    super.dispose();
  }

  Future<void> _add() async {
    try {
      await widget.repository.add(_text.text);
      _text.clear();
      setState(() => _error = null);
    } on ArgumentError catch (e) {
      setState(() => _error = e.message.toString());
    }
  }

  @override
  Widget build(BuildContext context) {
    return Scaffold(
      appBar: AppBar(title: const Text(appName)),
      body: Padding(
        padding: const EdgeInsets.all(16),
        child: Column(
          crossAxisAlignment: CrossAxisAlignment.stretch,
          children: [
            Text(appIdea, style: Theme.of(context).textTheme.bodyLarge),
            const SizedBox(height: 16),
            TextField(
              key: const Key('note-text'),
              controller: _text,
              decoration: InputDecoration(labelText: 'New note', errorText: _error),
              onSubmitted: (_) => _add(),
            ),
            const SizedBox(height: 8),
            FilledButton(
              key: const Key('add-note'),
              onPressed: _add,
              child: const Text('Add'),
            ),
            const SizedBox(height: 16),
            Expanded(
              child: StreamBuilder<List<Note>>(
                stream: _notes,
                builder: (context, snapshot) {
                  if (snapshot.hasError) {
                    return Center(child: Text('Could not load the notes: ${snapshot.error}'));
                  }
                  final notes = snapshot.data;
                  if (notes == null) {
                    return const Center(child: CircularProgressIndicator());
                  }
                  if (notes.isEmpty) {
                    return const Center(child: Text('No notes yet'));
                  }
                  return ListView(
                    children: [
                      for (final note in notes)
                        ListTile(
                          title: Text(note.text),
                          trailing: IconButton(
                            icon: const Icon(Icons.delete_outline),
                            tooltip: 'Delete',
                            onPressed: () => widget.repository.remove(note.id),
                          ),
                        ),
                    ],
                  );
                },
              ),
            ),
          ],
        ),
      ),
    );
  }
}
