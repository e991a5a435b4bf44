//! Data-carrying enums as attribute values: internally tagged (`tag`) and adjacently tagged
//! (`tag` and `content`) maps, as serde names them; read back, refused when the tag is
//! unknown or missing, and stored and filtered on by their tag in the emulator.

use dynamo_core::testing::Emulator;
use dynamo_core::{AttributeValue, DynamoEntity, DynamoValue, ErrorKind, Item, KeyDef, TableDef};
use std::collections::HashMap;

#[derive(DynamoValue, Debug, Clone, PartialEq)]
struct Card {
    last4: String,
}

/// Internally tagged: `{"method": "card", "last4": ".."}`.
#[derive(DynamoValue, Debug, Clone, PartialEq)]
#[dynamo(tag = "method", rename_all = "snake_case")]
enum Payment {
    Cash,
    BankTransfer {
        iban: String,
        reference: Option<String>,
    },
    Card(Card),
}

/// Adjacently tagged: `{"kind": "resize", "args": {"width": ..}}`.
#[derive(DynamoValue, Debug, Clone, PartialEq)]
#[dynamo(tag = "kind", content = "args")]
enum Step {
    Resize {
        width: u32,
        #[dynamo(rename = "h")]
        height: u32,
    },
    Rotate(i32),
    Flip,
}

fn map(value: AttributeValue) -> HashMap<String, AttributeValue> {
    match value {
        AttributeValue::M(m) => m,
        other => panic!("expected a map, found {other:?}"),
    }
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.into())
}

#[test]
fn tagged_enums_write_serdes_shapes_and_read_them_back() {
    let transfer = Payment::BankTransfer {
        iban: "DE89".into(),
        reference: None,
    };
    let stored = map(transfer
        .clone()
        .into_attribute()
        .expect("maps")
        .expect("a value"));
    assert_eq!(
        stored,
        HashMap::from([
            ("method".into(), s("bank_transfer")),
            ("iban".into(), s("DE89"))
        ])
    );
    let card = Payment::Card(Card {
        last4: "4242".into(),
    });
    let stored = card
        .clone()
        .into_attribute()
        .expect("maps")
        .expect("a value");
    assert_eq!(
        map(stored.clone()),
        HashMap::from([("method".into(), s("card")), ("last4".into(), s("4242"))])
    );
    use dynamo_core::mapping::Tagged;
    assert_eq!(Payment::TAG, "method");
    assert_eq!(Payment::VARIANTS, ["cash", "bank_transfer", "card"]);
    assert_eq!(card.variant(), "card");
    for value in [Payment::Cash, transfer, card] {
        let attribute = value
            .clone()
            .into_attribute()
            .expect("maps")
            .expect("a value");
        assert_eq!(Payment::from_attribute(attribute).expect("reads"), value);
    }

    let resize = Step::Resize {
        width: 640,
        height: 480,
    };
    let stored = map(resize
        .clone()
        .into_attribute()
        .expect("maps")
        .expect("a value"));
    assert_eq!(stored["kind"], s("Resize"));
    assert_eq!(
        map(stored["args"].clone()),
        HashMap::from([
            ("width".into(), AttributeValue::N("640".into())),
            ("h".into(), AttributeValue::N("480".into()))
        ])
    );
    let rotate = map(Step::Rotate(-90)
        .into_attribute()
        .expect("maps")
        .expect("a value"));
    assert_eq!(rotate["args"], AttributeValue::N("-90".into()));
    assert_eq!(
        map(Step::Flip.into_attribute().expect("maps").expect("a value")),
        HashMap::from([("kind".into(), s("Flip"))])
    );
    for value in [resize, Step::Rotate(-90), Step::Flip] {
        let attribute = value
            .clone()
            .into_attribute()
            .expect("maps")
            .expect("a value");
        assert_eq!(Step::from_attribute(attribute).expect("reads"), value);
    }

    // An unknown or missing tag is an error that says what was expected.
    let unknown = AttributeValue::M(HashMap::from([("method".into(), s("cheque"))]));
    let err = Payment::from_attribute(unknown).expect_err("no such variant");
    assert!(err.to_string().contains("\"bank_transfer\""), "{err}");
    let untagged = AttributeValue::M(HashMap::from([("last4".into(), s("4242"))]));
    let err = Payment::from_attribute(untagged).expect_err("no tag");
    assert!(err.to_string().contains("\"method\""), "{err}");
}

const ORDERS: TableDef = TableDef::new("orders", KeyDef::string("pk"));

#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = ORDERS, pk = "ORDER#{id}")]
struct Order {
    id: String,
    payment: Payment,
}

#[tokio::test]
async fn a_tagged_enum_is_stored_and_filtered_on_by_its_tag() {
    let db = Emulator::start().await.expect("the emulator starts");
    let orders = db.create::<Order>().await.expect("created");
    let payments = [
        Payment::Cash,
        Payment::Card(Card {
            last4: "4242".into(),
        }),
        Payment::BankTransfer {
            iban: "DE89".into(),
            reference: Some("inv-7".into()),
        },
    ];
    for (i, payment) in payments.iter().enumerate() {
        orders
            .put(Order {
                id: format!("o{i}"),
                payment: payment.clone(),
            })
            .send()
            .await
            .expect("put");
    }
    let read = orders
        .get(OrderKey::new("o2"))
        .send()
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(read.payment, payments[2]);
    let f = Order::fields();
    let by_card = orders
        .scan()
        .filter(f.payment.key("method").eq("card"))
        .all()
        .await
        .expect("scan");
    assert_eq!(by_card.len(), 1);
    assert_eq!(by_card[0].payment, payments[1]);
    // Typed: the variant of a value, whatever its fields.
    let cash = orders
        .scan()
        .filter(f.payment.is_variant(&Payment::Cash))
        .all()
        .await
        .expect("scan");
    assert_eq!(
        cash.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
        ["o0"]
    );
    let transfers = orders
        .scan()
        .filter(f.payment.is_variant(&Payment::BankTransfer {
            iban: String::new(),
            reference: None,
        }))
        .count()
        .await
        .expect("scan");
    assert_eq!(transfers, 1);

    // A stored value of a variant this code does not know fails that item's read, naming it.
    let raw: Item = Item::from([
        ("pk".into(), s("ORDER#o9")),
        ("id".into(), s("o9")),
        (
            "payment".into(),
            AttributeValue::M(HashMap::from([("method".into(), s("cheque"))])),
        ),
    ]);
    db.client()
        .put_item()
        .table_name(orders.name())
        .set_item(Some(raw))
        .send()
        .await
        .expect("raw put");
    let err = orders
        .get(OrderKey::new("o9"))
        .send()
        .await
        .expect_err("unknown variant");
    assert_eq!(err.kind(), ErrorKind::Mapping);
    assert!(err.to_string().contains("cheque"), "{err}");
}
