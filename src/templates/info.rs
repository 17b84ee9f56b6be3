//! What the registry says about one template version for lists and screens: its manifest,
//! its files, and how its runs fared at the gates (computed by the orchestrator).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Manifest, Source, Template};

/// How many runs of a template reached one gate, and how many were approved there.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GateTally {
    /// `G0` to `G3`.
    pub gate: String,
    pub name: String,
    /// Runs that opened this gate at least once.
    pub reached: u32,
    /// Runs approved at this gate.
    pub approved: u32,
}

/// One template version with its runs and rating.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemplateInfo {
    pub name: String,
    pub version: String,
    pub source: Source,
    /// The folder it lives in; none for a built-in one.
    pub path: Option<String>,
    pub description: String,
    pub stack: Vec<String>,
    /// Runs created with this version.
    pub runs: u32,
    /// Of those, runs not yet completed, rejected or cancelled (a failed run may be resumed).
    pub live_runs: u32,
    /// Runs that ended: completed, rejected, failed or cancelled.
    pub finished_runs: u32,
    /// Share of the runs that reached G3 that a person approved there (0 to 1), runs
    /// approved there automatically left out; none until a person has decided a G3.
    pub rating: Option<f64>,
    /// Runs approved at G3 automatically (`--auto-approve`, a gate policy): shown apart,
    /// not rated, since no person judged them.
    #[serde(default)]
    pub auto_approved_g3: u32,
    /// G0 to G3, in order.
    pub gates: Vec<GateTally>,
    /// Whether it is the version a new run gets when it names only the template.
    pub latest: bool,
    pub manifest: Manifest,
    /// Its files, relative to `app/`, unrendered paths.
    pub files: Vec<String>,
}

impl TemplateInfo {
    /// The rating as shown everywhere: `80%`, or `—` until a run has finished and a person
    /// has decided a G3.
    pub fn rating_text(&self) -> String {
        match self.rating {
            Some(r) if self.finished_runs > 0 => format!("{:.0}%", r * 100.0),
            _ => "—".into(),
        }
    }

    /// The template's facts with no run yet counted.
    pub fn new(t: &Template, latest: bool) -> Self {
        TemplateInfo {
            name: t.manifest.name.clone(),
            version: t.manifest.version.clone(),
            source: t.source,
            path: t.path.as_ref().map(|p| p.display().to_string()),
            description: t.manifest.description.clone(),
            stack: t.manifest.stack.clone(),
            runs: 0,
            live_runs: 0,
            finished_runs: 0,
            rating: None,
            auto_approved_g3: 0,
            gates: Vec::new(),
            latest,
            manifest: t.manifest.clone(),
            files: t.files.keys().cloned().collect(),
        }
    }

    /// Approvals by gate code, for JSON.
    pub fn approvals(&self) -> BTreeMap<String, u32> {
        self.gates.iter().map(|g| (g.gate.clone(), g.approved)).collect()
    }
}
