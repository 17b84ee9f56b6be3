//! The `[cluster]` section: the NATS server that carries check rounds and provider calls
//! to `factory worker` processes, its credentials (named by environment variables), and
//! which kinds of work go there. Absent, everything runs in-process.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// `nats://host:port` (loopback only, unless `allow_insecure`) or `tls://host:port`.
    pub nats_url: String,
    /// Environment variables holding the credentials, never the credentials themselves.
    pub credentials: CredentialsConfig,
    /// How long a worker may hold a job without acknowledging it (it sends progress
    /// acknowledgements while a long check runs); past it, the job goes to another worker.
    pub ack_wait_s: u64,
    /// How many times a job is delivered before its task fails with that reason.
    pub max_deliver: u32,
    /// Allow a non-loopback `nats://` URL without TLS: credentials and prompts then cross
    /// the network in clear text.
    pub allow_insecure: bool,
    pub dispatch: ClusterDispatch,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            nats_url: String::new(),
            credentials: CredentialsConfig::default(),
            ack_wait_s: 30,
            max_deliver: 5,
            allow_insecure: false,
            dispatch: ClusterDispatch::default(),
        }
    }
}

/// The names of the environment variables that hold the NATS credentials: a user and a
/// password, or an nkey seed. Empty names: no credentials.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CredentialsConfig {
    pub user: String,
    pub password: String,
    pub nkey_seed: String,
}

/// Where each kind of work runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterDispatch {
    pub checks: Placement,
    pub calls: Placement,
}

impl Default for ClusterDispatch {
    fn default() -> Self {
        ClusterDispatch { checks: Placement::Cluster, calls: Placement::Cluster }
    }
}

/// In this process, or on the cluster's workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    Local,
    Cluster,
}

impl Placement {
    pub fn as_str(self) -> &'static str {
        match self {
            Placement::Local => "local",
            Placement::Cluster => "cluster",
        }
    }
}

impl ClusterConfig {
    /// What is wrong with the section, as (key, message).
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if self.nats_url.trim().is_empty() {
            return Some(("nats_url", "must name the NATS server, like nats://127.0.0.1:4222".into()));
        }
        if let Err(e) = url_allowed(&self.nats_url, self.allow_insecure) {
            return Some(("nats_url", e));
        }
        if self.ack_wait_s == 0 {
            return Some(("ack_wait_s", "must be at least 1 second".into()));
        }
        if self.max_deliver == 0 {
            return Some(("max_deliver", "must be at least 1".into()));
        }
        let c = &self.credentials;
        if c.user.is_empty() != c.password.is_empty() {
            return Some(("credentials", "name both `user` and `password` variables, or neither".into()));
        }
        if !c.user.is_empty() && !c.nkey_seed.is_empty() {
            return Some(("credentials", "use a user and password or an nkey seed, not both".into()));
        }
        None
    }
}

/// Refuses a URL that would send work in clear text over a network: `nats://` to a host
/// that is not loopback, unless `allow_insecure`. `tls://` is always allowed.
pub fn url_allowed(url: &str, allow_insecure: bool) -> Result<(), String> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("nats", url));
    match scheme {
        "tls" => return Ok(()),
        "nats" => {}
        other => return Err(format!("`{other}://` is not a NATS URL; use nats:// or tls://")),
    }
    let host_port = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split_once(']').map(|(h, _)| h).unwrap_or(v6)
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    if host.is_empty() {
        return Err("names no host; write it like nats://127.0.0.1:4222".into());
    }
    if is_loopback(host) || allow_insecure {
        Ok(())
    } else {
        Err(format!(
            "`nats://{host}` is not loopback and has no TLS; use tls://{host}:PORT, or set `allow_insecure = true` to send work in clear text"
        ))
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_text_leaves_the_machine_only_when_allowed() {
        assert!(url_allowed("nats://127.0.0.1:4222", false).is_ok());
        assert!(url_allowed("nats://localhost:4222", false).is_ok());
        assert!(url_allowed("nats://[::1]:4222", false).is_ok());
        assert!(url_allowed("tls://nats.example.com:4222", false).is_ok());
        let e = url_allowed("nats://10.0.0.5:4222", false).unwrap_err();
        assert!(e.contains("allow_insecure") && e.contains("tls://10.0.0.5"), "{e}");
        assert!(url_allowed("nats://user:pw@nats.example.com:4222", false).is_err());
        assert!(url_allowed("nats://10.0.0.5:4222", true).is_ok());
        assert!(url_allowed("http://127.0.0.1:4222", true).is_err());
    }

    #[test]
    fn credentials_come_in_pairs_or_as_a_seed() {
        let mut c = ClusterConfig { nats_url: "nats://127.0.0.1:4222".into(), ..ClusterConfig::default() };
        assert_eq!(c.problem(), None);
        c.credentials.user = "NATS_USER".into();
        assert_eq!(c.problem().unwrap().0, "credentials");
        c.credentials.password = "NATS_PASSWORD".into();
        assert_eq!(c.problem(), None);
        c.credentials.nkey_seed = "NATS_SEED".into();
        assert_eq!(c.problem().unwrap().0, "credentials");
    }
}
