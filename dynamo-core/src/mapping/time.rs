//! RFC 3339 strings and epoch seconds for `time::OffsetDateTime`.
//!
//! Timestamps are written in one fixed-width UTC form, always with nine fraction digits:
//! `2024-01-01T12:05:00.000000000Z`. Every stored timestamp then has the same length and the
//! same layout, so string order is time order (for years 0 to 9999): timestamps work as sort keys
//! and in `<`/`>`/`BETWEEN` conditions and key conditions, which DynamoDB compares byte by byte.
//! (Trimming the fraction, as `time`'s `Rfc3339` does, breaks that: `…:22Z` sorts after
//! `…:22.5Z`, and `…:22.5Z` after `…:22.51Z`.) Formatting is by hand, because it runs for every
//! timestamp of every item. Reading takes this shape fast and anything else RFC 3339 allows (any
//! fraction, other offsets, lowercase `t`/`z`) through `time`.

use crate::mapping::error::{ValueError, describe, truncate};
use crate::mapping::value::DynamoValue;
use aws_sdk_dynamodb::types::AttributeValue;
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// The length of every formatted timestamp: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
const FORMATTED_LEN: usize = 30;

/// `00` to `99`, two bytes each: a timestamp is written two digits at a time.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Writes `value` (below 100) as two digits at `at`.
fn put2(out: &mut [u8; FORMATTED_LEN], at: usize, value: u32) {
    let i = (value % 100) as usize * 2;
    out[at] = PAIRS[i];
    out[at + 1] = PAIRS[i + 1];
}

/// The civil date of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`):
/// year, month (1 to 12), day (1 to 31).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March first
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Formats in UTC with nine fraction digits: fixed width, so stored strings sort in time order.
pub(crate) fn format_rfc3339(value: OffsetDateTime) -> Result<String, ValueError> {
    let mut out = String::with_capacity(FORMATTED_LEN);
    write_rfc3339(value, &mut out)?;
    Ok(out)
}

