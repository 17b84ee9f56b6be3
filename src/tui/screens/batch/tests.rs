//! The gate inbox's faster decisions: marks, one confirmation or one note for all the marked
//! gates, refusals before anything is sent, a cursor that stays on its item, the team pane
//! following the inbox, and the first-run hint.

use std::sync::Arc;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::domain::{Decision, GateCode, GateId};
use crate::error::FactoryError;
use crate::orchestrator::{Command, Reply, Snapshot};
use crate::tui::app::{App, Effect, Pane};
use crate::tui::screens::overlays::Overlay;
use crate::tui::tests::{app, draw, key, scene, typed};

fn ctrl_s(app: &mut App) -> Vec<Effect> {
    app.handle_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL))
}

fn gate_ids(app: &App) -> Vec<GateId> {
    app.snap.gates.iter().map(|g| g.id).collect()
}

/// The `Decide` commands among `effects`: request number, gate, decision, note, reviewer.
fn decides(effects: &[Effect]) -> Vec<(u64, String, Decision, Option<String>, String)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Request(id, Command::Decide { gate, decision, note, by, budget_usd: None }) => {
                Some((*id, gate.to_string(), *decision, note.clone(), by.clone()))
            }
            _ => None,
        })
        .collect()
}

/// The orchestrator's answer to a decision: the gate, decided by `by`.
fn decided(app: &App, gate: &str, decision: Decision, by: &str) -> Result<Reply, FactoryError> {
    let mut g = app.snap.gates.iter().find(|g| g.id.to_string() == gate).expect("a pending gate").clone();
    g.status = decision.status();
    g.decided_by = Some(by.into());
    Ok(Reply::Decided { gate: Box::new(g) })
}

/// The fixture with no sign of any decision taken yet (no revision, no rejected run).
fn fresh(app: &mut App) {
    let mut snap: Snapshot = (*app.snap).clone();
    for g in &mut snap.gates {
        g.id.n = 0;
    }
    for r in &mut snap.runs {
        let mut v = (**r).clone();
        v.revision = 0;
        for p in &mut v.phases {
            p.revision = 0;
        }
        *r = Arc::new(v);
    }
    snap.counts.rejected = 0;
    app.on_snapshot(Arc::new(snap));
}

/// `g`, then `Space` on the first two gates of the inbox.
fn mark_two(app: &mut App) {
    key(app, KeyCode::Char('g'));
    key(app, KeyCode::Char(' '));
    key(app, KeyCode::Char(' '));
}

#[test]
fn inbox_with_two_gates_marked() {
    scene("inbox_marked", mark_two);
}

#[test]
fn one_confirmation_for_the_marked_gates() {
    scene("batch_confirm", |app| {
        mark_two(app);
        key(app, KeyCode::Char('a'));
    });
}

#[test]
fn one_note_for_the_marked_gates() {
    scene("batch_note", |app| {
        mark_two(app);
        key(app, KeyCode::Char('v'));
        typed(app, "Narrow it to one persona");
    });
}

#[test]
fn space_marks_and_unmarks_and_marks_leave_with_their_gates() {
    let mut app = app("dark");
    let ids = gate_ids(&app);
    key(&mut app, KeyCode::Char(' '));
    assert!(app.marks.is_empty(), "marks are for the inbox");
    mark_two(&mut app);
    assert_eq!(app.marks, vec![ids[0], ids[1]]);
    assert_eq!(app.selected_gate, Some(ids[2]), "the cursor moves down after a mark");
    let frame = draw(&mut app, 120, 40);
    assert!(frame.contains("2 marked"), "{frame}");
    assert!(frame.contains("●"), "{frame}");
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Char(' '));
    assert_eq!(app.marks, vec![ids[0]], "Space on a marked gate unmarks it");
    // A marked gate decided elsewhere leaves the inbox, and its mark with it.
    let mut next = (*app.snap).clone();
    next.gates.remove(0);
    app.on_snapshot(Arc::new(next));
    assert!(app.marks.is_empty());
    assert!(!draw(&mut app, 120, 40).contains("marked"));
    // Without marks, `a` opens the review with the approval started, as before.
    let effects = key(&mut app, KeyCode::Char('a'));
    assert!(matches!(app.screen, crate::tui::app::Screen::Review(_)));
    assert!(decides(&effects).is_empty());
}

