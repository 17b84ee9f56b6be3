//! Store tests: group commits load back, and bad data directories are refused clearly.

use super::*;
use crate::domain::*;
use crate::error::ErrorKind;

fn run(n: u32) -> Run {
    Run {
        id: RunId(n),
        name: format!("Run {n}"),
        idea: "idea".into(),
        template: "neoforge".into(),
        template_version: Some("1.0.0".into()),
        ports: [("backend".to_string(), 8010)].into(),
        priority: 2,
        budget_micros: 5_000_000,
        status: RunStatus::Running,
        phase: Phase::Spec,
        revision: 0,
        gate: None,
        ledger: Ledger { cost_micros: 42, tokens_in: 1, tokens_out: 2, tokens_cached: 0, calls: 1 },
        simulated: true,
        unpriced: false,
        created_at: 1,
        updated_at: 2,
        last_progress_at: 2,
        phases: vec![],
        budget_alerted: false,
        stall_alerted: false,
        failure: None,
        plan_source: None,
        workspace: "/tmp/x".into(),
    }
}

fn task(run: RunId, id: &str) -> Task {
    Task {
        id: id.into(),
        run,
        phase: Phase::Spec,
        revision: 0,
        kind: TaskKind::Phase,
        role: AgentRole::Orchestrator,
        title: "Spec".into(),
        depends_on: vec![],
        files: vec![],
        status: TaskStatus::Done,
        attempts: 0,
        error: None,
        result: None,
        created_at: 1,
    }
}

#[test]
fn a_group_commit_loads_back_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    {
        let store = Store::open(&path, 4).unwrap();
        let mut w = Writes::default();
        w.run(&run(1));
        w.run(&run(2));
        w.task(&task(RunId(1), "s-01.spec.r0"));
        w.event(&Event {
            seq: 1,
            ts: 5,
            startup: Some(RunId(1)),
            kind: EventKind::Alert { alert: AlertKind::Stalled, message: "m".into() },
        });
        w.event(&Event { seq: 2, ts: 6, startup: Some(RunId(1)), kind: EventKind::RunPaused });
        store.commit(&w).unwrap();
        store.flush().unwrap();
    }
    let store = Store::open(&path, 4).unwrap();
    let loaded = store.load().unwrap();
    assert_eq!(loaded.runs, vec![run(1), run(2)]);
    assert_eq!(loaded.tasks.len(), 1);
    assert_eq!(loaded.next_seq, 3);
    assert_eq!(store.alerts().unwrap().len(), 1);
    assert_eq!(store.last_events(1).unwrap()[0].seq, 2);
    assert_eq!(store.events_from(2, 10).unwrap().len(), 1);
}

#[test]
fn refuses_a_folder_that_is_not_a_factorys() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let err = Store::open(dir.path(), 4).err().unwrap();
    assert_eq!(err.kind, ErrorKind::Usage);
    assert!(err.message.contains("is not a factory data directory"), "{}", err.message);
    assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(), "mine");
}

#[test]
fn refuses_a_second_opener_and_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    let store = Store::open(&path, 4).unwrap();
    let err = Store::open(&path, 4).err().unwrap();
    assert_eq!(err.kind, ErrorKind::Held);
    assert_eq!(err.exit_code(), 3);
    store.meta.insert("schema", b"99").unwrap();
    store.flush().unwrap();
    drop(store);
    let err = Store::open(&path, 4).err().unwrap();
    assert!(err.message.contains("newer factory (schema 99"), "{}", err.message);
}

#[test]
fn creates_the_data_dir_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    let _store = Store::open(&path, 4).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}

#[test]
fn runs_recorded_before_template_versions_and_ports_still_load() {
    let mut old = serde_json::to_value(run(1)).unwrap();
    let obj = old.as_object_mut().unwrap();
    obj.remove("template_version");
    obj.remove("ports");
    let back: Run = serde_json::from_value(old).unwrap();
    assert_eq!((back.template_version, back.ports.len()), (None, 0));
}
