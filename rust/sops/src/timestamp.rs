//! `lastmodified` timestamps, formatted the way Go's `time.RFC3339` does.
//!
//! sops authenticates the MAC with `LastModified.Format(time.RFC3339)` of the
//! *parsed* timestamp, not with the raw string in the file. Go drops
//! fractional seconds and prints a zero offset as `Z`, so a file that says
//! `2024-01-02T03:04:05.5+00:00` is authenticated with `2024-01-02T03:04:05Z`.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::Error;

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format_unix(secs)
}

/// Formats seconds since the Unix epoch as an RFC 3339 UTC timestamp.
pub(crate) fn format_unix(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Re-formats a `lastmodified` value as Go's `Format(time.RFC3339)` would
/// after `time.Parse(time.RFC3339, …)`: the string used as additional data
/// for the MAC.
pub(crate) fn go_rfc3339(value: &str) -> Result<String, Error> {
    let bad = || {
        Error::Malformed(format!(
            "lastmodified {value:?} is not an RFC 3339 timestamp"
        ))
    };
    let b = value.as_bytes();
    if b.len() < 20 || !value.is_ascii() {
        return Err(bad());
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let shape = digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape {
        return Err(bad());
    }
    let mut rest = &value[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(bad());
        }
        rest = &frac[n..];
    }
    let zone = match rest {
        "Z" => "Z",
        "+00:00" | "-00:00" => "Z",
        z if z.len() == 6
            && (z.starts_with('+') || z.starts_with('-'))
            && z.as_bytes()[3] == b':'
            && z.bytes()
                .enumerate()
                .all(|(i, c)| i == 0 || i == 3 || c.is_ascii_digit()) =>
        {
            z
        }
        _ => return Err(bad()),
    };
    Ok(format!("{}{}", &value[..19], zone))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_unix(1_593_981_868), "2020-07-05T20:44:28Z");
        assert_eq!(format_unix(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn normalises_like_go() {
        assert_eq!(
            go_rfc3339("2020-07-05T20:44:28Z").unwrap(),
            "2020-07-05T20:44:28Z"
        );
        assert_eq!(
            go_rfc3339("2020-07-05T20:44:28.123Z").unwrap(),
            "2020-07-05T20:44:28Z"
        );
        assert_eq!(
            go_rfc3339("2020-07-05T20:44:28+00:00").unwrap(),
            "2020-07-05T20:44:28Z"
        );
        assert_eq!(
            go_rfc3339("2020-07-05T20:44:28.5-07:00").unwrap(),
            "2020-07-05T20:44:28-07:00"
        );
        assert!(go_rfc3339("2020-07-05 20:44:28Z").is_err());
        assert!(go_rfc3339("yesterday").is_err());
        assert!(go_rfc3339("2020-07-05T20:44:28").is_err());
    }
}
