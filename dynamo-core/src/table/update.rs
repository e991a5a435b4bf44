//! [`Update`]: changes some attributes of an item.

use super::Table;
use super::write::{Body, Mode, New, Nothing, Old, Returning, Write, WriteRequest, write_options};
use crate::error::{Error, Operation};
use crate::expr::{Condition, Path, UpdateExpr};
use crate::keys::partition::IndexKeys;
use crate::mapping::entity::{
    Attr, Entity, EntityKey, FieldWrite, IndexKeyWrites, SetField, Versioned,
};
use crate::mapping::error::MappingError;
use crate::mapping::value::{DynamoValue, IntoAttributeValue, ValueOf};
use std::marker::PhantomData;

/// An UpdateItem: typed `set`/`remove`/`add`/`delete`/`append` of the item of a key. Built by
/// [`Table::update`]; sent alone with [`send`](Update::send) or added to a
/// [`TransactWrite`](crate::TransactWrite).
///
/// The item must exist: a missing item is
/// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) alone and a canceled transaction in one,
/// never a half-written item; [`upsert`](Update::upsert) creates it on purpose. With a
/// `#[version]` field, every update bumps the version.
///
/// ```no_run
/// # use dynamo_core::{DynamoEntity, Table};
/// # #[derive(DynamoEntity)] #[dynamo(table_name = "forums")] struct Forum { #[pk] name: String, views: u64, closed: bool }
/// # async fn f(forums: Table<Forum>) -> Result<(), dynamo_core::Error> {
/// let f = Forum::fields();
/// forums
///     .update(ForumKey::new("Rust"))
///     .add(f.views, 1)
///     .condition(f.closed.eq(false))
///     .send()
///     .await?;
/// let forum: Forum = forums.update(ForumKey::new("Rust")).set(f.closed, true).returning_new().send().await?;
/// # Ok(()) }
/// ```
#[must_use = "a write does nothing until it is sent or added to a transaction"]
pub struct Update<E: Entity, R = Nothing> {
    table: Table<E>,
    key: E::Key,
    actions: UpdateExpr,
    condition: Option<Condition>,
    upsert: bool,
    capacity: bool,
    /// A value [`set_index_keys`](Self::set_index_keys) could not write.
    error: Option<MappingError>,
    _mode: Mode<R>,
}

impl<E: Entity> Update<E> {
    pub(crate) fn new(table: &Table<E>, key: E::Key) -> Self {
        Update {
            table: table.clone(),
            key,
            actions: UpdateExpr::default(),
            condition: None,
            upsert: false,
            capacity: false,
            error: None,
            _mode: PhantomData,
        }
    }

    /// Sends the update alone and returns the item as it is after it.
    pub fn returning_new(self) -> Update<E, New> {
        self.mode()
    }

    /// Sends the update alone and returns the item as it was before it (`None` when an
    /// [`upsert`](Self::upsert) created it).
    pub fn returning_old(self) -> Update<E, Old> {
        self.mode()
    }

    fn mode<R>(self) -> Update<E, R> {
        Update {
            table: self.table,
            key: self.key,
            actions: self.actions,
            condition: self.condition,
            upsert: self.upsert,
            capacity: self.capacity,
            error: self.error,
            _mode: PhantomData,
        }
    }
}

impl<E: Entity, R: Returning<E>> Update<E, R> {
    write_options!("Updates", "update");

    /// `SET attr = value`; `None` (or an empty set) removes the attribute.
    ///
    /// A field an index's key templates are made of ([`IndexAttr`](crate::mapping::IndexAttr):
    /// the templates' other fields are the table key's) rewrites that index's keys in the same
    /// request; `None` for a sparse index's field takes the item out of the index. A field of
    /// a key that needs other fields too does not compile here: see
    /// [`set_index_keys`](Self::set_index_keys).
    pub fn set<A>(mut self, attr: A, value: impl ValueOf<A::Value>) -> Self
    where
        A: SetField<E>,
        A::Value: DynamoValue,
    {
        match attr.write(value.into_value(), &self.key) {
            FieldWrite::Attribute(name, value) => {
                self.actions = self.actions.set(Path::new(name), value);
            }
            FieldWrite::IndexKeys(writes) => self.write_index_keys(writes),
        }
        self
    }

