//! A call job on a worker: through the same gateway code as the orchestrator's, with the
//! API keys of this machine's environment; the answer is priced here, with the same table.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::Shared;
use crate::cluster::protocol::{CallJob, Outcome, WireAnswer, WireNote};
use crate::config::SimConfig;
use crate::providers::{Gateway, GatewayNote, Trees};

/// The worker's gateways: its own (its config and keys), and one per simulated setting the
/// orchestrators asked for (so that a simulated answer is the one the orchestrator's would be).
#[derive(Default)]
pub(crate) struct Gateways {
    own: Mutex<Option<Arc<Gateway>>>,
    simulated: Mutex<HashMap<String, Arc<Gateway>>>,
}

impl Gateways {
    fn get(&self, shared: &Shared, simulate: bool, sim: &SimConfig) -> Arc<Gateway> {
        if !simulate {
            let mut own = self.own.lock().unwrap_or_else(|e| e.into_inner());
            return Arc::clone(
                own.get_or_insert_with(|| Arc::new(Gateway::from_config(&shared.cfg, false, Trees::default()))),
            );
        }
        let key = serde_json::to_string(sim).unwrap_or_default();
        let mut map = self.simulated.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(map.entry(key).or_insert_with(|| {
            let mut cfg = (*shared.cfg).clone();
            cfg.sim = sim.clone();
            Arc::new(Gateway::from_config(&cfg, true, Trees::default()))
        }))
    }
}

pub(crate) async fn run(shared: &Shared, job: CallJob) -> Outcome {
    let req = match job.request.into_request() {
        Ok(r) => r,
        Err(e) => return Outcome::Refused { reason: e.to_string(), retry: false },
    };
    let gateway = shared.gateways.get(shared, job.simulate, &job.sim);
    // A worker none of whose providers has a key would answer with the simulated provider
    // a call the orchestrator meant for a real one: it goes back for a worker with keys.
    if !job.simulate && gateway.stats().iter().all(|p| p.simulated) {
        let reason = "this worker has no provider with a key set in its environment".to_string();
        return Outcome::Refused { reason, retry: true };
    }
    let notes: Mutex<Vec<WireNote>> = Mutex::new(Vec::new());
    let note = |n: GatewayNote| notes.lock().unwrap_or_else(|e| e.into_inner()).push(n.into());
    let answer = gateway.call(req, &note).await;
    let notes = notes.into_inner().unwrap_or_else(|e| e.into_inner());
    match answer {
        Ok(a) => Outcome::Answer { answer: WireAnswer::from_answer(&a), notes },
        Err(f) => Outcome::CallFailed { message: f.to_string(), notes },
    }
}
