//! DynamoDB Streams (feature `streams`): stream records as typed changes of an entity, with the
//! event name, keys and sequence number, from a Lambda event
//! (`aws_lambda_events::event::dynamodb`), from the DynamoDB Streams API
//! (`aws_sdk_dynamodbstreams::types::Record`), or from a record's JSON.
//!
//! ```
//! use dynamo_core::DynamoEntity;
//! use dynamo_core::streams::{Change, ChangeKind};
//!
//! #[derive(DynamoEntity, Debug, PartialEq)]
//! #[dynamo(table_name = "seats")]
//! struct Seat {
//!     #[pk]
//!     seat_id: String,
//!     holder: Option<String>,
//! }
//!
//! let record = serde_json::json!({
//!     "eventID": "1",
//!     "eventName": "MODIFY",
//!     "dynamodb": {
//!         "Keys": {"seat_id": {"S": "A-1"}},
//!         "OldImage": {"seat_id": {"S": "A-1"}},
//!         "NewImage": {"seat_id": {"S": "A-1"}, "holder": {"S": "rsv_1"}},
//!         "SequenceNumber": "111",
//!         "StreamViewType": "NEW_AND_OLD_IMAGES"
//!     }
//! });
//! let change = Change::<Seat>::from_json(&record)?;
//! assert_eq!(change.kind, ChangeKind::Modify);
//! assert_eq!(change.old.and_then(|s| s.holder), None);
//! assert_eq!(change.new.and_then(|s| s.holder).as_deref(), Some("rsv_1"));
//! assert_eq!(change.sequence_number.as_deref(), Some("111"));
//! # Ok::<(), dynamo_core::streams::StreamError>(())
//! ```

use crate::mapping::error::MappingError;
use crate::mapping::item::FromItem;
use crate::mapping::item::Item;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use std::collections::HashMap;

/// What happened to the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// `INSERT`: a new item.
    Insert,
    /// `MODIFY`: an item changed.
    Modify,
    /// `REMOVE`: an item was deleted (by a request or by TTL).
    Remove,
}

impl ChangeKind {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "INSERT" => Some(ChangeKind::Insert),
            "MODIFY" => Some(ChangeKind::Modify),
            "REMOVE" => Some(ChangeKind::Remove),
            _ => None,
        }
    }
}

/// One stream record, decoded as an entity, or as a [`DynamoCollection`](crate::DynamoCollection)
/// on a table several entities share (each image as the member its entity type names).
#[derive(Debug, Clone, PartialEq)]
pub struct Change<E> {
    /// Insert, modify or remove.
    pub kind: ChangeKind,
    /// The item's key attributes.
    pub keys: Item,
    /// The item before the change, when the stream carries old images and there was one.
    pub old: Option<E>,
    /// The item after the change, when the stream carries new images and there is one.
    pub new: Option<E>,
    /// The record's position in its shard.
    pub sequence_number: Option<String>,
    /// The record's id.
    pub event_id: Option<String>,
}

/// A stream record could not be decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The record's `eventName` is not `INSERT`, `MODIFY` or `REMOVE`.
    #[error("stream record {event_id:?}: unknown event name {name:?}")]
    UnknownEventName {
        /// The record.
        event_id: Option<String>,
        /// The name found.
        name: String,
    },
    /// An image does not map to the entity.
    #[error("stream record {event_id:?}: the {image} image: {source}")]
    Mapping {
        /// The record.
        event_id: Option<String>,
        /// `old` or `new`.
        image: &'static str,
        /// What did not map.
        #[source]
        source: Box<MappingError>,
    },
    /// The record's JSON is not a stream record.
    #[error("not a DynamoDB stream record: {0}")]
    Malformed(String),
}

impl<E: FromItem> Change<E> {
    fn decode(
        event_id: Option<String>,
        event_name: &str,
        keys: Item,
        old: Option<Item>,
        new: Option<Item>,
        sequence_number: Option<String>,
    ) -> Result<Self, StreamError> {
        let kind = ChangeKind::parse(event_name).ok_or_else(|| StreamError::UnknownEventName {
            event_id: event_id.clone(),
            name: event_name.to_owned(),
        })?;
        let image = |item: Option<Item>, image: &'static str| {
            item.filter(|i| !i.is_empty())
                .map(E::from_item)
                .transpose()
                .map_err(|source| StreamError::Mapping {
                    event_id: event_id.clone(),
                    image,
                    source: Box::new(source),
                })
        };
        let old = image(old, "old")?;
        let new = image(new, "new")?;
        Ok(Change {
            kind,
            keys,
            old,
            new,
            sequence_number,
            event_id,
        })
    }

    /// A record of a Lambda event (`aws_lambda_events::event::dynamodb::Event::records`).
    pub fn from_lambda(
        record: &aws_lambda_events::event::dynamodb::EventRecord,
    ) -> Result<Self, StreamError> {
        let change = &record.change;
        let item = |item: &serde_dynamo::Item| -> Item {
            item.inner()
                .iter()
                .map(|(k, v)| (k.clone(), from_serde_dynamo(v)))
                .collect()
        };
        Self::decode(
            Some(record.event_id.clone()).filter(|id| !id.is_empty()),
            &record.event_name,
            item(&change.keys),
            Some(item(&change.old_image)),
            Some(item(&change.new_image)),
            change.sequence_number.clone(),
        )
    }

    /// A record from the DynamoDB Streams API (`GetRecords`).
    pub fn from_streams(
        record: &aws_sdk_dynamodbstreams::types::Record,
    ) -> Result<Self, StreamError> {
        let name = record
            .event_name()
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default();
        let stream = record.dynamodb();
        let item =
            |item: Option<&HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>| {
                item.map(|item| {
                    item.iter()
                        .map(|(k, v)| (k.clone(), from_streams(v)))
                        .collect::<Item>()
                })
            };
        Self::decode(
            record.event_id().map(str::to_owned),
            &name,
            item(stream.and_then(|s| s.keys())).unwrap_or_default(),
            item(stream.and_then(|s| s.old_image())),
            item(stream.and_then(|s| s.new_image())),
            stream.and_then(|s| s.sequence_number()).map(str::to_owned),
        )
    }

    /// A record in its JSON form, as a Lambda event or `GetRecords` carries it:
    /// `{"eventID", "eventName", "dynamodb": {"Keys", "OldImage", "NewImage", "SequenceNumber"}}`.
    pub fn from_json(record: &Value) -> Result<Self, StreamError> {
        let malformed = |what: &str| StreamError::Malformed(what.to_owned());
        let stream = record
            .get("dynamodb")
            .ok_or_else(|| malformed("it has no `dynamodb` object"))?;
        let item = |name: &str| -> Result<Option<Item>, StreamError> {
            match stream.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Object(map)) => map
                    .iter()
                    .map(|(k, v)| {
                        from_json(v).map(|v| (k.clone(), v)).ok_or_else(|| {
                            malformed(&format!("{name}.{k} is not an attribute value"))
                        })
                    })
                    .collect::<Result<Item, _>>()
                    .map(Some),
                Some(_) => Err(malformed(&format!("{name} is not an object"))),
            }
        };
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        Self::decode(
            text(record.get("eventID")),
            record
                .get("eventName")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed("it has no eventName"))?,
            item("Keys")?.unwrap_or_default(),
            item("OldImage")?,
            item("NewImage")?,
            text(stream.get("SequenceNumber")),
        )
    }
}

