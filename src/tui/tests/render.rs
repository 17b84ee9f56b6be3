//! Issue 16's drawing faults held: striped selections, cut figures, text taking over, cut popups, unearned ratings.

use std::sync::Arc;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::KeyCode;
use ratatui::layout::Rect;

use super::{answer, app, draw, key, open_release_review};
use crate::domain::money::fmt_usd;
use crate::orchestrator::{Command, Reply, RunDetail};
use crate::testkit::fixture;
use crate::tui::app::{App, Effect};

fn buffer(app: &mut App, w: u16, h: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| crate::tui::view::render(app, f)).unwrap();
    term.backend().buffer().clone()
}

/// The text of a frame, without the styles `draw` lists below it.
fn text(app: &mut App, w: u16, h: u16) -> String {
    draw(app, w, h).split("--- styles ---").next().unwrap_or_default().to_string()
}

/// The browser on the first run, its tree opened down to `app/backend/main.py`.
fn browse(app: &mut App) {
    for e in key(app, KeyCode::Char('w')) {
        let Effect::Request(id, cmd) = e else { continue };
        let reply = match cmd {
            Command::Files { run } => Reply::Files { run: run.to_string(), files: fixture::workspace_files(12) },
            Command::Status { .. } => Reply::Run {
                detail: Box::new(RunDetail {
                    run: fixture::review(&app.snap).run,
                    tasks: vec![],
                    reports: vec![],
                    gates: vec![],
                }),
            },
            _ => continue,
        };
        app.on_reply(id, Ok(reply));
    }
    for code in [KeyCode::Down, KeyCode::Down, KeyCode::Down, KeyCode::Down, KeyCode::Right, KeyCode::Down] {
        key(app, code);
    }
    key(app, KeyCode::Char('l'));
    key(app, KeyCode::Down);
}

fn templates(app: &mut App) {
    key(app, KeyCode::Char(':'));
    super::typed(app, "templates");
    let effects = key(app, KeyCode::Enter);
    answer(app, effects, Reply::Templates { templates: fixture::templates(), problems: Vec::new() });
    key(app, KeyCode::Down);
}

