//! RFC 3339 strings and epoch seconds for `time::OffsetDateTime`.

use crate::error::{ValueError, truncate};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Formats in UTC (`2024-01-01T12:05:00Z`), so stored strings sort in time order.
pub(crate) fn format_rfc3339(value: OffsetDateTime) -> Result<String, ValueError> {
    value
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(|_| {
            ValueError::new(
                "a date-time between years 0 and 9999",
                value.year().to_string(),
            )
        })
}

pub(crate) fn parse_rfc3339(s: &str) -> Result<OffsetDateTime, ValueError> {
    OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|_| ValueError::new("S holding an RFC 3339 date-time", "S that is not one"))
}

pub(crate) fn from_epoch_seconds(n: &str) -> Result<OffsetDateTime, ValueError> {
    n.parse::<i64>()
        .ok()
        .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
        .ok_or_else(|| ValueError::new("N holding epoch seconds", format!("N {}", truncate(n))))
}
