//! Stored-shape snapshots: what an entity's items hold (attributes and their types, key
//! templates, indexes, schema version), recorded in a file beside the tests and compared by
//! `cargo test`, so that a change of what is stored is seen in review, and a change that older
//! items cannot be read with comes with a schema version bump.
//!
//! ```no_run
//! # use dynamo_core::DynamoEntity;
//! # #[derive(DynamoEntity)] #[dynamo(table_name = "users")] struct User { #[pk] id: String }
//! #[test]
//! fn stored_shapes() {
//!     dynamo_core::schema::assert_stored_shape::<User>("tests/shapes");
//! }
//! ```
//!
//! `DYNAMO_UPDATE_SHAPES=1 cargo test` records `tests/shapes/User.shape`; commit it. Without
//! the variable, the test fails when there is no file, and when the shape differs from it:
//!
//! - a change older items are still read with (a new `Option` or `#[dynamo(default)]` attribute,
//!   an attribute removed, a unique constraint, a TTL): update the file with `DYNAMO_UPDATE_SHAPES=1 cargo test`;
//! - a change they are not (an attribute renamed or of another type, a new required attribute,
//!   a key template changed) needs a schema version bump with an upgrade (`docs/migrations.md`); until then the
//!   update refuses to record it.

use crate::mapping::entity::{Entity, EntitySchema, KeyField, KeyRole};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The environment variable that makes [`assert_stored_shape`] record the shapes it checks.
pub const UPDATE_SHAPES_VAR: &str = "DYNAMO_UPDATE_SHAPES";

/// What an entity's items hold, one fact per line: its text is the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredShape {
    entity: &'static str,
    version: u32,
    lines: Vec<String>,
}

impl StoredShape {
    /// The shape `E` stores now.
    pub fn of<E: Entity>() -> Self {
        let schema = &E::SCHEMA;
        let table = &E::TABLE;
        let mut lines = vec![format!("table {}", table.name)];
        if let Some(entity_type) = schema.entity_type {
            lines.push(format!("entity_type {entity_type}"));
        }
        let version = schema.schema_version.unwrap_or(1);
        lines.push(format!("schema_version {version}"));
        lines.push(key_line("key", &schema.partition_key));
        if let Some(sk) = &schema.sort_key {
            lines.push(key_line("key", sk));
        }
        for index in schema.index_keys {
            let role = match index.role {
                KeyRole::Partition => "partition",
                KeyRole::Sort => "sort",
            };
            lines.push(key_line(
                &format!("index {} {role}", index.index),
                &index.key,
            ));
        }
        for a in schema.attributes {
            lines.push(format!("attribute {}: {}", a.attribute, a.ty));
        }
        let managed = [
            ("ttl", schema.ttl_attribute),
            ("version", schema.version_attribute),
            ("created_at", schema.created_at_attribute),
            ("updated_at", schema.updated_at_attribute),
        ];
        for (what, attribute) in managed {
            if let Some(attribute) = attribute {
                lines.push(format!("{what} {attribute}"));
            }
        }
        for u in schema.unique {
            lines.push(format!("unique {}", u.name));
        }
        StoredShape {
            entity: schema.name,
            version,
            lines,
        }
    }

    /// The snapshot file's text.
    pub fn text(&self) -> String {
        let mut text = format!(
            "# The stored shape of {}: checked by dynamo_core::schema::assert_stored_shape.\n\
             # Update: {UPDATE_SHAPES_VAR}=1 cargo test (a change older items cannot be read with needs a schema_version bump first).\n",
            self.entity
        );
        for line in &self.lines {
            let _ = writeln!(text, "{line}");
        }
        text
    }

    /// Reads a snapshot file's text (comments and blank lines ignored).
    fn parse(entity: &'static str, text: &str) -> Self {
        let lines: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect();
        let version = lines
            .iter()
            .find_map(|l| l.strip_prefix("schema_version ")?.parse().ok())
            .unwrap_or(1);
        StoredShape {
            entity,
            version,
            lines,
        }
    }
}

