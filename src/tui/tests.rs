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
use super::theme::{ColorMode, Theme};
use crate::config::keys::Keymap;
use crate::domain::GateStatus;
use crate::orchestrator::{Command, Reply, RunDetail};
use crate::testkit::fixture;

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 50)];

pub(super) fn app(theme: &str) -> App {
    let mode = if theme == "no-colour" { ColorMode::None } else { ColorMode::TrueColor };
    let snap = Arc::new(fixture::snapshot(24, 3, 5));
    let mut app = App::new(snap, Theme::load(theme, mode).unwrap(), mode, Keymap::default(), "tester".into());
    app.set_now(fixture::NOW);
    app
}

pub(super) fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub(super) fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// Answers the first request among `effects` with `reply`.
pub(super) fn answer(app: &mut App, effects: Vec<Effect>, reply: Reply) -> Vec<Effect> {
    let id = effects
        .iter()
        .find_map(|e| match e {
            Effect::Request(id, _) => Some(*id),
            _ => None,
        })
        .expect("a request was made");
    app.on_reply(id, Ok(reply))
}

/// The frame as text, then each row's styles as runs: `A×12 B×3`, with a legend.
pub(super) fn draw(app: &mut App, w: u16, h: u16) -> String {
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
pub(super) fn scene(name: &str, setup: impl Fn(&mut App)) {
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
fn a_run_costed_from_estimated_tokens_says_so_in_the_team_pane() {
    let mut app = app("dark");
    let mut snap = (*app.snap).clone();
    Arc::make_mut(&mut snap.runs[0]).estimated = true;
    app.on_snapshot(Arc::new(snap));
    let screen = draw(&mut app, 160, 40);
    assert!(screen.contains("~$0.0858 of $4.50"), "{screen}");
}

#[test]
fn a_hostile_model_name_is_inert_in_the_review() {
    let mut app = app("dark");
    open_review(&mut app);
    if let crate::tui::app::Screen::Review(r) = &mut app.screen
        && let Some(d) = r.data.as_mut()
    {
        d.gate.review.model = Some("gpt\u{202e}evil\u{1b}[2J".into());
    }
    let screen = draw(&mut app, 160, 40);
    assert!(!screen.contains('\u{202e}') && !screen.contains('\u{1b}'), "{screen}");
    assert!(screen.contains("gpt"), "{screen}");
}

#[test]
fn a_read_only_terminal_shows_no_decision_keys() {
    let mut app = app("dark");
    app.set_link(crate::orchestrator::Link::Attached { read_only: true, pid: 42 });
    key(&mut app, KeyCode::Char('g'));
    let screen = draw(&mut app, 200, 50);
    let frame = screen.split("--- styles ---").next().unwrap_or_default();
    let footer = frame.trim_end().lines().last().unwrap_or_default().to_string();
    assert!(footer.contains("review"), "{footer}");
    for hidden in ["approve", "revise", "reject", "mark", "pause/resume"] {
        assert!(!footer.contains(hidden), "{hidden} in a read-only footer: {footer}");
    }
    open_review(&mut app);
    let screen = draw(&mut app, 200, 50);
    let frame = screen.split("--- styles ---").next().unwrap_or_default();
    let footer = frame.trim_end().lines().last().unwrap_or_default().to_string();
    assert!(!footer.contains("approve") && footer.contains("search"), "{footer}");
}

#[test]
fn gate_ids_are_never_cut_in_the_inbox() {
    let mut app = app("dark");
    let mut snap = (*app.snap).clone();
    let mut budget = snap.gates[0].clone();
    budget.id = crate::domain::GateId { run: crate::domain::RunId(1008), code: crate::domain::GateCode::Budget, n: 0 };
    snap.gates.insert(0, budget);
    app.on_snapshot(Arc::new(snap));
    key(&mut app, KeyCode::Char('g'));
    for (w, h) in [(80, 24), (120, 40), (200, 50)] {
        let screen = draw(&mut app, w, h);
        assert!(screen.contains("s-1008.budget "), "{w}x{h}:\n{screen}");
    }
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

fn open_release_review(app: &mut App) {
    key(app, KeyCode::Char('g'));
    for _ in 0..3 {
        key(app, KeyCode::Down);
    }
    let effects = key(app, KeyCode::Enter);
    let review = fixture::review_g3(&app.snap);
    answer(app, effects, Reply::Review { review: Box::new(review) });
}

#[test]
fn gate_review_of_a_release_with_its_evidence_tabs() {
    scene("review_g3", |app| {
        open_release_review(app);
    });
}

#[test]
fn gate_review_of_a_release_on_its_app_tree() {
    scene("review_g3_tree", |app| {
        open_release_review(app);
        key(app, KeyCode::Tab);
        for _ in 0..5 {
            key(app, KeyCode::Down);
        }
    });
}

#[test]
fn gate_review_typing_a_search() {
    scene("review_search_typing", |app| {
        open_release_review(app);
        key(app, KeyCode::Char('/'));
        typed(app, "Rollb");
    });
}

#[test]
fn gate_review_with_search_matches() {
    scene("review_search_found", |app| {
        open_release_review(app);
        // The document was on screen before the search, so a match scrolls into view (at
        // 80x24; at the larger sizes the document fits).
        draw(app, 80, 24);
        key(app, KeyCode::Char('/'));
        typed(app, "Rollback");
        key(app, KeyCode::Enter);
        key(app, KeyCode::Char('n'));
    });
}

#[test]
fn gate_review_of_a_revision_showing_the_whole_document() {
    scene("review_whole", |app| {
        open_review(app);
        key(app, KeyCode::Char('d'));
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
    // The newest is acknowledged; the one below it is selected.
    scene("alerts", |app| {
        let effects = key(app, KeyCode::Char('!'));
        let acks = vec![crate::orchestrator::AlertAck { seq: 102, by: "alice".into(), at: fixture::NOW }];
        answer(app, effects, Reply::Alerts { alerts: fixture::alerts(), acks, deliveries: Vec::new() });
        key(app, KeyCode::Down);
    });
}

#[test]
fn alerts_are_acknowledged_one_by_one_or_all_at_once_and_the_list_comes_again() {
    let mut app = app("dark");
    let effects = key(&mut app, KeyCode::Char('!'));
    let acks = vec![crate::orchestrator::AlertAck { seq: 102, by: "alice".into(), at: fixture::NOW }];
    answer(&mut app, effects, Reply::Alerts { alerts: fixture::alerts(), acks, deliveries: Vec::new() });
    // The newest (#102) is acknowledged already: x says so and asks nothing.
    assert!(key(&mut app, KeyCode::Char('x')).is_empty());
    assert_eq!(app.status().unwrap().text, "alert #102 is already acknowledged");
    key(&mut app, KeyCode::Down);
    let effects = key(&mut app, KeyCode::Char('x'));
    let asked: Vec<&Command> =
        effects.iter().filter_map(|e| if let Effect::Request(_, c) = e { Some(c) } else { None }).collect();
    assert_eq!(asked, [&Command::AckAlerts { alerts: vec![101], by: app.reviewer().to_string() }]);
    let again = answer(&mut app, effects, Reply::Done { message: "acknowledged 1 alert".into() });
    assert!(matches!(again.as_slice(), [Effect::Request(_, Command::Alerts)]), "{again:?}");
    assert_eq!(app.status().unwrap().text, "acknowledged 1 alert");
    let effects = key(&mut app, KeyCode::Char('X'));
    assert!(matches!(effects.as_slice(), [Effect::Request(_, Command::AckAlerts { alerts, .. })] if alerts.is_empty()));
    // A watching terminal may not.
    app.set_link(crate::orchestrator::Link::Attached { read_only: true, pid: 42 });
    assert!(key(&mut app, KeyCode::Char('X')).is_empty());
    assert!(app.status().unwrap().text.starts_with("read-only"), "{:?}", app.status());
}

#[test]
fn a_paused_runs_gate_counts_at_gates_in_the_header_as_in_the_inbox() {
    let mut app = app("no-colour");
    let mut snap = (*app.snap).clone();
    // A run paused while its gate waits: the gate is still in the inbox.
    let gate = snap.gates[0].id;
    let mut run = (*snap.runs[gate.run.0 as usize - 1]).clone();
    run.status = crate::domain::RunStatus::Paused;
    snap.runs[gate.run.0 as usize - 1] = std::sync::Arc::new(run);
    snap.counts.awaiting_gate -= 1;
    snap.counts.paused += 1;
    app.on_snapshot(std::sync::Arc::new(snap.clone()));
    let screen = draw(&mut app, 200, 50);
    let n = snap.gates.len();
    assert!(screen.contains(&format!("· {n} at gates ")), "{screen}");
    assert!(screen.contains(&format!("Gate inbox ({n})")), "{screen}");
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
    app.settings_mut().bell = false;
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
    assert!(draw(&mut app, 120, 40).contains("s-01.G1.1 rejected, saved; next: s-04.G0.0"));
    // Esc in a note leaves without deciding; no decision key is Esc.
    let mut app2 = self::app("dark");
    open_review(&mut app2);
    key(&mut app2, KeyCode::Char('v'));
    typed(&mut app2, "half a thought");
    assert!(key(&mut app2, KeyCode::Esc).is_empty());
    assert!(draw(&mut app2, 120, 40).contains("note left without deciding"));
}

/// The workspace browser: its tree, its highlighted viewer, and its keys.
mod browser {
    use super::*;
    use crate::orchestrator::{Command, FileText};
    use crate::tui::app::Screen;
    use crate::tui::screens::browser::Focus;

    const WORKSPACE: &str = "/srv/factory/workspaces/s-01";

    /// Answers the browser's requests: the file list, the run (for its folder), a file.
    fn answer_browser(app: &mut App, effects: Vec<Effect>, files: &[crate::orchestrator::FileEntry]) {
        for e in effects {
            let Effect::Request(id, cmd) = e else { continue };
            let reply = match cmd {
                Command::Files { run } => Reply::Files { run: run.to_string(), files: files.to_vec() },
                Command::Status { .. } => {
                    let mut run = fixture::review(&app.snap).run;
                    run.workspace = WORKSPACE.into();
                    Reply::Run { detail: Box::new(RunDetail { run, tasks: vec![], reports: vec![], gates: vec![] }) }
                }
                Command::ReadFile { run, path } => Reply::File {
                    file: Box::new(FileText {
                        run: run.to_string(),
                        path,
                        text: fixture::python_source(80),
                        bytes: 2_481,
                        truncated: false,
                        binary: false,
                    }),
                },
                _ => continue,
            };
            app.on_reply(id, Ok(reply));
        }
    }

    /// `w` on the first run, then `app/` and `app/backend/` opened, `main.py` selected.
    fn open_tree(app: &mut App) {
        let effects = key(app, KeyCode::Char('w'));
        answer_browser(app, effects, &fixture::workspace_files(12));
        for _ in 0..4 {
            key(app, KeyCode::Down);
        }
        key(app, KeyCode::Right);
        key(app, KeyCode::Down);
        key(app, KeyCode::Char('l'));
        key(app, KeyCode::Down);
    }

    fn open_python(app: &mut App) {
        open_tree(app);
        let effects = key(app, KeyCode::Enter);
        answer_browser(app, effects, &[]);
    }

    fn browser(app: &App) -> &crate::tui::screens::browser::BrowserScreen {
        match &app.screen {
            Screen::Browser(b) => b,
            _ => panic!("the browser is open"),
        }
    }

    #[test]
    fn browser_tree_with_a_folder_expanded() {
        scene("browser_tree", |app| {
            open_tree(app);
            assert_eq!(browser(app).selected_path().as_deref(), Some("app/backend/main.py"));
        });
    }

    #[test]
    fn browser_viewing_a_highlighted_python_file() {
        scene("browser_python", |app| {
            open_python(app);
            assert_eq!(browser(app).focus, Focus::File);
        });
    }

    #[test]
    fn search_in_the_open_file_counts_and_moves_between_matches() {
        let mut app = app("dark");
        open_python(&mut app);
        draw(&mut app, 120, 40);
        key(&mut app, KeyCode::Char('/'));
        typed(&mut app, "invoice_id");
        assert!(draw(&mut app, 120, 40).contains("/invoice_id▏"), "the query shows while typed");
        key(&mut app, KeyCode::Enter);
        let b = browser(&app);
        let viewer = &b.file.as_ref().unwrap().viewer;
        let n = viewer.search.matches.len();
        assert!(n >= 6, "{n} matches");
        assert_eq!(viewer.match_label().unwrap(), format!("“invoice_id” 1/{n}"));
        key(&mut app, KeyCode::Char('n'));
        let frame = draw(&mut app, 120, 40);
        assert!(frame.contains(&format!("“invoice_id” 2/{n}")), "{frame}");
        // From the tree, `N` still moves in the open file.
        key(&mut app, KeyCode::Tab);
        assert_eq!(browser(&app).focus, Focus::Tree);
        app.handle_key(KeyEvent::new(KeyCode::Char('N'), KeyModifiers::SHIFT));
        assert_eq!(browser(&app).file.as_ref().unwrap().viewer.search.current, 0);
    }

    #[test]
    fn e_refuses_a_path_outside_the_workspace() {
        let mut app = app("dark");
        let effects = key(&mut app, KeyCode::Char('w'));
        let mut files = fixture::workspace_files(12);
        files.push(crate::orchestrator::FileEntry { path: "app/../../../etc/passwd".into(), bytes: 1 });
        answer_browser(&mut app, effects, &files);
        let Screen::Browser(b) = &mut app.screen else { panic!() };
        b.reveal("app/../../../etc/passwd");
        let effects = key(&mut app, KeyCode::Char('e'));
        assert!(effects.is_empty(), "{effects:?}");
        let status = app.status().cloned().unwrap();
        assert!(status.error && status.text.contains("climbs out of the workspace"), "{status:?}");
        // A file inside it goes to the editor, on the workspace's path.
        let Screen::Browser(b) = &mut app.screen else { panic!() };
        b.reveal("app/backend/main.py");
        let effects = key(&mut app, KeyCode::Char('e'));
        let [Effect::External { workspace, path, .. }] = effects.as_slice() else { panic!("{effects:?}") };
        assert_eq!((workspace.as_str(), path.as_str()), (WORKSPACE, "app/backend/main.py"));
    }

    #[test]
    fn y_copies_the_path_only_when_osc52_is_allowed() {
        let mut app = app("dark");
        open_tree(&mut app);
        assert!(key(&mut app, KeyCode::Char('y')).is_empty());
        assert!(app.status().cloned().unwrap().text.contains("set [tui] osc52 = true in the config"));
        app.settings_mut().osc52 = true;
        let effects = key(&mut app, KeyCode::Char('y'));
        assert_eq!(effects, vec![Effect::Clipboard(format!("{WORKSPACE}/app/backend/main.py"))]);
    }

    #[test]
    fn esc_goes_back_where_the_browser_was_opened_from() {
        let mut app = app("dark");
        open_release_review(&mut app);
        let run = app.selected_run.unwrap();
        let effects = app.open_browser(run, Some("app/backend/main.py".into()));
        assert_eq!(effects.len(), 3, "list, folder and file");
        answer_browser(&mut app, effects, &fixture::workspace_files(12));
        assert_eq!(browser(&app).selected_path().as_deref(), Some("app/backend/main.py"));
        assert!(browser(&app).file.is_some());
        key(&mut app, KeyCode::Esc);
        assert!(matches!(app.screen, Screen::Review(_)), "back on the review");
        // From the dashboard, `:open s-02` opens it, and Esc goes back to the dashboard.
        let mut app = self::app("dark");
        key(&mut app, KeyCode::Char(':'));
        typed(&mut app, "open s-02");
        let effects = key(&mut app, KeyCode::Enter);
        assert!(matches!(&app.screen, Screen::Browser(b) if b.run.to_string() == "s-02"));
        assert_eq!(effects.len(), 2);
        key(&mut app, KeyCode::Esc);
        assert!(matches!(app.screen, Screen::Dashboard));
    }
}

mod render;
