//! The review's behaviour: tabs, the diff toggle, search that never decides, the file tree,
//! a gate decided by another reviewer, and where a saved decision leads.

use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{AfterDecision, Mode, ReviewScreen, Then, view_key};
use crate::config::keys::Keymap;
use crate::domain::{BudgetAsk, GateCode, GateId, GateStatus, RunId};
use crate::orchestrator::{Command, EvidenceKind, Reply, ReviewData};
use crate::testkit::fixture;
use crate::tui::app::{App, Effect, Pane, Screen};
use crate::tui::tests::answer;
use crate::tui::theme::{ColorMode, Theme};

fn app(reviewer: &str) -> App {
    let snap = Arc::new(fixture::snapshot(24, 3, 5));
    let theme = Theme::load("dark", ColorMode::TrueColor).unwrap();
    let mut app = App::new(snap, theme, ColorMode::TrueColor, Keymap::default(), reviewer.into());
    app.set_now(fixture::NOW);
    app
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    let mods = if matches!(code, KeyCode::BackTab) { KeyModifiers::SHIFT } else { KeyModifiers::NONE };
    app.handle_key(KeyEvent::new(code, mods))
}

fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| press(app, KeyCode::Char(c))).collect()
}

/// Opens the review of `data`'s gate and answers it with `data`.
fn open(app: &mut App, data: ReviewData) {
    let effects = app.open_review(data.gate.id, None);
    answer(app, effects, Reply::Review { review: Box::new(data) });
}

fn screen(app: &App) -> &ReviewScreen {
    match &app.screen {
        Screen::Review(r) => r,
        _ => panic!("the review is open"),
    }
}

fn draw(app: &mut App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| crate::tui::view::render(app, f)).unwrap();
    let buf = term.backend().buffer();
    (0..h).map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n").collect()
}

fn decides(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::Request(_, Command::Decide { .. })))
}

#[test]
fn tab_and_shift_tab_move_between_tabs_and_each_keeps_its_scroll() {
    let mut app = app("alice");
    let snap = app.snap.clone();
    open(&mut app, fixture::review_g3(&snap));
    let titles: Vec<&str> = screen(&app).tabs.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, ["Quality review", "Build", "Checks", "Deployment prep", "app/"]);
    assert_eq!(screen(&app).tab, 3, "opens on the gate's own document");
    let frame = draw(&mut app, 80, 16);
    assert!(frame.contains("4/5") && frame.contains("Deployment prep"), "{frame}");
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_eq!(screen(&app).tabs[3].viewer().scroll.top(), 2);
    press(&mut app, KeyCode::Tab);
    assert_eq!(screen(&app).tab, 4);
    assert!(draw(&mut app, 80, 16).contains("5/5"));
    press(&mut app, KeyCode::Tab);
    assert_eq!(screen(&app).tab, 0, "wraps around");
    assert_eq!(screen(&app).tabs[0].viewer().scroll.top(), 0);
    press(&mut app, KeyCode::BackTab);
    press(&mut app, KeyCode::BackTab);
    assert_eq!(screen(&app).tab, 3);
    assert_eq!(screen(&app).tabs[3].viewer().scroll.top(), 2, "the tab kept its place");
    assert!(matches!(screen(&app).mode, Mode::View));
}

