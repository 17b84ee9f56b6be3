//! The price table (`assets/prices.toml`): USD per million tokens per model, turned into
//! exact micro-dollar costs.

use std::collections::HashMap;

use serde::Deserialize;

use crate::domain::money::usd_f64_to_micros;
use crate::error::{FactoryError, Result};
use crate::providers::Usage;

const PRICES: &str = include_str!("../../../assets/prices.toml");

/// Micro-dollars per million tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Price {
    pub input: u64,
    pub output: u64,
    pub cached_input: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrice {
    input: f64,
    output: f64,
    cached_input: Option<f64>,
}

#[derive(Deserialize)]
struct RawTable {
    models: HashMap<String, RawPrice>,
}

#[derive(Clone, Debug)]
pub struct Prices {
    models: HashMap<String, Price>,
    /// The dearest price in the table, for bounding the cost of an unpriced model.
    ceiling: Price,
}

impl Prices {
    /// The table shipped with the factory.
    pub fn builtin() -> Prices {
        Prices::parse(PRICES).expect("assets/prices.toml is valid (a unit test checks it)")
    }

    pub fn parse(text: &str) -> Result<Prices> {
        let raw: RawTable = toml::from_str(text)
            .map_err(|e| FactoryError::config(format!("the price table is invalid: {}", e.message())))?;
        let mut models = HashMap::new();
        let mut ceiling = Price::default();
        for (name, p) in raw.models {
            let price = Price {
                input: usd_f64_to_micros(p.input),
                output: usd_f64_to_micros(p.output),
                cached_input: usd_f64_to_micros(p.cached_input.unwrap_or(p.input)),
            };
            ceiling.input = ceiling.input.max(price.input);
            ceiling.output = ceiling.output.max(price.output);
            ceiling.cached_input = ceiling.cached_input.max(price.cached_input);
            models.insert(name, price);
        }
        Ok(Prices { models, ceiling })
    }

    /// The price of a model: listed under its name, or a dated snapshot of a listed name
    /// (`gpt-4o-mini-2024-07-18`, `claude-sonnet-4-5-20250929`). Nothing else is guessed:
    /// `sonar-deep-research` is not `sonar`, and has no price until it is listed.
    pub fn get(&self, model: &str) -> Option<Price> {
        if let Some(p) = self.models.get(model) {
            return Some(*p);
        }
        self.models.get(undated(model)?).copied()
    }

    /// Exact cost of a call in micro-dollars, rounded up; `None` when the model is not in the table.
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<u64> {
        self.get(model).map(|p| cost_with(p, usage))
    }

    /// The most a call may cost: `input_tokens` in and `max_output` out, at the model's
    /// price (at the table's dearest if the model is not in it).
    pub fn worst_case(&self, model: &str, input_tokens: u64, max_output: u64) -> u64 {
        let p = self.get(model).unwrap_or(self.ceiling);
        cost_with(p, &Usage { input: input_tokens, output: max_output, cached_input: 0, estimated: true })
    }
}

/// `model` without a date suffix (`-YYYY-MM-DD` or `-YYYYMMDD`), if it has one.
fn undated(model: &str) -> Option<&str> {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let (base, date) = model.rsplit_once('-')?;
    if date.len() == 8 && digits(date) {
        return Some(base);
    }
    // `-YYYY-MM-DD`: the last three dash-separated parts.
    let (rest, day) = (base, date);
    let (rest, month) = rest.rsplit_once('-')?;
    let (base, year) = rest.rsplit_once('-')?;
    (year.len() == 4 && month.len() == 2 && day.len() == 2 && digits(year) && digits(month) && digits(day))
        .then_some(base)
}

fn cost_with(p: Price, u: &Usage) -> u64 {
    let total = u.input as u128 * p.input as u128
        + u.output as u128 * p.output as u128
        + u.cached_input as u128 * p.cached_input as u128;
    total.div_ceil(1_000_000) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_parses_and_prices_the_simulated_model() {
        let prices = Prices::builtin();
        assert!(prices.get("sim-standard").is_some());
        assert!(prices.get("gpt-4o-mini").is_some());
        assert_eq!(prices.get("gpt-4o-mini-2024-07-18"), prices.get("gpt-4o-mini"));
        assert_eq!(prices.cost("no-such-model", &Usage::default()), None);
    }

    #[test]
    fn only_a_dated_snapshot_of_a_listed_model_is_priced_as_it() {
        let prices = Prices::builtin();
        assert_eq!(prices.get("claude-sonnet-4-5-20250929"), prices.get("claude-sonnet-4-5"));
        assert_eq!(prices.get("claude-3-5-haiku-20241022"), prices.get("claude-3-5-haiku-latest"));
        // Other models that share a prefix are not guessed at.
        for unlisted in
            ["sonar-deep-research", "o4-mini-deep-research", "gpt-4o-audio-preview", "gpt-4o-2024", "sim-standard-x"]
        {
            assert_eq!(prices.get(unlisted), None, "{unlisted}");
        }
        // A snapshot priced apart is listed under its own name.
        let launch = prices.get("gpt-4o-2024-05-13").unwrap();
        assert_ne!(Some(launch), prices.get("gpt-4o"));
        assert_eq!(prices.get("gpt-4o-2024-08-06"), prices.get("gpt-4o"));
    }

    #[test]
    fn cost_is_exact_and_rounded_up() {
        let prices = Prices::parse("[models.m]\ninput = 3.0\noutput = 15.0\ncached_input = 0.3\n").unwrap();
        let u = Usage { input: 1_000_000, output: 1_000, cached_input: 10, estimated: false };
        // 1M x $3 + 1k x $15/M + 10 x $0.3/M = 3,000,000 + 15,000 + 3 micro-dollars.
        assert_eq!(prices.cost("m", &u), Some(3_015_003));
        let tiny = Usage { input: 1, output: 0, cached_input: 0, estimated: false };
        assert_eq!(prices.cost("m", &tiny), Some(3 /* 3 micro-dollars for one token at $3/M */));
        let one_third = Prices::parse("[models.m]\ninput = 0.5\noutput = 0.5\n").unwrap();
        assert_eq!(one_third.cost("m", &tiny), Some(1));
        assert_eq!(prices.worst_case("m", 1000, 1000), 18_000);
    }
}
