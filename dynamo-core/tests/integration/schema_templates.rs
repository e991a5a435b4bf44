//! CloudFormation and Terraform: the seven tables of the infrastructure spec, exported and
//! checked against templates, one fixture per kind of drift.

use crate::module_tables::{ALL, IDEMPOTENCY, ORDERS, OUTBOX, RESERVATIONS, TICKETS};
use dynamo_core::schema::cloudformation::{self, TemplateError};
use dynamo_core::schema::{Mismatch, TableShape};
use dynamo_core::{TableDef, mapping::KeyRole};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Compares `actual` with a checked-in file; `UPDATE_FIXTURES=1` rewrites it.
fn assert_fixture(name: &str, actual: &str) {
    let path = fixture(name);
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, actual).expect("fixture written");
    }
    let expected =
        std::fs::read_to_string(&path).expect("fixture exists (UPDATE_FIXTURES=1 writes it)");
    assert_eq!(
        actual, expected,
        "{name} is out of date: run with UPDATE_FIXTURES=1 and review the diff"
    );
}

fn drift(def: &TableDef, file: &str) -> Vec<Mismatch> {
    match def.check_cloudformation(fixture(&format!("cloudformation/{file}"))) {
        Err(TemplateError::Mismatch(m)) => m.mismatches,
        other => panic!("expected a mismatch from {file}, got {other:?}"),
    }
}

#[test]
fn the_module_tables_export_as_checked_in() {
    let template = cloudformation::template("Traffic Tacos DynamoDB tables", &ALL);
    assert_fixture(
        "cloudformation/module_tables.yaml",
        &cloudformation::to_yaml(&template),
    );
    assert_fixture(
        "cloudformation/module_tables.json",
        &(serde_json::to_string_pretty(&template).expect("serializes") + "\n"),
    );
    let hcl: String = ALL
        .iter()
        .map(|t| t.to_terraform())
        .collect::<Vec<_>>()
        .join("\n");
    assert_fixture("module_tables.tf", &hcl);
}

/// Capacity and streams, as the exports write them: warm throughput and on-demand maximums on
/// the table and a global index, a stream. CI validates the CloudFormation fixture with
/// `cfn-lint` (the resource schema's own rules), so a property name or shape the exporter gets
/// wrong fails there.
#[test]
fn capacity_and_streams_export_as_checked_in() {
    use dynamo_core::def::{StreamView, Throughput};
    use dynamo_core::{IndexDef, KeyDef};
    const INDEXES: [IndexDef; 1] = [IndexDef::global(
        "GSI1",
        KeyDef::string("gsi1pk"),
        Some(KeyDef::string("gsi1sk")),
    )
    .with_warm_throughput(Throughput::new(12_000, 20_000))
    .with_max_on_demand(Throughput::new(30_000, 30_000))];
    const SEATS: TableDef = TableDef::new("on-sale-seats", KeyDef::string("pk"))
        .with_sort_key(KeyDef::string("sk"))
        .with_indexes(&INDEXES)
        .with_warm_throughput(Throughput::new(15_000, 40_000))
        .with_max_on_demand(Throughput::new(40_000, 40_000))
        .with_stream(StreamView::NewAndOldImages);
    let template = cloudformation::template("capacity and streams", &[SEATS]);
    let yaml = cloudformation::to_yaml(&template);
    assert_fixture("cloudformation/capacity.yaml", &yaml);
    let table = &template["Resources"]["OnSaleSeatsTable"]["Properties"];
    assert_eq!(table["WarmThroughput"]["WriteUnitsPerSecond"], 40_000);
    assert_eq!(table["OnDemandThroughput"]["MaxReadRequestUnits"], 40_000);
    assert_eq!(
        table["StreamSpecification"]["StreamViewType"],
        "NEW_AND_OLD_IMAGES"
    );
    let index = &table["GlobalSecondaryIndexes"][0];
    assert_eq!(index["WarmThroughput"]["ReadUnitsPerSecond"], 12_000);
    assert_eq!(index["OnDemandThroughput"]["MaxWriteRequestUnits"], 30_000);
    SEATS
        .check_cloudformation(fixture("cloudformation/capacity.yaml"))
        .expect("the shape matches");
    // A definition that asks for more than the template declares fails the check.
    const HOTTER: TableDef = SEATS
        .with_warm_throughput(Throughput::new(15_000, 60_000))
        .with_stream(StreamView::KeysOnly);
    assert_eq!(
        drift(&HOTTER, "capacity.yaml"),
        [
            Mismatch::Stream {
                expected: StreamView::KeysOnly,
                found: Some(StreamView::NewAndOldImages),
            },
            Mismatch::WarmThroughput {
                index: None,
                expected: Throughput::new(15_000, 60_000),
                found: Some(Throughput::new(15_000, 40_000)),
            },
        ]
    );
    let hcl = SEATS.to_terraform();
    for expected in [
        "stream_enabled   = true",
        "stream_view_type = \"NEW_AND_OLD_IMAGES\"",
        "  warm_throughput {\n    read_units_per_second  = 15000\n    write_units_per_second = 40000\n  }",
        "  on_demand_throughput {\n    max_read_request_units  = 40000",
        "    warm_throughput {\n      read_units_per_second  = 12000",
    ] {
        assert!(hcl.contains(expected), "{expected:?} missing from:\n{hcl}");
    }
}