#[test]
fn a_then_y_approves_every_marked_gate_each_with_the_reviewer() {
    let mut app = app("dark");
    mark_two(&mut app);
    assert!(key(&mut app, KeyCode::Char('a')).is_empty(), "nothing is sent before the confirmation");
    let frame = draw(&mut app, 120, 40);
    assert!(frame.contains("Approve 2 gates?"), "{frame}");
    assert!(frame.contains("s-01.G1.1") && frame.contains("Ledgerly"), "{frame}");
    assert!(frame.contains("s-04.G0.0") && frame.contains("Dockwise"), "{frame}");
    assert!(frame.contains("y confirms, any other key cancels"), "{frame}");
    let effects = key(&mut app, KeyCode::Char('y'));
    let sent = decides(&effects);
    assert_eq!(effects.len(), 2);
    assert_eq!(
        sent.iter().map(|d| (d.1.as_str(), d.2, d.3.clone(), d.4.as_str())).collect::<Vec<_>>(),
        vec![("s-01.G1.1", Decision::Approve, None, "tester"), ("s-04.G0.0", Decision::Approve, None, "tester"),]
    );
    assert!(app.overlay().is_none());
    for (id, gate, ..) in &sent {
        let reply = decided(&app, gate, Decision::Approve, "tester");
        app.on_reply(*id, reply);
    }
    let status = app.status().cloned().unwrap();
    assert_eq!(status.text, "2 approved, saved");
    assert!(!status.error);
    assert!(app.marks.is_empty());
    assert!(app.batch.is_none());
}

#[test]
fn any_other_key_cancels_the_batch_approval() {
    let mut app = app("dark");
    mark_two(&mut app);
    key(&mut app, KeyCode::Char('a'));
    assert!(key(&mut app, KeyCode::Char('n')).is_empty());
    assert!(app.overlay().is_none());
    assert_eq!(app.status().cloned().unwrap().text, "approval cancelled; nothing was decided");
    assert_eq!(app.marks.len(), 2, "the marks stay");
}

#[test]
fn one_note_goes_to_every_marked_gate_and_failures_are_named() {
    let mut app = app("dark");
    mark_two(&mut app);
    key(&mut app, KeyCode::Char('r'));
    assert!(ctrl_s(&mut app).is_empty(), "an empty note is not sent");
    assert!(draw(&mut app, 120, 40).contains("the note is required"));
    typed(&mut app, "No market");
    let effects = ctrl_s(&mut app);
    let sent = decides(&effects);
    assert_eq!(sent.len(), 2);
    for d in &sent {
        assert_eq!((d.2, d.3.as_deref(), d.4.as_str()), (Decision::Reject, Some("No market"), "tester"));
    }
    let reply = decided(&app, &sent[0].1, Decision::Reject, "tester");
    app.on_reply(sent[0].0, reply);
    assert!(app.batch.is_some(), "waits for every answer");
    app.on_reply(sent[1].0, Err(FactoryError::usage("gate s-04.G0.0 is already approved by alice")));
    let status = app.status().cloned().unwrap();
    assert_eq!(status.text, "1 rejected, saved; s-04.G0.0 failed: gate s-04.G0.0 is already approved by alice");
    assert!(status.error);
    assert_eq!(app.marks, vec![app.snap.gates[1].id], "the one that failed stays marked");
    // Esc leaves the note without deciding anything.
    key(&mut app, KeyCode::Char('v'));
    typed(&mut app, "half a thought");
    assert!(key(&mut app, KeyCode::Esc).is_empty());
    assert!(app.overlay().is_none());
    assert_eq!(app.status().cloned().unwrap().text, "note left without deciding");
}

