//! Dates as prompt files and records write them: RFC 3339, UTC.

/// Whether `date` is written `YYYY-MM-DDTHH:MM:SS[.frac]Z` and names a real
/// instant (the changelog's `date` rule, docs/DESIGN.md §2).
pub fn is_utc_rfc3339(date: &str) -> bool {
    let b = date.as_bytes();
    let shape_ok = b.len() >= 20
        && b.iter().take(19).enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
        && b[b.len() - 1] == b'Z'
        && (b.len() == 20
            || (b[19] == b'.'
                && b.len() > 21
                && b[20..b.len() - 1].iter().all(u8::is_ascii_digit)));
    shape_ok && chrono::DateTime::parse_from_rfc3339(date).is_ok()
}

/// Seconds since the epoch as `2026-11-20T10:04:00Z`.
pub fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}
