//! Cursors: where a query or scan stopped, as a value to pass back or as an opaque, URL-safe
//! string for HTTP APIs, sealed with a key so a client cannot forge one or replay it against
//! another query.

use crate::mapping::item::Item;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fmt;
use std::str::FromStr;

/// Where a query or scan stopped: pass it back (`.cursor(page.cursor)`) to continue with the
/// next page.
///
/// As a string (`Display` / `FromStr`) it is opaque and URL-safe, for an HTTP API's `next`
/// link. On a table with a [`CursorKey`] ([`Table::with_cursor_key`]) it is sealed: its string
/// carries an HMAC-SHA256 of the position and of the query it belongs to (table, index and
/// partition, or the scan's segment), and that table accepts only cursors it sealed for the same
/// query. A forged or edited cursor, or one from another query, is
/// [`ErrorKind::InvalidCursor`](crate::ErrorKind::InvalidCursor).
///
/// ```
/// use dynamo_core::{AttributeValue, Cursor, Item};
///
/// let mut key = Item::new();
/// key.insert("pk".into(), AttributeValue::S("EVENT#e1".into()));
/// let cursor = Cursor::from_item(key);
/// let text = cursor.to_string(); // e.g. for `?cursor=...`
/// assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
/// assert_eq!(text.parse::<Cursor>().expect("a cursor"), cursor);
/// ```
///
/// [`Table::with_cursor_key`]: crate::Table::with_cursor_key
#[derive(Clone, PartialEq)]
pub struct Cursor {
    key: Item,
    seal: Option<Vec<u8>>,
}

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cursor")
            .field("key", &self.key)
            .field("sealed", &self.seal.is_some())
            .finish()
    }
}

impl Cursor {
    /// The `LastEvaluatedKey` DynamoDB returned.
    pub fn into_item(self) -> Item {
        self.key
    }

    /// An unsealed cursor from a `LastEvaluatedKey`.
    pub fn from_item(item: Item) -> Self {
        Cursor {
            key: item,
            seal: None,
        }
    }

    /// Whether the cursor carries a seal.
    pub fn is_sealed(&self) -> bool {
        self.seal.is_some()
    }

    pub(crate) fn sealed(key: Item, cursor_key: Option<&CursorKey>, query: &QueryId<'_>) -> Self {
        let seal = cursor_key.map(|k| k.mac(&encode(&key), query));
        Cursor { key, seal }
    }

    /// The position, after checking the seal when the table has a key.
    pub(crate) fn open(
        self,
        cursor_key: Option<&CursorKey>,
        query: &QueryId<'_>,
    ) -> Result<Item, &'static str> {
        let Some(cursor_key) = cursor_key else {
            return Ok(self.key);
        };
        let Some(seal) = &self.seal else {
            return Err("the cursor is not sealed: pass back a cursor of a page of this query");
        };
        if cursor_key.verify(&encode(&self.key), query, seal) {
            Ok(self.key)
        } else {
            Err("the cursor was not issued for this query (or was changed)")
        }
    }
}

/// The query a cursor belongs to: what a sealed cursor is bound to.
pub(crate) struct QueryId<'a> {
    pub(crate) table: &'a str,
    pub(crate) index: Option<&'a str>,
    /// The partition of a query; `None` for a scan.
    pub(crate) partition: Option<&'a AttributeValue>,
    /// The segment of a parallel scan.
    pub(crate) segment: Option<(i32, i32)>,
}

impl QueryId<'_> {
    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        put_str(&mut out, self.table);
        put_str(&mut out, self.index.unwrap_or(""));
        match self.partition {
            Some(value) => {
                out.push(b'q');
                put_value(&mut out, value);
            }
            None => out.push(b's'),
        }
        if let Some((segment, total)) = self.segment {
            out.extend_from_slice(&segment.to_be_bytes());
            out.extend_from_slice(&total.to_be_bytes());
        }
        out
    }
}

/// The secret that seals cursors: 32 bytes or more, the same on every replica of a service.
///
/// ```
/// use dynamo_core::table::CursorKey;
/// let key = CursorKey::new(b"a secret of at least thirty-two bytes!").expect("long enough");
/// assert!(CursorKey::new(b"short").is_err());
/// # let _ = key;
/// ```
#[derive(Clone)]
pub struct CursorKey(Vec<u8>);

impl fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

impl CursorKey {
    /// A key from `secret`, which must be at least 32 bytes.
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Self, CursorError> {
        let secret = secret.as_ref();
        if secret.len() < 32 {
            return Err(CursorError(
                "a cursor key needs at least 32 bytes of secret",
            ));
        }
        Ok(CursorKey(secret.to_vec()))
    }

    fn hmac(&self, payload: &[u8], query: &QueryId<'_>) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes keys of any length");
        mac.update(b"dynamo-cursor-v1\0");
        mac.update(&query.bytes());
        mac.update(payload);
        mac
    }

    fn mac(&self, payload: &[u8], query: &QueryId<'_>) -> Vec<u8> {
        self.hmac(payload, query).finalize().into_bytes().to_vec()
    }

    fn verify(&self, payload: &[u8], query: &QueryId<'_>, seal: &[u8]) -> bool {
        self.hmac(payload, query).verify_slice(seal).is_ok()
    }
}

/// A string is not a cursor, or a key is too short.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CursorError(&'static str);

const PREFIX: &str = "c1.";

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(PREFIX)?;
        f.write_str(&URL_SAFE_NO_PAD.encode(encode(&self.key)))?;
        if let Some(seal) = &self.seal {
            f.write_str(".")?;
            f.write_str(&URL_SAFE_NO_PAD.encode(seal))?;
        }
        Ok(())
    }
}