#[test]
fn gates_this_reviewer_may_not_decide_are_refused_before_anything_is_sent() {
    // The fixture lets only alice decide G3 gates; the fourth gate is s-10's G3.
    let mut app = app("dark");
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' '));
    assert_eq!(app.marks.iter().map(|g| g.to_string()).collect::<Vec<_>>(), vec!["s-01.G1.1", "s-10.G3.0"]);
    key(&mut app, KeyCode::Char('a'));
    let Some(Overlay::Batch(b)) = app.overlay() else { panic!("the confirmation is open") };
    assert_eq!(b.gates.len(), 1);
    assert_eq!(b.refused.len(), 1);
    let frame = draw(&mut app, 120, 40);
    assert!(frame.contains("Approve 1 gate?"), "{frame}");
    assert!(frame.contains("only alice may decide G3 gates; you are tester"), "{frame}");
    let effects = key(&mut app, KeyCode::Char('y'));
    let sent = decides(&effects);
    assert_eq!(sent.iter().map(|d| d.1.as_str()).collect::<Vec<_>>(), vec!["s-01.G1.1"]);
    let reply = decided(&app, &sent[0].1, Decision::Approve, "tester");
    app.on_reply(sent[0].0, reply);
    let status = app.status().cloned().unwrap();
    assert!(status.text.starts_with("1 approved, saved; s-10.G3.0 not sent: only alice"), "{}", status.text);
    // When none may be decided, nothing opens and nothing is sent.
    let mut app = self::app("dark");
    key(&mut app, KeyCode::Char('g'));
    for _ in 0..3 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Char(' '));
    assert!(key(&mut app, KeyCode::Char('a')).is_empty());
    assert!(app.overlay().is_none());
    assert!(app.status().cloned().unwrap().text.contains("nothing to approve: s-10.G3.0: only alice"));
    // A read-only terminal decides nothing.
    let mut app = self::app("dark");
    mark_two(&mut app);
    app.set_link(crate::orchestrator::Link::Attached { pid: 7, read_only: true });
    assert!(key(&mut app, KeyCode::Char('r')).is_empty());
    assert!(app.overlay().is_none());
    assert!(app.status().cloned().unwrap().text.starts_with("read-only"));
}

#[test]
fn budget_gates_cannot_be_approved_in_a_batch() {
    let mut app = app("dark");
    let mut snap = (*app.snap).clone();
    snap.gates[1].id.code = GateCode::Budget;
    app.on_snapshot(Arc::new(snap));
    mark_two(&mut app);
    key(&mut app, KeyCode::Char('a'));
    let frame = draw(&mut app, 120, 40);
    assert!(frame.contains("a budget gate needs a new limit: approve it on its own"), "{frame}");
    let sent = decides(&key(&mut app, KeyCode::Char('y')));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1, "s-01.G1.1");
}

#[test]
fn the_inbox_cursor_stays_on_its_item_when_gates_arrive_or_leave() {
    let mut app = app("dark");
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    let ids = gate_ids(&app);
    assert_eq!(app.selected_gate, Some(ids[2]));
    // A gate arrives above the cursor: the cursor stays on its gate.
    let mut next = (*app.snap).clone();
    let mut newcomer = next.gates[0].clone();
    newcomer.id.run = crate::domain::RunId(20);
    next.gates.insert(0, newcomer);
    app.on_snapshot(Arc::new(next.clone()));
    assert_eq!(app.selected_gate, Some(ids[2]));
    assert_eq!(app.gate_position(), 3);
    // The selected gate leaves: the cursor takes the gate now at its place, not the top.
    next.gates.remove(3);
    app.on_snapshot(Arc::new(next.clone()));
    assert_eq!(app.selected_gate, Some(ids[3]));
    assert_eq!(app.gate_position(), 3);
    // The last one leaves while selected: the cursor takes the new last.
    key(&mut app, KeyCode::End);
    assert_eq!(app.selected_gate, Some(ids[4]));
    next.gates.pop();
    app.on_snapshot(Arc::new(next.clone()));
    assert_eq!(app.selected_gate, Some(ids[3]));
    // Two gates leave at once, the selected among them.
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    assert_eq!(app.selected_gate, Some(ids[0]));
    next.gates.remove(2);
    next.gates.remove(1);
    app.on_snapshot(Arc::new(next));
    assert_eq!(app.gate_position(), 1);
    assert_eq!(app.selected_gate, Some(ids[3]));
}

