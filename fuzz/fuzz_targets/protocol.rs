//! Socket protocol: any line parses to a message or an error; parsed messages re-serialise stably; a snapshot delta applies or is refused, never panics.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use startup_factory::orchestrator::Snapshot;
use startup_factory::socket::protocol::{ClientMsg, ServerMsg};

fn base() -> &'static Snapshot {
    static BASE: OnceLock<Snapshot> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut s = startup_factory::testkit::fixture::snapshot(5, 2, 2);
        s.version = 7;
        s
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else { return };
    if let Ok(msg) = serde_json::from_str::<ClientMsg>(line) {
        let once = serde_json::to_string(&msg).unwrap();
        let again: ClientMsg = serde_json::from_str(&once).unwrap_or_else(|e| panic!("{e}: {once}"));
        assert_eq!(serde_json::to_string(&again).unwrap(), once);
    }
    if let Ok(msg) = serde_json::from_str::<ServerMsg>(line) {
        let once = serde_json::to_string(&msg).unwrap();
        let again: ServerMsg = serde_json::from_str(&once).unwrap_or_else(|e| panic!("{e}: {once}"));
        assert_eq!(serde_json::to_string(&again).unwrap(), once);
        if let ServerMsg::Snapshot(delta) = msg {
            let runs_len = delta.runs_len;
            if let Some(s) = delta.clone().apply(None) {
                assert_eq!(s.runs.len(), runs_len);
            }
            if let Some(s) = delta.apply(Some(base())) {
                assert_eq!(s.runs.len(), runs_len);
            }
        }
    }
});
