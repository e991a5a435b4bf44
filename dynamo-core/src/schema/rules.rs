//! The rules an entity, its `TableDef` and the table must satisfy together, each worded by one
//! function.
//!
//! Most rules are checked twice: at compile time, where `#[derive(DynamoEntity)]` compares the
//! entity with its declared `TableDef` by constant evaluation, and at start-up, where
//! [`assert_schema`](crate::Table::assert_schema) compares the definition (and the entity) with
//! the live table. Both call the same `const fn` here, so the same mistake gets the same
//! message and the same fix hint wherever it is caught. `docs/rules.md` lists every rule with
//! its checks and tests.
//!
//! The functions build a [`Msg`] because constant panics format a single string; at run time
//! it becomes a `String`.

use crate::def::ScalarType;
use crate::mapping::entity::KeyRole;

/// A message assembled during constant evaluation (or at run time by the same code).
pub struct Msg {
    buf: [u8; Msg::CAPACITY],
    len: usize,
}

impl Msg {
    const CAPACITY: usize = 2048;

    pub(crate) const fn new() -> Self {
        Msg {
            buf: [0; Msg::CAPACITY],
            len: 0,
        }
    }

    pub(crate) const fn push(mut self, s: &str) -> Self {
        let bytes = s.as_bytes();
        let mut i = 0;
        // Stop at a character boundary if the buffer is full.
        while i < bytes.len() && self.len < Msg::CAPACITY - 4 {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        while i < bytes.len() && (bytes[i] & 0xC0) == 0x80 && self.len < Msg::CAPACITY {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    pub(crate) const fn quoted(self, s: &str) -> Self {
        self.push("\"").push(s).push("\"")
    }

    pub(crate) const fn ticked(self, s: &str) -> Self {
        self.push("`").push(s).push("`")
    }

    /// `n` in decimal.
    pub(crate) const fn number(self, mut n: u64) -> Self {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let (_, text) = digits.split_at(i);
        match core::str::from_utf8(text) {
            Ok(text) => self.push(text),
            Err(_) => self,
        }
    }

    /// The message.
    pub const fn as_str(&self) -> &str {
        let (head, _) = self.buf.split_at(self.len);
        match core::str::from_utf8(head) {
            Ok(s) => s,
            Err(_) => "dynamo: message was cut inside a character",
        }
    }
}

impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The table a message speaks of.
#[derive(Debug, Clone, Copy)]
pub enum TableRef<'a> {
    /// A declared definition, named by the path of its constant: the derive's checks.
    Declared {
        /// The constant, e.g. `RESERVATIONS`.
        path: &'a str,
        /// The table name it declares.
        name: &'a str,
    },
    /// A table as it exists (DescribeTable) or as a template declares it: the checks at
    /// start-up and in tests.
    Live {
        /// The table name.
        name: &'a str,
    },
}

impl TableRef<'_> {
    /// `table RESERVATIONS ("ticket-reservation-reservations")` or `table "dev-…"`.
    const fn write(self, msg: Msg) -> Msg {
        match self {
            TableRef::Declared { path, name } => msg
                .push("table ")
                .push(path)
                .push(" (")
                .quoted(name)
                .push(")"),
            TableRef::Live { name } => msg.push("table ").quoted(name),
        }
    }

    /// How the table states what it has: a definition declares, a live table has.
    const fn verb(self) -> &'static str {
        match self {
            TableRef::Declared { .. } => " declares ",
            TableRef::Live { .. } => " has ",
        }
    }
}

/// Who is compared with the table: an entity field (the fix names it), or only the
/// definition (a check without an entity).
#[derive(Debug, Clone, Copy)]
pub enum Side<'a> {
    /// An entity's field.
    Field {
        /// The entity.
        entity: &'a str,
        /// The field.
        field: &'a str,
    },
    /// The `TableDef` alone.
    Definition,
}

const fn key_word(role: KeyRole) -> &'static str {
    match role {
        KeyRole::Partition => "partition key",
        KeyRole::Sort => "sort key",
    }
}