#[test]
fn the_team_pane_follows_the_inbox_selection() {
    let mut app = app("dark");
    assert_eq!(app.selected_run.map(|r| r.to_string()).as_deref(), Some("s-01"));
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Down);
    assert_eq!(app.focus, Pane::Gates);
    assert_eq!(app.selected_run.map(|r| r.to_string()).as_deref(), Some("s-04"));
    assert!(draw(&mut app, 120, 40).contains("Agent team · s-04 Dockwise"));
    key(&mut app, KeyCode::Down);
    assert!(draw(&mut app, 120, 40).contains("Agent team · s-07 Hirefly"));
    // When its gate leaves, the team pane shows the run of the gate the cursor lands on.
    let mut next = (*app.snap).clone();
    next.gates.remove(2);
    app.on_snapshot(Arc::new(next));
    assert!(draw(&mut app, 120, 40).contains("Agent team · s-10 BrandFocus 2"));
    // Elsewhere, the Startups pane decides.
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Up);
    assert!(draw(&mut app, 120, 40).contains("Agent team · s-09 Ledgerly 2"));
}

#[test]
fn the_first_run_hint_goes_after_the_first_decision() {
    let hint = "g then Enter reviews a gate";
    let mut app = app("dark");
    assert!(app.first_run_hint().is_none(), "the fixture shows a revision asked for: a person decided");
    fresh(&mut app);
    for (w, h) in [(80, 24), (120, 40)] {
        assert!(draw(&mut app, w, h).contains(hint), "{}", draw(&mut app, w, h));
    }
    // The keys come from the keymap.
    let mut remapped = self::app("dark");
    remapped.set_keymap(
        crate::config::keys::Keymap::with_overrides(&std::collections::BTreeMap::from([(
            "gates".to_string(),
            vec!["i".to_string()],
        )]))
        .unwrap(),
    );
    fresh(&mut remapped);
    assert_eq!(remapped.first_run_hint().as_deref(), Some("i then Enter reviews a gate"));
    // A decision saved from this terminal ends it.
    mark_two(&mut app);
    key(&mut app, KeyCode::Char('a'));
    let sent = decides(&key(&mut app, KeyCode::Char('y')));
    assert!(draw(&mut app, 120, 40).contains("saving 2 gates"));
    for (id, gate, ..) in &sent {
        let reply = decided(&app, gate, Decision::Approve, "tester");
        app.on_reply(*id, reply);
    }
    key(&mut app, KeyCode::Down);
    assert!(app.status().is_none());
    assert!(!draw(&mut app, 120, 40).contains(hint));
    // So does a decision a person took elsewhere, once the snapshot shows it.
    let mut other = self::app("dark");
    fresh(&mut other);
    let mut snap = (*other.snap).clone();
    snap.gates[0].id.n = 1;
    other.on_snapshot(Arc::new(snap));
    assert!(other.first_run_hint().is_none());
    // And with no gate waiting there is nothing to say.
    let mut idle = self::app("dark");
    fresh(&mut idle);
    let mut snap = (*idle.snap).clone();
    snap.gates.clear();
    idle.on_snapshot(Arc::new(snap));
    assert!(idle.first_run_hint().is_none());
}
