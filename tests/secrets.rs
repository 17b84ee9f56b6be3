//! API keys never leave memory: a control room owning a real run through the fake provider
//! server (which quotes keys back, and refuses them), with every key set to a marker, and the
//! marker looked for in every file of the data directory, the logs, every export, every line
//! sent on the socket, every CLI output, the screens of the control room and the error of a
//! refused key. The alert webhook's URL, which carries a token with the marker, is held to
//! the same (its careless receiver quotes it back in every refusal). And the data
//! directory, its logs and the socket are private.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Factory;
use common::tmux::Tmux;
use serde_json::Value;
use startup_factory::fake_server::webhook::{Answer, WebhookReceiver};
use startup_factory::fake_server::{FakeOptions, FakeServer, Fault, FaultPlan};
use startup_factory::orchestrator::Command;
use startup_factory::socket::protocol::{ClientMsg, VERSION};

const KEYS: [(&str, &str); 4] = [
    ("OPENAI_API_KEY", "sk-K3YMARK-openai-7f3a9c1e5b"),
    ("OPENAI_API_KEY_2", "sk-K3YMARK-openai-second-42d8"),
    ("ANTHROPIC_API_KEY", "sk-ant-K3YMARK-anthropic-c0ffee"),
    ("PERPLEXITY_API_KEY", "pplx-K3YMARK-perplexity-beef01"),
];
/// In every key, and in nothing else (a word like `MARKER` is in TypeScript's own files).
const MARKER: &str = "K3YMARK";
/// The alert webhook's path, a token in it and in its query, as Slack's and others' are.
const WEBHOOK_PATH: &str = "/services/K3YMARK-hook-5ec7e7?token=K3YMARK-query-77f0";

fn config(f: &Factory, server: &FakeServer, webhook: &WebhookReceiver) -> String {
    let text = format!(
        r#"[retry]
base_delay_ms = 1
max_delay_ms = 20

[checks]
enabled = true

[gates.G1]
policy = "auto"
[gates.G2]
policy = "auto"
[gates.G3]
policy = "auto"

[alerts]
retry_base_ms = 50

[alerts.webhook]
url = "{}"

{}"#,
        webhook.url(WEBHOOK_PATH),
        common::fake_providers_toml(server, false, "")
    );
    f.write("providers.toml", &text).to_str().unwrap().to_string()
}

/// Everything the user or a script could see, gathered for the search.
#[derive(Default)]
struct Seen {
    text: String,
}

impl Seen {
    /// Runs the binary (with every key in its environment) off the async runtime, so that
    /// the fake server keeps serving; keeps what it printed.
    async fn run(&mut self, f: &Factory, cfg: &str, args: &[&str]) -> common::Run {
        let mut cmd = f.cmd(&["--config", cfg]);
        cmd.args(args).env("FACTORY_LOG", "debug");
        for (var, key) in KEYS {
            cmd.env(var, key);
        }
        let out: common::Run =
            tokio::task::spawn_blocking(move || cmd.output().expect("the factory binary runs").into()).await.unwrap();
        self.text.push_str(&out.stdout);
        self.text.push_str(&out.stderr);
        out
    }