const fn what(role: KeyRole, index: Option<&str>) -> &'static str {
    match (index, role) {
        (Some(_), KeyRole::Partition) => "index partition key",
        (Some(_), KeyRole::Sort) => "index sort key",
        (None, role) => key_word(role),
    }
}

/// `index "GSI1" of table …`, or just the table.
const fn write_place(msg: Msg, index: Option<&str>, table: TableRef<'_>) -> Msg {
    let msg = match index {
        Some(index) => msg.push("index ").quoted(index).push(" of "),
        None => msg,
    };
    table.write(msg)
}

/// Rules `table_pk_attribute_differs`, `table_sk_attribute_differs` and
/// `index_key_attribute_differs`: a key is stored under another attribute than the table's.
/// The incident this crate exists for: `reservation_id` written where the table's key is `pk`.
pub const fn key_attribute_differs(
    side: Side<'_>,
    role: KeyRole,
    index: Option<&str>,
    attribute: &str,
    table: TableRef<'_>,
    expected: &str,
) -> Msg {
    let msg = match side {
        Side::Field { entity, field } => Msg::new()
            .push("entity ")
            .ticked(entity)
            .push(" maps its ")
            .push(what(role, index))
            .push(" (field ")
            .ticked(field)
            .push(") to attribute ")
            .quoted(attribute),
        Side::Definition => Msg::new()
            .push("the definition declares ")
            .push(what(role, index))
            .push(" ")
            .quoted(attribute),
    };
    let msg = write_place(msg.push(", but "), index, table)
        .push(table.verb())
        .push(key_word(role))
        .push(" ")
        .quoted(expected);
    match side {
        Side::Field { field, .. } => msg
            .push("; add #[dynamo(rename = \"")
            .push(expected)
            .push("\")] to field ")
            .ticked(field),
        Side::Definition => msg.push("; change the TableDef (or the table) so they agree"),
    }
}

/// Rules `table_pk_type_differs`, `table_sk_type_differs` and `index_key_type_differs`: a key
/// is stored as another scalar type than the table declares.
pub const fn key_type_differs(
    side: Side<'_>,
    role: KeyRole,
    index: Option<&str>,
    scalar: ScalarType,
    table: TableRef<'_>,
    attribute: &str,
    expected: ScalarType,
) -> Msg {
    let msg = match side {
        Side::Field { entity, field } => Msg::new()
            .push("entity ")
            .ticked(entity)
            .push(" stores its ")
            .push(what(role, index))
            .push(" (field ")
            .ticked(field)
            .push(") as ")
            .push(scalar.as_str()),
        Side::Definition => Msg::new()
            .push("the definition declares ")
            .push(what(role, index))
            .push(" ")
            .quoted(attribute)
            .push(" as ")
            .push(scalar.as_str()),
    };
    let msg = write_place(msg.push(", but "), index, table)
        .push(" declares ")
        .quoted(attribute)
        .push(" as ")
        .push(expected.as_str());
    match side {
        Side::Field { field, .. } => msg
            .push("; give field ")
            .ticked(field)
            .push(" ")
            .push(expected.rust_types()),
        Side::Definition => msg
            .push("; declare it as ")
            .push(expected.as_str())
            .push(" in the TableDef"),
    }
}

/// Rule `table_has_no_sort_key`: the entity (or definition) has a sort key, the table none.
pub const fn table_has_no_sort_key(side: Side<'_>, attribute: &str, table: TableRef<'_>) -> Msg {
    let msg = match side {
        Side::Field { entity, field } => Msg::new()
            .push("entity ")
            .ticked(entity)
            .push(" declares a sort key (field ")
            .ticked(field)
            .push("), but "),
        Side::Definition => Msg::new()
            .push("the definition declares sort key ")
            .quoted(attribute)
            .push(", but "),
    };
    let msg = table.write(msg).push(" has none; ");
    match side {
        Side::Field { field, .. } => msg
            .push("remove #[sk] from field ")
            .ticked(field)
            .push(" (it stays a plain attribute) or declare the sort key on the table"),
        Side::Definition => {
            msg.push("recreate the table with that sort key, or remove it from the TableDef")
        }
    }
}

