//! Pastes into every text field (within its limit, counted on screen) and the mouse on the dashboard.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use super::app::{App, Effect, Pane, Screen};
use super::screens::overlays::Overlay;
use super::screens::review::Mode;
use super::tests::{answer, app, draw, key, typed};
use crate::orchestrator::{Command, Reply};
use crate::testkit::fixture;

fn ctrl_s(app: &mut App) -> Vec<Effect> {
    app.handle_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL))
}

/// A text of `len` characters, in lines of 60 ended the way terminals paste them (`\r`).
fn long_text(len: usize) -> String {
    let mut s = String::new();
    let mut n = 0;
    while n < len {
        if n % 61 == 60 {
            s.push('\r');
        } else {
            s.push(char::from(b'a' + (n % 26) as u8));
        }
        n += 1;
    }
    s
}

fn form(app: &App) -> &super::screens::new_run::NewRunForm {
    match &app.screen {
        Screen::NewRun(f) => f,
        _ => panic!("the new-run form is open"),
    }
}

/// `n`, a name, and Tab to the idea.
fn new_run_on_idea(app: &mut App) {
    key(app, KeyCode::Char('n'));
    typed(app, "Ledgerly");
    key(app, KeyCode::Tab);
}

fn open_review(app: &mut App) {
    key(app, KeyCode::Char('g'));
    let effects = key(app, KeyCode::Enter);
    let review = fixture::review(&app.snap);
    answer(app, effects, Reply::Review { review: Box::new(review) });
}

fn status(app: &App) -> String {
    app.status().map(|s| s.text.clone()).unwrap_or_default()
}

#[test]
fn a_long_paste_goes_into_the_idea_at_once_and_ctrl_s_creates_the_run() {
    let mut app = app("dark");
    new_run_on_idea(&mut app);
    assert!(app.handle_paste(long_text(3_500)).is_empty());
    let idea = form(&app).idea.lines().join("\n");
    assert_eq!(idea.chars().count(), 3_500, "every character went in, `\\r` as a line break");
    assert!(!idea.contains('\r') && idea.lines().count() > 50);
    assert_eq!(form(&app).error, None);
    assert!(draw(&mut app, 120, 40).contains(" 3,500/10,000 "), "the idea's counter");
    let effects = ctrl_s(&mut app);
    match effects.as_slice() {
        [Effect::Request(_, Command::NewRun(new))] => {
            assert_eq!((new.name.as_str(), new.idea.chars().count()), ("Ledgerly", 3_500))
        }
        other => panic!("Ctrl-S right after the paste creates the run: {other:?}"),
    }
}

#[test]
fn a_paste_past_the_idea_limit_keeps_what_fits_and_says_so() {
    let mut app = app("dark");
    new_run_on_idea(&mut app);
    typed(&mut app, "Books: ");
    app.handle_paste("x".repeat(12_000));
    let f = form(&app);
    assert_eq!(super::paste::chars(&f.idea), 10_000);
    assert_eq!(
        f.error.as_deref(),
        Some("kept the first 9,993 of 12,000 characters pasted: an idea takes at most 10,000")
    );
    app.handle_paste("more".into());
    assert_eq!(form(&app).error.as_deref(), Some("an idea takes at most 10,000 characters: nothing was pasted"));
    assert_eq!(super::paste::chars(&form(&app).idea), 10_000);
    // Full, it is still sent: the limit is the orchestrator's.
    assert!(matches!(ctrl_s(&mut app).as_slice(), [Effect::Request(_, Command::NewRun(_))]));
}

#[test]
fn an_idea_too_long_is_refused_by_the_form_without_naming_a_flag() {
    let mut app = app("dark");
    new_run_on_idea(&mut app);
    app.handle_paste("y".repeat(9_999));
    typed(&mut app, "zz");
    assert!(ctrl_s(&mut app).is_empty(), "not sent");
    let error = form(&app).error.clone().unwrap_or_default();
    assert_eq!(error, "Idea: at most 10,000 characters (10,001 now)");
    assert!(draw(&mut app, 120, 40).contains(" 10,001/10,000 "));
    // Should the orchestrator refuse anyway, its hint for the command line is left out.
    let Screen::NewRun(f) = &mut app.screen else { unreachable!() };
    f.failed("the idea must be 1-10000 characters; describe it with --idea".into());
    assert_eq!(f.error.as_deref(), Some("the idea must be 1-10000 characters"));
}

