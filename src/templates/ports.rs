//! Ports for a run: each of the template's base ports plus a step per run, moved further
//! along until none collides with a port another run already holds.

use std::collections::{BTreeMap, HashSet};

/// Gap between the ports of two runs using one template.
pub const PORT_STEP: u16 = 10;

/// The ports of run number `run` for a template with these `base` ports: base + step × k
/// for the first k from `run` on (wrapping round to 0) where every port fits in 1024-65535
/// and none is in `used`. When every set a step of `PORT_STEP` apart is taken (thousands of
/// live runs of one template), sets a step of 1 apart are tried, so that a template with n
/// ports has a set for as many runs as the free ports allow. The error says that no free
/// set was found.
pub fn allocate_ports(
    base: &BTreeMap<String, u16>,
    run: u32,
    used: &HashSet<u16>,
) -> Result<BTreeMap<String, u16>, String> {
    if base.is_empty() {
        return Ok(BTreeMap::new());
    }
    let highest = u32::from(*base.values().max().unwrap_or(&0));
    for step in [u32::from(PORT_STEP), 1] {
        let slots = (65_535u32.saturating_sub(highest)) / step + 1;
        for i in 0..slots {
            let k = (run % slots + i) % slots;
            let fits = base.values().all(|p| {
                let port = (u32::from(*p) + k * step) as u16;
                port >= super::manifest::MIN_PORT && !used.contains(&port)
            });
            if fits {
                return Ok(base.iter().map(|(name, p)| (name.clone(), (u32::from(*p) + k * step) as u16)).collect());
            }
        }
    }
    Err(format!(
        "no free set of ports is left for base ports {base:?}; remove old runs' data or change the template's ports"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(pairs: &[(&str, u16)]) -> BTreeMap<String, u16> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn a_step_per_run() {
        let b = base(&[("backend", 8000), ("frontend", 5173)]);
        let p = allocate_ports(&b, 7, &HashSet::new()).unwrap();
        assert_eq!(p, base(&[("backend", 8070), ("frontend", 5243)]));
    }

    #[test]
    fn skips_ports_other_runs_hold_across_templates() {
        // Another template's base 8000 with this one's 8010: run 1 of each would collide.
        let mut used = HashSet::new();
        let a = allocate_ports(&base(&[("api", 8000)]), 1, &used).unwrap();
        used.extend(a.values());
        let b = allocate_ports(&base(&[("web", 8010), ("db", 8005)]), 0, &used).unwrap();
        assert_eq!(b, base(&[("web", 8020), ("db", 8015)]));
        used.extend(b.values());
        let mut all: Vec<u16> = Vec::new();
        for run in 0..500 {
            let p = allocate_ports(&base(&[("x", 8000), ("y", 8003)]), run, &used).unwrap();
            used.extend(p.values());
            all.extend(p.values());
        }
        let unique: HashSet<_> = all.iter().collect();
        assert_eq!(unique.len(), all.len(), "no two runs share a port");
    }

    #[test]
    fn wraps_round_and_reports_when_full() {
        let b = base(&[("web", 65_530)]);
        assert_eq!(allocate_ports(&b, 3, &HashSet::new()).unwrap()["web"], 65_530);
        let used: HashSet<u16> = (65_530..=65_535).collect();
        assert!(allocate_ports(&b, 0, &used).unwrap_err().contains("no free set of ports"));
    }

    #[test]
    fn packs_sets_closer_when_every_step_apart_is_taken() {
        // 8000 and 5173 a step of 10 apart give 5,754 sets; ten thousand live runs fit.
        let b = base(&[("backend", 8000), ("frontend", 5173)]);
        let mut used = HashSet::new();
        for run in 0..10_000 {
            let p = allocate_ports(&b, run, &used).unwrap_or_else(|e| panic!("run {run}: {e}"));
            assert!(p.values().all(|port| used.insert(*port)), "run {run} got a port already held: {p:?}");
        }
    }
}
