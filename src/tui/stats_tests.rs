//! The Stats screen: snapshots of a busy factory's figures and of an empty one, and its keys
//! (opening, the window, refreshing while the factory changes, going back).

use std::sync::Arc;

use ratatui::crossterm::event::KeyCode;

use super::app::{App, Effect, Screen};
use super::tests::{answer, app, draw, key, scene, typed};
use crate::config::keys::Keymap;
use crate::orchestrator::{Command, Reply};
use crate::stats::Stats;
use crate::testkit::fixture;

/// A month of a factory of 40 runs, as `factory stats` makes its figures.
fn busy(since: Option<u32>) -> Stats {
    let h = crate::stats::fixture::history(40, 4_000, fixture::NOW);
    h.stats(&h.log(), fixture::NOW, since)
}

fn empty() -> Stats {
    crate::stats::fixture::empty(fixture::NOW)
}

fn requests(effects: &[Effect]) -> Vec<Command> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Request(_, c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

fn open(app: &mut App, stats: Stats) {
    let effects = key(app, KeyCode::Char('s'));
    answer(app, effects, Reply::Stats { stats: Box::new(stats) });
}

fn frame(app: &mut App, w: u16, h: u16) -> String {
    draw(app, w, h).split("--- styles ---").next().unwrap_or_default().to_string()
}

#[test]
fn stats_screen() {
    scene("stats", |app| open(app, busy(None)));
}

#[test]
fn stats_screen_of_an_empty_factory() {
    scene("stats_empty", |app| open(app, empty()));
}

#[test]
fn empty_figures_show_as_dashes_never_zero_percent() {
    let mut app = app("dark");
    open(&mut app, empty());
    for (w, h) in [(80, 24), (200, 50)] {
        let screen = frame(&mut app, w, h);
        assert!(screen.contains("success —") && screen.contains("time to MVP p50 —"), "{screen}");
        assert!(!screen.contains("0.0%") && !screen.contains("NaN"), "{screen}");
    }
}

#[test]
fn the_busy_screen_shows_every_part_at_200x50() {
    let mut app = app("dark");
    let stats = busy(None);
    let sim_quality = crate::stats::format::score(stats.providers[3].quality.get("spec").copied());
    open(&mut app, stats);
    let screen = frame(&mut app, 200, 50);
    for part in [
        "Runs started per day",
        "Spend per day",
        "Gate waits (p50, people)",
        "G0 Niche validation",
        "routing adaptive (quality floor 0.60)",
        "Templates",
        "Cost by phase",
        "waiting on people p50",
    ] {
        assert!(screen.contains(part), "{part}:\n{screen}");
    }
    assert!(screen.contains(&format!("spec {sim_quality}")), "the learned scores per task kind:\n{screen}");
}

#[test]
fn s_opens_the_screen_tab_changes_the_window_and_esc_goes_back() {
    let mut app = app("dark");
    let effects = key(&mut app, KeyCode::Char('s'));
    assert_eq!(requests(&effects), [Command::Stats { since: None }]);
    assert!(frame(&mut app, 120, 40).contains("Adding up all time…"));
    answer(&mut app, effects, Reply::Stats { stats: Box::new(busy(None)) });
    let tab = key(&mut app, KeyCode::Tab);
    assert_eq!(requests(&tab), [Command::Stats { since: Some(30) }]);
    let Screen::Stats(s) = &app.screen else { panic!("the stats screen") };
    assert!(s.data.is_none(), "the figures of the old window are gone");
    let week = key(&mut app, KeyCode::BackTab);
    assert_eq!(requests(&week), [Command::Stats { since: None }], "back to all time");
    // A late answer for the 30 days is not shown as all time.
    answer(&mut app, tab, Reply::Stats { stats: Box::new(busy(Some(30))) });
    let Screen::Stats(s) = &app.screen else { panic!("the stats screen") };
    assert!(s.data.is_none() && s.asking);
    answer(&mut app, week, Reply::Stats { stats: Box::new(busy(None)) });
    let Screen::Stats(s) = &app.screen else { panic!("the stats screen") };
    assert_eq!(s.data.as_ref().map(|d| d.since_days), Some(None));
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.screen, Screen::Dashboard));
    // `:stats 30d` (Tab completes it) opens on a month; a window that is none is refused, saying so.
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "stats 3");
    key(&mut app, KeyCode::Tab);
    let effects = key(&mut app, KeyCode::Enter);
    assert_eq!(requests(&effects), [Command::Stats { since: Some(30) }]);
    key(&mut app, KeyCode::Char('s'));
    assert!(matches!(app.screen, Screen::Dashboard), "s closes it too");
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "stats week");
    assert!(requests(&key(&mut app, KeyCode::Enter)).is_empty());
    assert!(app.status().is_some_and(|s| s.error && s.text.contains("is not a window")), "{:?}", app.status());
}

#[test]
fn an_open_screen_asks_again_when_the_factory_changes_at_most_every_two_seconds() {
    let mut app = app("dark");
    let effects = key(&mut app, KeyCode::Char('s'));
    let changed = |app: &mut App, ms: u64| {
        let mut snap = (*app.snap).clone();
        snap.at += ms;
        snap.version += 1;
        app.on_snapshot(Arc::new(snap))
    };
    assert!(requests(&changed(&mut app, 5_000)).is_empty(), "one request at a time");
    answer(&mut app, effects, Reply::Stats { stats: Box::new(busy(None)) });
    // The figures were asked for five seconds ago: again at once.
    let again = changed(&mut app, 1);
    assert_eq!(requests(&again), [Command::Stats { since: None }]);
    answer(&mut app, again, Reply::Stats { stats: Box::new(busy(None)) });
    assert!(requests(&changed(&mut app, 1_000)).is_empty(), "too soon");
    assert_eq!(requests(&changed(&mut app, 1_000)), [Command::Stats { since: None }]);
}

#[test]
fn a_refusal_shows_in_place_of_the_figures_or_over_older_ones() {
    let mut app = app("dark");
    let effects = key(&mut app, KeyCode::Char('s'));
    let id = match effects.first() {
        Some(Effect::Request(id, _)) => *id,
        other => panic!("{other:?}"),
    };
    app.on_reply(id, Err(crate::error::FactoryError::usage("the store is unreadable")));
    assert!(frame(&mut app, 80, 24).contains("The figures could not be made: the store is unreadable"));
    let again = key(&mut app, KeyCode::Tab);
    answer(&mut app, again, Reply::Stats { stats: Box::new(busy(Some(30))) });
    let mut snap = (*app.snap).clone();
    snap.at += 5_000;
    let effects = app.on_snapshot(Arc::new(snap));
    let id = match effects.first() {
        Some(Effect::Request(id, _)) => *id,
        other => panic!("{other:?}"),
    };
    app.on_reply(id, Err(crate::error::FactoryError::usage("the owner went away")));
    let screen = frame(&mut app, 120, 40);
    assert!(screen.contains("Runs started per day") && screen.contains("could not be made again"), "{screen}");
}

#[test]
fn the_stats_key_may_not_take_another_dashboard_actions_key() {
    let over = std::collections::BTreeMap::from([("stats".to_string(), vec!["g".to_string()])]);
    let err = Keymap::with_overrides(&over).unwrap_err();
    assert!(
        err.message.contains("[tui.keys] stats: \"g\" is also the key of gates in the dashboard"),
        "{}",
        err.message
    );
    let over = std::collections::BTreeMap::from([("stats".to_string(), vec!["S".to_string()])]);
    assert!(Keymap::with_overrides(&over).is_ok());
}
