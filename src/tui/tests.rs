//! Every screen and overlay of the control room under insta snapshots, drawn on ratatui's
//! TestBackend at 80x24, 120x40 and 200x50, in the dark and no-colour themes, with a fixed
//! clock and data. Each snapshot holds the text and, below it, the style of every run of cells.

use std::collections::HashMap;
use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Style;

use super::app::{App, Effect, Pane};
use super::fixture;
use super::keymap::Keymap;
use super::theme::{ColorMode, Theme};
use crate::domain::GateStatus;
use crate::orchestrator::{Reply, RunDetail};

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 50)];

fn app(theme: &str) -> App {
    let mode = if theme == "no-colour" { ColorMode::None } else { ColorMode::TrueColor };
    let snap = Arc::new(fixture::snapshot(24, 3, 5));
    let mut app = App::new(snap, Theme::load(theme, mode).unwrap(), mode, Keymap::default(), "tester".into());
    app.now = fixture::NOW;
    app
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// Answers the first request among `effects` with `reply`.
fn answer(app: &mut App, effects: Vec<Effect>, reply: Reply) {
    let id = effects
        .iter()
        .find_map(|e| match e {
            Effect::Request(id, _) => Some(*id),
            _ => None,
        })
        .expect("a request was made");
    app.on_reply(id, Ok(reply));
}

/// The frame as text, then each row's styles as runs: `A×12 B×3`, with a legend.
fn draw(app: &mut App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| super::view::render(app, f)).unwrap();
    let buf = term.backend().buffer();
    let mut text = String::new();
    let mut styles = String::new();
    let mut legend: Vec<Style> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for y in 0..h {
        let mut line = String::new();
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for x in 0..w {
            let cell = &buf[(x, y)];
            line.push_str(cell.symbol());
            let style = Style::default().fg(cell.fg).bg(cell.bg).add_modifier(cell.modifier);
            let key = format!("{style:?}");
            let k = *index.entry(key).or_insert_with(|| {
                legend.push(style);
                legend.len() - 1
            });
            match runs.last_mut() {
                Some((last, n)) if *last == k => *n += 1,
                _ => runs.push((k, 1)),
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
        let row: Vec<String> = runs.iter().map(|(k, n)| format!("{}×{n}", label(*k))).collect();
        styles.push_str(&format!("{y:>2}: {}\n", row.join(" ")));
    }
    let mut out = text;
    out.push_str("--- styles ---\n");
    out.push_str(&styles);
    out.push_str("--- legend ---\n");
    for (k, s) in legend.iter().enumerate() {
        out.push_str(&format!("{}: fg {:?} bg {:?} {:?}\n", label(k), s.fg, s.bg, s.add_modifier));
    }
    out
}

fn label(k: usize) -> String {
    let letters = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if k < 26 {
        (letters[k] as char).to_string()
    } else {
        format!("{}{}", letters[k / 26 - 1] as char, letters[k % 26] as char)
    }
}

/// Draws a scene at every size in both themes and checks each against its snapshot.
fn scene(name: &str, setup: impl Fn(&mut App)) {
    for theme in ["dark", "no-colour"] {
        for (w, h) in SIZES {
            let mut app = app(theme);
            setup(&mut app);
            let frame = draw(&mut app, w, h);
            insta::assert_snapshot!(format!("{name}_{theme}_{w}x{h}"), frame);
        }
    }
}

fn open_review(app: &mut App) -> Vec<Effect> {
    key(app, KeyCode::Char('g'));
    let effects = key(app, KeyCode::Enter);
    let review = fixture::review(&app.snap);
    answer(app, effects, Reply::Review { review: Box::new(review) });
    Vec::new()
}

#[test]
fn dashboard() {
    scene("dashboard", |_| {});
}

#[test]
fn dashboard_with_the_gate_inbox_filtered() {
    scene("gates_filtered", |app| {
        key(app, KeyCode::Char('g'));
        key(app, KeyCode::Char('/'));
        typed(app, "G1");
        key(app, KeyCode::Enter);
    });
}

#[test]
fn dashboard_on_a_build_team() {
    scene("team", |app| {
        key(app, KeyCode::Down);
        key(app, KeyCode::Enter);
        assert_eq!(app.focus, Pane::Team);
    });
}

#[test]
fn gate_review() {
    scene("review", |app| {
        open_review(app);
    });
}

#[test]
fn gate_review_confirming_an_approval() {
    scene("review_confirm", |app| {
        open_review(app);
        key(app, KeyCode::Char('a'));
    });
}

#[test]
fn gate_review_writing_a_revise_note() {
    scene("review_note", |app| {
        open_review(app);
        key(app, KeyCode::Char('v'));
        typed(app, "Narrow it to invoicing");
    });
}

#[test]
fn gate_review_after_the_decision_is_saved() {
    scene("review_saved", |app| {
        open_review(app);
        key(app, KeyCode::Char('a'));
        let effects = key(app, KeyCode::Char('y'));
        let mut gate = fixture::review(&app.snap).gate;
        gate.status = GateStatus::Approved;
        gate.decided_by = Some("tester".into());
        gate.decided_at = Some(fixture::NOW);
        answer(app, effects, Reply::Decided { gate: Box::new(gate) });
    });
}

#[test]
fn new_run_form_with_inline_errors() {
    scene("new_run", |app| {
        key(app, KeyCode::Char('n'));
        typed(app, "Café Zoë");
        key(app, KeyCode::Tab);
        key(app, KeyCode::Tab);
        key(app, KeyCode::Right);
        key(app, KeyCode::Tab);
        typed(app, "ten");
    });
}

#[test]
fn help_overlay() {
    scene("help", |app| {
        key(app, KeyCode::Char('?'));
    });
}

#[test]
fn alerts_overlay() {
    scene("alerts", |app| {
        let effects = key(app, KeyCode::Char('!'));
        answer(app, effects, Reply::Alerts { alerts: fixture::alerts() });
    });
}

#[test]
fn report_history_overlay() {
    scene("reports", |app| {
        key(app, KeyCode::Down);
        key(app, KeyCode::Char('2'));
        let effects = key(app, KeyCode::Enter);
        let review = fixture::review(&app.snap);
        let run = app.selected_run.unwrap();
        let detail =
            RunDetail { run: review.run, tasks: Vec::new(), reports: fixture::reports(run), gates: Vec::new() };
        answer(app, effects, Reply::Run { detail: Box::new(detail) });
    });
}

#[test]
fn command_line_completing_a_run_id() {
    scene("command", |app| {
        key(app, KeyCode::Char(':'));
        typed(app, "pause s-0");
        key(app, KeyCode::Tab);
    });
}

#[test]
fn templates_overlay_with_versions_and_ratings() {
    scene("templates", |app| {
        key(app, KeyCode::Char(':'));
        typed(app, "templates");
        let effects = key(app, KeyCode::Enter);
        answer(app, effects, Reply::Templates { templates: fixture::templates(), problems: Vec::new() });
        key(app, KeyCode::Down);
    });
}

#[test]
fn a_template_picked_on_the_templates_screen_opens_the_new_run_form_on_it() {
    let mut app = app("dark");
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "templates");
    let effects = key(&mut app, KeyCode::Enter);
    answer(&mut app, effects, Reply::Templates { templates: fixture::templates(), problems: Vec::new() });
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    let effects = key(&mut app, KeyCode::Enter);
    answer(&mut app, effects, Reply::Templates { templates: fixture::templates(), problems: Vec::new() });
    let frame = draw(&mut app, 120, 40);
    assert!(frame.contains("New run"), "{frame}");
    let super::app::Screen::NewRun(form) = &app.screen else { panic!("the form is open") };
    assert_eq!(form.templates[form.template], fixture::templates()[2].name);
}

#[test]
fn a_terminal_too_small_says_what_it_needs() {
    for theme in ["dark", "no-colour"] {
        let mut app = app(theme);
        insta::assert_snapshot!(format!("too_small_{theme}_50x12"), draw(&mut app, 50, 12));
    }
}

#[test]
fn hostile_text_never_reaches_the_terminal() {
    let mut app = app("dark");
    open_review(&mut app);
    let frame = draw(&mut app, 200, 50);
    assert!(!frame.contains('\u{1b}') && !frame.contains('\u{7}'), "a control character reached the frame");
    assert!(frame.contains("␛[2J␛]52;c;"), "shown inert instead");
}

#[test]
fn a_new_gate_or_alert_rings_the_bell_once() {
    let mut app = app("dark");
    let mut next = (*app.snap).clone();
    assert!(app.on_snapshot(Arc::new(next.clone())).is_empty(), "no change, no bell");
    next.gates.push(fixture::snapshot(40, 1, 9).gates[8].clone());
    assert_eq!(app.on_snapshot(Arc::new(next.clone())), vec![Effect::Bell]);
    assert!(app.on_snapshot(Arc::new(next.clone())).is_empty(), "once");
    next.alerts += 1;
    assert_eq!(app.on_snapshot(Arc::new(next.clone())), vec![Effect::Bell]);
    app.bell = false;
    next.alerts += 1;
    assert!(app.on_snapshot(Arc::new(next)).is_empty(), "the bell can be turned off");
}

#[test]
fn decisions_wait_for_the_orchestrator_before_showing_done() {
    let mut app = app("dark");
    open_review(&mut app);
    key(&mut app, KeyCode::Char('r'));
    let none = app.handle_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
    assert!(none.is_empty(), "an empty note is not sent");
    typed(&mut app, "No market");
    let effects = app.handle_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
    let frame = draw(&mut app, 120, 40);
    assert!(frame.contains("waiting for the orchestrator to confirm it is on disk"), "{frame}");
    assert!(!frame.contains("saved"));
    let mut gate = fixture::review(&app.snap).gate;
    gate.status = GateStatus::Rejected;
    gate.decided_by = Some("tester".into());
    answer(&mut app, effects, Reply::Decided { gate: Box::new(gate) });
    assert!(draw(&mut app, 120, 40).contains("rejected by tester, saved"));
    // Esc in a note leaves without deciding; no decision key is Esc.
    let mut app2 = self::app("dark");
    open_review(&mut app2);
    key(&mut app2, KeyCode::Char('v'));
    typed(&mut app2, "half a thought");
    assert!(key(&mut app2, KeyCode::Esc).is_empty());
    assert!(draw(&mut app2, 120, 40).contains("note left without deciding"));
}