#[test]
fn every_module_table_matches_the_templates() {
    for def in &ALL {
        def.check_cloudformation(fixture("cloudformation/module_tables.yaml"))
            .expect("YAML matches");
        def.check_cloudformation(fixture("cloudformation/module_tables.json"))
            .expect("JSON matches");
    }
}

#[test]
fn yaml_round_trip_reads_back_the_definition() {
    let yaml = cloudformation::to_yaml(&cloudformation::template("round trip", &[RESERVATIONS]));
    let dir = std::env::temp_dir().join(format!("dynamo-cfn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("t.yaml");
    std::fs::write(&path, yaml).expect("written");
    RESERVATIONS
        .check_cloudformation(&path)
        .expect("the export reads back equal");
    assert_eq!(TableShape::from_def(&RESERVATIONS, "x").indexes.len(), 1);
}

#[test]
fn intrinsic_functions_in_names_are_tolerated() {
    ORDERS
        .check_cloudformation(fixture("cloudformation/sub_names.yaml"))
        .expect("!Sub '${Env}-ticket-reservation-orders'");
}

#[test]
fn partition_key_renamed_in_the_template() {
    assert_eq!(
        drift(&RESERVATIONS, "pk_renamed.yaml"),
        [Mismatch::KeyName {
            role: KeyRole::Partition,
            expected: "pk".into(),
            found: "reservation_id".into()
        }]
    );
}

#[test]
fn sort_key_dropped_from_the_template() {
    assert!(matches!(
        &drift(&OUTBOX, "sk_dropped.yaml")[..],
        [Mismatch::SortKeyMissing { .. }]
    ));
}

#[test]
fn key_type_changed_in_the_template() {
    assert!(matches!(
        &drift(&ORDERS, "key_type.yaml")[..],
        [Mismatch::KeyType {
            role: KeyRole::Sort,
            ..
        }]
    ));
}

#[test]
fn index_removed_from_the_template() {
    assert_eq!(
        drift(&TICKETS, "index_removed.yaml"),
        [Mismatch::IndexMissing {
            index: "status-index".into()
        }]
    );
}

#[test]
fn index_key_changed_in_the_template() {
    assert!(matches!(
        &drift(&RESERVATIONS, "index_key.yaml")[..],
        [Mismatch::IndexKey {
            role: KeyRole::Sort,
            ..
        }]
    ));
}

#[test]
fn ttl_disabled_or_moved_in_the_template() {
    assert_eq!(
        drift(&IDEMPOTENCY, "ttl_disabled.yaml"),
        [Mismatch::TtlDisabled {
            expected: "ttl".into()
        }]
    );
    assert_eq!(
        drift(&IDEMPOTENCY, "ttl_moved.yaml"),
        [Mismatch::TtlAttribute {
            expected: Some("ttl".into()),
            found: "expires_at".into()
        }]
    );
}

#[test]
fn a_table_missing_from_the_template() {
    assert!(matches!(
        &drift(&IDEMPOTENCY, "sub_names.yaml")[..],
        [Mismatch::TableMissing { .. }]
    ));
}

#[test]
fn unreadable_templates_are_errors() {
    let err = RESERVATIONS
        .check_cloudformation(fixture("cloudformation/nope.yaml"))
        .expect_err("missing file");
    assert!(matches!(err, TemplateError::Io { .. }), "{err}");
    let err = RESERVATIONS
        .check_cloudformation(fixture("cloudformation/broken.yaml"))
        .expect_err("no key schema");
    assert!(matches!(err, TemplateError::Resource { .. }), "{err}");
    assert!(err.to_string().contains("KeySchema"), "{err}");
}