    /// Polls `status --json` (through the owner) until `cond` holds.
    async fn until(&mut self, f: &Factory, cfg: &str, what: &str, cond: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let status = self.run(f, cfg, &["status", "--json"]).await.ok().json();
            if cond(&status) {
                return status;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}: {status}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

fn run_of<'a>(status: &'a Value, id: &str) -> &'a Value {
    status["startups"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap_or(&Value::Null)
}

/// A tmux server of its own, killed when dropped.
/// A client on the owner's socket that keeps every line it is sent.
struct Listener {
    stream: UnixStream,
    lines: Arc<Mutex<Vec<String>>>,
    next_id: u64,
}

impl Listener {
    fn attach(data_dir: &Path) -> Listener {
        let stream = UnixStream::connect(startup_factory::socket::socket_path(data_dir)).unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let reader = BufReader::new(stream.try_clone().unwrap());
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in reader.lines() {
                let Ok(line) = line else { return };
                sink.lock().unwrap().push(line);
            }
        });
        let mut l = Listener { stream, lines, next_id: 0 };
        l.send(&ClientMsg::Hello { protocol: VERSION, read_only: false, snapshots: true, events: true });
        l
    }

    fn send(&mut self, msg: &ClientMsg) {
        let mut line = serde_json::to_string(msg).unwrap();
        line.push('\n');
        self.stream.write_all(line.as_bytes()).unwrap();
    }

    fn request(&mut self, command: Command) {
        self.next_id += 1;
        self.send(&ClientMsg::Request { id: self.next_id, command });
    }

    /// Lines of each type (`hello`, `snapshot`, `event`, `reply`), and all of them joined.
    fn received(&self) -> (std::collections::BTreeMap<String, usize>, String) {
        let lines = self.lines.lock().unwrap();
        let mut kinds = std::collections::BTreeMap::new();
        for l in lines.iter() {
            let kind = serde_json::from_str::<Value>(l).ok().and_then(|v| v["type"].as_str().map(String::from));
            *kinds.entry(kind.unwrap_or_else(|| "unparsed".into())).or_insert(0) += 1;
        }
        (kinds, lines.join("\n"))
    }
}

/// Every file under `dir` holding `needle`, and how many files were searched.
fn files_containing(dir: &Path, needle: &[u8]) -> (Vec<PathBuf>, usize) {
    let all = common::files(dir);
    let hits = all.iter().filter(|(_, bytes)| bytes.windows(needle.len()).any(|w| w == needle)).map(|(p, _)| p.clone());
    (hits.collect(), all.len())
}

