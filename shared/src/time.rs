//! Wall-clock helpers. Timestamps are RFC 3339 strings in API responses and epoch seconds in
//! DynamoDB `ttl`/expiry attributes.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Seconds since the Unix epoch, now.
pub fn now_epoch() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Now as an RFC 3339 string (UTC).
pub fn now_rfc3339() -> String {
    epoch_to_rfc3339(now_epoch())
}

/// An epoch-seconds instant as an RFC 3339 string (UTC).
pub fn epoch_to_rfc3339(epoch: i64) -> String {
    OffsetDateTime::from_unix_timestamp(epoch).unwrap_or(OffsetDateTime::UNIX_EPOCH).format(&Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_formats_as_rfc3339_utc() {
        assert_eq!(epoch_to_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(epoch_to_rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
