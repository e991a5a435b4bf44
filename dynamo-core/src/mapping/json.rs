//! JSON documents: `#[dynamo(json)]` fields, [`Json<T>`], and `serde_json::Value` stored natively.

use crate::mapping::error::{ValueError, describe};
use crate::mapping::value::DynamoValue;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

pub(crate) fn into_attribute<T: Serialize>(value: T) -> Result<Option<AttributeValue>, ValueError> {
    serde_json::to_string(&value)
        .map(|s| Some(AttributeValue::S(s)))
        .map_err(|e| ValueError::new("a value serde_json can serialize", e.to_string()))
}

pub(crate) fn from_attribute<T: DeserializeOwned>(value: AttributeValue) -> Result<T, ValueError> {
    match value {
        AttributeValue::S(s) => serde_json::from_str(&s).map_err(|e| {
            ValueError::new(
                format!(
                    "S holding JSON for {}",
                    crate::mapping::value::short_type_name::<T>()
                ),
                format!("S with {e}"),
            )
        }),
        other => Err(ValueError::type_mismatch("S holding JSON", &other)),
    }
}

/// An absent JSON attribute reads as JSON `null`: `None` for an `Option`, an error otherwise.
pub(crate) fn from_missing<T: DeserializeOwned>() -> Option<T> {
    serde_json::from_str("null").ok()
}

/// A value stored as a JSON string (`S`) through serde.
///
/// The same as `#[dynamo(json)]` on a field, as a type: useful inside collections.
///
/// ```
/// use dynamo_core::{AttributeValue, DynamoValue, Json};
///
/// let av = Json(vec![1, 2]).into_attribute().unwrap();
/// assert_eq!(av, Some(AttributeValue::S("[1,2]".into())));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Json<T>(pub T);

impl<T: Serialize + DeserializeOwned> DynamoValue for Json<T> {
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        into_attribute(self.0)
    }

    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        from_attribute(value).map(Json)
    }

    fn from_missing() -> Option<Self> {
        from_missing().map(Json)
    }
}

/// `serde_json::Value` is stored as native DynamoDB types: objects as `M`, arrays as `L`, numbers
/// as `N`, strings as `S`, booleans as `BOOL` and `null` as `NULL`.
impl DynamoValue for serde_json::Value {
    fn into_attribute(self) -> Result<Option<AttributeValue>, ValueError> {
        use serde_json::Value;
        Ok(Some(match self {
            Value::Null => AttributeValue::Null(true),
            Value::Bool(b) => AttributeValue::Bool(b),
            Value::Number(n) => AttributeValue::N(n.to_string()),
            Value::String(s) => AttributeValue::S(s),
            Value::Array(items) => {
                let list = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| {
                        v.into_attribute()
                            .map(|v| v.unwrap_or(AttributeValue::Null(true)))
                            .map_err(|e| e.at_index(i))
                    })
                    .collect::<Result<_, _>>()?;
                AttributeValue::L(list)
            }
            Value::Object(map) => {
                let mut out = HashMap::with_capacity(map.len());
                for (k, v) in map {
                    let v = v.into_attribute().map_err(|e| e.at_key(&k))?;
                    out.insert(k, v.unwrap_or(AttributeValue::Null(true)));
                }
                AttributeValue::M(out)
            }
        }))
    }

    fn from_attribute(value: AttributeValue) -> Result<Self, ValueError> {
        use serde_json::Value;
        let number = |n: String| -> Result<Value, ValueError> {
            serde_json::from_str::<serde_json::Number>(&n)
                .map(Value::Number)
                .map_err(|_| {
                    ValueError::new(
                        "N that fits a JSON number",
                        format!("N {}", crate::mapping::error::truncate(&n)),
                    )
                })
        };
        Ok(match value {
            AttributeValue::Null(_) => Value::Null,
            AttributeValue::Bool(b) => Value::Bool(b),
            AttributeValue::S(s) => Value::String(s),
            AttributeValue::N(n) => number(n)?,
            AttributeValue::L(items) => Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| Self::from_attribute(v).map_err(|e| e.at_index(i)))
                    .collect::<Result<_, _>>()?,
            ),
            AttributeValue::M(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| match Self::from_attribute(v) {
                        Ok(v) => Ok((k, v)),
                        Err(e) => Err(e.at_key(&k)),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            AttributeValue::Ss(items) => {
                Value::Array(items.into_iter().map(Value::String).collect())
            }
            AttributeValue::Ns(items) => {
                Value::Array(items.into_iter().map(number).collect::<Result<_, _>>()?)
            }
            other => {
                return Err(ValueError::new(
                    "an attribute JSON can represent (not binary)",
                    describe(&other),
                ));
            }
        })
    }

    fn from_missing() -> Option<Self> {
        Some(serde_json::Value::Null)
    }
}