#[test]
fn the_name_and_the_budget_take_a_paste_their_own_way() {
    let mut app = app("dark");
    key(&mut app, KeyCode::Char('n'));
    app.handle_paste("Ledgerly\r\n".into());
    assert_eq!(form(&app).name.lines(), ["Ledgerly"], "one line, the line break dropped");
    app.handle_paste(format!(" {}", "n".repeat(100)));
    assert_eq!(super::paste::chars(&form(&app).name), 80);
    assert!(form(&app).error.as_deref().is_some_and(|e| e.contains("a name takes at most 80")));
    for _ in 0..3 {
        key(&mut app, KeyCode::Tab);
    }
    app.handle_paste("twelve".into());
    assert_eq!(form(&app).budget.lines(), [""], "letters are not pasted into dollars");
    assert!(form(&app).error.as_deref().is_some_and(|e| e.contains("digits and a point")));
    app.handle_paste("$7.50\n".into());
    assert_eq!(form(&app).budget.lines(), ["7.50"]);
    assert_eq!(form(&app).error, None);
    key(&mut app, KeyCode::Tab);
    app.handle_paste("3".into());
    assert!(form(&app).error.as_deref().is_some_and(|e| e.starts_with("Priority: nothing to paste into")));
}

#[test]
fn the_budget_placeholder_shows_the_default_amount() {
    let mut app = app("dark");
    app.settings_mut().default_budget_micros = 7_250_000;
    key(&mut app, KeyCode::Char('n'));
    assert!(draw(&mut app, 120, 40).contains("default: $7.25"));
}

#[test]
fn new_run_form_with_counters() {
    let mut app = app("dark");
    key(&mut app, KeyCode::Char('n'));
    typed(&mut app, "A name of seventy-three characters, close to the limit of eighty: Ledgerl");
    key(&mut app, KeyCode::Tab);
    app.handle_paste(long_text(1_234));
    insta::assert_snapshot!("new_run_counters_dark_120x40", draw(&mut app, 120, 40));
}

#[test]
fn notes_take_a_paste_up_to_their_limit() {
    let mut app = app("dark");
    open_review(&mut app);
    key(&mut app, KeyCode::Char('r'));
    app.handle_paste(long_text(5_000));
    let Screen::Review(r) = &app.screen else { panic!("the review") };
    let Mode::Note(note) = &r.mode else { panic!("the note") };
    assert_eq!(super::paste::chars(&note.text), 4_000);
    assert!(note.error.as_deref().is_some_and(|e| e.contains("a note takes at most 4,000")), "{:?}", note.error);
    assert!(draw(&mut app, 120, 40).contains(" 4,000/4,000 "));
    assert!(matches!(ctrl_s(&mut app).as_slice(), [Effect::Request(_, Command::Decide { .. })]));

    // Typed past the limit: refused on Ctrl-S, with the count.
    let mut app = super::tests::app("dark");
    open_review(&mut app);
    key(&mut app, KeyCode::Char('v'));
    app.handle_paste("w".repeat(4_000));
    typed(&mut app, "!");
    assert!(ctrl_s(&mut app).is_empty());
    assert!(draw(&mut app, 200, 50).contains("a note takes at most 4,000 characters (4,001 now)"));
}

