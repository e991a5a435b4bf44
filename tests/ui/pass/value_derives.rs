//! `#[derive(DynamoValue)]`: maps, newtypes, generic structs and raw identifiers.

use dynamo_core::{AttributeValue, DynamoValue};

#[derive(DynamoValue, Debug, Clone, PartialEq)]
#[dynamo(rename_all = "camelCase")]
struct Address {
    street_name: String,
    city: String,
    zip: Option<String>,
    #[dynamo(skip)]
    geocoded: bool,
}

#[derive(DynamoValue, Debug, Clone, PartialEq)]
struct Tagged<T> {
    tag: String,
    value: T,
}

#[derive(DynamoValue, Debug, Clone, PartialEq)]
struct Cents(i64);

#[derive(DynamoValue, Debug, Clone, PartialEq)]
struct Keywords {
    r#type: String,
    r#match: Vec<Address>,
}

fn main() {
    let address = Address { street_name: "Teheran-ro".into(), city: "Seoul".into(), zip: None, geocoded: true };
    let av = address.clone().into_attribute().expect("maps").expect("present");
    let map = av.as_m().expect("M");
    assert!(map.contains_key("streetName") && !map.contains_key("zip") && !map.contains_key("geocoded"));
    let back = Address::from_attribute(av).expect("reads");
    assert_eq!(back.city, "Seoul");
    assert!(!back.geocoded);

    let tagged = Tagged { tag: "price".into(), value: Cents(1200) };
    let av = tagged.clone().into_attribute().expect("maps").expect("present");
    assert_eq!(av.as_m().expect("M")["value"], AttributeValue::N("1200".into()));
    assert_eq!(Tagged::<Cents>::from_attribute(av).expect("reads"), tagged);

    let kw = Keywords { r#type: "t".into(), r#match: vec![back] };
    let av = kw.clone().into_attribute().expect("maps").expect("present");
    assert!(av.as_m().expect("M").contains_key("type"));
    assert_eq!(Keywords::from_attribute(av).expect("reads"), kw);
}
