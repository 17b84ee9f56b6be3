//! Property tests of the config loader: a config written from a generated valid `Config` parses back equal; any text gives a config or one sentence naming the file.

use proptest::prelude::*;

use super::{Config, GateConfig, GatePolicy, ProviderConfig, ProviderKind, parse};

fn gate() -> impl Strategy<Value = GateConfig> {
    let policy = prop_oneof![
        Just(GatePolicy::Human),
        Just(GatePolicy::Auto),
        (0.0f32..=1.0).prop_map(GatePolicy::AutoIfQuality),
    ];
    (policy, 0.01f64..1000.0, proptest::collection::vec("[a-z][a-z0-9_.-]{0,8}", 0..3))
        .prop_map(|(policy, timeout_hours, reviewers)| GateConfig { policy, timeout_hours, reviewers })
}

/// A provider of a name the defaults do not use, valid for its kind.
fn provider() -> impl Strategy<Value = (String, ProviderConfig)> {
    let name = "(my|local|extra)[a-z0-9_]{0,6}";
    let keys = proptest::collection::vec("[A-Z][A-Z0-9_]{0,12}", 0..3);
    let kind = prop_oneof![
        Just(ProviderKind::Openai),
        Just(ProviderKind::Anthropic),
        Just(ProviderKind::Cli),
        Just(ProviderKind::Sim)
    ];
    (
        name,
        kind,
        keys,
        "[a-z0-9.:-]{1,12}",
        proptest::collection::vec("[a-z0-9 -]{1,8}", 1..4),
        proptest::option::of(1u32..1000),
        any::<bool>(),
    )
        .prop_map(|(name, kind, keys, model, command, limit, flag)| {
            let mut p = ProviderConfig {
                kind: Some(kind),
                max_concurrent: limit,
                rpm: limit,
                stream: Some(flag),
                ..ProviderConfig::default()
            };
            match kind {
                ProviderKind::Openai | ProviderKind::Anthropic => {
                    p.base_url = Some(format!("https://{model}.example/v1"));
                    p.model = Some(model);
                    p.keys = Some(keys);
                    p.timeout_s = limit.map(u64::from);
                    p.max_tokens = limit;
                }
                ProviderKind::Cli => p.command = Some(command),
                ProviderKind::Sim => p.enabled = Some(flag),
            }
            (name, p)
        })
}

fn config() -> impl Strategy<Value = Config> {
    let numbers = (1u32..1000, 1u32..100, any::<u32>(), 1u32..10, 0.01f64..1e6, 0.0f64..1e6, 1u32..=100);
    let more = (1u32..20, 0u64..100_000, 1u32..50, 0u64..(i64::MAX as u64), 0.0f64..=1.0, 0.0f64..1e4, any::<bool>());
    let gates = (gate(), gate(), gate(), gate(), 0u32..10);
    let routing = (0usize..5, 0.0f64..=1.0, 0.0f64..=1.0, any::<bool>());
    let providers = proptest::collection::vec(provider(), 0..4);
    let tui = (
        prop_oneof![Just("dark"), Just("light"), Just("mytheme")],
        any::<bool>(),
        proptest::option::of(prop_oneof![Just(vec!["q"]), Just(vec!["q", "ctrl-q"]), Just(vec!["f10"])]),
    );
    (numbers, more, gates, routing, providers, tui, "[a-z][a-z/_-]{0,15}").prop_map(
        |(
            (calls, per_run, stall, per_role, run_usd, cap, alert),
            (attempts, delay, failures, seed, rate, ttl, flag),
            (g0, g1, g2, g3, revisions),
            (policy, floor, explore, fallback),
            providers,
            (theme, bell, quit),
            dir,
        )| {
            let mut c = Config::default();
            c.factory.max_concurrent_calls = calls;
            c.factory.max_concurrent_per_run = per_run;
            c.factory.stall_minutes = stall;
            c.factory.workspaces = dir;
            c.team.max_per_role = per_role;
            c.checks.enabled = flag;
            c.budget.default_run_usd = run_usd;
            c.budget.daily_cap_usd = cap;
            c.budget.alert_percent = alert;
            c.retry.max_attempts = attempts;
            c.retry.base_delay_ms = delay;
            c.retry.circuit_failures = failures;
            c.sim.seed = seed;
            c.sim.failure_rate = rate;
            c.cache.ttl_hours = ttl;
            c.cache.enabled = !flag;
            c.gates.g0 = g0;
            c.gates.g1 = g1;
            c.gates.g2 = g2;
            c.gates.g3 = g3;
            c.gates.max_revisions = revisions;
            c.routing.policy = ["preferred", "cheapest", "fastest", "best_quality", "adaptive"][policy].into();
            c.routing.quality_floor = floor;
            c.routing.explore = explore;
            c.routing.allow_simulated_fallback = fallback;
            for (name, p) in providers {
                c.routing.chains.insert("build".into(), vec![name.clone(), "sim".into()]);
                c.providers.insert(name, p);
            }
            c.tui.theme = theme.into();
            c.tui.bell = bell;
            if let Some(keys) = quit {
                let keys: Vec<String> = keys.into_iter().map(String::from).collect();
                let value =
                    if keys.len() == 1 { super::KeyList::One(keys[0].clone()) } else { super::KeyList::Many(keys) };
                c.tui.keys.insert("quit".into(), value);
            }
            c
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// A generated valid config, written as TOML, parses back equal.
    #[test]
    fn a_written_config_parses_back_equal(cfg in config()) {
        let text = toml::to_string(&cfg).unwrap();
        let back = parse(&text, "gen.toml").map_err(|e| TestCaseError::fail(format!("{}\n{text}", e.message)))?;
        prop_assert_eq!(back, cfg);
    }

    /// Any text, and any edit of a valid file, gives a config or one sentence that starts
    /// with the file's name.
    #[test]
    fn any_text_gives_a_config_or_one_sentence(
        text in "\\PC{0,200}",
        line in 0usize..120,
        insert in "[\\[\\]=\"a-z0-9._ \\n-]{0,20}",
    ) {
        let default = super::default_config_text();
        let lines: Vec<&str> = default.lines().collect();
        let at = line % lines.len();
        let edited = [&lines[..at], &[insert.as_str()], &lines[at + 1..]].concat().join("\n");
        for t in [text.as_str(), edited.as_str()] {
            if let Err(e) = parse(t, "any.toml") {
                prop_assert!(e.message.starts_with("any.toml"), "{}", e.message);
                prop_assert!(!e.message.contains(['\n', '\r']), "{:?}", e.message);
            }
        }
    }
}
