//! Money as integer micro-dollars: exact parsing of "12.50" and display as "$12.50".

/// Micro-dollars per dollar.
pub const MICROS: u64 = 1_000_000;

/// Parses a dollar amount such as `12`, `12.5`, `$0.000001` exactly into micro-dollars.
pub fn parse_usd(text: &str) -> Result<u64, String> {
    let bad = || format!("`{text}` is not a dollar amount (expected a number such as 12.50, with at most 6 decimals)");
    let t = text.trim().trim_start_matches('$');
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() && frac.is_empty() {
        return Err(bad());
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) || frac.len() > 6 {
        return Err(bad());
    }
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
    let frac_micros: u64 = if frac.is_empty() { 0 } else { format!("{frac:0<6}").parse().map_err(|_| bad())? };
    whole.checked_mul(MICROS).and_then(|w| w.checked_add(frac_micros)).ok_or_else(bad)
}

/// Converts a dollar amount from a config float (e.g. a price) to micro-dollars, rounding.
pub fn usd_f64_to_micros(usd: f64) -> u64 {
    (usd * MICROS as f64).round().max(0.0) as u64
}

/// `$12.50` for amounts of a dollar or more, `$0.0123` below, `$0.000012` for tiny ones.
pub fn fmt_usd(micros: u64) -> String {
    let dollars = micros / MICROS;
    let rest = micros % MICROS;
    if micros == 0 {
        // Nothing spent reads as such, and stays narrow in a column (`$0/$5.00`).
        "$0".to_string()
    } else if micros >= MICROS {
        format!("${}.{:02}", dollars, rest / 10_000)
    } else if micros >= 100 {
        format!("$0.{:04}", rest / 100)
    } else {
        format!("$0.{rest:06}")
    }
}

/// The exact amount with six decimals, for reports and JSON-adjacent text.
pub fn fmt_usd_exact(micros: u64) -> String {
    format!("${}.{:06}", micros / MICROS, micros % MICROS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_usd("12").unwrap(), 12_000_000);
        assert_eq!(parse_usd("12.5").unwrap(), 12_500_000);
        assert_eq!(parse_usd("$0.000001").unwrap(), 1);
        assert_eq!(parse_usd(".25").unwrap(), 250_000);
        assert!(parse_usd("1.0000001").is_err());
        assert!(parse_usd("-1").is_err());
        assert!(parse_usd("abc").is_err());
        assert!(parse_usd("").is_err());
        assert!(parse_usd("99999999999999999").is_err());
    }

    #[test]
    fn formats_by_size() {
        assert_eq!(fmt_usd(12_500_000), "$12.50");
        assert_eq!(fmt_usd(12_345), "$0.0123");
        assert_eq!(fmt_usd(12), "$0.000012");
        assert_eq!(fmt_usd(0), "$0", "zero is not $0.000000");
        assert_eq!(fmt_usd_exact(1_000_001), "$1.000001");
        assert_eq!(usd_f64_to_micros(0.15), 150_000);
    }
}
