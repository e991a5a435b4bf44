//! The item both table benchmarks use: the entity, its hand-built raw form and a hand-written
//! parser, as a user of the bare SDK would write them.

use aws_sdk_dynamodb::types::AttributeValue;
use dynamo_core::{DynamoEntity, KeyDef, TableDef};
use std::collections::HashMap;

pub const ITEMS: TableDef =
    TableDef::new("bench-items", KeyDef::string("pk")).with_sort_key(KeyDef::string("sk"));

#[derive(DynamoEntity, Debug, Clone)]
#[dynamo(table = ITEMS)]
pub struct Item {
    #[pk]
    #[dynamo(rename = "pk")]
    part: String,
    #[sk]
    #[dynamo(rename = "sk")]
    id: String,
    name: String,
    count: u32,
    tags: Vec<String>,
}

pub fn item(n: usize) -> Item {
    Item {
        part: format!("p{}", n % 10),
        id: format!("i{n:05}"),
        name: format!("item {n}"),
        count: n as u32,
        tags: vec!["a".into(), "b".into()],
    }
}

pub fn raw_item(n: usize) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(format!("p{}", n % 10))),
        ("sk".to_owned(), AttributeValue::S(format!("i{n:05}"))),
        ("name".to_owned(), AttributeValue::S(format!("item {n}"))),
        ("count".to_owned(), AttributeValue::N(n.to_string())),
        (
            "tags".to_owned(),
            AttributeValue::L(vec![
                AttributeValue::S("a".into()),
                AttributeValue::S("b".into()),
            ]),
        ),
    ])
}

pub fn raw_key(n: usize) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(format!("p{}", n % 10))),
        ("sk".to_owned(), AttributeValue::S(format!("i{n:05}"))),
    ])
}

/// Reads an item by hand, as a user of the bare SDK would.
pub fn parse(mut m: HashMap<String, AttributeValue>) -> Option<Item> {
    let s = |m: &mut HashMap<String, AttributeValue>, k: &str| match m.remove(k) {
        Some(AttributeValue::S(s)) => Some(s),
        _ => None,
    };
    Some(Item {
        part: s(&mut m, "pk")?,
        id: s(&mut m, "sk")?,
        name: s(&mut m, "name")?,
        count: match m.remove("count") {
            Some(AttributeValue::N(n)) => n.parse().ok()?,
            _ => return None,
        },
        tags: match m.remove("tags") {
            Some(AttributeValue::L(l)) => l
                .into_iter()
                .map(|v| match v {
                    AttributeValue::S(s) => Some(s),
                    _ => None,
                })
                .collect::<Option<_>>()?,
            _ => return None,
        },
    })
}