    /// `SET attr = if_not_exists(attr, value)`: sets it only where it has no value yet.
    pub fn set_if_not_exists<T: DynamoValue>(
        mut self,
        attr: Attr<T>,
        value: impl ValueOf<T>,
    ) -> Self {
        self.actions = self.actions.set_if_not_exists(attr, value.into_value());
        self
    }

    /// `REMOVE attr`.
    pub fn remove<T>(mut self, attr: Attr<T>) -> Self {
        self.actions = self.actions.remove(attr);
        self
    }

    /// `ADD attr value`: adds to a number (created at 0) or adds members to a set.
    pub fn add<T: DynamoValue>(mut self, attr: Attr<T>, value: impl ValueOf<T>) -> Self {
        self.actions = self.actions.add(attr, value.into_value());
        self
    }

    /// `DELETE attr members`: removes members from a set.
    pub fn delete<T: DynamoValue>(mut self, attr: Attr<T>, members: impl ValueOf<T>) -> Self {
        self.actions = self.actions.delete(attr, members.into_value());
        self
    }

    /// Appends `values` to a list attribute (created when absent).
    pub fn append<T: DynamoValue>(mut self, attr: Attr<Vec<T>>, values: Vec<T>) -> Self {
        self.actions = self.actions.append(attr, values);
        self
    }

    /// Puts `values` before the elements of a list attribute (created when absent).
    pub fn prepend<T: DynamoValue>(mut self, attr: Attr<Vec<T>>, values: Vec<T>) -> Self {
        self.actions = self.actions.prepend(attr, values);
        self
    }

    /// `SET path = value` for a path inside an attribute (a map's key, a list's element:
    /// `f.address.key("city")`, `f.seats.index(2)`), which the typed fields do not reach.
    pub fn set_path(mut self, path: impl Into<Path>, value: impl IntoAttributeValue) -> Self {
        self.actions = self.actions.set(path, value);
        self
    }

    /// `REMOVE path` for a path inside an attribute.
    pub fn remove_path(mut self, path: impl Into<Path>) -> Self {
        self.actions = self.actions.remove(path);
        self
    }

