//! An entity whose stored shape changed: version 1 stored `first` and `last`, version 2 stores
//! one `name` and a list of `emails`. Reads upgrade version 1 items in memory; the backfill
//! rewrites them in place. Against the emulator by default:
//! `DYNAMODB_ENDPOINT=http://localhost:8000 cargo run -p dynamo-examples --example migrations`

use dynamo_core::{DynamoEntity, KeyDef, Table, TableDef};

const PEOPLE: TableDef = TableDef::new("example-people", KeyDef::string("pk"))
    .with_sort_key(KeyDef::string("sk"))
    .with_entity_attribute("entity");

/// The person as this release writes it.
#[derive(DynamoEntity, Debug, Clone, PartialEq)]
#[dynamo(table = PEOPLE, pk = "PERSON#{id}", sk = "PROFILE", schema_version = 2)]
#[dynamo(upgrade(from = 1, via = PersonV1, with = person_v1_to_v2))]
struct Person {
    id: String,
    name: String,
    emails: Vec<String>,
}

/// Version 1, frozen as the earlier release wrote it (here, to write the old items).
#[derive(DynamoEntity, Debug, Clone)]
#[dynamo(table = PEOPLE, pk = "PERSON#{id}", sk = "PROFILE", version_of = Person, schema_version = 1)]
struct PersonV1 {
    id: String,
    first: String,
    last: String,
}

fn person_v1_to_v2(old: PersonV1) -> Person {
    Person {
        id: old.id,
        name: format!("{} {}", old.first, old.last),
        emails: Vec::new(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = dynamo_core::client_from_env().await?;
    dynamo_core::client::check_connection(&client).await?;
    dynamo_core::schema::ensure_table(&client, &PEOPLE, PEOPLE.name).await?;
    let people = Table::<Person>::new(&client);
    let old_release = Table::<PersonV1>::new(&client);

    // What the earlier release left in the table.
    for (id, first, last) in [("1", "Ada", "Lovelace"), ("2", "Alan", "Turing")] {
        let person = PersonV1 {
            id: id.into(),
            first: first.into(),
            last: last.into(),
        };
        old_release.put(person).send().await?;
    }
    // What this release writes.
    people
        .put(Person {
            id: "3".into(),
            name: "Grace Hopper".into(),
            emails: vec!["grace@example.com".into()],
        })
        .send()
        .await?;

    // Reads see one shape, whatever the version stored.
    let ada = people
        .get(PersonKey::new("1"))
        .send()
        .await?
        .ok_or("Ada is there")?;
    assert_eq!(ada.name, "Ada Lovelace");
    println!("read a version 1 item as version 2: {ada:?}");

    // An update applies to current items only: an old one is rewritten first.
    let refused = people
        .update(PersonKey::new("2"))
        .set(Person::fields().emails, vec!["alan@example.com".to_owned()])
        .send()
        .await
        .expect_err("Alan's item is of version 1");
    assert!(refused.is_condition_failed());

    let report = people
        .backfill()
        .write_units_per_second(100)
        .on_progress(|r| println!("backfill: {} read, {} upgraded", r.scanned, r.upgraded))
        .run()
        .await?;
    assert!(report.complete);
    assert_eq!(report.upgraded, 2);
    println!("backfill: {report:?}");

    people
        .update(PersonKey::new("2"))
        .set(Person::fields().emails, vec!["alan@example.com".to_owned()])
        .send()
        .await?;
    let alan = people
        .get(PersonKey::new("2"))
        .send()
        .await?
        .ok_or("Alan is there")?;
    assert_eq!(alan.emails, ["alan@example.com"]);
    println!("updated after the backfill: {alan:?}");
    Ok(())
}
