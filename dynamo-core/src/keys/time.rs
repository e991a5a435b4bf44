//! [`TimePrefix`]: a span of time (a year, a month, a day, an hour, a minute) as the start of
//! the timestamps within it, for sort key conditions on timestamps.

use super::partition::{BoundError, SortArg, SortBound, SortField};
use super::template::{ComponentOf, component_error};
use crate::mapping::error::{MappingError, ValueError};
use time::{Date, OffsetDateTime, Time};

/// A span of UTC time as the start every stored timestamp within it has: timestamps are
/// stored as `2015-09-15T10:05:00.000000000Z`, so the day of 15 September 2015 is every key
/// starting with `2015-09-15`.
///
/// A whole timestamp in `sk_begins_with` matches one instant; a `TimePrefix` matches the span.
/// A `#[sk]` timestamp field takes it directly, and a template sort key through the generated
/// `{field}_within` of its timestamp component (`ReplySortKey::created_at_within(..)`).
///
/// ```
/// use dynamo_core::keys::TimePrefix;
/// use time::macros::{date, datetime};
///
/// assert_eq!(TimePrefix::day(date!(2015-09-15)).text(), Ok("2015-09-15"));
/// let at = datetime!(2015-09-15 10:05:30 +9);
/// assert_eq!(TimePrefix::hour(at).text(), Ok("2015-09-15T01"), "the UTC hour");
/// assert_eq!(TimePrefix::month(at).text(), Ok("2015-09"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimePrefix {
    text: Result<String, ValueError>,
}

impl TimePrefix {
    /// The first `len` characters of `at`'s stored form.
    fn cut(at: OffsetDateTime, len: usize) -> Self {
        let text = crate::mapping::time::format_rfc3339(at).map(|mut text| {
            text.truncate(len);
            text
        });
        TimePrefix { text }
    }

    /// The UTC year `at` is in: `2015`.
    pub fn year(at: OffsetDateTime) -> Self {
        Self::cut(at, 4)
    }

    /// The UTC month `at` is in: `2015-09`.
    pub fn month(at: OffsetDateTime) -> Self {
        Self::cut(at, 7)
    }

    /// A calendar day, in UTC: `2015-09-15`.
    pub fn day(date: Date) -> Self {
        Self::cut(date.with_time(Time::MIDNIGHT).assume_utc(), 10)
    }

    /// The UTC hour `at` is in: `2015-09-15T10`.
    pub fn hour(at: OffsetDateTime) -> Self {
        Self::cut(at, 13)
    }

    /// The UTC minute `at` is in: `2015-09-15T10:05`.
    pub fn minute(at: OffsetDateTime) -> Self {
        Self::cut(at, 16)
    }

    /// The prefix's text; an error for a year a stored timestamp cannot have (before 0 or
    /// after 9999).
    pub fn text(&self) -> Result<&str, &ValueError> {
        self.text.as_deref()
    }

    /// `head` (a sort key's text up to the timestamp component `of`) followed by this prefix.
    #[doc(hidden)]
    pub fn __after(
        self,
        head: Result<String, MappingError>,
        of: &ComponentOf,
    ) -> Result<String, MappingError> {
        let mut head = head?;
        head.push_str(&self.text.map_err(|e| component_error(of, e))?);
        Ok(head)
    }
}

/// `sk_begins_with(TimePrefix::day(..))` and ranges of whole spans on a `#[sk]` timestamp.
impl SortArg<SortField<OffsetDateTime>> for TimePrefix {
    fn sort_bound(self) -> Result<SortBound, BoundError> {
        Ok(SortBound::Prefix(self.text?))
    }
}
