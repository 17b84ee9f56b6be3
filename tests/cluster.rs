//! Work across machines, for real: a `nats-server -js` on a random loopback port, three
//! `factory worker` processes, and twenty runs on the simulated provider with latency and
//! checks in the workers' sandboxes. One worker is killed with SIGKILL in the middle of a
//! job and the server is restarted once; every run still completes, no task is applied
//! twice, and the ledger equals a local run's with the same seed. A worker of another
//! protocol version is refused, and the task says why.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Factory;
use serde_json::Value;

const RUNS: usize = 20;

/// Whether nats-server and bwrap are here; under CI=true their absence fails the test.
fn prerequisites() -> bool {
    let mut missing = Vec::new();
    if Command::new("nats-server").arg("--version").output().is_err() {
        missing.push("nats-server (Debian package nats-server)");
    }
    if Command::new("bwrap").arg("--version").output().is_err() {
        missing.push("bwrap (Debian package bubblewrap)");
    }
    if missing.is_empty() {
        return true;
    }
    common::skip_or_fail(&format!("{} missing", missing.join(" and ")));
    false
}

/// A NATS server with JetStream on a loopback port, its store in a folder that outlives a
/// restart.
struct Nats {
    port: u16,
    store: PathBuf,
    child: Option<Child>,
}