/// Rule `entity_has_no_sort_key`: the table has a sort key, the entity (or definition) none.
/// `entity` is `None` for a definition checked without an entity.
pub const fn entity_has_no_sort_key(
    entity: Option<&str>,
    table: TableRef<'_>,
    expected: &str,
) -> Msg {
    let msg = table
        .write(Msg::new())
        .push(" has sort key ")
        .quoted(expected);
    match entity {
        Some(entity) => msg
            .push(", but entity ")
            .ticked(entity)
            .push(" declares none; every item needs it: mark the field that holds it with #[sk], and with #[dynamo(rename = \"")
            .push(expected)
            .push("\")] when the field has another name"),
        None => msg
            .push(", but the definition declares none; add .with_sort_key(..) to the TableDef"),
    }
}

/// What holds a key in an entity: a field, or a key template.
#[derive(Debug, Clone, Copy)]
pub enum Holder<'a> {
    /// A `#[pk]`, `#[sk]` or `#[gsi(..)]` field.
    Field(&'a str),
    /// A key template, `pk = "EVENT#{event_id}"`.
    Template(&'a str),
}

impl Holder<'_> {
    const fn write(self, msg: Msg) -> Msg {
        match self {
            Holder::Field(field) => msg.push("field ").ticked(field),
            Holder::Template(template) => msg.push("key template ").quoted(template),
        }
    }
}

/// Rule `index_not_declared` (compile time): a `#[gsi(NAME, ..)]` field or a `gsi(NAME, ..)`
/// template names an index the declared table does not have. `declared` lists the indexes it
/// has.
pub const fn index_not_declared(
    holder: Holder<'_>,
    index: &str,
    table: TableRef<'_>,
    declared: &[crate::def::IndexDef],
) -> Msg {
    let msg = holder
        .write(Msg::new())
        .push(" is a key of index ")
        .quoted(index)
        .push(", but ");
    let msg = table.write(msg);
    if declared.is_empty() {
        return msg.push(" declares no indexes");
    }
    let mut msg = msg.push(" declares no index of that name (it declares ");
    let mut i = 0;
    while i < declared.len() {
        if i > 0 {
            msg = msg.push(", ");
        }
        msg = msg.quoted(declared[i].name);
        i += 1;
    }
    msg.push(")")
}

/// The fewest partition key values a partition template may write without saying that it
/// accepts a hot partition.
pub const HOT_PARTITION_VALUES: u64 = 32;

/// Rule `partition_values_few` (compile time): a partition template whose components can
/// write only a few keys puts every write of the table (or index) on a few partitions.
pub const fn partition_values_few(
    entity: &str,
    template: &str,
    index: Option<&str>,
    values: u64,
) -> Msg {
    let msg = Msg::new()
        .push("partition key template ")
        .quoted(template)
        .push(" of ");
    let msg = match index {
        Some(index) => msg.push("index ").quoted(index),
        None => msg.push("the table"),
    };
    msg.push(" can take only ")
        .number(values)
        .push(if values == 1 { " value" } else { " values" })
        .push(": every `")
        .push(entity)
        .push("` written there goes to ")
        .push(if values == 1 { "one partition key value" } else { "one of these partition key values" })
        .push(", and one value serves at most 1,000 writes and 3,000 reads per second however large the table (a hot partition). Add a component that spreads it: a field with many values, or a shard, \"..#{shard(id):32}\" computed from a field or \"..#{shard}\" with a `Shard<N>` field the writer sets (N of 32 or more); or, when its traffic stays small, accept it with #[dynamo(hot_partition_ok = \"why\")]")
}

/// Rule `template_key_missing` (compile time): a sort key template for a table or index
/// without a sort key.
pub const fn template_key_missing(
    entity: &str,
    template: &str,
    index: Option<&str>,
    table: TableRef<'_>,
) -> Msg {
    let msg = Msg::new()
        .push("entity ")
        .ticked(entity)
        .push(" composes a sort key with template ")
        .quoted(template)
        .push(", but ");
    let msg = write_place(msg, index, table).push(" has no sort key; ");
    match index {
        Some(_) => msg.push("remove `sk = ..` from gsi(..), or declare the index with a sort key"),
        None => msg.push(
            "remove `sk = ..`, or declare the sort key with .with_sort_key(KeyDef::string(\"sk\"))",
        ),
    }
}

