//! A check job on a worker: fetch the files by their hash from the object store, unpack
//! them into a folder of this job's own, run the round in this machine's sandbox, clean up.

use tokio::io::AsyncReadExt;

use super::Shared;
use crate::cluster::connect;
use crate::cluster::files;
use crate::cluster::protocol::{ChecksJob, MAX_FILES_BYTES, Outcome};

pub(crate) async fn run(shared: &Shared, job: ChecksJob, id: &str) -> Outcome {
    if job.size > MAX_FILES_BYTES {
        let reason = format!("the files are {} bytes, over the {MAX_FILES_BYTES}-byte cap", job.size);
        return Outcome::Refused { reason, retry: false };
    }
    let bytes = match fetch(shared, &job.files).await {
        Ok(b) => b,
        // Another worker (or this one, later) may fetch them: the job goes back.
        Err(reason) => return Outcome::Refused { reason, retry: true },
    };
    let dir = shared.opts.work_dir.join("jobs").join(crate::cluster::registry::key_of(id));
    let app = dir.join("app");
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&app) {
        return Outcome::Refused { reason: format!("cannot make a folder for the job ({e})"), retry: true };
    }
    let (hash, into) = (job.files.clone(), app.clone());
    let unpacked = tokio::task::spawn_blocking(move || files::unpack(&bytes, &hash, &into)).await;
    let outcome = match unpacked {
        Ok(Ok(_)) => {
            let results = shared.sandbox.run_round(&app, &job.template, &job.version, &job.checks).await;
            Outcome::Checks { results }
        }
        Ok(Err(reason)) => Outcome::Refused { reason: format!("the job's files were refused: {reason}"), retry: false },
        Err(e) => Outcome::Refused { reason: format!("unpacking failed: {e}"), retry: true },
    };
    let _ = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(&dir)).await;
    outcome
}

async fn fetch(shared: &Shared, hash: &str) -> Result<Vec<u8>, String> {
    let bucket = connect::files_bucket(&shared.js).await.map_err(|e| e.to_string())?;
    let mut object = bucket.get(hash).await.map_err(|e| format!("the files {hash} are not in the store ({e})"))?;
    let mut bytes = Vec::new();
    (&mut object)
        .take(MAX_FILES_BYTES + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| format!("reading the files failed ({e})"))?;
    if bytes.len() as u64 > MAX_FILES_BYTES {
        return Err(format!("the files are over the {MAX_FILES_BYTES}-byte cap"));
    }
    Ok(bytes)
}
