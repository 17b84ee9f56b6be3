import 'package:flutter/material.dart';

import '../config.dart';
import 'home_page.dart';
import 'notes/notes_repository.dart';

/// The application: theme and the home page, over a notes repository.
class App extends StatelessWidget {
  const App({super.key, required this.repository});

  final NotesRepository repository;

  @override
  Widget build(BuildContext context) {
    return MaterialApp(
      title: appName,
      debugShowCheckedModeBanner: false,
      theme: ThemeData(
        colorScheme: ColorScheme.fromSeed(seedColor: const Color(0xFF102A43)),
        useMaterial3: true,
      ),
      home: HomePage(repository: repository),
    );
  }
}