/// Rule `template_key_not_string` (compile time): a template writes text, but the table
/// declares the key as a number or binary.
pub const fn template_key_not_string(
    entity: &str,
    role: KeyRole,
    template: &str,
    index: Option<&str>,
    table: TableRef<'_>,
    attribute: &str,
    scalar: ScalarType,
) -> Msg {
    let msg = Msg::new()
        .push("entity ")
        .ticked(entity)
        .push(" composes its ")
        .push(what(role, index))
        .push(" with template ")
        .quoted(template)
        .push(", but ");
    write_place(msg, index, table)
        .push(" declares ")
        .quoted(attribute)
        .push(" as ")
        .push(scalar.as_str())
        .push("; a template writes text (S): declare the key with KeyDef::string(\"")
        .push(attribute)
        .push("\"), or hold it in a field of ")
        .push(scalar.rust_types())
        .push(" marked as the key")
}

/// Rule `template_width_not_integer` (compile time): `{field:N}` pads integers only.
pub const fn template_width_not_integer(template: &str, field: &str) -> Msg {
    Msg::new()
        .push("key template ")
        .quoted(template)
        .push(" pads field ")
        .ticked(field)
        .push(" to a fixed number of digits, but it is not an integer; write {")
        .push(field)
        .push("} without a width")
}

/// Rule `template_delimiter_in_component` (compile time): every value of a component would
/// hold one of the template's delimiters, so no key could be written.
pub const fn template_delimiter_in_component(template: &str, field: &str, delimiter: &str) -> Msg {
    let other = if crate::def::str_eq(delimiter, "#") {
        "'|'"
    } else {
        "'#'"
    };
    Msg::new()
        .push("key template ")
        .quoted(template)
        .push(" separates its parts with ")
        .quoted(delimiter)
        .push(", which values of field ")
        .ticked(field)
        .push(" contain, so its keys could not be read back unambiguously; separate them with a character its values never hold, e.g. ")
        .push(other)
}

/// Rule `entity_attribute_not_declared` (compile time): `entity = ".."` on a table that has
/// no entity attribute to write it to.
pub const fn entity_attribute_not_declared(entity: &str, table: TableRef<'_>) -> Msg {
    let msg = Msg::new()
        .push("entity ")
        .ticked(entity)
        .push(" names its entity type, but ");
    table
        .write(msg)
        .push(" declares no attribute to write it to; add .with_entity_attribute(\"entity\") to the TableDef")
}

/// Rule `entity_attribute_taken` (compile time): a field is stored on the attribute the table
/// reserves for the entity type.
pub const fn entity_attribute_taken(
    entity: &str,
    field: &str,
    attribute: &str,
    table: TableRef<'_>,
) -> Msg {
    let msg = Msg::new()
        .push("entity ")
        .ticked(entity)
        .push(" stores field ")
        .ticked(field)
        .push(" on attribute ")
        .quoted(attribute)
        .push(", which ");
    table
        .write(msg)
        .push(" reserves for the entity type; give the field another name with #[dynamo(rename = \"..\")]")
}

/// Rule `template_attribute_taken` (compile time): a field is stored on the attribute a key
/// template writes, so one would overwrite the other.
pub const fn template_attribute_taken(
    entity: &str,
    field: &str,
    attribute: &str,
    template: &str,
) -> Msg {
    Msg::new()
        .push("entity ")
        .ticked(entity)
        .push(" stores field ")
        .ticked(field)
        .push(" on attribute ")
        .quoted(attribute)
        .push(", which key template ")
        .quoted(template)
        .push(" writes; remove the field (the template writes the key) or give it another name with #[dynamo(rename = \"..\")]")
}