#[test]
fn the_note_editor_keeps_tab_for_its_fields() {
    let mut app = app("tester");
    let snap = app.snap.clone();
    let mut data = fixture::review(&snap);
    data.gate.id = GateId { run: RunId(8), code: GateCode::Budget, n: 0 };
    data.gate.review.artifact = None;
    data.gate.budget = Some(BudgetAsk {
        scope: "run".into(),
        spent_micros: 4_400_000,
        limit_micros: 4_500_000,
        needed_micros: 200_000,
        raised_to_micros: None,
    });
    data.artifact = "# Budget gate\n\nThe next call may cost up to $0.20.\n".into();
    data.evidence = vec![crate::orchestrator::Evidence {
        title: "Spend".into(),
        kind: EvidenceKind::Spend,
        path: None,
        text: "# Spend of s-08\n\n## By phase\n".into(),
    }];
    data.focus = 0;
    data.previous = None;
    open(&mut app, data);
    let titles: Vec<&str> = screen(&app).tabs.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, ["Budget ask", "Spend"], "the ask the reviewer decides on comes first");
    press(&mut app, KeyCode::Char('a'));
    press(&mut app, KeyCode::Tab);
    let Mode::Note(note) = &screen(&app).mode else { panic!("a note is open") };
    assert_eq!(note.field, 1, "Tab switches to the limit field");
    assert_eq!(screen(&app).tab, 0, "and not the tab");
    // Prefilled in whole cents (1.5 x $4.50 = $6.75), and a letter is refused, not typed.
    let limit = |app: &App| match &screen(app).mode {
        Mode::Note(n) => n.budget.as_ref().unwrap().lines().join(""),
        _ => panic!("a note is open"),
    };
    assert_eq!(limit(&app), "6.75");
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(limit(&app), "6.75");
    let Mode::Note(note) = &screen(&app).mode else { panic!("a note is open") };
    assert!(note.error.as_deref().is_some_and(|e| e.contains("digits and a point")), "{:?}", note.error);
    press(&mut app, KeyCode::Char('5'));
    assert_eq!(limit(&app), "6.755", "digits go in (the submit checks the amount)");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Tab);
    assert_eq!(screen(&app).tab, 1);
}

#[test]
fn d_toggles_between_the_diff_and_the_whole_document() {
    let mut app = app("tester");
    let snap = app.snap.clone();
    open(&mut app, fixture::review(&snap));
    let tab = &screen(&app).tabs[0];
    assert!(tab.diff.is_some() && tab.show_diff, "a revision opens on its diff");
    let frame = draw(&mut app, 120, 40);
    assert!(frame.contains("revision 1 asked by alice@10.0.0.7 (ssh): “Narrow it to one persona; drop"), "{frame}");
    assert!(frame.contains("the marketplace idea”"), "the note wraps onto a second row: {frame}");
    assert!(frame.contains("-2. A marketplace of bookkeepers."), "{frame}");
    assert!(frame.contains("+2. Quarterly tax estimate with a filing checklist."), "{frame}");
    assert!(frame.contains("docs/spec.md · diff r0 → r1 · Ledgerly"), "{frame}");
    press(&mut app, KeyCode::Char('d'));
    assert!(!screen(&app).tabs[0].show_diff);
    let frame = draw(&mut app, 120, 40);
    assert!(!frame.contains("-2. A marketplace") && frame.contains("# MVP spec: Ledgerly"), "{frame}");
    assert!(frame.contains("d shows the changes"), "{frame}");
    press(&mut app, KeyCode::Char('d'));
    assert!(screen(&app).tabs[0].show_diff);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Char('d'));
    assert!(app.status().is_some_and(|s| s.text.starts_with("no diff here")));
    assert!(matches!(screen(&app).mode, Mode::View));
}

#[test]
fn typing_slash_rollback_searches_and_never_starts_a_decision() {
    // Without the search, `a` starts an approval: alice may decide this G3.
    let mut app = app("alice");
    let snap = app.snap.clone();
    open(&mut app, fixture::review_g3(&snap));
    press(&mut app, KeyCode::Char('a'));
    assert!(matches!(screen(&app).mode, Mode::Confirm));
    press(&mut app, KeyCode::Esc);

    let mut effects = press(&mut app, KeyCode::Char('/'));
    effects.extend(typed(&mut app, "Rollback"));
    assert!(matches!(screen(&app).mode, Mode::View), "no confirmation was asked");
    assert!(screen(&app).typing());
    let frame = draw(&mut app, 80, 24);
    assert!(frame.contains("/Rollback▏"), "{frame}");
    effects.extend(press(&mut app, KeyCode::Enter));
    effects.extend(typed(&mut app, "y"));
    assert!(effects.is_empty() && !decides(&effects), "{effects:?}");
    assert!(matches!(screen(&app).mode, Mode::View));
    assert!(matches!(app.screen, Screen::Review(_)), "Enter ended the search and left the review open");
    assert_eq!(screen(&app).tabs[3].viewer().match_label().as_deref(), Some("“Rollback” 1/2"));
    assert!(draw(&mut app, 80, 24).contains("“Rollback” 1/2"));
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(screen(&app).tabs[3].viewer().match_label().as_deref(), Some("“Rollback” 2/2"));
    // Esc while typing cancels the search only.
    press(&mut app, KeyCode::Char('/'));
    typed(&mut app, "rev");
    press(&mut app, KeyCode::Esc);
    assert!(!screen(&app).typing() && matches!(app.screen, Screen::Review(_)));
}