impl Nats {
    fn start(dir: &Path) -> Nats {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut n = Nats { port, store: dir.join("jetstream"), child: None };
        n.spawn();
        n
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let child = Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", &self.port.to_string(), "-sd"])
            .arg(&self.store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not listen on {} within 10 s", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server (SIGTERM, as a service manager would) and starts it again on the
    /// same port with the same store.
    fn restart(&mut self) {
        if let Some(mut c) = self.child.take() {
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            let _ = c.wait();
        }
        std::thread::sleep(Duration::from_millis(300));
        self.spawn();
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Worker processes, killed when the test ends however it ends.
struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn worker(f: &Factory, cfg: &str, url: &str, name: &str, extra: &[&str]) -> Child {
    let work = f.dir.path().join(format!("work-{name}"));
    let mut args = vec!["--config", cfg, "worker", "--nats", url, "--name", name, "--work-dir", work.to_str().unwrap()];
    args.extend_from_slice(extra);
    f.cmd(&args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("the worker starts")
}

/// A template of our own whose one check takes two and a half seconds in the sandbox: longer
/// than the cluster's `ack_wait_s`, so that only the worker's progress acknowledgements keep
/// the job from going to a second worker, and long enough to catch a worker in one.
fn quick_template(f: &Factory, cfg: &str) {
    f.run(&["--config", cfg, "templates", "new", "quick", "--from", "pythonml"]).ok();
    let manifest = f.dir.path().join("config/startup-factory/templates/quick/template.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let (head, rest) = text.split_once("[[checks]]").expect("pythonml has checks");
    let (_, tail) = rest.split_once("[prompt]").unwrap();
    let check = "[[checks]]\nname = \"listing\"\ncommand = [\"sh\", \"-c\", \"sleep 2.5; find . -type f | wc -l\"]\n\n";
    std::fs::write(&manifest, format!("{head}{check}[prompt]{tail}")).unwrap();
}

fn config(f: &Factory, cluster: Option<&str>) -> String {
    let mut text =
        "[sim]\nseed = 7\nlatency_ms = 40\n\n[cache]\nenabled = false\n\n[checks]\nenabled = true\n".to_string();
    if let Some(extra) = cluster {
        text.push_str(extra);
    }
    f.write("factory.toml", &text).to_str().unwrap().to_string()
}

fn create_runs(f: &Factory, cfg: &str) {
    for k in 0..RUNS {
        let name = format!("Cluster {k:02}");
        f.run(&["--config", cfg, "new", "--name", &name, "--idea", "Prove the work spreads", "--template", "quick"])
            .ok();
    }
}

/// `run --simulate`: the orchestrator says the calls are simulated, so workers without API
/// keys take them (a worker without keys sends a real call back for another).
fn run_until_idle(f: &Factory, cfg: &str) -> Child {
    f.cmd(&["--config", cfg, "run", "--simulate", "--headless", "--quiet", "--auto-approve", "--exit-when-idle"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_exit(mut child: Child, limit: Duration) -> (i32, String) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            return (status.code().unwrap_or(-1), err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the orchestrator did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Per run: status, cost, tokens in and out.
fn ledger(f: &Factory, cfg: &str) -> BTreeMap<String, (String, u64, u64, u64)> {
    let status = f.run(&["--config", cfg, "status", "--json"]).ok().json();
    status["startups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let n = |k: &str| s[k].as_u64().unwrap_or(0);
            (
                s["id"].as_str().unwrap().to_string(),
                (s["status"].as_str().unwrap().to_string(), n("cost_micros"), n("tokens_in"), n("tokens_out")),
            )
        })
        .collect()
}

fn events(f: &Factory, cfg: &str) -> Vec<Value> {
    let out = f.run(&["--config", cfg, "events", "--limit", "1000000", "--json"]).ok();
    out.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// How many times each task's answer was applied, and each run's integrations.
fn applied(events: &[Value]) -> (BTreeMap<String, u32>, BTreeMap<String, u32>) {
    let mut done = BTreeMap::new();
    let mut integrated = BTreeMap::new();
    for e in events {
        match e["kind"].as_str() {
            Some("task_done") => {
                let key = format!("{}#{}", e["task"].as_str().unwrap_or(""), e["attempt"].as_u64().unwrap_or(0));
                *done.entry(key).or_insert(0) += 1;
            }
            Some("integrated") => {
                *integrated.entry(e["startup"].as_str().unwrap_or("").to_string()).or_insert(0) += 1;
            }
            _ => {}
        }
    }
    (done, integrated)
}

fn workers_json(f: &Factory, cfg: &str, url: &str) -> Vec<Value> {
    let out = f.run(&["--config", cfg, "workers", "--nats", url, "--json"]);
    if out.code != 0 {
        return Vec::new();
    }
    out.json()["workers"].as_array().cloned().unwrap_or_default()
}

#[test]
fn twenty_runs_through_three_workers_a_kill_and_a_server_restart_end_as_a_local_run() {
    if !prerequisites() {
        return;
    }
    // The same twenty runs, in this process first: the ledger to match.
    let local = Factory::new();
    let local_cfg = config(&local, None);
    quick_template(&local, &local_cfg);
    create_runs(&local, &local_cfg);
    let (code, err) = wait_exit(run_until_idle(&local, &local_cfg), Duration::from_secs(900));
    assert_eq!(code, 0, "the local run: {err}");
    let want = ledger(&local, &local_cfg);
    assert_eq!(want.len(), RUNS);
    assert!(want.values().all(|(s, ..)| s == "completed"), "{want:?}");

    // Then on the cluster.
    let f = Factory::new();
    let mut nats = Nats::start(f.dir.path());
    let url = nats.url();
    let cfg = config(&f, Some(&format!("\n[cluster]\nnats_url = \"{url}\"\nack_wait_s = 2\nmax_deliver = 20\n")));
    quick_template(&f, &cfg);
    create_runs(&f, &cfg);
    let mut workers =
        Workers((1..=3).map(|i| worker(&f, &cfg, &url, &format!("w{i}"), &["--max-jobs", "4"])).collect());
    let owner = run_until_idle(&f, &cfg);

    // Kill w1 while it holds a job.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let busy = workers_json(&f, &cfg, &url).iter().any(|w| w["name"] == "w1" && w["in_flight"].as_u64() > Some(0));
        if busy {
            break;
        }
        assert!(Instant::now() < deadline, "w1 never held a job");
        std::thread::sleep(Duration::from_millis(100));
    }
    workers.0[0].kill().unwrap();
    workers.0[0].wait().unwrap();
    // A little later, the server goes down and comes back.
    std::thread::sleep(Duration::from_secs(2));
    nats.restart();

    let (code, err) = wait_exit(owner, Duration::from_secs(900));
    assert_eq!(code, 0, "the cluster run: {err}");
    let got = ledger(&f, &cfg);
    if got != want {
        // Which answers differ, to say where.
        let per_task = |events: &[Value]| -> BTreeMap<String, (u64, u64)> {
            events
                .iter()
                .filter(|e| e["kind"] == "task_done")
                .map(|e| {
                    let key = format!("{}#{}", e["task"].as_str().unwrap_or(""), e["attempt"].as_u64().unwrap_or(0));
                    (key, (e["tokens_in"].as_u64().unwrap_or(0), e["tokens_out"].as_u64().unwrap_or(0)))
                })
                .collect()
        };
        let (mine, theirs) = (per_task(&events(&f, &cfg)), per_task(&events(&local, &local_cfg)));
        for (task, t) in &mine {
            if theirs.get(task) != Some(t) {
                eprintln!("{task}: cluster {t:?}, local {:?}", theirs.get(task));
                let run = task.split('.').next().unwrap_or_default();
                for doc in ["docs/build.md", "docs/checks.md"] {
                    let read = |f: &Factory| {
                        std::fs::read_to_string(f.data_dir().join("workspaces").join(run).join(doc)).unwrap_or_default()
                    };
                    let (a, b) = (read(&f), read(&local));
                    if a != b {
                        eprintln!("{run} {doc} differs:\n--- cluster\n{a}\n--- local\n{b}");
                    }
                }
            }
        }
    }
    assert_eq!(got, want, "the cluster's ledger (left) differs from the local run's (right)");

    let (done, integrated) = applied(&events(&f, &cfg));
    let twice: Vec<_> = done.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "tasks applied more than once: {twice:?}");
    let (local_done, local_integrated) = applied(&events(&local, &local_cfg));
    assert_eq!(done.len(), local_done.len(), "as many answers applied as locally");
    assert_eq!(integrated, local_integrated, "as many check rounds applied per run as locally");

    // The orchestrator saw the server go and come back, and said so.
    let log = events(&f, &cfg);
    let said = |needle: &str| {
        log.iter().any(|e| e["kind"] == "cluster" && e["message"].as_str().is_some_and(|m| m.contains(needle)))
    };
    for e in log.iter().filter(|e| e["kind"] == "cluster") {
        eprintln!("cluster event: {}", e["message"]);
    }
    assert!(said("dropped"), "the event log records the lost connection");
    // Checks outlast ack_wait: without progress acknowledgements every round would go to a
    // second worker and its result be ignored. (One may be, legitimately: a worker killed
    // between publishing its result and acknowledging the job.)
    let ignored = log
        .iter()
        .filter(|e| e["kind"] == "cluster" && e["message"].as_str().is_some_and(|m| m.contains("ignored")))
        .count();
    assert!(ignored <= 1, "{ignored} results ignored: jobs went to a second worker while the first still held them");
    // The two workers left are still there, and did work.
    let alive = workers_json(&f, &cfg, &url);
    let done_by: u64 = alive.iter().filter(|w| w["name"] != "w1").map(|w| w["done"].as_u64().unwrap_or(0)).sum();
    assert!(done_by > 0, "{alive:?}");

    // SIGTERM: w2 stops, exits 0, and takes its record out of the bucket.
    unsafe { libc::kill(workers.0[1].id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = workers.0[1].try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "w2 did not stop within 30 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "w2 exited with {status}");
    let names: Vec<Value> = workers_json(&f, &cfg, &url).iter().map(|w| w["name"].clone()).collect();
    assert!(!names.contains(&Value::from("w2")) && names.contains(&Value::from("w3")), "{names:?}");
}

#[test]
fn a_worker_of_another_protocol_version_is_refused_and_the_task_says_why() {
    if !prerequisites() {
        return;
    }
    let f = Factory::new();
    let nats = Nats::start(f.dir.path());
    let url = nats.url();
    let cluster = format!("\n[cluster]\nnats_url = \"{url}\"\nack_wait_s = 2\nmax_deliver = 2\n");
    let cfg = format!("[sim]\nlatency_ms = 1\n[checks]\nenabled = false\n{cluster}");
    let cfg = f.write("factory.toml", &cfg).to_str().unwrap().to_string();
    let _workers = Workers(vec![worker(&f, &cfg, &url, "old", &["--protocol", "2", "--jobs", "calls"])]);
    f.run(&["--config", &cfg, "new", "--name", "Versions", "--idea", "Mixed fleets"]).ok();
    let (code, err) = wait_exit(run_until_idle(&f, &cfg), Duration::from_secs(120));
    assert_eq!(code, 1, "a failed run exits 1: {err}");
    let status = f.run(&["--config", &cfg, "status", "s-01", "--json"]).ok().json();
    let text = status.to_string();
    assert!(text.contains("\"failed\""), "{text}");
    assert!(text.contains("max_deliver") && text.contains("protocol 2"), "the task's failure says why: {text}");
    let log = events(&f, &cfg);
    assert!(
        log.iter().any(|e| e["kind"] == "cluster" && e["message"].as_str().is_some_and(|m| m.contains("protocol 2"))),
        "the event log records the refusal"
    );
    // `doctor` sees the server, both streams, the queues and the worker.
    let doctor = f.run(&["--config", &cfg, "doctor"]);
    for want in [
        "✓ connection: 2.",
        "✓ stream FACTORY_JOBS",
        "✓ stream FACTORY_RESULTS",
        "✓ calls queue",
        "✓ workers: old (calls)",
    ] {
        assert!(doctor.stdout.contains(want), "doctor lacks `{want}`: {}", doctor.stdout);
    }
}

#[test]
fn a_worker_without_api_keys_sends_a_real_call_back_rather_than_simulate_it() {
    if !prerequisites() {
        return;
    }
    let f = Factory::new();
    let nats = Nats::start(f.dir.path());
    let url = nats.url();
    let cfg = format!("[checks]\nenabled = false\n[cluster]\nnats_url = \"{url}\"\nack_wait_s = 2\nmax_deliver = 2\n");
    let cfg = f.write("factory.toml", &cfg).to_str().unwrap().to_string();
    let _workers = Workers(vec![worker(&f, &cfg, &url, "keyless", &["--jobs", "calls"])]);
    f.run(&["--config", &cfg, "new", "--name", "Keys", "--idea", "Keys stay on workers"]).ok();
    // Not --simulate: the orchestrator asks for real providers.
    let owner = f
        .cmd(&["--config", &cfg, "run", "--headless", "--quiet", "--exit-when-idle"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (code, err) = wait_exit(owner, Duration::from_secs(120));
    assert_eq!(code, 1, "a failed run exits 1: {err}");
    let text = f.run(&["--config", &cfg, "status", "s-01", "--json"]).ok().json().to_string();
    assert!(text.contains("no provider with a key set") && text.contains("max_deliver"), "{text}");
    assert!(!text.contains("\"simulated\":true"), "nothing was simulated: {text}");
}

#[test]
fn clear_text_off_the_machine_and_unknown_job_kinds_are_refused_in_one_sentence() {
    let f = Factory::new();
    let out = f.run(&["worker", "--nats", "nats://10.0.0.5:4222"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("not loopback and has no TLS") && out.stderr.contains("tls://10.0.0.5"),
        "{}",
        out.stderr
    );
    let out = f.run(&["worker", "--nats", "nats://127.0.0.1:4222", "--jobs", "builds"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--jobs names `builds`"), "{}", out.stderr);
    let out = f.run(&["workers"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--nats URL"), "{}", out.stderr);
    assert_eq!(out.stderr.trim().lines().count(), 1, "one sentence: {}", out.stderr);
}

#[test]
fn without_nats_server_the_cluster_tests_fail_under_ci_rather_than_pass_quietly() {
    if std::env::var("FACTORY_INNER_TEST").is_ok() {
        return;
    }
    let (passed, out) =
        common::rerun_under_ci_without_tools("a_worker_of_another_protocol_version_is_refused_and_the_task_says_why");
    assert!(!passed, "{out}");
    assert!(out.contains("nats-server") && out.contains("CI=true"), "{out}");
}

#[test]
fn bench_cluster_quick_measures_local_and_cluster_dispatch() {
    if !prerequisites() {
        return;
    }
    let f = Factory::new();
    let v = f.run(&["bench", "cluster", "--quick", "--json"]).ok().json();
    for k in ["local_jobs_per_s", "cluster", "call_local_p50_us", "call_cluster_p50_us", "checks_cluster_p50_ms"] {
        assert!(v.get(k).is_some(), "no `{k}` in {v}");
    }
    assert!(v["cluster"][0]["jobs_per_s"].as_f64().is_some_and(|j| j > 0.0), "{v}");
    assert!(v["call_cluster_p50_us"].as_u64().is_some_and(|us| us > 0), "{v}");
    assert!(v["checks_cluster_p50_ms"].as_u64().is_some(), "checks ran through the worker: {v}");
}