/// Rule `upgrade_table_differs` (compile time): an upgrade's frozen struct is of another table
/// than the entity, so it cannot have written the entity's items.
pub const fn upgrade_table_differs(
    entity: &str,
    entity_table: &str,
    via: &str,
    via_table: &str,
) -> Msg {
    Msg::new()
        .push("entity ")
        .ticked(entity)
        .push(" (table ")
        .quoted(entity_table)
        .push(") upgrades items read by ")
        .ticked(via)
        .push(", which is of table ")
        .quoted(via_table)
        .push("; a frozen version reads the entity's own items: declare it with the entity's table")
}

/// Rule `upgrade_version_differs` (compile time): `upgrade(from = N, via = V)` where `V` is not
/// the frozen struct of version `N` (`found` 0: `V` has no schema version).
pub const fn upgrade_version_differs(entity: &str, from: u32, via: &str, found: u32) -> Msg {
    let msg = Msg::new()
        .push("upgrade(from = ")
        .number(from as u64)
        .push(", via = ")
        .push(via)
        .push(") of ")
        .ticked(entity)
        .push(" reads version ")
        .number(from as u64)
        .push(" with ")
        .ticked(via)
        .push(", which ");
    let msg = if found == 0 {
        msg.push("has no schema version")
    } else {
        msg.push("reads version ").number(found as u64)
    };
    msg.push("; write #[dynamo(version_of = ")
        .push(entity)
        .push(", schema_version = ")
        .number(from as u64)
        .push(")] on ")
        .ticked(via)
        .push(", or name the frozen struct of that version")
}

/// Rule `collection_tables_differ` (compile time): a collection's members live in different
/// tables, so no query reads them together.
pub const fn collection_tables_differ(
    collection: &str,
    first: &str,
    first_table: &str,
    other: &str,
    other_table: &str,
) -> Msg {
    Msg::new()
        .push("collection ")
        .ticked(collection)
        .push(" reads one partition of one table, but ")
        .ticked(first)
        .push(" lives in table ")
        .quoted(first_table)
        .push(" and ")
        .ticked(other)
        .push(" in table ")
        .quoted(other_table)
        .push("; a collection's entities share a TableDef")
}

/// " of index \"GSI1\"" after a phrase about a collection's partition or sort keys, for a
/// collection that reads an index.
const fn on_index(msg: Msg, index: Option<&str>) -> Msg {
    match index {
        Some(index) => msg.push(" on index ").quoted(index),
        None => msg,
    }
}

/// Rule `collection_partitions_differ` (compile time): members compose their partition keys
/// (of the table, or of the index the collection reads) differently, so one partition does
/// not hold them together. `shared`: an index whose partitions they do share.
pub const fn collection_partitions_differ(
    collection: &str,
    index: Option<&str>,
    (first, first_template): (&str, &str),
    (other, other_template): (&str, &str),
    shared: Option<&str>,
) -> Msg {
    let msg = Msg::new()
        .push("collection ")
        .ticked(collection)
        .push(" reads one partition");
    let msg = on_index(msg, index)
        .push(", but ")
        .ticked(first)
        .push(" composes its partition key as ")
        .quoted(first_template)
        .push(" and ")
        .ticked(other)
        .push(" as ")
        .quoted(other_template);
    match shared {
        Some(index) => msg
            .push("; they share the partitions of index ")
            .quoted(index)
            .push(": read that index with #[dynamo(index = ")
            .quoted(index)
            .push(")] on the collection"),
        None => msg.push("; give them the same partition template (placeholder names may differ)"),
    }
}

/// Rule `collection_key_case_differs` (compile time): one member writes its keys lower-cased
/// and the other as the values are, so the same values make two partitions.
pub const fn collection_key_case_differs(collection: &str, lower: &str, preserve: &str) -> Msg {
    Msg::new()
        .push("collection ")
        .ticked(collection)
        .push(" reads one partition, but ")
        .ticked(lower)
        .push(" writes its keys lower-cased (key_case = \"lower\") and ")
        .ticked(preserve)
        .push(" as the values are, so \"Alice\" puts them in two partitions; give both the same key_case")
}