/// A list: its name, how to show it, and text found only on its selected row.
type List = (&'static str, fn(&mut App), &'static [&'static str]);

/// Every list with a selection.
fn lists() -> Vec<List> {
    vec![
        ("startups", |_| {}, &["◆ s-01", "Ledgerly"]),
        (
            "team",
            |app| {
                key(app, KeyCode::Down);
                key(app, KeyCode::Enter);
            },
            &["Backend"],
        ),
        ("providers", |app| drop(key(app, KeyCode::Char('3'))), &["12/64"]),
        ("gates", |app| drop(key(app, KeyCode::Char('g'))), &["s-01.G1"]),
        ("browser tree", browse, &["main.py"]),
        (
            "review tree",
            |app| {
                open_release_review(app);
                key(app, KeyCode::Tab);
                for _ in 0..5 {
                    key(app, KeyCode::Down);
                }
            },
            &["▸ models.py"],
        ),
        ("templates", templates, &["neoforge", "builtin"]),
    ]
}

/// The cells of the row holding every one of `marks`, between the borders either side of
/// the first: the selected row of a list.
fn selected_row(buf: &Buffer, marks: &[&str]) -> Option<(u16, Vec<u16>)> {
    let area = buf.area;
    for y in 0..area.height {
        let cells: Vec<&str> = (0..area.width).map(|x| buf[(x, y)].symbol()).collect();
        let line: String = cells.concat();
        if !marks.iter().all(|m| line.contains(m)) {
            continue;
        }
        let Some(at) = line.find(marks[0]) else { continue };
        // The cell where the mark starts: the symbols before it, in bytes.
        let mut bytes = 0;
        let x = cells.iter().position(|s| {
            let here = bytes >= at;
            bytes += s.len();
            here
        });
        let border = |s: &str| matches!(s, "│" | "┃");
        let Some(x) = x else { continue };
        let (Some(left), Some(right)) =
            ((0..x).rev().find(|&i| border(cells[i])), (x..cells.len()).find(|&i| border(cells[i])))
        else {
            continue;
        };
        return Some((y, ((left + 1) as u16..right as u16).collect()));
    }
    None
}

#[test]
fn the_selected_row_is_one_solid_bar_in_every_theme_and_list() {
    for theme in ["dark", "light", "high-contrast"] {
        for (name, setup, marks) in lists() {
            for (w, h) in [(80, 24), (120, 40), (200, 50)] {
                let mut app = app(theme);
                setup(&mut app);
                let selection = app.theme().s.selection.bg.expect("the theme colours the selection");
                let buf = buffer(&mut app, w, h);
                let (y, xs) =
                    selected_row(&buf, marks).unwrap_or_else(|| panic!("{name} {theme} {w}x{h}: no {marks:?}"));
                for x in xs {
                    let cell = &buf[(x, y)];
                    assert_eq!(
                        cell.bg,
                        selection,
                        "{name} in {theme} at {w}x{h}: cell ({x}, {y}) `{}` is not in the selection's colour",
                        cell.symbol()
                    );
                }
            }
        }
    }
}

#[test]
fn the_selected_row_in_the_light_and_high_contrast_themes() {
    for theme in ["light", "high-contrast"] {
        let mut app = app(theme);
        key(&mut app, KeyCode::Char('g'));
        insta::assert_snapshot!(format!("selection_{theme}_120x40"), draw(&mut app, 120, 40));
    }
}

/// The narrowest terminal, 30 rows high, that shows the four panes.
fn threshold() -> u16 {
    (60..400).find(|&w| crate::tui::view::four_panes_fit(Rect::new(0, 0, w, 28))).expect("four panes fit somewhere")
}

/// Figures each pane shows for the fixture, which must appear whole.
fn figures(app: &App) -> [Vec<String>; 4] {
    let s = &app.snap;
    let startups = s.runs[..8].iter().map(|r| format!("{}/{}", fmt_usd(r.cost_micros), fmt_usd(r.budget_micros)));
    let first = &s.runs[0];
    let mut team = vec![format!("{} of {}", fmt_usd(first.cost_micros), fmt_usd(first.budget_micros))];
    team.extend(first.phases.iter().map(|p| fmt_usd(p.cost_micros)));
    let providers = s.providers.iter().flat_map(|p| {
        [format!("{}/{}", p.in_flight, p.max_concurrent), format!("{}/{}", p.p50_ms, p.p95_ms), fmt_usd(p.cost_micros)]
    });
    let gates = s.gates.iter().take(5).flat_map(|g| {
        [
            format!("{}.{}", g.id.run, g.id.code),
            format!("waiting {}", crate::tui::widgets::wait_text(app.now() - g.opened_at)),
        ]
    });
    [startups.collect(), team, providers.collect(), gates.collect()]
}

fn assert_whole(frame: &str, figures: &[String], what: &str) {
    for f in figures {
        assert!(frame.contains(f.as_str()), "{what}: `{f}` is not shown whole:\n{frame}");
    }
}

#[test]
fn figures_are_never_cut_in_four_panes_or_in_tabs() {
    let t = threshold();
    assert!((101..=120).contains(&t), "four panes from {t} columns");
    // Four panes from the threshold on, every figure whole.
    for w in [t, 120, 200] {
        let mut app = app("dark");
        let frame = text(&mut app, w, 30);
        assert!(!frame.contains(" 1 Startups "), "{w}x30 shows four panes:\n{frame}");
        assert_whole(&frame, &figures(&app).concat(), &format!("{w}x30"));
    }
    // Below it, one pane at a time, and each pane's figures whole.
    for (w, h) in [(t - 1, 30), (100, 30), (80, 24)] {
        for (k, pane) in ["1", "2", "3", "4"].into_iter().enumerate() {
            let mut app = app("dark");
            key(&mut app, KeyCode::Char(pane.chars().next().unwrap_or('1')));
            let frame = text(&mut app, w, h);
            assert!(frame.contains(" 1 Startups "), "{w}x{h} shows tabs:\n{frame}");
            assert_whole(&frame, &figures(&app)[k], &format!("pane {pane} at {w}x{h}"));
        }
    }
}

#[test]
fn the_panes_just_below_and_at_the_threshold_and_at_100x30() {
    let t = threshold();
    let mut app = app("dark");
    insta::assert_snapshot!("four_panes_at_the_threshold", text(&mut app, t, 30));
    for pane in ['1', '2', '3', '4'] {
        let mut app = self::app("dark");
        key(&mut app, KeyCode::Char(pane));
        insta::assert_snapshot!(format!("tabs_just_below_the_threshold_{pane}"), text(&mut app, t - 1, 30));
        insta::assert_snapshot!(format!("tabs_100x30_{pane}"), text(&mut app, 100, 30));
    }
}

#[test]
fn a_long_idea_takes_two_lines_and_leaves_the_phases_in_view() {
    let mut app = app("dark");
    let mut snap = (*app.snap).clone();
    let idea: String = "Bookkeeping for freelancers that reconciles bank feeds and files quarterly taxes. "
        .repeat(120)
        .chars()
        .take(9_700)
        .collect();
    Arc::make_mut(&mut snap.runs[0]).idea = idea;
    app.on_snapshot(Arc::new(snap));
    for (w, h) in [(120, 40), (80, 24)] {
        key(&mut app, KeyCode::Char('2'));
        let frame = text(&mut app, w, h);
        assert!(frame.contains("Market research") && frame.contains("MVP spec"), "{w}x{h}:\n{frame}");
        let idea_rows = frame.lines().filter(|l| l.contains("Bookkeeping") || l.contains("quarterly")).count();
        assert_eq!(idea_rows, 2, "{w}x{h}:\n{frame}");
        assert!(frame.contains('…'), "{w}x{h}:\n{frame}");
        insta::assert_snapshot!(format!("long_idea_{w}x{h}"), frame);
    }
}

#[test]
fn popups_wrap_long_lines_and_the_footer_shows_their_keys() {
    let mut app = app("dark");
    let effects = key(&mut app, KeyCode::Char('!'));
    answer(&mut app, effects, Reply::Alerts { alerts: fixture::alerts(), acks: Vec::new(), deliveries: Vec::new() });
    let frame = text(&mut app, 80, 24);
    // The line of the first alert runs past the popup's width, and goes on below.
    assert!(frame.contains("ALERT gate s-01.G1.1") && frame.contains("Problem-solution fit has waited"), "{frame}");
    assert!(frame.contains("timeout is 1d 00h)"), "{frame}");
    let footer = frame.trim_end().lines().last().unwrap_or_default().to_string();
    assert!(footer.contains("Esc close") && footer.contains("x acknowledge"), "{footer}");
    assert!(!footer.contains("pause/resume"), "the dashboard's keys under a popup: {footer}");
}

#[test]
fn a_template_with_no_finished_run_is_not_rated() {
    let mut app = app("dark");
    let effects = key(&mut app, KeyCode::Char('n'));
    let mut templates = fixture::templates();
    for t in &mut templates {
        // Runs that reached G3 and were sent back there: a rating of 0, and no run finished.
        (t.rating, t.finished_runs) = (Some(0.0), 0);
    }
    answer(&mut app, effects, Reply::Templates { templates: templates.clone(), problems: Vec::new() });
    let frame = text(&mut app, 120, 40);
    assert!(frame.contains("rated —") && !frame.contains("rated 0%"), "{frame}");
    templates[0].finished_runs = 2;
    assert_eq!(templates[0].rating_text(), "0%");
    assert_eq!(templates[1].rating_text(), "—");
}
