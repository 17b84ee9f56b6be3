//! One orchestrator, many terminals: a headless owner with attached clients, concurrent
//! decisions with one winner, the socket's privacy, and reattaching after `kill -9`.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::Factory;
use startup_factory::domain::{Decision, GateStatus};
use startup_factory::orchestrator::{Command, Link, NewRun, OrchestratorHandle, Reply};
use startup_factory::socket::{self, AttachOptions};

const WATCH: AttachOptions = AttachOptions { read_only: false, snapshots: true, events: true };

/// A config with a quick simulated provider, written beside the data directory.
fn config(f: &Factory) -> String {
    f.write("config.toml", &format!("[sim]\nlatency_ms = 5\n\n{}", common::NO_CHECKS)).to_str().unwrap().to_string()
}

fn owner(f: &Factory, cfg: &str) -> Child {
    let child = f
        .cmd(&["--config", cfg, "run", "--headless", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let sock = socket::socket_path(&f.data_dir());
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::os::unix::net::UnixStream::connect(&sock).is_err() {
        assert!(Instant::now() < deadline, "the owner never served its socket");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

async fn attach(f: &Factory, opts: AttachOptions) -> OrchestratorHandle {
    socket::attach(&f.data_dir(), opts).await.unwrap().expect("an owner is listening")
}

async fn until(h: &OrchestratorHandle, what: &str, cond: impl Fn(&startup_factory::orchestrator::Snapshot) -> bool) {
    let mut rx = h.watch();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if cond(&rx.borrow_and_update()) {
            return;
        }
        if tokio::time::timeout_at(deadline, rx.changed()).await.is_err() {
            panic!("timed out waiting for {what}");
        }
    }
}

fn decide(gate: &str, by: &str) -> Command {
    Command::Decide {
        gate: gate.parse().unwrap(),
        decision: Decision::Approve,
        note: None,
        by: by.into(),
        budget_usd: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headless_owner_serves_two_attached_clients() {
    let f = Factory::new();
    let cfg = config(&f);
    f.run(&["new", "--name", "A", "--idea", "B"]).ok();
    let mut owner = owner(&f, &cfg);
    let alice = attach(&f, WATCH).await;
    let bob = attach(&f, WATCH).await;
    assert!(matches!(*alice.link().borrow(), Link::Attached { read_only: false, .. }));
    until(&alice, "G0 at alice", |s| s.gates.len() == 1).await;
    until(&bob, "G0 at bob", |s| s.gates.len() == 1).await;
    let mut bob_events = bob.subscribe();
    let gate = alice.snapshot().gates[0].id.to_string();
    let reply = alice.request(decide(&gate, "alice")).await.unwrap();
    assert!(matches!(reply, Reply::Decided { .. }));
    // Bob sees it: the event, then the gate gone from his inbox.
    let seen = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let e = bob_events.recv().await.unwrap();
            if e.kind.name() == "gate_decided" {
                return e;
            }
        }
    })
    .await
    .expect("bob hears of the decision");
    assert_eq!(seen.startup.unwrap().to_string(), "s-01");
    until(&bob, "the G0 decision at bob", |s| s.gates.iter().all(|g| g.id.to_string() != gate)).await;
    // Quitting an attached terminal leaves the owner running.
    bob.shutdown().await.unwrap();
    drop(bob);
    assert!(owner.try_wait().unwrap().is_none(), "the owner keeps running");
    // The CLI goes through the owner too, with the same output as without one.
    let status = f.run(&["status", "--json"]).ok().json();
    assert_eq!(status["startups"][0]["id"], "s-01");
    owner.kill().unwrap();
    owner.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_decisions_on_one_gate_have_exactly_one_winner() {
    let f = Factory::new();
    let cfg = config(&f);
    let mut owner = owner(&f, &cfg);
    let alice = attach(&f, WATCH).await;
    let bob = attach(&f, AttachOptions { snapshots: false, events: false, read_only: false }).await;
    for k in 0..100 {
        let new = NewRun { name: format!("Run {k}"), idea: "An idea".into(), ..NewRun::default() };
        alice.request(Command::NewRun(new)).await.unwrap();
    }
    until(&alice, "100 gates", |s| s.gates.len() == 100).await;
    let gates: Vec<String> = alice.snapshot().gates.iter().map(|g| g.id.to_string()).collect();
    for gate in gates {
        let (a, b) = tokio::join!(alice.request(decide(&gate, "alice")), bob.request(decide(&gate, "bob")));
        let (winner, loser) = match (a, b) {
            (Ok(w), Err(l)) => (w, (l, "alice")),
            (Err(l), Ok(w)) => (w, (l, "bob")),
            (a, b) => panic!("{gate}: not exactly one winner: {a:?} / {b:?}"),
        };
        let Reply::Decided { gate: decided } = winner else { panic!("{winner:?}") };
        assert_eq!(decided.status, GateStatus::Approved);
        let (err, winner_name) = loser;
        assert!(err.message.contains(&format!("{gate} is already approved by {winner_name} at ")), "{}", err.message);
    }
    owner.kill().unwrap();
    owner.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socket_is_private_and_other_users_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let f = Factory::new();
    let cfg = config(&f);
    let mut owner = owner(&f, &cfg);
    let sock = socket::socket_path(&f.data_dir());
    assert_eq!(std::fs::metadata(&sock).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(f.data_dir()).unwrap().permissions().mode() & 0o777, 0o700);
    // A read-only attachment may watch but not change anything.
    let watcher = attach(&f, AttachOptions { read_only: true, snapshots: true, events: true }).await;
    let err = watcher
        .request(Command::NewRun(NewRun { name: "X".into(), idea: "Y".into(), ..NewRun::default() }))
        .await
        .unwrap_err();
    assert!(err.message.contains("attached read-only"), "{}", err.message);
    // Removing a template changes the data directory too.
    let err = watcher.request(Command::RemoveTemplate { template: "neoforge@1.0.0".into() }).await.unwrap_err();
    assert!(err.message.contains("attached read-only"), "{}", err.message);
    assert!(watcher.request(Command::Status { run: None }).await.is_ok());
    // Nobody attached may stop the owner.
    let err = watcher.request(Command::Shutdown).await.unwrap_err();
    assert!(err.message.contains("only the process that owns the data directory"), "{}", err.message);
    owner.kill().unwrap();
    owner.wait().unwrap();

    // A server that serves another uid refuses us, by the peer's credentials.
    let f = Factory::new();
    let handle = startup_factory::orchestrator::start(
        std::sync::Arc::new(startup_factory::config::Config::default()),
        startup_factory::orchestrator::Options::new(f.data_dir()),
        startup_factory::orchestrator::system_clock(),
    )
    .unwrap();
    let _server = socket::server::serve_for_uid(handle.clone(), &f.data_dir(), 4_242_424).unwrap();
    let err = socket::attach(&f.data_dir(), WATCH).await.err().expect("refused");
    assert!(err.message.contains("serves only its own user (uid 4242424)"), "{}", err.message);
    handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_reattach_after_the_owner_is_killed_and_nothing_is_lost() {
    let f = Factory::new();
    let cfg = config(&f);
    f.run(&["new", "--name", "A", "--idea", "B"]).ok();
    f.run(&["new", "--name", "C", "--idea", "D"]).ok();
    let mut first = owner(&f, &cfg);
    let client = attach(&f, WATCH).await;
    until(&client, "two gates", |s| s.gates.len() == 2).await;
    let gate = client.snapshot().gates[0].id.to_string();
    client.request(decide(&gate, "alice")).await.unwrap();
    // SIGKILL: the decision was acknowledged, so it must survive.
    first.kill().unwrap();
    first.wait().unwrap();
    let mut link = client.link();
    tokio::time::timeout(Duration::from_secs(5), link.wait_for(|l| matches!(l, Link::Lost { .. })))
        .await
        .unwrap()
        .unwrap();
    let err = client.request(Command::Status { run: None }).await.unwrap_err();
    assert!(err.message.contains("not attached"), "{}", err.message);
    let mut second = owner(&f, &cfg);
    tokio::time::timeout(Duration::from_secs(10), link.wait_for(|l| matches!(l, Link::Attached { .. })))
        .await
        .unwrap()
        .unwrap();
    let all = match client.request(Command::Gates { all: true }).await.unwrap() {
        Reply::Gates { gates } => gates,
        other => panic!("{other:?}"),
    };
    let decided = all.iter().find(|g| g.id.to_string() == gate).unwrap();
    assert_eq!((decided.status, decided.decided_by.as_deref()), (GateStatus::Approved, Some("alice")));
    until(&client, "the run moved past G0", |s| {
        s.runs.iter().any(|r| r.phase > startup_factory::domain::Phase::FounderFit)
    })
    .await;
    second.kill().unwrap();
    second.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_line_from_a_client_is_refused_not_held() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let f = Factory::new();
    let cfg = config(&f);
    let mut owner = owner(&f, &cfg);
    let mut raw = tokio::net::UnixStream::connect(socket::socket_path(&f.data_dir())).await.unwrap();
    raw.write_all(b"{\"type\":\"hello\",\"protocol\":1,\"read_only\":true,\"snapshots\":false,\"events\":false}\n")
        .await
        .unwrap();
    let junk = vec![b'x'; 2 << 20];
    let _ = raw.write_all(&junk).await;
    // The owner drops the connection rather than hold the line; it keeps serving others.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), raw.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the connection was closed");
    assert!(owner.try_wait().unwrap().is_none(), "the owner still runs");
    let again = attach(&f, WATCH).await;
    assert!(again.request(Command::Status { run: None }).await.is_ok());
    owner.kill().unwrap();
    owner.wait().unwrap();
}