#[test]
fn the_app_tree_opens_a_file_in_the_browser() {
    let mut app = app("tester");
    let snap = app.snap.clone();
    open(&mut app, fixture::review_g3(&snap));
    press(&mut app, KeyCode::Tab);
    let frame = draw(&mut app, 80, 24);
    assert!(frame.contains("▸ README.md") && frame.contains("backend/") && frame.contains("file 1/13"), "{frame}");
    press(&mut app, KeyCode::Char('/'));
    typed(&mut app, "main.py");
    press(&mut app, KeyCode::Enter);
    let Screen::Review(r) = &mut app.screen else { panic!() };
    let keymap = Keymap::default();
    let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(view_key(r, &keymap, &enter, None), Then::Browse(RunId(10), Some("app/backend/main.py".into())));
    let up = KeyEvent::new(KeyCode::Up, KeyModifiers::NONE);
    for _ in 0..20 {
        view_key(r, &keymap, &up, None);
    }
    assert!(matches!(view_key(r, &keymap, &enter, None), Then::Say(_)), "a folder is not a file");
}

#[test]
fn a_gate_another_reviewer_decides_says_so_at_once_and_takes_no_decision() {
    let mut alice = app("alice");
    let mut tester = app("tester");
    let snap = alice.snap.clone();
    let data = fixture::review(&snap);
    let gate = data.gate.id;
    open(&mut alice, data.clone());
    open(&mut tester, data.clone());
    // The second reviewer is writing a note when the first one approves.
    press(&mut tester, KeyCode::Char('v'));
    typed(&mut tester, "half a thought");
    press(&mut alice, KeyCode::Char('a'));
    let effects = press(&mut alice, KeyCode::Char('y'));
    let mut approved = data.gate.clone();
    approved.status = GateStatus::Approved;
    approved.decided_by = Some("alice@10.0.0.7 (ssh)".into());
    approved.decided_at = Some(fixture::NOW);
    answer(&mut alice, effects, Reply::Decided { gate: Box::new(approved.clone()) });
    let mut next = (*snap).clone();
    next.gates.retain(|g| g.id != gate);
    let next = Arc::new(next);
    assert!(alice.on_snapshot(next.clone()).iter().all(|e| !matches!(e, Effect::Request(..))), "alice decided it");

    let effects = tester.on_snapshot(next);
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Request(_, Command::Review { gate: g }) if *g == gate.into())),
        "{effects:?}"
    );
    assert!(matches!(screen(&tester).mode, Mode::View), "the note closed");
    assert!(draw(&mut tester, 120, 40).contains("s-01.G1.1 was decided elsewhere just now"));
    let mut reply = data.clone();
    reply.gate = approved.clone();
    reply.history[1] = approved;
    answer(&mut tester, effects, Reply::Review { review: Box::new(reply) });
    let frame = draw(&mut tester, 120, 40);
    assert!(frame.contains("s-01.G1.1 approved by alice@10.0.0.7 (ssh) just now"), "{frame}");
    assert!(frame.contains("G1.1 approved by alice"), "the history shows it too: {frame}");
    for k in ['a', 'v', 'r'] {
        let effects = press(&mut tester, KeyCode::Char(k));
        assert!(!decides(&effects), "{k} took no decision");
        let Mode::Done { ok: false, message } = &screen(&tester).mode else { panic!("{k} says why") };
        assert!(message.contains("already approved by alice@10.0.0.7 (ssh)"), "{message}");
        press(&mut tester, KeyCode::Tab);
    }
    assert_eq!(screen(&tester).tab, 1, "the evidence can still be read");
}

