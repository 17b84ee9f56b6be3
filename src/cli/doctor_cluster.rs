//! `doctor`'s cluster part: the credentials named by `[cluster]`, the NATS connection, the
//! job and result streams with their consumers, and the workers announced.

use std::fmt::Write;
use std::time::Duration;

use crate::cluster::protocol::{JOBS_STREAM, JobKind, RESULTS_STREAM};
use crate::cluster::{Endpoint, connect, registry};
use crate::config::ClusterConfig;

/// `; checks on the cluster's workers, calls here, through NATS at URL` for `config check`,
/// or nothing without `[cluster]`.
pub fn summary(cluster: Option<&ClusterConfig>) -> String {
    let Some(c) = cluster else { return String::new() };
    let place = |p: crate::config::Placement| match p {
        crate::config::Placement::Cluster => "on the cluster's workers",
        crate::config::Placement::Local => "here",
    };
    format!(
        "; checks {}, calls {}, through NATS at {}",
        place(c.dispatch.checks),
        place(c.dispatch.calls),
        crate::sanitize::line(&c.nats_url)
    )
}

/// The section's text, and whether the cluster is usable (`None` without `[cluster]`).
pub async fn report(cluster: Option<&ClusterConfig>) -> Option<(String, bool)> {
    let c = cluster?;
    let mut out = String::from("\nCluster (NATS JetStream):\n");
    let _ = writeln!(out, "  server     {}", c.nats_url);
    let _ = writeln!(out, "  dispatch   checks {}, calls {}", c.dispatch.checks.as_str(), c.dispatch.calls.as_str());
    let endpoint = match Endpoint::from_config(c) {
        Ok(e) => e,
        Err(e) => {
            let _ = writeln!(out, "  ✗ credentials: {e}");
            return Some((out, false));
        }
    };
    let _ = writeln!(out, "  ✓ credentials: {}", endpoint.credentials_kind());
    let client = match connect::connect(&endpoint, "factory doctor", Some(Duration::from_secs(3)), None).await {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(out, "  ✗ connection: {e}; start nats-server -js, or fix cluster.nats_url");
            return Some((out, false));
        }
    };
    let _ = writeln!(out, "  ✓ connection: {}", client.server_info().version);
    let js = connect::jetstream(&client);
    let mut ok = true;
    for name in [JOBS_STREAM, RESULTS_STREAM] {
        match js.get_stream(name).await {
            Ok(mut s) => {
                let msgs = s.info().await.map(|i| i.state.messages).unwrap_or(0);
                let _ = writeln!(out, "  ✓ stream {name}: {msgs} messages waiting");
            }
            Err(e) => {
                // Made by the orchestrator when it starts with [cluster]: not yet is not broken.
                let _ =
                    writeln!(out, "  - stream {name}: not there yet ({e}); the orchestrator makes it when it starts");
            }
        }
    }
    if let Ok(jobs) = js.get_stream(JOBS_STREAM).await {
        for kind in JobKind::ALL {
            match jobs.get_consumer::<async_nats::jetstream::consumer::pull::Config>(kind.as_str()).await {
                Ok(mut con) => match con.info().await {
                    Ok(i) => {
                        let _ = writeln!(
                            out,
                            "  ✓ {} queue: {} waiting, {} in hand, ack_wait {} s, max_deliver {}",
                            kind.as_str(),
                            i.num_pending,
                            i.num_ack_pending,
                            i.config.ack_wait.as_secs(),
                            i.config.max_deliver
                        );
                    }
                    Err(e) => {
                        ok = false;
                        let _ = writeln!(out, "  ✗ {} queue: {e}", kind.as_str());
                    }
                },
                Err(e) => {
                    let _ = writeln!(out, "  - {} queue: not there yet ({e})", kind.as_str());
                }
            }
        }
    }
    match connect::workers_bucket(&js).await {
        Ok(kv) => match registry::list(&kv).await {
            Ok(w) if w.is_empty() => {
                let _ = writeln!(out, "  - workers: none announced (start `factory worker --nats {}`)", c.nats_url);
            }
            Ok(w) => {
                let names: Vec<String> = w.iter().map(|w| format!("{} ({})", w.name, w.jobs.join(","))).collect();
                let _ = writeln!(out, "  ✓ workers: {}", names.join(", "));
            }
            Err(e) => {
                ok = false;
                let _ = writeln!(out, "  ✗ workers: {e}");
            }
        },
        Err(e) => {
            ok = false;
            let _ = writeln!(out, "  ✗ workers bucket: {e}");
        }
    }
    Some((out, ok))
}