/// `attribute name: Type` as (name, type).
fn attribute(line: &str) -> Option<(&str, &str)> {
    line.strip_prefix("attribute ")?.split_once(": ")
}

/// `key pk = "USER#{id}"` for a template, `key pk: field id (S)` for a field.
fn key_line(what: &str, key: &KeyField) -> String {
    match &key.template {
        Some(template) => format!("{what} {} = \"{}\"", key.attribute, template.text),
        None => format!(
            "{what} {}: field {} ({})",
            key.attribute,
            key.field,
            key.scalar.as_str()
        ),
    }
}

/// How a stored shape changed.
#[derive(Debug, Default)]
struct Change {
    removed: Vec<String>,
    added: Vec<String>,
}

impl Change {
    fn between(recorded: &StoredShape, now: &StoredShape) -> Self {
        let version = |l: &&String| l.starts_with("schema_version ");
        Change {
            removed: recorded
                .lines
                .iter()
                .filter(|l| !now.lines.contains(l) && !version(l))
                .cloned()
                .collect(),
            added: now
                .lines
                .iter()
                .filter(|l| !recorded.lines.contains(l) && !version(l))
                .cloned()
                .collect(),
        }
    }

    /// Whether items written with the recorded shape may not be read with the new one: the
    /// table, entity type, a key or an index changed; an attribute changed type (other than
    /// becoming an `Option` of it, or read as its default when absent); or a required attribute
    /// was added. An attribute removed is not: older items keep it, and reads leave it out.
    fn breaks_old_items(&self) -> bool {
        let structural = |l: &String| {
            ["table ", "entity_type ", "key ", "index "]
                .iter()
                .any(|p| l.starts_with(p))
        };
        if self.removed.iter().chain(&self.added).any(structural) {
            return true;
        }
        self.added
            .iter()
            .filter_map(|l| attribute(l))
            .any(|(name, ty)| {
                let was = self
                    .removed
                    .iter()
                    .filter_map(|l| attribute(l))
                    .find_map(|(n, t)| (n == name).then_some(t));
                let reads_absent = ty.starts_with("Option<") || ty.ends_with(" (default)");
                match was {
                    // Absent in older items: read as `None` or as the field's default.
                    None => !reads_absent,
                    Some(was) => {
                        let widened = ty == format!("Option<{was}>")
                            || ty.strip_suffix(" (default)") == Some(was);
                        !widened
                    }
                }
            })
    }

    fn describe(&self) -> String {
        let mut text = String::new();
        for l in &self.removed {
            let _ = writeln!(text, "  - {l}");
        }
        for l in &self.added {
            let _ = writeln!(text, "  + {l}");
        }
        text
    }
}

/// Compares `E`'s stored shape with its snapshot `dir/<Entity>.shape`, for a test: panics with
/// what changed and what to do when they differ, or there is no snapshot. With
/// `DYNAMO_UPDATE_SHAPES` set, records it instead (never a change older items cannot be read
/// with, unless the schema version was bumped). See the [module documentation](self).
#[track_caller]
pub fn assert_stored_shape<E: Entity>(dir: impl AsRef<Path>) {
    let update = std::env::var_os(UPDATE_SHAPES_VAR).is_some_and(|v| !v.is_empty() && v != "0");
    if let Err(e) = check_stored_shape::<E>(dir, update) {
        panic!("{e}");
    }
}

/// Why a stored shape does not match its snapshot (or could not be read or recorded): the
/// message says what changed and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ShapeError(String);

/// [`assert_stored_shape`] as a `Result`, with `update` in place of the environment variable:
/// `update` records the snapshot when it is missing or changed in a way it may be recorded.
pub fn check_stored_shape<E: Entity>(
    dir: impl AsRef<Path>,
    update: bool,
) -> Result<(), ShapeError> {
    check(&E::SCHEMA, StoredShape::of::<E>(), dir.as_ref(), update).map_err(ShapeError)
}