#[test]
fn after_a_saved_decision_the_next_gate_this_reviewer_may_decide_opens() {
    let mut app = app("tester");
    let snap = app.snap.clone();
    // s-07.G2.0: the next gate, s-10.G3.0, is alice's; s-13.G1.1 is the next for tester.
    let g2 = snap.gates[2].clone();
    let mut data = fixture::review(&snap);
    data.gate = g2.clone();
    open(&mut app, data);
    press(&mut app, KeyCode::Char('r'));
    typed(&mut app, "No market");
    let effects = app.handle_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
    let mut rejected = g2.clone();
    rejected.status = GateStatus::Rejected;
    rejected.decided_by = Some("tester".into());
    let effects = answer(&mut app, effects, Reply::Decided { gate: Box::new(rejected) });
    assert!(
        matches!(&effects[..], [Effect::Request(_, Command::Review { gate })] if gate.to_string() == "s-13.G1.1"),
        "{effects:?}"
    );
    assert_eq!(screen(&app).gate.to_string(), "s-13.G1.1");
    assert_eq!(app.status().unwrap().text, "s-07.G2.0 rejected, saved; next: s-13.G1.1");
    assert_eq!(app.selected_gate, Some(screen(&app).gate));

    // The last gate decided: back to the dashboard.
    let mut only = (*snap).clone();
    only.gates.truncate(1);
    let mut app = self::app("tester");
    app.on_snapshot(Arc::new(only));
    let data = fixture::review(&snap);
    let mut approved = data.gate.clone();
    open(&mut app, data);
    press(&mut app, KeyCode::Char('a'));
    let effects = press(&mut app, KeyCode::Char('y'));
    approved.status = GateStatus::Approved;
    answer(&mut app, effects, Reply::Decided { gate: Box::new(approved) });
    assert!(matches!(app.screen, Screen::Dashboard));
    assert_eq!(app.status().unwrap().text, "s-01.G1.1 approved, saved; no more gates waiting");
}

#[test]
fn with_after_decision_inbox_the_inbox_comes_back_on_the_neighbour() {
    let mut app = app("tester");
    app.settings_mut().after_decision = AfterDecision::from_config("inbox");
    let snap = app.snap.clone();
    for (at, neighbour) in [(1, 2), (4, 3)] {
        let gate = snap.gates[at].clone();
        let mut data = fixture::review(&snap);
        data.gate = gate.clone();
        open(&mut app, data);
        press(&mut app, KeyCode::Char('a'));
        let effects = press(&mut app, KeyCode::Char('y'));
        let mut approved = gate.clone();
        approved.status = GateStatus::Approved;
        answer(&mut app, effects, Reply::Decided { gate: Box::new(approved) });
        assert!(matches!(app.screen, Screen::Dashboard));
        assert_eq!(app.focus, Pane::Gates);
        assert_eq!(app.selected_gate, Some(snap.gates[neighbour].id), "after {}", gate.id);
        assert_eq!(app.status().unwrap().text, format!("{} approved, saved", gate.id));
    }
}

#[test]
fn a_diff_colours_added_and_removed_lines() {
    let v = crate::tui::viewer::Viewer::diff("a\nb\nc\n", "a\nB\nc\nd\n");
    assert_eq!(v.lines, ["@@ -1,3 +1,4 @@", " a", "-b", "+B", " c", "+d"]);
    assert_eq!(crate::tui::viewer::Viewer::diff("same\n", "same\n").lines, ["(no change from the revision before)"]);
}