#[test]
fn the_batch_note_the_filter_and_a_search_take_a_paste() {
    let mut app = app("dark");
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char('v'));
    app.handle_paste("Narrow it\rto one persona".into());
    let Some(Overlay::Batch(b)) = app.overlay() else { panic!("the batch note") };
    assert_eq!(b.note.as_ref().map(|n| n.lines().to_vec()), Some(vec!["Narrow it".into(), "to one persona".into()]));
    assert!(draw(&mut app, 120, 40).contains(" 24/4,000 "));

    let mut app = super::tests::app("dark");
    key(&mut app, KeyCode::Char('/'));
    app.handle_paste("Ledgerly\n".into());
    assert_eq!(app.filters[Pane::Startups.index()], "Ledgerly");
    assert_eq!(app.visible_runs().len(), 3, "refiltered at once");

    let mut app = super::tests::app("dark");
    open_review(&mut app);
    key(&mut app, KeyCode::Char('/'));
    app.handle_paste("Rollback\tplan".into());
    let Screen::Review(r) = &app.screen else { panic!("the review") };
    assert_eq!(r.current().and_then(|t| t.viewer().search.typing.clone()).as_deref(), Some("Rollback plan"));

    // With no text field, nothing changes and the footer says so.
    let mut app = super::tests::app("dark");
    app.handle_paste("s-03".into());
    assert_eq!(status(&app), "nothing to paste into here: no text field has the focus");
}

/// The frame's cells, one string a row, a symbol a cell.
fn cells(app: &mut App, w: u16, h: u16) -> Vec<Vec<String>> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| super::view::render(app, f)).unwrap();
    let buf = term.backend().buffer();
    (0..h).map(|y| (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect()).collect()
}

/// Where `needle` is drawn (column, row), after drawing the frame.
fn find(app: &mut App, w: u16, h: u16, needle: &str) -> (u16, u16) {
    let rows = cells(app, w, h);
    for (y, row) in rows.iter().enumerate() {
        for x in 0..row.len() {
            if row[x..].concat().starts_with(needle) {
                return (x as u16, y as u16);
            }
        }
    }
    panic!("`{needle}` is not on screen")
}

fn mouse(app: &mut App, kind: MouseEventKind, (column, row): (u16, u16)) -> Vec<Effect> {
    app.handle_mouse(MouseEvent { kind, column, row, modifiers: KeyModifiers::NONE })
}

fn click(app: &mut App, at: (u16, u16)) -> Vec<Effect> {
    let effects = mouse(app, MouseEventKind::Down(MouseButton::Left), at);
    assert!(mouse(app, MouseEventKind::Up(MouseButton::Left), at).is_empty());
    effects
}

#[test]
fn a_click_selects_a_run_and_a_second_click_opens_it() {
    let mut app = app("dark");
    app.focus = Pane::Gates;
    let at = find(&mut app, 120, 40, "s-03  CareCircle");
    assert!(click(&mut app, at).is_empty());
    assert_eq!((app.focus, app.selected_run.map(|r| r.to_string())), (Pane::Startups, Some("s-03".into())));
    // A key between two clicks: the next click selects, it does not open.
    key(&mut app, KeyCode::Char('x'));
    let at = find(&mut app, 120, 40, "s-03  CareCircle");
    click(&mut app, at);
    assert_eq!(app.focus, Pane::Startups);
    click(&mut app, at);
    assert_eq!(app.focus, Pane::Team, "a second click opens the run's team, as Enter does");
}

#[test]
fn a_click_in_the_inbox_follows_the_gate_and_a_second_opens_its_review() {
    let mut app = app("dark");
    let at = find(&mut app, 120, 40, "s-07.G2");
    assert!(click(&mut app, at).is_empty());
    assert_eq!(app.focus, Pane::Gates);
    assert_eq!(app.selected_gate.map(|g| g.to_string()).as_deref(), Some("s-07.G2.0"));
    assert_eq!(app.selected_run.map(|r| r.to_string()).as_deref(), Some("s-07"), "the team pane follows");
    let effects = click(&mut app, at);
    assert!(
        matches!(effects.as_slice(), [Effect::Request(_, Command::Review { gate })] if gate.to_string() == "s-07.G2.0")
    );
    assert!(matches!(app.screen, Screen::Review(_)));
    // On the review, clicks do nothing.
    assert!(click(&mut app, (3, 3)).is_empty());
}