fn check(schema: &EntitySchema, now: StoredShape, dir: &Path, update: bool) -> Result<(), String> {
    let path: PathBuf = dir.join(format!("{}.shape", schema.name));
    let record = || {
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&path, now.text()))
            .map_err(|e| format!("cannot record {}: {e}", path.display()))
    };
    let recorded = match std::fs::read_to_string(&path) {
        Ok(text) => StoredShape::parse(schema.name, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return if update {
                record()
            } else {
                Err(format!(
                    "no recorded stored shape of {} at {}: record it with {UPDATE_SHAPES_VAR}=1 cargo test and commit the file",
                    schema.name,
                    path.display()
                ))
            };
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    if recorded.lines == now.lines {
        return Ok(());
    }
    let change = Change::between(&recorded, &now);
    let bumped = now.version > recorded.version;
    let entity = schema.name;
    if change.breaks_old_items() && !bumped {
        return Err(format!(
            "the stored shape of {entity} changed in a way items written before cannot be read with, at the same schema version {} ({}):\n{}\
             bump #[dynamo(schema_version = {})] and read the old items with upgrade(from = {}, via = {entity}V{}, with = ..), a frozen copy of the struct as it was (docs/migrations.md); \
             then record the shape with {UPDATE_SHAPES_VAR}=1 cargo test",
            recorded.version,
            path.display(),
            change.describe(),
            recorded.version + 1,
            recorded.version,
            recorded.version,
        ));
    }
    if update {
        return record();
    }
    Err(format!(
        "the stored shape of {entity} changed ({}):\n{}\
         {}record it with {UPDATE_SHAPES_VAR}=1 cargo test and commit the file",
        path.display(),
        change.describe(),
        if bumped {
            format!("schema version {} to {}: ", recorded.version, now.version)
        } else {
            "items written before still read with it: ".to_owned()
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(version: u32, lines: &[&str]) -> StoredShape {
        StoredShape {
            entity: "User",
            version,
            lines: std::iter::once(format!("schema_version {version}"))
                .chain(lines.iter().map(|l| (*l).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn a_new_optional_attribute_keeps_old_items_readable() {
        let before = shape(1, &["key pk = \"USER#{id}\"", "attribute id: String"]);
        let after = shape(
            1,
            &[
                "key pk = \"USER#{id}\"",
                "attribute id: String",
                "attribute nickname: Option<String>",
                "attribute visits: u32 (default)",
                "unique email",
            ],
        );
        assert!(!Change::between(&before, &after).breaks_old_items());
        for after in [
            shape(1, &["key pk = \"USER#{id}\""]),
            shape(
                1,
                &["key pk = \"USER#{id}\"", "attribute id: Option<String>"],
            ),
            shape(
                1,
                &["key pk = \"USER#{id}\"", "attribute id: String (default)"],
            ),
        ] {
            assert!(
                !Change::between(&before, &after).breaks_old_items(),
                "removed, or read when absent: {after:?}"
            );
        }
    }

    #[test]
    fn retyped_renamed_or_required_attributes_and_key_changes_break_them() {
        let before = shape(1, &["key pk = \"USER#{id}\"", "attribute id: String"]);
        for after in [
            shape(1, &["key pk = \"USER#{id}\"", "attribute id: u64"]),
            shape(1, &["key pk = \"USER#{id}\"", "attribute user_id: String"]),
            shape(
                1,
                &[
                    "key pk = \"USER#{id}\"",
                    "attribute id: String",
                    "attribute age: u32",
                ],
            ),
            shape(1, &["key pk = \"U#{id}\"", "attribute id: String"]),
        ] {
            assert!(
                Change::between(&before, &after).breaks_old_items(),
                "{after:?}"
            );
        }
    }

    #[test]
    fn the_text_reads_back_as_the_same_shape() {
        let now = shape(3, &["table app", "attribute id: String"]);
        let text = StoredShape {
            entity: "User",
            ..now.clone()
        }
        .text();
        assert_eq!(StoredShape::parse("User", &text), now);
    }
}
