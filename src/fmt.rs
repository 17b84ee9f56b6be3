//! Times and durations as people read them, shared by the core, the control room and the printers.

/// `2026-11-26T06:45:00.123Z`.
pub fn format_ts(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.format(&f).unwrap_or_default()
}

/// `45s`, `12m`, `3h 04m`, `2d 03h`.
pub fn format_duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_durations_read_well() {
        assert_eq!(format_ts(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_ts(1_764_139_500_123), "2025-11-26T06:45:00.123Z");
        assert_eq!(format_duration(45_000), "45s");
        assert_eq!(format_duration(12 * 60_000), "12m");
        assert_eq!(format_duration(3 * 3_600_000 + 4 * 60_000), "3h 04m");
        assert_eq!(format_duration(2 * 86_400_000 + 3 * 3_600_000), "2d 03h");
    }
}