impl FromStr for Cursor {
    type Err = CursorError;

    fn from_str(s: &str) -> Result<Self, CursorError> {
        let invalid = CursorError("not a cursor of this API");
        let rest = s.strip_prefix(PREFIX).ok_or(invalid.clone())?;
        let (payload, seal) = match rest.split_once('.') {
            Some((payload, seal)) => (payload, Some(seal)),
            None => (rest, None),
        };
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| invalid.clone())?;
        let seal = seal
            .map(|s| URL_SAFE_NO_PAD.decode(s))
            .transpose()
            .map_err(|_| invalid.clone())?;
        let key = decode(&payload).ok_or(invalid)?;
        Ok(Cursor { key, seal })
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_bytes(out, s.as_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&bytes[..len as usize]);
}

fn put_value(out: &mut Vec<u8>, value: &AttributeValue) {
    match value {
        AttributeValue::S(s) => {
            out.push(b'S');
            put_str(out, s);
        }
        AttributeValue::N(n) => {
            out.push(b'N');
            put_str(out, n);
        }
        AttributeValue::B(b) => {
            out.push(b'B');
            put_bytes(out, b.as_ref());
        }
        // The partitions of a fan-out query.
        AttributeValue::L(values) => {
            out.push(b'L');
            let len = u32::try_from(values.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            for value in values {
                put_value(out, value);
            }
        }
        // Keys are scalars; anything else is written as its absence.
        _ => out.push(b'-'),
    }
}

/// The key attributes in name order: `[name][tag][value]`, lengths as big-endian u32.
fn encode(key: &Item) -> Vec<u8> {
    let mut names: Vec<&String> = key.keys().collect();
    names.sort();
    let mut out = Vec::with_capacity(64);
    for name in names {
        put_str(&mut out, name);
        put_value(&mut out, &key[name]);
    }
    out
}

fn decode(mut bytes: &[u8]) -> Option<Item> {
    fn take<'a>(bytes: &mut &'a [u8]) -> Option<&'a [u8]> {
        let (len, rest) = bytes.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
        if rest.len() < len {
            return None;
        }
        let (value, rest) = rest.split_at(len);
        *bytes = rest;
        Some(value)
    }
    let mut item = Item::new();
    while !bytes.is_empty() {
        let name = String::from_utf8(take(&mut bytes)?.to_vec()).ok()?;
        let (tag, rest) = bytes.split_first()?;
        bytes = rest;
        let value = match tag {
            b'S' => AttributeValue::S(String::from_utf8(take(&mut bytes)?.to_vec()).ok()?),
            b'N' => AttributeValue::N(String::from_utf8(take(&mut bytes)?.to_vec()).ok()?),
            b'B' => AttributeValue::B(Blob::new(take(&mut bytes)?.to_vec())),
            _ => return None,
        };
        item.insert(name, value);
    }
    (!item.is_empty()).then_some(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position() -> Item {
        [
            ("pk".to_owned(), AttributeValue::S("EVENT#e1".into())),
            ("sk".to_owned(), AttributeValue::S("SEAT#A-12".into())),
            ("n".to_owned(), AttributeValue::N("42".into())),
            (
                "b".to_owned(),
                AttributeValue::B(Blob::new(vec![0, 255, 7])),
            ),
        ]
        .into()
    }

    fn query<'a>(partition: &'a AttributeValue, index: Option<&'a str>) -> QueryId<'a> {
        QueryId {
            table: "events",
            index,
            partition: Some(partition),
            segment: None,
        }
    }

    #[test]
    fn strings_round_trip_and_garbage_is_refused() {
        let cursor = Cursor::from_item(position());
        assert_eq!(cursor.to_string().parse::<Cursor>(), Ok(cursor));
        for garbage in ["", "c1.", "c1.!!", "c2.AAAA", "c1.AAAA", "c1.AAAAAA.%%"] {
            assert!(garbage.parse::<Cursor>().is_err(), "{garbage}");
        }
    }

    #[test]
    fn sealed_cursors_open_only_for_their_query() {
        let key = CursorKey::new([7u8; 32]).expect("key");
        let e1 = AttributeValue::S("EVENT#e1".into());
        let e2 = AttributeValue::S("EVENT#e2".into());
        let cursor = Cursor::sealed(position(), Some(&key), &query(&e1, None));
        let text = cursor.to_string();
        let parsed: Cursor = text.parse().expect("parses");
        assert_eq!(
            parsed.clone().open(Some(&key), &query(&e1, None)),
            Ok(position())
        );
        assert!(
            parsed.clone().open(Some(&key), &query(&e2, None)).is_err(),
            "another partition"
        );
        assert!(
            parsed
                .clone()
                .open(Some(&key), &query(&e1, Some("GSI1")))
                .is_err(),
            "another index"
        );
        let other_key = CursorKey::new([8u8; 32]).expect("key");
        assert!(
            parsed.open(Some(&other_key), &query(&e1, None)).is_err(),
            "another secret"
        );

        // Tampering with the position keeps the seal but breaks it.
        let (payload, seal) = text["c1.".len()..].split_once('.').expect("sealed");
        let mut bytes = URL_SAFE_NO_PAD.decode(payload).expect("base64");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let forged = format!("c1.{}.{seal}", URL_SAFE_NO_PAD.encode(bytes));
        let forged: Cursor = forged.parse().expect("still a cursor");
        assert!(forged.open(Some(&key), &query(&e1, None)).is_err());

        let unsealed = Cursor::from_item(position());
        assert!(
            unsealed
                .clone()
                .open(Some(&key), &query(&e1, None))
                .is_err()
        );
        assert_eq!(unsealed.open(None, &query(&e1, None)), Ok(position()));
    }
}
