//! RFC 3339 strings and epoch seconds for `time::OffsetDateTime`.
//!
//! Timestamps are formatted in UTC (`2024-01-01T12:05:00Z`, fractional seconds only when
//! present, trailing zeros trimmed: the same text as `time`'s `Rfc3339`), by hand, because this
//! runs for every timestamp of every item. Parsing takes the same shape fast and anything else
//! RFC 3339 allows (other offsets, lowercase `t`/`z`) through `time`.

use crate::mapping::error::{ValueError, truncate};
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

fn push_digits(out: &mut Vec<u8>, value: u32, width: usize) {
    let mut digits = [b'0'; 10];
    let mut v = value;
    for d in digits[..width].iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend_from_slice(&digits[..width]);
}

/// Formats in UTC, so stored strings sort in time order.
pub(crate) fn format_rfc3339(value: OffsetDateTime) -> Result<String, ValueError> {
    let v = value.to_offset(UtcOffset::UTC);
    let year = v.year();
    let Ok(year) = u32::try_from(year)
        .map_err(drop)
        .and_then(|y| if y <= 9999 { Ok(y) } else { Err(()) })
    else {
        return Err(ValueError::new(
            "a date-time between years 0 and 9999",
            year.to_string(),
        ));
    };
    let mut out = Vec::with_capacity(30);
    push_digits(&mut out, year, 4);
    out.push(b'-');
    push_digits(&mut out, u32::from(u8::from(v.month())), 2);
    out.push(b'-');
    push_digits(&mut out, u32::from(v.day()), 2);
    out.push(b'T');
    push_digits(&mut out, u32::from(v.hour()), 2);
    out.push(b':');
    push_digits(&mut out, u32::from(v.minute()), 2);
    out.push(b':');
    push_digits(&mut out, u32::from(v.second()), 2);
    let mut nanos = v.nanosecond();
    if nanos != 0 {
        let mut width = 9;
        while nanos.is_multiple_of(10) {
            nanos /= 10;
            width -= 1;
        }
        out.push(b'.');
        push_digits(&mut out, nanos, width);
    }
    out.push(b'Z');
    // Only ASCII digits and separators were written, so this never fails.
    String::from_utf8(out).map_err(|_| ValueError::new("an ASCII date-time", "other bytes"))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn with_time(t: OffsetDateTime) -> String {
        t.to_offset(UtcOffset::UTC)
            .format(&Rfc3339)
            .expect("formats")
    }

    #[test]
    fn formats_like_time_and_parses_back() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let secs = (state % 253_402_300_799) as i64;
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
            assert_eq!(ours, with_time(t));
            assert_eq!(parse_rfc3339(&ours).expect("parses"), t);
        }
    }

    #[test]
    fn other_rfc3339_shapes_still_parse() {
        let t = parse_rfc3339("2023-11-15T07:13:20+09:00").expect("offset");
        assert_eq!(t.unix_timestamp(), 1_700_000_000);
        assert!(parse_rfc3339("2023-02-30T00:00:00Z").is_err());
        assert!(parse_rfc3339("2023-11-14T22:13:20.Z").is_err());
        assert!(parse_rfc3339("yesterday").is_err());
        assert!(
            format_rfc3339(OffsetDateTime::from_unix_timestamp(-62_167_219_201).expect("year -1"))
                .is_err()
        );
    }
}
