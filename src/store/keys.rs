//! Key layouts: big-endian numbers so that sled's byte order is numeric order.

use crate::domain::{GateId, RunId};

pub fn run_key(run: RunId) -> [u8; 4] {
    run.0.to_be_bytes()
}

pub fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

pub fn seq_of(key: &[u8]) -> u64 {
    key.try_into().map(u64::from_be_bytes).unwrap_or(0)
}

/// Run, then gate code, then opening number.
pub fn gate_key(id: GateId) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[..4].copy_from_slice(&run_key(id.run));
    k[4] = id.code as u8;
    k[5..].copy_from_slice(&id.n.to_be_bytes());
    k
}

/// Run, then the task id, so that one run's tasks are one prefix scan.
pub fn task_key(run: RunId, id: &str) -> Vec<u8> {
    let mut k = run_key(run).to_vec();
    k.extend_from_slice(id.as_bytes());
    k
}

/// Run, then the sequence number of the event that announced the report.
pub fn report_key(run: RunId, seq: u64) -> Vec<u8> {
    let mut k = run_key(run).to_vec();
    k.extend_from_slice(&seq_key(seq));
    k
}
