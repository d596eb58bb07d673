//! Wall-clock helpers. Timestamps are RFC 3339 strings in API responses and epoch seconds in
//! DynamoDB `ttl`/expiry attributes.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Seconds since the Unix epoch, now.
pub fn now_epoch() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Now, in epoch milliseconds.
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Now as an RFC 3339 string (UTC).
pub fn now_rfc3339() -> String {
    epoch_to_rfc3339(now_epoch())
}

/// An epoch-seconds instant as an RFC 3339 string (UTC).
pub fn epoch_to_rfc3339(epoch: i64) -> String {
    OffsetDateTime::from_unix_timestamp(epoch)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Now as RFC 3339 with milliseconds (step timings).
pub fn now_rfc3339_millis() -> String {
    let now = OffsetDateTime::now_utc();
    let now = now
        .replace_nanosecond(now.millisecond() as u32 * 1_000_000)
        .unwrap_or(now);
    now.format(&Rfc3339).unwrap_or_default()
}

/// Epoch seconds of an RFC 3339 instant.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// Milliseconds from `a` to `b` (RFC 3339), when both parse and `b` is not earlier.
pub fn millis_between(a: &str, b: &str) -> Option<u64> {
    let (a, b) = (
        OffsetDateTime::parse(a, &Rfc3339).ok()?,
        OffsetDateTime::parse(b, &Rfc3339).ok()?,
    );
    u64::try_from((b - a).whole_milliseconds()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_formats_as_rfc3339_utc() {
        assert_eq!(epoch_to_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(epoch_to_rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(
            millis_between("2023-11-14T22:13:20Z", "2023-11-14T22:13:21.250Z"),
            Some(1250)
        );
    }
}
