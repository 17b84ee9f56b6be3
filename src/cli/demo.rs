//! Sample runs for the demo: varied names, ideas, budgets, priorities, templates and gate
//! policies, from a seed: the first run's early gates pass on their own, so the team is seen
//! at work within seconds while the others wait for a person.

use crate::domain::{GateCode, GatePolicy};
use crate::orchestrator::NewRun;
use crate::util::rng::Rng;

const NAMES: [&str; 24] = [
    "Ledgerly",
    "BrandFocus",
    "CareCircle",
    "Dockwise",
    "FarmLink",
    "GreenGrid",
    "Hirefly",
    "Kitchenly",
    "Lingo Loop",
    "MediTrack",
    "Nestwise",
    "Orbit Ops",
    "Parcelpath",
    "QuietDesk",
    "RentRight",
    "Shiftly",
    "TutorTide",
    "Unboxd",
    "Voxmeet",
    "Wattwise",
    "Yardstick",
    "Zenroute",
    "PetPal",
    "Crewdeck",
];

const IDEAS: [&str; 24] = [
    "Bookkeeping for freelancers that reconciles bank feeds and files quarterly taxes",
    "Brand consistency checks for small marketing teams across every channel",
    "Coordinating care for ageing parents among siblings, with shared tasks and notes",
    "Booking and billing for independent boat docks and marinas",
    "A marketplace linking small farms directly to restaurant kitchens",
    "Energy use insights for small offices from their smart meters",
    "Screening and scheduling for hourly hiring in retail",
    "Inventory and waste tracking for independent restaurant kitchens",
    "Conversation practice for language learners with native speakers",
    "Medication schedules and refill reminders for chronic patients",
    "Home maintenance planning for first-time homeowners",
    "Incident runbooks and on-call handover for small DevOps teams",
    "Last-mile delivery route planning for local shops",
    "Noise-aware desk booking for hybrid offices",
    "Rent reporting that builds credit history for tenants",
    "Shift swapping and payroll export for clinics",
    "Matching students with tutors by learning style and schedule",
    "Returns handling for small e-commerce brands",
    "Async video standups for remote teams",
    "Solar and battery sizing advice for homeowners",
    "Benchmarking salaries for startup hiring managers",
    "Commute planning that mixes bikes, transit and car shares",
    "Pet sitting and walking with verified neighbours",
    "Crew scheduling for event production companies",
];

/// The templates and gate policies the demo's runs take in turn (the config's policy, a
/// person, where a gate is not named).
fn mix(k: usize) -> (&'static str, Vec<(GateCode, GatePolicy)>) {
    use GateCode::*;
    use GatePolicy::*;
    match k % 5 {
        // Straight to the build: the team at work, then a person approves the release.
        0 => ("neoforge", vec![(G0, Auto), (G1, Auto), (G2, Auto), (G3, Human)]),
        1 => ("pythonml", vec![(G0, AutoIfQuality(0.8)), (G1, Human)]),
        2 => ("reactnext", vec![(G0, Human)]),
        3 => ("vuenuxt", vec![(G0, Auto), (G1, Human)]),
        _ => ("neoforge", vec![(G0, Human), (G1, AutoIfQuality(0.9)), (G2, Human)]),
    }
}

/// `count` sample runs; the same seed gives the same runs.
pub fn sample_runs(count: u32, seed: u64) -> Vec<NewRun> {
    let mut rng = Rng::new(seed ^ 0x5EED_DE30);
    (0..count)
        .map(|k| {
            let i = k as usize % NAMES.len();
            let round = k as usize / NAMES.len();
            let name = if round == 0 { NAMES[i].to_string() } else { format!("{} {}", NAMES[i], round + 1) };
            let budget_cents = rng.range(300, 1200) / 50 * 50;
            let (template, gates) = mix(k as usize);
            NewRun {
                name,
                idea: IDEAS[i].to_string(),
                template: Some(template.to_string()),
                budget_usd: Some(format!("{}.{:02}", budget_cents / 100, budget_cents % 100)),
                priority: Some(rng.range(1, 5) as u8),
                gates,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_runs_are_varied_and_repeatable() {
        let a = sample_runs(30, 7);
        assert_eq!(a, sample_runs(30, 7));
        assert_ne!(a, sample_runs(30, 8));
        assert_eq!(a[24].name, "Ledgerly 2");
        let budgets: std::collections::HashSet<_> = a.iter().map(|r| r.budget_usd.clone()).collect();
        assert!(budgets.len() > 5);
        assert!(a.iter().all(|r| (1..=4).contains(&r.priority.unwrap())));
        let templates: std::collections::HashSet<_> = a[..5].iter().map(|r| r.template.clone().unwrap()).collect();
        assert_eq!(templates.len(), 4, "the first five runs use every built-in template");
        assert!(a[0].gates.iter().filter(|(_, p)| *p == GatePolicy::Auto).count() == 3, "the first run moves");
        assert!(a[2].gates.contains(&(GateCode::G0, GatePolicy::Human)), "another waits for a person");
    }
}