/// A user template whose only check writes the environment it was given into the
/// workspace (checks run the generated code, a model's: it must not see the keys).
async fn leaky_template(seen: &mut Seen, f: &Factory, cfg: &str) {
    seen.run(f, cfg, &["templates", "new", "leaky", "--from", "pythonml"]).await.ok();
    let manifest = f.dir.path().join("config/startup-factory/templates/leaky/template.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let (head, rest) = text.split_once("[[checks]]").expect("pythonml has checks");
    let (_, tail) = rest.split_once("[prompt]").unwrap();
    let check = "[[checks]]\nname = \"environment\"\ncommand = [\"sh\", \"-c\", \"env > environment.txt\"]\n\n";
    std::fs::write(&manifest, format!("{head}{check}[prompt]{tail}")).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_reach_no_file_log_export_socket_line_screen_or_error() {
    assert!(Process::new("tmux").arg("-V").output().is_ok(), "tmux is needed for this test; .ci/run installs it");
    let server = FakeServer::start(FakeOptions::default()).await.unwrap();
    // A careless provider quotes the key it was sent (Perplexity's, then Anthropic's, which
    // are refused and rest), and rate limits now and then.
    server.set_faults(common::key_echoing_faults());
    // The alert webhook refuses every alert, quoting the URL's path and token back.
    let webhook = WebhookReceiver::start(vec![], Answer::Status(500)).await.unwrap();
    let f = Factory::new();
    let cfg = config(&f, &server, &webhook);
    let mut seen = Seen::default();
    leaky_template(&mut seen, &f, &cfg).await;

    // The owner: the control room in tmux, every key in its environment.
    let tmux = Tmux::new(format!("sf-secrets-{}", std::process::id()), "owner");
    let mut env = format!(
        "env -i PATH=/usr/bin:/bin HOME={home} XDG_CONFIG_HOME={home}/config TERM=xterm-256color USER=tester FACTORY_LOG=debug",
        home = f.dir.path().display()
    );
    for (var, key) in KEYS {
        env.push_str(&format!(" {var}={key}"));
    }
    let command = format!(
        "{env} {bin} --data-dir {data} --config {cfg} --reviewer tester run",
        bin = env!("CARGO_BIN_EXE_factory"),
        data = f.data_dir().display()
    );
    tmux.start(160, 45, &command);
    tmux.wait("the control room", |s| s.contains("Gate inbox"));
    let mut socket = Listener::attach(&f.data_dir());

    // Two runs through to the end (G0 approved through the owner), one left at G0; all on
    // the leaky template, whose check runs no package manager.
    seen.run(&f, &cfg, &["new", "--name", "Leaky", "--idea", "Checks see no keys", "--template", "leaky"]).await.ok();
    seen.run(&f, &cfg, &["new", "--name", "Keyless", "--idea", "Never leak", "--template", "leaky"]).await.ok();
    seen.run(&f, &cfg, &["new", "--name", "Waiting", "--idea", "Reviewed on screen", "--template", "leaky"]).await.ok();
    seen.until(&f, &cfg, "three G0 gates", |s| (1..=3).all(|n| run_of(s, &format!("s-0{n}"))["gate"].is_string()))
        .await;
    for run in ["s-01", "s-02"] {
        seen.run(&f, &cfg, &["approve", run, "--note", "go"]).await.ok();
    }
    seen.until(&f, &cfg, "two completed runs", |s| {
        ["s-01", "s-02"].iter().all(|id| run_of(s, id)["status"] == "completed")
    })
    .await;

    // Every key refused now, each quoted back in the refusal: the next run fails on it.
    server.set_faults(FaultPlan { script: vec![], every: 1, cycle: vec![Fault::EchoKey] });
    seen.run(&f, &cfg, &["new", "--name", "Refused", "--idea", "Bad keys", "--template", "leaky"]).await.ok();
    let status = seen.until(&f, &cfg, "the refused run to fail", |s| run_of(s, "s-04")["status"] == "failed").await;
    let failure = run_of(&status, "s-04")["failure"].as_str().unwrap().to_string();
    assert!(failure.contains("[redacted]"), "the quoted key is scrubbed out of the error: {failure}");
    // Its alert went to the webhook, which refused it quoting the URL: the failure is counted.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let alerts = seen.run(&f, &cfg, &["alerts", "--json"]).await.ok().json();
        if alerts["deliveries"]["failed_attempts"].as_u64().unwrap_or(0) >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "no failed delivery: {alerts}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Every query, through the owner: on the socket, and from the command line.
    for run in ["s-01", "s-02", "s-03", "s-04"] {
        socket.request(Command::Status { run: Some(run.parse().unwrap()) });
        socket.request(Command::Export { run: run.parse().unwrap() });
    }
    for command in [
        Command::Status { run: None },
        Command::Gates { all: true },
        Command::Alerts,
        Command::Providers,
        Command::Events { limit: 100_000 },
        Command::Review { gate: "s-03.G0.0".parse().unwrap() },
        Command::Templates,
        Command::Metrics,
    ] {
        socket.request(command);
    }
    let exported = f.dir.path().join("exports");
    std::fs::create_dir_all(&exported).unwrap();
    for run in ["s-01", "s-02", "s-03", "s-04"] {
        seen.run(&f, &cfg, &["status", run]).await.ok();
        seen.run(&f, &cfg, &["status", run, "--json"]).await.ok();
        for format in ["md", "json"] {
            seen.run(&f, &cfg, &["export", run, "--format", format]).await.ok();
            let file = exported.join(format!("{run}.{format}"));
            seen.run(&f, &cfg, &["export", run, "--format", format, "--out", file.to_str().unwrap()]).await.ok();
        }
    }
    for args in [
        vec!["status", "--json"],
        vec!["gates", "--all", "--json"],
        vec!["gates", "--all"],
        vec!["providers", "--json"],
        vec!["providers"],
        vec!["alerts", "--json"],
        vec!["templates", "list"],
        vec!["doctor"],
        vec!["config", "check"],
    ] {
        seen.run(&f, &cfg, &args).await.ok();
    }

    // The control room's screens: the dashboard, each pane, the alerts, the review of the
    // waiting gate page by page, the failed run, the help and the templates.
    let mut screens = tmux.wait("the failed run on the dashboard", |s| s.contains("s-04") && s.contains("failed"));
    let mut look = |keys: &[&str]| {
        tmux.keys(keys);
        std::thread::sleep(Duration::from_millis(300));
        screens.push_str(&tmux.screen());
    };
    for keys in [
        &["2"][..],
        &["3"],
        &["4"],
        &["!"],
        &["Escape", "g", "Enter"],
        &["PageDown"],
        &["PageDown"],
        &["PageDown"],
        &["Escape", "1", "j", "j", "j", "Enter"],
        &["Escape", "?"],
        &["Escape", ":", "t", "e", "m", "p", "l", "a", "t", "e", "s", "Enter"],
        &["Escape"],
    ] {
        look(keys);
    }
    assert!(screens.contains("Revision history"), "the gate review was on screen:\n{screens}");
    assert!(screens.contains("Alerts, newest first") && screens.contains("Help"), "{screens}");
    assert!(
        screens.contains("Incorrect API") && screens.contains("[redacted]"),
        "the refusal was on screen:\n{screens}"
    );
    tmux.keys(&["q"]);
    tmux.wait_gone("q did not quit");

    // The keys were really in play: sent to the server, quoted back, and in the checks'
    // reach (the check ran and wrote its environment into the workspace).
    let sent = server.keys_seen();
    for (var, key) in KEYS {
        assert!(sent.contains_key(key), "{var} was sent to the provider");
    }
    let hooks = webhook.received();
    assert!(hooks.len() >= 2 && hooks.iter().all(|r| r.path == WEBHOOK_PATH.split('?').next().unwrap()), "{hooks:?}");
    assert!(seen.text.contains("answered HTTP 500: no luck with ") && seen.text.contains("[redacted]"));
    let shown = format!("the webhook {}/…", webhook.url("").trim_end_matches('/'));
    assert!(seen.text.contains(&shown), "config check shows the URL redacted: {shown}");
    let env_dump = std::fs::read_to_string(f.data_dir().join("workspaces/s-01/app/environment.txt"))
        .expect("the template's check ran and wrote its environment");
    assert!(env_dump.contains("PATH=") && !env_dump.contains("API_KEY"), "{env_dump}");
    let (kinds, socket_text) = socket.received();
    for kind in ["hello", "snapshot", "event", "reply"] {
        assert!(kinds.get(kind).copied().unwrap_or(0) > 0, "the socket sent {kind} lines: {kinds:?}");
    }
    assert_eq!(kinds["reply"], 16, "every request was answered: {kinds:?}");
    assert!(socket_text.contains("Keyless") && socket_text.contains("[redacted]"), "the socket carried the runs");
    assert!(seen.text.contains("OPENAI_API_KEY set"), "doctor names the variables");

    for needle in KEYS.iter().map(|(_, k)| *k).chain([MARKER]) {
        assert!(!seen.text.contains(needle), "{needle} reached the command line's output");
        assert!(!socket_text.contains(needle), "{needle} was sent on the socket");
        assert!(!screens.contains(needle), "{needle} was on the screen");
        for dir in [f.data_dir(), exported.clone(), f.dir.path().join("config")] {
            let (hits, searched) = files_containing(&dir, needle.as_bytes());
            assert!(searched > 0, "{} holds files to search", dir.display());
            assert!(hits.is_empty(), "{needle} is in {hits:?}");
        }
    }
    let logs = f.data_dir().join("logs");
    assert!(std::fs::read_dir(&logs).unwrap().next().is_some(), "debug logs were written and searched");
}

#[test]
fn the_data_dir_its_logs_and_the_socket_are_private_whatever_the_umask() {
    let f = Factory::new();
    let cfg = f.write("config.toml", &format!("[sim]\nlatency_ms = 5\n\n{}", common::NO_CHECKS));
    let mut cmd = f.cmd(&["--config", cfg.to_str().unwrap(), "run", "--headless", "--quiet"]);
    // SAFETY: umask is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0);
            Ok(())
        });
    }
    let mut owner = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let sock = startup_factory::socket::socket_path(&f.data_dir());
    let deadline = Instant::now() + Duration::from_secs(10);
    while UnixStream::connect(&sock).is_err() {
        assert!(Instant::now() < deadline, "the owner never served its socket");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&f.data_dir()), 0o700, "the data directory");
    assert_eq!(mode(&sock), 0o600, "the socket");
    assert_eq!(mode(&f.data_dir().join("logs")), 0o700, "the logs");
    owner.kill().unwrap();
    owner.wait().unwrap();
}