#[test]
fn clicks_on_the_team_and_the_providers_and_the_borders() {
    let mut app = app("dark");
    let at = find(&mut app, 120, 40, "s-02  BrandFocus");
    click(&mut app, at);
    let (x, y) = find(&mut app, 120, 40, "Role");
    click(&mut app, (x, y + 2));
    assert_eq!((app.focus, app.selected_role), (Pane::Team, 1));
    let effects = click(&mut app, (x, y + 2));
    assert!(matches!(app.overlay(), Some(Overlay::Reports(_))), "a second click shows the report history");
    assert!(matches!(effects.as_slice(), [Effect::Request(_, Command::Status { .. })]));
    // Clicks under an overlay do nothing.
    let before = (app.focus, app.selected_role);
    click(&mut app, at);
    assert_eq!((app.focus, app.selected_role), before);
    app.close_overlay();

    let (x, y) = find(&mut app, 120, 40, "anthropic");
    click(&mut app, (x, y));
    assert_eq!((app.focus, app.selected_provider), (Pane::Providers, 2));
    // A pane's border or header: the focus, no row.
    let (x, y) = find(&mut app, 120, 40, "Gate inbox");
    assert!(click(&mut app, (x, y)).is_empty());
    assert_eq!((app.focus, app.last_click), (Pane::Gates, None));
    // The header line is no pane.
    click(&mut app, (1, 0));
    assert_eq!(app.focus, Pane::Gates);
}

#[test]
fn the_wheel_moves_the_list_under_it_and_scrolls_popups() {
    let mut app = app("dark");
    let first = app.selected_gate;
    let at = find(&mut app, 120, 40, "s-04.G0");
    assert!(mouse(&mut app, MouseEventKind::ScrollDown, at).is_empty());
    assert_eq!(app.focus, Pane::Gates, "the pane under the pointer");
    assert_eq!(app.gate_position(), 1);
    mouse(&mut app, MouseEventKind::ScrollUp, at);
    assert_eq!(app.selected_gate, first);
    let at = find(&mut app, 120, 40, "s-03  CareCircle");
    for _ in 0..4 {
        mouse(&mut app, MouseEventKind::ScrollDown, at);
    }
    assert_eq!((app.focus, app.run_position()), (Pane::Startups, 4));
    // Moves draw nothing new.
    assert!(!super::mouse::redraws(&MouseEvent {
        kind: MouseEventKind::Moved,
        column: 0,
        row: 0,
        modifiers: KeyModifiers::NONE
    }));

    key(&mut app, KeyCode::Char('?'));
    mouse(&mut app, MouseEventKind::ScrollDown, (10, 10));
    assert!(
        matches!(app.overlay(), Some(Overlay::Help { scroll }) if scroll.top() == 3),
        "a notch scrolls the help three lines"
    );
}

#[test]
fn the_wheel_scrolls_a_review_and_cancels_nothing() {
    let mut app = app("dark");
    open_review(&mut app);
    draw(&mut app, 120, 40);
    mouse(&mut app, MouseEventKind::ScrollDown, (50, 20));
    let Screen::Review(r) = &app.screen else { panic!("the review") };
    assert_eq!(r.current().map(|t| t.viewer().scroll.top()), Some(3));
    key(&mut app, KeyCode::Char('a'));
    mouse(&mut app, MouseEventKind::ScrollDown, (50, 20));
    let Screen::Review(r) = &app.screen else { panic!("the review") };
    assert!(matches!(r.mode, Mode::Confirm), "the wheel is not the `any other key` that cancels an approval");
}

#[test]
fn in_the_tabbed_layout_a_click_on_a_tab_focuses_its_pane() {
    let mut app = app("dark");
    let at = find(&mut app, 80, 24, "4 Gates");
    click(&mut app, at);
    assert_eq!(app.focus, Pane::Gates);
    let at = find(&mut app, 80, 24, "s-04.G0");
    click(&mut app, at);
    assert_eq!(app.selected_gate.map(|g| g.to_string()).as_deref(), Some("s-04.G0.0"));
    let at = find(&mut app, 80, 24, "2 Team");
    click(&mut app, at);
    assert_eq!(app.focus, Pane::Team);
}