/// Rule `collection_member_not_on_index` (compile time): a member of a collection that reads
/// an index has no key on that index.
pub const fn collection_member_not_on_index(collection: &str, index: &str, member: &str) -> Msg {
    Msg::new()
        .push("collection ")
        .ticked(collection)
        .push(" reads the partitions of index ")
        .quoted(index)
        .push(", but ")
        .ticked(member)
        .push(" has no partition key on that index; give it one (gsi(")
        .push(index)
        .push(", pk = \"..\", sk = \"..\") on the struct, or #[gsi(")
        .push(index)
        .push(", pk)] on a field) or leave it out of the collection")
}

/// Rule `collection_prefixes_overlap` (compile time): one member's sort keys (on the table or
/// the collection's index) start with the other's prefix, so a query of the first returns the
/// second's items.
pub const fn collection_prefixes_overlap(
    collection: &str,
    index: Option<&str>,
    (first, first_prefix): (&str, &str),
    (other, other_prefix): (&str, &str),
) -> Msg {
    let msg = Msg::new()
        .push("in collection ")
        .ticked(collection)
        .push(", the sort keys of ")
        .ticked(first);
    on_index(msg, index)
        .push(" start with ")
        .quoted(first_prefix)
        .push(" and those of ")
        .ticked(other)
        .push(" with ")
        .quoted(other_prefix)
        .push(": one is a prefix of the other, so their items cannot be told apart in a query; start each sort template with its own literal, e.g. \"SEAT#{..}\" and \"SECTION#{..}\"")
}

/// Rule `collection_duplicate_type` (compile time): two members write the same entity type.
pub const fn collection_duplicate_type(
    collection: &str,
    first: &str,
    other: &str,
    entity_type: &str,
) -> Msg {
    Msg::new()
        .push("in collection ")
        .ticked(collection)
        .push(", ")
        .ticked(first)
        .push(" and ")
        .ticked(other)
        .push(" both write entity type ")
        .quoted(entity_type)
        .push(", so their items cannot be told apart; give one of them another name with #[dynamo(entity = \"..\")]")
}

/// Rule `index_missing` (start-up): the definition's index does not exist on the table.
pub const fn index_missing(index: &str, table: TableRef<'_>) -> Msg {
    let msg = Msg::new()
        .push("the definition declares index ")
        .quoted(index)
        .push(", but ");
    table
        .write(msg)
        .push(" has no such index; add it to the table (an UpdateTable or the template)")
}

/// Rule `index_has_no_sort_key`: a sort key is given for an index that has none.
pub const fn index_has_no_sort_key(side: Side<'_>, index: &str, table: TableRef<'_>) -> Msg {
    let msg = match side {
        Side::Field { field, .. } => Msg::new()
            .push("field ")
            .ticked(field)
            .push(" is the sort key of index ")
            .quoted(index),
        Side::Definition => Msg::new()
            .push("the definition declares a sort key on index ")
            .quoted(index),
    };
    let msg = table
        .write(msg.push(", but that index of "))
        .push(" has no sort key; ");
    match side {
        Side::Field { .. } => msg
            .push("use #[gsi(")
            .push(index)
            .push(", pk)] or remove the attribute"),
        Side::Definition => msg.push("make the TableDef and the table agree"),
    }
}

/// Rule `index_sort_key_undeclared` (start-up): the table's index has a sort key the
/// definition does not declare.
pub const fn index_sort_key_undeclared(index: &str, table: TableRef<'_>, found: &str) -> Msg {
    let msg = Msg::new().push("index ").quoted(index).push(" of ");
    table
        .write(msg)
        .push(" has sort key ")
        .quoted(found)
        .push(", but the definition declares none; make the TableDef and the table agree")
}

