//! Alerts that time raises: gates waiting past their timeout and runs without progress.

use super::state::State;
use crate::domain::{AlertKind, EventKind, RunStatus};

impl State {
    /// Called about once a second: the day's roll-over, gate timeouts, stalled runs, and
    /// alert deliveries past their time.
    pub fn tick(&mut self) {
        self.roll_day();
        self.sample_health();
        self.expire_deliveries();
        let now = self.now();
        let overdue: Vec<_> = self
            .gates
            .pending()
            .filter(|g| !g.timeout_alerted && now.saturating_sub(g.opened_at) > self.cfg.gates.timeout_ms(g.id.code))
            .map(|g| g.id)
            .collect();
        for id in overdue {
            let waited = now.saturating_sub(self.gates[&id].opened_at);
            self.gates.timeout_alerted(id);
            self.touch_gate(id);
            let message = format!(
                "gate {id} {} has waited {} (its timeout is {})",
                id.code.name(),
                crate::fmt::format_duration(waited),
                crate::fmt::format_duration(self.cfg.gates.timeout_ms(id.code))
            );
            self.emit(Some(id.run), EventKind::Alert { alert: AlertKind::GateTimeout, message });
        }
        let stall_ms = self.cfg.factory.stall_minutes as u64 * 60_000;
        if stall_ms == 0 {
            return;
        }
        let stalled: Vec<_> = self
            .runs
            .ixs()
            .filter(|i| {
                let r = &self.runs[*i].run;
                r.status == RunStatus::Running && !r.stall_alerted && now.saturating_sub(r.last_progress_at) > stall_ms
            })
            .collect();
        for i in stalled {
            let run = &mut self.runs[i].run;
            run.stall_alerted = true;
            let (id, since) = (run.id, now.saturating_sub(run.last_progress_at));
            self.touch_run(i);
            let message = format!("{id} has made no progress for {}", crate::fmt::format_duration(since));
            self.emit(Some(id), EventKind::Alert { alert: AlertKind::Stalled, message });
        }
    }
}
