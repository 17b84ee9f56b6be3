//! The last frame: saved at a clean stop for the next control room's first frame, and
//! forgotten as soon as a store is opened again (it would no longer hold).

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_stop_saves_the_last_snapshot_and_the_next_open_forgets_it() {
    let h = Harness::new();
    let data = h.dir.path().join("data");
    let handle = h.start(true, false);
    let id = new_run(&handle, "Saved", None).await;
    let shown = gate_waiting(&handle, GateCode::G0).await;
    handle.shutdown().await.unwrap();

    let bytes = crate::store::last_frame::read(&data).expect("a clean stop saves the last frame");
    let saved: Snapshot = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(saved.runs.iter().map(|r| (r.id.to_string(), r.gate)).collect::<Vec<_>>(), [(id, Some(GateCode::G0))]);
    assert_eq!(saved.gates, shown.gates);

    let again = h.start(true, false);
    assert!(crate::store::last_frame::read(&data).is_none(), "an open store may change: the saved frame goes");
    again.shutdown().await.unwrap();
    assert!(crate::store::last_frame::read(&data).is_some());
}
