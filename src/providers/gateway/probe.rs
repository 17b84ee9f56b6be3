//! Whether a configured provider answers, for `factory doctor`: the models endpoint
//! (OpenAI-compatible and Anthropic), else one minimal call (a server without a models
//! endpoint, such as Perplexity); a CLI tool is looked up on PATH, not run.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::config::{ProviderConfig, ProviderKind};
use crate::providers::secret::Scrubber;
use crate::providers::transport::{http, http_error};
use crate::providers::wire::anthropic::{API_VERSION, AnthropicProvider};
use crate::providers::wire::openai::OpenAiProvider;
use crate::providers::{CallRequest, Provider, Secret};

const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the probe found, as one line.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeResult {
    pub ok: bool,
    pub detail: String,
}

fn ok(detail: String) -> ProbeResult {
    ProbeResult { ok: true, detail }
}

fn failed(detail: String) -> ProbeResult {
    ProbeResult { ok: false, detail }
}

/// Probes one provider with its first key that is set.
pub async fn probe(name: &str, cfg: &ProviderConfig, keys: &[Secret]) -> ProbeResult {
    let scrub = Scrubber::new(keys);
    let result = match cfg.kind {
        Some(ProviderKind::Cli) => return probe_command(cfg.command()),
        Some(ProviderKind::Sim) => return ok("built in".into()),
        None => return failed("no kind".into()),
        Some(kind) => tokio::time::timeout(PROBE_TIMEOUT, probe_http(name, kind, cfg, keys.first())).await,
    };
    match result {
        Err(_) => failed(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())),
        Ok(r) => ProbeResult { ok: r.ok, detail: scrub.scrub(&r.detail) },
    }
}

async fn probe_http(name: &str, kind: ProviderKind, cfg: &ProviderConfig, key: Option<&Secret>) -> ProbeResult {
    let base = cfg.base_url.clone().unwrap_or_default();
    let started = Instant::now();
    let client = match http::client() {
        Ok(c) => c,
        Err(e) => return failed(e.message),
    };
    let mut req = match kind {
        ProviderKind::Anthropic => {
            let url = if base.trim_end_matches('/').ends_with("/v1") {
                http::join_url(&base, "models")
            } else {
                http::join_url(&base, "v1/models")
            };
            client.get(url).header("anthropic-version", API_VERSION)
        }
        _ => client.get(http::join_url(&base, "models")),
    };
    if let Some(k) = key {
        let header = match kind {
            ProviderKind::Anthropic => http::secret_header("x-api-key", k.expose()),
            _ => http::secret_header("authorization", &format!("Bearer {}", k.expose())),
        };
        match header {
            Ok((n, v)) => req = req.header(n, v),
            Err(e) => return failed(e.message),
        }
    }
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return failed(http_error::from_transport(&e, false).message),
    };
    let status = resp.status();
    if status.is_success() {
        let models = http::read_limited(resp, 4 << 20, true)
            .await
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v["data"].as_array().map(Vec::len));
        return ok(format!(
            "answers: models endpoint in {} ms{}",
            started.elapsed().as_millis(),
            models.map(|n| format!(", {n} models")).unwrap_or_default()
        ));
    }
    if status.as_u16() != 404 && status.as_u16() != 405 {
        let e = http::check(resp, key.map(Secret::var)).await.err();
        return failed(e.map(|e| e.to_string()).unwrap_or_else(|| format!("HTTP {status}")));
    }
    // No models endpoint: one minimal call (a few tokens).
    let model = cfg.model.clone().unwrap_or_default();
    let provider: Box<dyn Provider> = match kind {
        ProviderKind::Anthropic => Box::new(AnthropicProvider::new(name, &base, &model, false, 30, Some(1))),
        _ => Box::new(OpenAiProvider::new(name, &base, &model, false, 30, Some(1))),
    };
    let call = CallRequest::new("doctor", "", "Reply with OK.", 1);
    match provider.call(&call, key).await {
        Ok(r) => ok(format!(
            "answers: a minimal call to {} in {} ms ({} tokens in, {} out, {}, billed by the provider)",
            r.model,
            started.elapsed().as_millis(),
            r.usage.input + r.usage.cached_input,
            r.usage.output,
            match super::prices::Prices::builtin().cost(&r.model, &r.usage) {
                Some(micros) => format!("about {}", crate::domain::money::fmt_usd_exact(micros)),
                None => "cost unknown: the model is not in the price table".to_string(),
            }
        )),
        Err(e) => failed(e.to_string()),
    }
}

/// Finds the tool on PATH (or at its path) without running it.
fn probe_command(command: &[String]) -> ProbeResult {
    let Some(program) = command.first() else { return failed("no command".into()) };
    match which(program) {
        Some(p) => ok(format!("found at {} (not run)", p.display())),
        None => failed(format!("`{program}` is not found on PATH; install it or fix `command`")),
    }
}

fn which(program: &str) -> Option<PathBuf> {
    use crate::sandbox::tools;
    if program.contains('/') {
        let p = PathBuf::from(program);
        return tools::is_executable(&p).then_some(p);
    }
    tools::which(program, std::env::var_os("PATH").as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::fake_server::{FakeOptions, FakeServer};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn probes_models_endpoints_and_falls_back_to_a_minimal_call() {
        let server = FakeServer::start(FakeOptions::default()).await.unwrap();
        let key = [Secret::new("K", "sk-probe-key-0001")];
        let mut cfg = Config::default();
        let openai = cfg.providers.get_mut("openai").unwrap();
        openai.base_url = Some(server.openai_url());
        let r = probe("openai", &cfg.providers["openai"], &key).await;
        assert!(r.ok && r.detail.contains("models endpoint") && r.detail.contains("2 models"), "{r:?}");
        let anthropic = cfg.providers.get_mut("anthropic").unwrap();
        anthropic.base_url = Some(server.anthropic_url());
        let r = probe("anthropic", &cfg.providers["anthropic"], &key).await;
        assert!(r.ok, "{r:?}");
        let pplx = cfg.providers.get_mut("perplexity").unwrap();
        pplx.base_url = Some(server.perplexity_url());
        let r = probe("perplexity", &cfg.providers["perplexity"], &key).await;
        assert!(r.ok && r.detail.contains("a minimal call") && r.detail.contains("billed by the provider"), "{r:?}");
        let r = probe("openai", &cfg.providers["openai"], &[]).await;
        assert!(!r.ok && r.detail.contains("refused"), "{r:?}");
        let mut down = cfg.providers["openai"].clone();
        down.base_url = Some("http://127.0.0.1:9/v1".into());
        let r = probe("openai", &down, &key).await;
        assert!(!r.ok && r.detail.contains("cannot connect"), "{r:?}");
    }

    #[test]
    fn finds_tools_without_running_them() {
        assert!(probe_command(&["sh".into()]).ok);
        assert!(!probe_command(&["no-such-tool-here".into()]).ok);
        assert!(!probe_command(&[]).ok);
    }
}
