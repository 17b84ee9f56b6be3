//! The orchestrator's side of templates: which version and ports a run gets, the registry
//! with each version's runs, rating and approvals per gate, and removing a version no live
//! run uses.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::command::Reply;
use super::runs::RunIx;
use super::state::State;
use crate::domain::{GateCode, GateStatus, RunId, RunStatus};
use crate::error::{FactoryError, Result};
use crate::templates::{GateTally, Template, TemplateInfo, TemplateRef, allocate_ports, remove_installed};

/// The review gates a template's runs are tallied at.
const REVIEW_GATES: [GateCode; 4] = [GateCode::G0, GateCode::G1, GateCode::G2, GateCode::G3];

/// A run that may still do work: anything but completed, rejected or cancelled (a failed
/// run may be resumed).
fn is_live(status: RunStatus) -> bool {
    !matches!(status, RunStatus::Completed | RunStatus::Rejected | RunStatus::Cancelled)
}

impl State {
    /// The template version run `i` was created with, as installed now.
    pub fn run_template(&self, i: RunIx) -> Option<Arc<Template>> {
        let run = &self.runs[i].run;
        match &run.template_version {
            Some(v) => self.templates.get(&run.template, v),
            None => self.templates.latest(&run.template),
        }
        .cloned()
    }

    /// The template a new run asks for (`name` or `name@version`), reading the template
    /// folders again if it is not known yet (it may have been imported or made since).
    pub fn template_for_new_run(&mut self, text: &str) -> Result<Arc<Template>> {
        let r: TemplateRef = text.parse()?;
        if self.templates.find(&r).is_none() {
            self.templates.reload();
        }
        self.templates.resolve(&r)
    }

    /// Ports for a new run: the template's base ports plus a step per run, clear of every
    /// port another run holds.
    pub fn ports_for_new_run(&mut self, t: &Template, id: RunId) -> Result<BTreeMap<String, u16>> {
        let ports = allocate_ports(&t.manifest.ports, id.0, &self.ports_used).map_err(FactoryError::usage)?;
        self.ports_used.extend(ports.values().copied());
        Ok(ports)
    }

    /// Gives runs recorded before template versions and ports were their template's
    /// installed version and a set of ports; written with the next commit.
    pub fn record_template_facts(&mut self) {
        self.ports_used = self.runs.iter().flat_map(|rs| rs.run.ports.values().copied()).collect();
        for i in self.runs.ixs() {
            let run = &self.runs[i].run;
            if run.template_version.is_some() && !run.ports.is_empty() {
                continue;
            }
            let Some(t) = self.run_template(i) else {
                continue;
            };
            let id = run.id;
            let run = &mut self.runs[i].run;
            let mut changed = false;
            if run.template_version.is_none() {
                run.template_version = Some(t.version().to_string());
                changed = true;
            }
            if run.ports.is_empty()
                && !t.manifest.ports.is_empty()
                && let Ok(ports) = allocate_ports(&t.manifest.ports, id.0, &self.ports_used)
            {
                self.ports_used.extend(ports.values().copied());
                run.ports = ports;
                changed = true;
            }
            if changed {
                self.outbox.run(i);
            }
        }
    }

    /// Every template version with its runs, rating and approvals per gate, after reading
    /// the template folders again.
    pub fn templates_reply(&mut self) -> Reply {
        self.templates.reload();
        let mut infos: Vec<TemplateInfo> = self
            .templates
            .all()
            .iter()
            .map(|t| {
                let latest = self.templates.latest(t.name()).is_some_and(|l| l.version() == t.version());
                let mut info = TemplateInfo::new(t, latest);
                info.gates = REVIEW_GATES
                    .iter()
                    .map(|c| GateTally { gate: c.as_str().into(), name: c.name().into(), ..GateTally::default() })
                    .collect();
                info
            })
            .collect();
        // Per template: runs a person approved at G3, and runs that reached G3 and were not
        // approved there automatically.
        let mut approved_g3: BTreeMap<usize, (u32, u32)> = BTreeMap::new();
        for rs in &self.runs {
            let run = &rs.run;
            let Some(k) =
                infos.iter().position(|x| x.name == run.template && Some(&x.version) == run.template_version.as_ref())
            else {
                continue;
            };
            let info = &mut infos[k];
            info.runs += 1;
            info.live_runs += u32::from(is_live(run.status));
            info.finished_runs += u32::from(run.status.is_final());
            let gates = self.gates.of_run(run.id);
            let (mut reached, mut approved, mut auto_g3) = ([false; 4], [false; 4], false);
            for g in gates {
                if let Some(slot) = REVIEW_GATES.iter().position(|c| *c == g.id.code) {
                    reached[slot] = true;
                    approved[slot] |= g.status == GateStatus::Approved;
                    auto_g3 |= slot == 3
                        && g.status == GateStatus::Approved
                        && g.decided_by.as_deref().is_some_and(decided_automatically);
                }
            }
            for (slot, tally) in info.gates.iter_mut().enumerate() {
                tally.reached += u32::from(reached[slot]);
                tally.approved += u32::from(approved[slot]);
            }
            if auto_g3 {
                info.auto_approved_g3 += 1;
            } else if reached[3] {
                let (by_people, judged) = approved_g3.entry(k).or_default();
                *by_people += u32::from(approved[3]);
                *judged += 1;
            }
        }
        for (k, info) in infos.iter_mut().enumerate() {
            if let Some(&(by_people, judged)) = approved_g3.get(&k) {
                info.rating = Some(f64::from(by_people) / f64::from(judged));
            }
        }
        Reply::Templates { templates: infos, problems: self.templates.problems.clone() }
    }

    /// Removes an imported template version, unless a live run uses it.
    pub fn remove_template(&mut self, text: &str) -> Result<String> {
        let r: TemplateRef = text.parse()?;
        let Some(version) = r.version.clone() else {
            return Err(FactoryError::usage(format!(
                "say which version of `{}` to remove, as {}@VERSION; `factory templates list` shows them",
                r.name, r.name
            )));
        };
        self.templates.reload();
        self.templates.resolve(&r)?;
        let users: Vec<String> = self
            .runs
            .iter()
            .map(|rs| &rs.run)
            .filter(|run| run.template == r.name && run.template_version.as_deref() == Some(version.as_str()))
            .filter(|run| is_live(run.status))
            .map(|run| format!("{} ({})", run.id, run.status))
            .collect();
        let source = self.templates.get(&r.name, &version).map(|t| t.source);
        if !users.is_empty() && source == Some(crate::templates::Source::Imported) {
            return Err(FactoryError::usage(format!(
                "{r} is used by live run{} {}; let {} finish or cancel {} before removing it",
                if users.len() == 1 { "" } else { "s" },
                users.join(", "),
                if users.len() == 1 { "it" } else { "them" },
                if users.len() == 1 { "it" } else { "them" },
            )));
        }
        let path = remove_installed(&self.templates, &r.name, &version)?;
        self.templates.reload();
        Ok(format!("removed {r} from {}", path.display()))
    }
}

/// Whether a gate was decided by the factory itself (`--auto-approve`, a gate policy), not
/// by a person.
pub fn decided_automatically(by: &str) -> bool {
    by == "auto-approve" || by.starts_with("policy:")
}
