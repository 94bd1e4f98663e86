//! Rotation: `rotateAfter` bounds how long stored values live. Values older
//! than that are due: `check` fails on them and `generate` makes them again,
//! their dependents with them as after any regeneration. The age counts
//! from the metadata's `madeAt`, which rekeys and backend switches keep, so
//! moving a secret never resets its clock. Values of unknown age (metadata
//! of version 2) are never due: rotating a production secret on a guess
//! would be worse than waiting for its next generation.

use super::{Node, Status};

/// Seconds in `"90d"`: a positive number and one of `s m h d w`, the form
/// the modules' `rotateAfter` type accepts.
pub fn parse(text: &str) -> Result<u64, String> {
    let bad = || {
        format!("rotateAfter = {text:?} is not a duration like \"90d\" (a number and one of s, m, h, d, w)")
    };
    let unit = match text.chars().last().ok_or_else(bad)? {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return Err(bad()),
    };
    let number = &text[..text.len() - 1];
    if number.starts_with('0') || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|&s| s > 0)
        .ok_or_else(bad)
}

/// The current time, in unix seconds.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// When `node`'s stored values fall due (unix seconds), if it has a
/// `rotateAfter` and values of known age.
pub fn due_at(node: &Node) -> Option<u64> {
    let limit = parse(node.artifact.rotate_after.as_deref()?).ok()?;
    node.origin.made_at.map(|made| made.saturating_add(limit))
}

/// Marks due every stored, otherwise usable node whose values are older
/// than its `rotateAfter`.
pub fn mark_due(nodes: &mut [Node], now: u64) {
    for node in nodes.iter_mut() {
        if node.backend.on_machine()
            || !matches!(
                node.status,
                Status::UpToDate | Status::Untracked { .. } | Status::NeedsRekey { .. }
            )
        {
            continue;
        }
        let (Some(due), Some(made)) = (due_at(node), node.origin.made_at) else {
            continue;
        };
        if now >= due {
            node.status = Status::Due {
                reason: format!(
                    "made {} ago, rotateAfter = {}",
                    age(now.saturating_sub(made)),
                    node.artifact.rotate_after.as_deref().unwrap_or_default()
                ),
            };
        }
    }
}

/// `"100 days"`, `"5 hours"`, `"12 minutes"`, `"30 seconds"`.
pub fn age(seconds: u64) -> String {
    let (n, unit) = match seconds {
        s if s >= 2 * 86_400 => (s / 86_400, "days"),
        s if s >= 86_400 => (1, "day"),
        s if s >= 2 * 3600 => (s / 3600, "hours"),
        s if s >= 3600 => (1, "hour"),
        s if s >= 120 => (s / 60, "minutes"),
        s => (s, if s == 1 { "second" } else { "seconds" }),
    };
    format!("{n} {unit}")
}

/// `2026-12-03T07:00:00Z` for unix seconds (UTC, the proleptic Gregorian
/// calendar; Howard Hinnant's days-to-civil algorithm).
pub fn date(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse("90d"), Ok(90 * 86_400));
        assert_eq!(parse("2w"), Ok(14 * 86_400));
        assert_eq!(parse("1s"), Ok(1));
        assert_eq!(parse("36h"), Ok(36 * 3600));
        for bad in [
            "",
            "d",
            "90",
            "0d",
            "090d",
            "-1d",
            "1.5d",
            "90 d",
            "1y",
            "99999999999999999999w",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(date(0), "1970-01-01T00:00:00Z");
        assert_eq!(date(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(date(1_796_281_261), "2026-12-03T07:01:01Z");
    }

    #[test]
    fn ages() {
        assert_eq!(age(100 * 86_400 + 5), "100 days");
        assert_eq!(age(86_400), "1 day");
        assert_eq!(age(5 * 3600), "5 hours");
        assert_eq!(age(600), "10 minutes");
        assert_eq!(age(1), "1 second");
    }
}
