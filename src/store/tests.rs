//! Store tests: group commits load back, and bad data directories are refused clearly.

use super::*;
use crate::domain::*;
use crate::error::ErrorKind;

fn run(n: u32) -> Run {
    Run::sample(n)
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
        plan: None,
        repair: None,
        refused: None,
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

/// Every file under `dir` with its bytes (the open lock aside, which is empty and harmless).
fn files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.ends_with("open.lock") {
                out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_damaged_store_is_refused_and_left_byte_for_byte_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    {
        let store = Store::open(&path, 4).unwrap();
        for n in 1..=200 {
            let mut w = Writes::default();
            w.run(&run(n));
            store.commit(&w).unwrap();
        }
        store.flush().unwrap();
    }
    let log = path.join("db/db");
    let pristine = std::fs::read(&log).unwrap();
    type Damage = fn(&mut Vec<u8>);
    let damages: [(&str, Damage); 3] = [
        ("bytes overwritten early in the log", |b| b[64..128].fill(0x5a)),
        ("a zeroed stretch", |b| b[1000..3000].fill(0)),
        ("the log cut short", |b| b.truncate(4096)),
    ];
    for (what, damage) in damages {
        let mut bytes = pristine.clone();
        damage(&mut bytes);
        std::fs::write(&log, &bytes).unwrap();
        let before = files(&path);
        let err = Store::open(&path, 4).err().unwrap_or_else(|| panic!("{what}: opened as if nothing had happened"));
        assert_eq!(err.kind, ErrorKind::Storage, "{what}");
        let m = &err.message;
        assert!(m.contains(" is damaged (") && m.contains("it was left as it was found: restore"), "{what}: {m}");
        assert_eq!(m.lines().count(), 1);
        // sled's recovery rewrites the log after the bad record before it gives up (or
        // opens it as if it ended there); the copy taken before the open is put back.
        assert!(files(&path) == before, "{what}: the data directory changed");
    }
    std::fs::write(&log, &pristine).unwrap();
    let store = Store::open(&path, 4).unwrap();
    assert_eq!(store.load().unwrap().runs.len(), 200, "the undamaged bytes still read whole");
}

#[test]
fn a_newer_schemas_store_is_refused_before_anything_is_added_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    drop(Store::open(&path, 4).unwrap());
    let trees = || {
        let db = sled::open(path.join("db")).unwrap();
        let names: Vec<Vec<u8>> = db.tree_names().iter().map(|n| n.to_vec()).collect();
        (db, names)
    };
    let (db, _) = trees();
    db.drop_tree("quality").unwrap();
    db.open_tree("meta").unwrap().insert("schema", b"4").unwrap();
    db.flush().unwrap();
    drop(db);
    let err = Store::open(&path, 4).err().unwrap();
    assert!(err.message.contains("written by a newer factory (schema 4, this one reads 3)"), "{}", err.message);
    let (_, names) = trees();
    assert!(!names.contains(&b"quality".to_vec()), "no tree was added to a newer store");
}

#[test]
fn a_schema_1_store_is_read_and_marked_current_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    drop(Store::open(&path, 4).unwrap());
    {
        // What a factory of schema 1 left: one event per record.
        let db = sled::open(path.join("db")).unwrap();
        db.open_tree("meta").unwrap().insert("schema", b"1").unwrap();
        let events = db.open_tree("events").unwrap();
        for seq in 1..=2 {
            let e = Event { seq, ts: seq, startup: Some(RunId(1)), kind: EventKind::RunPaused };
            events.insert(seq_key(seq), serde_json::to_vec(&e).unwrap()).unwrap();
        }
        db.flush().unwrap();
    }
    let store = Store::open(&path, 4).unwrap();
    assert_eq!(store.meta_get("schema").unwrap().unwrap(), SCHEMA_VERSION.to_string().as_bytes());
    assert_eq!(store.load().unwrap().next_seq, 3);
    let mut w = Writes::default();
    for seq in 3..=4 {
        w.event(&Event { seq, ts: seq, startup: Some(RunId(1)), kind: EventKind::RunResumed });
    }
    store.commit(&w).unwrap();
    let seqs: Vec<u64> = store.last_events(10).unwrap().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4]);
    assert_eq!(store.load().unwrap().next_seq, 5);
}