/// Rule `ttl_attribute_differs`: TTL is on another attribute than the table's.
pub const fn ttl_attribute_differs(
    side: Side<'_>,
    attribute: &str,
    table: TableRef<'_>,
    expected: &str,
) -> Msg {
    let msg = match side {
        Side::Field { field, .. } => Msg::new()
            .push("field ")
            .ticked(field)
            .push(" is #[ttl] on attribute ")
            .quoted(attribute),
        Side::Definition => Msg::new()
            .push("the definition expects TTL on ")
            .quoted(attribute),
    };
    let msg = table
        .write(msg.push(", but "))
        .push(" expires items by ")
        .quoted(expected);
    match side {
        Side::Field { field, .. } => msg
            .push("; add #[dynamo(rename = \"")
            .push(expected)
            .push("\")] to field ")
            .ticked(field),
        Side::Definition => msg.push("; use the same attribute on both"),
    }
}

/// Rule `table_has_no_ttl`: the entity (or definition) expires items by an attribute, the
/// table has TTL off. The fix is on the side that lacks it: the declared definition, or the
/// live table.
pub const fn table_has_no_ttl(side: Side<'_>, attribute: &str, table: TableRef<'_>) -> Msg {
    let msg = match side {
        Side::Field { field, .. } => Msg::new().push("field ").ticked(field).push(" is #[ttl]"),
        Side::Definition => Msg::new()
            .push("the definition expects TTL on ")
            .quoted(attribute),
    };
    let msg = table.write(msg.push(", but "));
    match table {
        TableRef::Declared { .. } => msg
            .push(" has no TTL attribute; declare it with .with_ttl_attribute(\"")
            .push(attribute)
            .push("\") or remove #[ttl]"),
        TableRef::Live { .. } => msg.push(
            " has TTL disabled; enable it (UpdateTimeToLive, or TimeToLiveSpecification in the template)",
        ),
    }
}

/// Rule `ttl_undeclared` (start-up): the table expires items by an attribute the definition
/// does not declare.
pub const fn ttl_undeclared(table: TableRef<'_>, found: &str) -> Msg {
    table
        .write(Msg::new())
        .push(" expires items by ")
        .quoted(found)
        .push(", but the definition declares no TTL; add .with_ttl_attribute(\"")
        .push(found)
        .push("\") and a #[ttl] field, or items may be deleted unexpectedly")
}

/// Rule `ttl_attribute_not_marked` (compile time): a field is stored on the table's TTL
/// attribute without `#[ttl]`, so it would not be written as epoch seconds.
pub const fn ttl_attribute_not_marked(
    entity: &str,
    field: &str,
    attribute: &str,
    table: TableRef<'_>,
) -> Msg {
    let msg = Msg::new()
        .push("entity ")
        .ticked(entity)
        .push(" stores field ")
        .ticked(field)
        .push(" on attribute ")
        .quoted(attribute)
        .push(", the TTL attribute of ");
    table
        .write(msg)
        .push("; mark it #[ttl] so it is stored as epoch seconds")
}

/// Rule `table_missing` (start-up).
pub fn table_missing(table: &str, location: &str) -> String {
    format!(
        "table \"{table}\" does not exist ({location}): create it (create-tables, ensure_table or the CloudFormation template), or check AWS_REGION, DYNAMODB_ENDPOINT and TABLE_PREFIX"
    )
}

/// Rule `table_not_active` (start-up).
pub fn table_not_active(table: &str, status: &str) -> String {
    format!(
        "table \"{table}\" is {status}, not ACTIVE: wait for it, or check the console for a failed update"
    )
}

/// Rule `index_kind_differs` (start-up): global on one side, local on the other.
pub fn index_kind_differs(index: &str, table: &str, expected_global: bool) -> String {
    let (e, f) = if expected_global {
        ("global", "local")
    } else {
        ("local", "global")
    };
    format!(
        "the definition declares index \"{index}\" {e}, but on table \"{table}\" it is {f}; make the TableDef and the table agree"
    )
}

/// Rule `index_projection_lacks` (start-up): an index with a partial projection does not hold
/// attributes the entity reads.
pub fn index_projection_lacks(
    index: &str,
    table: &str,
    entity: &str,
    missing: &[String],
) -> String {
    let missing = missing
        .iter()
        .map(|a| format!("\"{a}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "index \"{index}\" of table \"{table}\" does not project {missing}, which entity `{entity}` reads; project them (or ALL), or query the index into a smaller entity"
    )
}