/// Appends `value` as [`format_rfc3339`] formats it. It runs for every timestamp of every item
/// written, so the date comes from the epoch seconds in a few integer operations and the digits
/// are written two at a time into a fixed buffer.
pub(crate) fn write_rfc3339(value: OffsetDateTime, out: &mut String) -> Result<(), ValueError> {
    let seconds = value.unix_timestamp();
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let Ok(year) = u32::try_from(year)
        .map_err(drop)
        .and_then(|y| if y <= 9999 { Ok(y) } else { Err(()) })
    else {
        return Err(ValueError::new(
            "a date-time between years 0 and 9999",
            year.to_string(),
        ));
    };
    let of_day = seconds.rem_euclid(86_400) as u32;
    let nanos = value.nanosecond();
    let mut text = *b"0000-00-00T00:00:00.000000000Z";
    put2(&mut text, 0, year / 100);
    put2(&mut text, 2, year);
    put2(&mut text, 5, month);
    put2(&mut text, 8, day);
    put2(&mut text, 11, of_day / 3600);
    put2(&mut text, 14, of_day / 60 % 60);
    put2(&mut text, 17, of_day % 60);
    put2(&mut text, 20, nanos / 10_000_000);
    put2(&mut text, 22, nanos / 100_000);
    put2(&mut text, 24, nanos / 1_000);
    put2(&mut text, 26, nanos / 10);
    text[28] = b'0' + (nanos % 10) as u8;
    // Every byte written is an ASCII digit or separator.
    let text = std::str::from_utf8(&text)
        .map_err(|_| ValueError::new("a date-time", "bytes that are not text"))?;
    out.push_str(text);
    Ok(())
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, the shape this crate writes.
fn parse_utc(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || *b.last()? != b'Z'
    {
        return None;
    }
    let year = i32::try_from(digits(&b[0..4])?).ok()?;
    let month = Month::try_from(u8::try_from(digits(&b[5..7])?).ok()?).ok()?;
    let day = u8::try_from(digits(&b[8..10])?).ok()?;
    let (hour, minute, second) = (
        u8::try_from(digits(&b[11..13])?).ok()?,
        u8::try_from(digits(&b[14..16])?).ok()?,
        u8::try_from(digits(&b[17..19])?).ok()?,
    );
    let rest = &b[19..b.len() - 1];
    let nanos = match rest {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            digits(fraction)? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    let date = Date::from_calendar_date(year, month, day).ok()?;
    let time = Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

pub(crate) fn parse_rfc3339(s: &str) -> Result<OffsetDateTime, ValueError> {
    if let Some(t) = parse_utc(s) {
        return Ok(t);
    }
    OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|_| ValueError::new("S holding an RFC 3339 date-time", "S that is not one"))
}

pub(crate) fn from_epoch_seconds(n: &str) -> Result<OffsetDateTime, ValueError> {
    n.parse::<i64>()
        .ok()
        .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
        .ok_or_else(|| ValueError::new("N holding epoch seconds", format!("N {}", truncate(n))))
}

/// Stored as `S`, in UTC with nine fraction digits: `2024-01-01T12:05:00.000000000Z`, the
/// same length for every timestamp, so string order is time order.
impl DynamoValue for OffsetDateTime {
    /// Stored as an RFC 3339 string in UTC with nine fraction digits, e.g.
    /// `2024-01-01T12:05:00.000000000Z`: fixed width, so string order is time order.
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        format_rfc3339(self).map(|s| Some(AttributeValue::S(s)))
    }

    /// Reads RFC 3339 strings (any offset) and, for attributes written as TTLs, epoch seconds.
    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        match value {
            AttributeValue::S(s) => parse_rfc3339(&s),
            AttributeValue::N(n) => from_epoch_seconds(&n),
            other => Err(ValueError::new(
                "S holding an RFC 3339 date-time",
                describe(&other),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::UtcOffset;

    #[test]
    fn fixed_width_utc_with_nine_fraction_digits() {
        let t = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("in range");
        assert_eq!(
            format_rfc3339(t).expect("formats"),
            "2023-11-14T22:13:20.000000000Z"
        );
        let t = t.replace_millisecond(500).expect("valid");
        assert_eq!(
            format_rfc3339(t).expect("formats"),
            "2023-11-14T22:13:20.500000000Z"
        );
        let seoul = t.to_offset(UtcOffset::from_hms(9, 0, 0).expect("offset"));
        assert_eq!(
            format_rfc3339(seoul).expect("formats"),
            "2023-11-14T22:13:20.500000000Z"
        );
    }

    #[test]
    fn formats_the_same_instant_as_time_and_parses_back() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Any second of years 0 to 9999, before 1970 too.
            let secs = (state % (253_402_300_799 + 62_167_219_200)) as i64 - 62_167_219_200;
            let nanos = match state % 4 {
                0 => 0,
                1 => (state % 1000) as u32 * 1_000_000,
                _ => (state % 1_000_000_000) as u32,
            };
            let t = OffsetDateTime::from_unix_timestamp(secs)
                .expect("in range")
                .replace_nanosecond(nanos)
                .expect("valid");
            let ours = format_rfc3339(t).expect("formats");
            assert_eq!(ours.len(), FORMATTED_LEN);
            assert_eq!(OffsetDateTime::parse(&ours, &Rfc3339).expect("RFC 3339"), t);
            assert_eq!(parse_rfc3339(&ours).expect("parses"), t);
            let trimmed = t.format(&Rfc3339).expect("formats");
            assert_eq!(parse_rfc3339(&trimmed).expect("parses"), t, "{trimmed}");
        }
    }

    #[test]
    fn other_rfc3339_shapes_still_parse() {
        let t = parse_rfc3339("2023-11-15T07:13:20+09:00").expect("offset");
        assert_eq!(t.unix_timestamp(), 1_700_000_000);
        for older in [
            "2023-11-14T22:13:20Z",
            "2023-11-14T22:13:20.5Z",
            "2023-11-14T22:13:20.25Z",
        ] {
            assert!(parse_rfc3339(older).is_ok(), "{older}");
        }
        assert!(parse_rfc3339("2023-02-30T00:00:00Z").is_err());
        assert!(parse_rfc3339("2023-11-14T22:13:20.Z").is_err());
        assert!(parse_rfc3339("yesterday").is_err());
        assert!(
            format_rfc3339(OffsetDateTime::from_unix_timestamp(-62_167_219_201).expect("year -1"))
                .is_err()
        );
    }
}