    /// Sets the fields an index's key templates are made of and rewrites the index keys from
    /// them (with the table key's fields from this item's key): the generated
    /// `{Entity}{Index}Keys`. A `None` component of a sparse index removes the item from the
    /// index.
    ///
    /// ```no_run
    /// # use dynamo_core::{DynamoEntity, IndexDef, KeyDef, Table, TableDef};
    /// const OUTBOX: TableDef = TableDef::new("outbox", KeyDef::string("pk"))
    ///     .with_indexes(&[IndexDef::global("GSI1", KeyDef::string("gsi1pk"), Some(KeyDef::string("gsi1sk")))]);
    ///
    /// #[derive(DynamoEntity)]
    /// #[dynamo(table = OUTBOX, gsi(GSI1, pk = "PENDING#{shard}", sk = "{due_at:12}#{id}"))]
    /// struct Event {
    ///     #[pk]
    ///     #[dynamo(rename = "pk")]
    ///     id: String,
    ///     shard: Option<u8>,
    ///     due_at: i64,
    /// }
    ///
    /// # async fn f(events: Table<Event>) -> Result<(), dynamo_core::Error> {
    /// // Due again in a minute: `due_at` and the index sort key change together.
    /// events.update(EventKey::new("e1"))
    ///     .set_index_keys(EventGsi1Keys { shard: Some(3), due_at: 1_760_000_060 })
    ///     .send()
    ///     .await?;
    /// // Out of the index.
    /// events.update(EventKey::new("e1"))
    ///     .set_index_keys(EventGsi1Keys { shard: None, due_at: 0 })
    ///     .send()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn set_index_keys(mut self, keys: impl IndexKeys<Entity = E>) -> Self {
        let writes = keys.into_update(&self.key);
        self.write_index_keys(writes);
        self
    }

    /// Sets (or removes) fields and the index keys made of them; an index key that could not
    /// be made fails the update when it is sent.
    fn write_index_keys(&mut self, writes: Result<IndexKeyWrites, MappingError>) {
        match writes {
            Ok(writes) => {
                for (attribute, value) in writes {
                    self.actions =
                        std::mem::take(&mut self.actions).set(Path::new(attribute), value);
                }
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    /// Creates the item when it does not exist, instead of failing with
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound).
    ///
    /// Only the key (with the fields of its templates), the entity attribute of a table that has
    /// one, and the attributes this update sets are written: an item created this way
    /// lacks the entity's other required attributes, and reading it is an
    /// [`ErrorKind::Mapping`](crate::ErrorKind::Mapping) error until they are set. Use it for
    /// items that are updates only (counters, sets), or set every required attribute (e.g. with
    /// [`set_if_not_exists`](Self::set_if_not_exists)).
    pub fn upsert(mut self) -> Self {
        self.upsert = true;
        self
    }

    /// Updates only if the stored `#[version]` is `version` (every update bumps it). On an
    /// entity without a `#[version]` field this does not compile.
    pub fn expect_version(self, version: u64) -> Self
    where
        E: Versioned,
    {
        self.condition(super::version_is::<E>(version))
    }

    fn request(self) -> Result<WriteRequest, Error> {
        let table = &self.table;
        let op = Operation::UpdateItem;
        if let Some(e) = self.error {
            return Err(Error::mapping_failed(table.name(), op, e));
        }
        let mut actions = self.actions;
        // Managed timestamps: the update time on every update, the creation time when an upsert
        // creates the item; unless the update sets them itself.
        let schema = &E::SCHEMA;
        if let Some(now) = super::now_attribute() {
            if let Some(attribute) = schema.updated_at_attribute
                && !actions.names(attribute)
            {
                actions = actions.set(Path::new(attribute), Some(now.clone()));
            }
            if let Some(attribute) = schema.created_at_attribute.filter(|_| self.upsert)
                && !actions.names(attribute)
            {
                actions = actions.set_if_not_exists(Path::new(attribute), Some(now));
            }
        }
        if let Some(attribute) = E::SCHEMA.version_attribute {
            actions = actions.add(Path::new(attribute), 1u64);
        }
        if actions.is_empty() {
            return Err(Error::validation(
                table.name(),
                op,
                "the update has no actions",
            ));
        }
        // An update writes the current schema version's shape: it applies to an item of that
        // version (or creates one), never to an older item, which a put or the backfill
        // rewrites whole.
        let mut current_version = None;
        if let Some((attribute, value)) = crate::mapping::schema_version::stamp::<E>() {
            actions = actions.set(Path::new(attribute), value);
            current_version = Some(crate::mapping::schema_version::is_current::<E>());
        }
        let mut actions = actions.merged().map_err(|path| {
            Error::validation(
                table.name(),
                op,
                format!("the update writes {path} twice, differently (or a path inside it): one update names each attribute once; two set_index_keys of indexes that share a field must give it the same value"),
            )
        })?;
        // An item an upsert creates has what a put of its key would write: the fields of its
        // key templates, and its entity type (typed reads keep it).
        if self.upsert {
            let components = self
                .key
                .component_item()
                .map_err(|e| Error::mapping_failed(table.name(), op, e))?;
            for (attribute, value) in components {
                actions = actions.set_if_not_exists(Path::new(attribute), value);
            }
            if let (Some(attribute), Some(entity_type)) =
                (E::TABLE.entity_attribute, E::SCHEMA.entity_type)
            {
                actions = actions.set_if_not_exists(Path::new(attribute), entity_type);
            }
        }
        let key = table.key_item(op, self.key)?;
        let must_exist = !self.upsert;
        let exists = must_exist.then(Condition::item_exists::<E>);
        let current_version = match current_version {
            Some(current) if self.upsert => Some(current.or(Condition::item_not_exists::<E>())),
            other => other,
        };
        let condition = super::and(super::and(exists, current_version), self.condition);
        Ok(WriteRequest::new(
            table,
            Body::Update(actions),
            key,
            condition,
            must_exist,
        ))
    }
}

impl<E: Entity> Write for Update<E> {
    type Entity = E;
}

impl<E: Entity> super::write::sealed::Sealed for Update<E> {
    fn into_requests(self) -> Result<Vec<WriteRequest>, Error> {
        let name = self.table.name().to_owned();
        let request = self.request()?;
        if let Some(constraint) = super::unique::moves_guards::<E>(&name, &request)?.0.first() {
            return Err(Error::validation(
                &name,
                Operation::TransactWriteItems,
                format!(
                    "an update of {}'s unique {} reads the item to move its guard: send it alone (it is a transaction of its own)",
                    E::SCHEMA.name,
                    constraint.name
                ),
            ));
        }
        Ok(vec![request])
    }
}