/// Every record of a Lambda event, in order: one result per record, so one record that does
/// not decode does not hide the others.
pub fn lambda_changes<E: FromItem>(
    event: &aws_lambda_events::event::dynamodb::Event,
) -> Vec<Result<Change<E>, StreamError>> {
    event.records.iter().map(Change::from_lambda).collect()
}

fn from_serde_dynamo(value: &serde_dynamo::AttributeValue) -> AttributeValue {
    use serde_dynamo::AttributeValue as V;
    match value {
        V::N(n) => AttributeValue::N(n.clone()),
        V::S(s) => AttributeValue::S(s.clone()),
        V::Bool(b) => AttributeValue::Bool(*b),
        V::B(b) => AttributeValue::B(Blob::new(b.clone())),
        V::Null(b) => AttributeValue::Null(*b),
        V::M(m) => AttributeValue::M(
            m.iter()
                .map(|(k, v)| (k.clone(), from_serde_dynamo(v)))
                .collect(),
        ),
        V::L(l) => AttributeValue::L(l.iter().map(from_serde_dynamo).collect()),
        V::Ss(s) => AttributeValue::Ss(s.clone()),
        V::Ns(s) => AttributeValue::Ns(s.clone()),
        V::Bs(s) => AttributeValue::Bs(s.iter().map(|b| Blob::new(b.clone())).collect()),
    }
}

fn from_streams(value: &aws_sdk_dynamodbstreams::types::AttributeValue) -> AttributeValue {
    use aws_sdk_dynamodbstreams::types::AttributeValue as V;
    match value {
        V::N(n) => AttributeValue::N(n.clone()),
        V::S(s) => AttributeValue::S(s.clone()),
        V::Bool(b) => AttributeValue::Bool(*b),
        V::B(b) => AttributeValue::B(Blob::new(b.as_ref().to_vec())),
        V::Null(b) => AttributeValue::Null(*b),
        V::M(m) => AttributeValue::M(
            m.iter()
                .map(|(k, v)| (k.clone(), from_streams(v)))
                .collect(),
        ),
        V::L(l) => AttributeValue::L(l.iter().map(from_streams).collect()),
        V::Ss(s) => AttributeValue::Ss(s.clone()),
        V::Ns(s) => AttributeValue::Ns(s.clone()),
        V::Bs(s) => AttributeValue::Bs(s.iter().map(|b| Blob::new(b.as_ref().to_vec())).collect()),
        _ => AttributeValue::Null(true),
    }
}

/// An attribute value in DynamoDB's JSON: `{"S": "x"}`, `{"N": "1"}`, `{"B": "<base64>"}`, ...
fn from_json(value: &Value) -> Option<AttributeValue> {
    let map = value.as_object()?;
    let (tag, v) = map.iter().next().filter(|_| map.len() == 1)?;
    let strings = |v: &Value| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|s| s.as_str().map(str::to_owned))
            .collect()
    };
    let blob = |v: &Value| -> Option<Blob> { STANDARD.decode(v.as_str()?).ok().map(Blob::new) };
    Some(match tag.as_str() {
        "S" => AttributeValue::S(v.as_str()?.to_owned()),
        "N" => AttributeValue::N(v.as_str()?.to_owned()),
        "B" => AttributeValue::B(blob(v)?),
        "BOOL" => AttributeValue::Bool(v.as_bool()?),
        "NULL" => AttributeValue::Null(v.as_bool()?),
        "SS" => AttributeValue::Ss(strings(v)?),
        "NS" => AttributeValue::Ns(strings(v)?),
        "BS" => AttributeValue::Bs(v.as_array()?.iter().map(blob).collect::<Option<_>>()?),
        "L" => AttributeValue::L(v.as_array()?.iter().map(from_json).collect::<Option<_>>()?),
        "M" => AttributeValue::M(
            v.as_object()?
                .iter()
                .map(|(k, v)| Some((k.clone(), from_json(v)?)))
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    })
}
