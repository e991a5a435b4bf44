//! Expressions: attribute paths, conditions and updates. Names and values always go through
//! generated placeholders (`#n0`, `:v0`), so reserved words such as `status`, `ttl`, `type` or
//! `name` are safe.

mod explain;

pub use explain::ConditionFailure;
pub(crate) use explain::Roles;

use crate::mapping::entity::{Attr, Entity, IndexAttr, KeyAttr};
use crate::mapping::error::ValueError;
use crate::mapping::value::{DynamoValue, IntoAttributeValue, ValueOf};
use aws_sdk_dynamodb::types::AttributeValue;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Name(Cow<'static, str>),
    Index(usize),
}

/// A path to an attribute or into it: `status`, `address.city`, `seats[2]`.
///
/// ```
/// use dynamo_core::expr::Path;
/// let p = Path::new("address").key("city");
/// let q = Path::new("seats").index(2);
/// assert_eq!(p.to_string(), "address.city");
/// assert_eq!(q.to_string(), "seats[2]");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    /// The top-level attribute (a `Name`); most paths are only this, so they allocate nothing.
    head: Segment,
    tail: Vec<Segment>,
}

impl Path {
    /// A top-level attribute.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Self {
        Path {
            head: Segment::Name(name.into()),
            tail: Vec::new(),
        }
    }

    /// A key inside a map attribute.
    #[must_use]
    pub fn key(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.tail.push(Segment::Name(name.into()));
        self
    }

    /// An element of a list attribute.
    #[must_use]
    pub fn index(mut self, index: usize) -> Self {
        self.tail.push(Segment::Index(index));
        self
    }

    /// Whether the path is the top-level attribute `name`.
    pub(crate) fn is_attribute(&self, name: &str) -> bool {
        self.tail.is_empty() && matches!(&self.head, Segment::Name(n) if n == name)
    }

    fn segments(&self) -> impl Iterator<Item = &Segment> {
        std::iter::once(&self.head).chain(&self.tail)
    }

    /// Whether the paths are the same or one is inside the other (`a` and `a.b`): one update
    /// expression cannot name both.
    fn overlaps(&self, other: &Path) -> bool {
        self.segments().zip(other.segments()).all(|(a, b)| a == b)
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, segment) in self.segments().enumerate() {
            match segment {
                Segment::Name(n) if i == 0 => f.write_str(n)?,
                Segment::Name(n) => write!(f, ".{n}")?,
                Segment::Index(ix) => write!(f, "[{ix}]")?,
            }
        }
        Ok(())
    }
}

impl<T> From<Attr<T>> for Path {
    fn from(attr: Attr<T>) -> Self {
        Path::new(attr.name())
    }
}

/// Key attributes are projected like any other.
impl<T> From<KeyAttr<T>> for Path {
    fn from(attr: KeyAttr<T>) -> Self {
        Path::new(attr.name())
    }
}

impl From<&'static str> for Path {
    fn from(name: &'static str) -> Self {
        Path::new(name)
    }
}

impl From<String> for Path {
    fn from(name: String) -> Self {
        Path::new(name)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Path(Path),
    Value(AttributeValue),
    Size(Path),
    /// A value that could not be converted; reported when the expression is rendered.
    Invalid(ValueError),
}

fn operand(v: impl IntoAttributeValue) -> Operand {
    match v.into_attribute_value() {
        Ok(Some(v)) => Operand::Value(v),
        Ok(None) => Operand::Value(AttributeValue::Null(true)),
        Err(e) => Operand::Invalid(e),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Compare(Operand, &'static str, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    Exists(Path),
    NotExists(Path),
    BeginsWith(Path, Operand),
    Contains(Path, Operand),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

/// A condition: for conditional writes, filters and transaction checks.
///
/// Build it from typed paths (`Reservation::fields().status.eq(Status::Hold)`) or from a
/// [`Path`], and combine with [`and`](Condition::and), [`or`](Condition::or) and
/// [`not`](Condition::not).
///
/// ```
/// use dynamo_core::expr::{Condition, Path};
/// let c = Path::new("status").eq("HOLD").and(Path::new("ttl").gt(1_700_000_000));
/// let rendered = c.render().unwrap();
/// assert_eq!(rendered.text, "(#n0 = :v0 AND #n1 > :v1)");
/// assert_eq!(rendered.names["#n0"], "status");
/// assert_eq!(rendered.values.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Condition(Node);

impl Condition {
    /// Both conditions.
    #[must_use]
    pub fn and(self, other: Condition) -> Condition {
        match self.0 {
            Node::And(mut nodes) => {
                nodes.push(other.0);
                Condition(Node::And(nodes))
            }
            node => Condition(Node::And(vec![node, other.0])),
        }
    }

    /// Either condition.
    #[must_use]
    pub fn or(self, other: Condition) -> Condition {
        match self.0 {
            Node::Or(mut nodes) => {
                nodes.push(other.0);
                Condition(Node::Or(nodes))
            }
            node => Condition(Node::Or(vec![node, other.0])),
        }
    }

    /// The item of `E` exists: `attribute_exists` of its table's partition key, whether a field
    /// or a template writes it.
    ///
    /// ```
    /// use dynamo_core::{Condition, DynamoEntity, KeyDef, TableDef};
    /// const T: TableDef = TableDef::new("t", KeyDef::string("pk"));
    /// #[derive(DynamoEntity)]
    /// #[dynamo(table = T, pk = "USER#{user_id}")]
    /// struct User { user_id: String }
    /// assert_eq!(Condition::item_not_exists::<User>().render().unwrap().names["#n0"], "pk");
    /// ```
    pub fn item_exists<E: Entity>() -> Condition {
        Path::new(E::SCHEMA.partition_key.attribute).exists()
    }

    /// The item of `E` does not exist: `attribute_not_exists` of its table's partition key.
    pub fn item_not_exists<E: Entity>() -> Condition {
        Path::new(E::SCHEMA.partition_key.attribute).not_exists()
    }

    /// The negation.
    #[allow(clippy::should_implement_trait)]
    #[must_use]
    pub fn not(self) -> Condition {
        Condition(Node::Not(Box::new(self.0)))
    }

    /// Whether the condition requires the top-level attribute `name` to exist (an
    /// `attribute_exists(name)` that must hold on its own).
    pub(crate) fn requires_attribute(&self, name: &str) -> bool {
        fn requires(node: &Node, name: &str) -> bool {
            match node {
                Node::Exists(path) => path.is_attribute(name),
                Node::And(nodes) => nodes.iter().any(|n| requires(n, name)),
                _ => false,
            }
        }
        requires(&self.0, name)
    }

    /// The expression text with its name and value placeholders, standalone.
    pub fn render(&self) -> Result<Rendered, ValueError> {
        let mut b = Placeholders::default();
        let text = b.condition(self)?;
        Ok(Rendered {
            text,
            names: b.names,
            values: b.values,
        })
    }
}

macro_rules! comparisons {
    ($($(#[$doc:meta])* $name:ident => $op:literal,)*) => {
        impl Path {
            $(
                $(#[$doc])*
                pub fn $name(self, value: impl IntoAttributeValue) -> Condition {
                    Condition(Node::Compare(Operand::Path(self), $op, operand(value)))
                }
            )*
        }

        impl<T: DynamoValue> Attr<T> {
            $(
                $(#[$doc])*
                pub fn $name(self, value: impl ValueOf<T>) -> Condition {
                    Path::from(self).$name(value.into_value())
                }
            )*
        }

        impl<T: DynamoValue> KeyAttr<T> {
            $(
                $(#[$doc])*
                pub fn $name(self, value: impl ValueOf<T>) -> Condition {
                    self.attr().$name(value)
                }
            )*
        }

        impl<T: DynamoValue, E: Entity> IndexAttr<T, E> {
            $(
                $(#[$doc])*
                pub fn $name(self, value: impl ValueOf<T>) -> Condition {
                    self.attr().$name(value)
                }
            )*
        }

        impl Size {
            $(
                $(#[$doc])*
                pub fn $name(self, value: usize) -> Condition {
                    Condition(Node::Compare(Operand::Size(self.0), $op, Operand::Value(AttributeValue::N(value.to_string()))))
                }
            )*
        }
    };
}

/// `size(path)`, to compare with a number.
#[derive(Debug, Clone, PartialEq)]
pub struct Size(Path);

comparisons! {
    /// `path = value`.
    eq => "=",
    /// `path <> value`.
    ne => "<>",
    /// `path < value`.
    lt => "<",
    /// `path <= value`.
    le => "<=",
    /// `path > value`.
    gt => ">",
    /// `path >= value`.
    ge => ">=",
}

impl Path {
    /// `path BETWEEN low AND high` (inclusive).
    pub fn between(self, low: impl IntoAttributeValue, high: impl IntoAttributeValue) -> Condition {
        Condition(Node::Between(
            Operand::Path(self),
            operand(low),
            operand(high),
        ))
    }

    /// `path IN (values)`.
    pub fn is_in<V: DynamoValue>(self, values: impl IntoIterator<Item = V>) -> Condition {
        Condition(Node::In(
            Operand::Path(self),
            values.into_iter().map(operand).collect(),
        ))
    }

    /// `attribute_exists(path)`.
    pub fn exists(self) -> Condition {
        Condition(Node::Exists(self))
    }

    /// `attribute_not_exists(path)`.
    pub fn not_exists(self) -> Condition {
        Condition(Node::NotExists(self))
    }

    /// `begins_with(path, prefix)`.
    pub fn begins_with(self, prefix: impl Into<String>) -> Condition {
        Condition(Node::BeginsWith(
            self,
            Operand::Value(AttributeValue::S(prefix.into())),
        ))
    }

    /// `contains(path, value)`: a substring of a string, or a member of a set or list.
    pub fn contains(self, value: impl IntoAttributeValue) -> Condition {
        Condition(Node::Contains(self, operand(value)))
    }

    /// `size(path)`: length of a string or binary, number of elements of a set, list or map.
    pub fn size(self) -> Size {
        Size(self)
    }

    /// `path = other` for two attributes.
    pub fn eq_path(self, other: impl Into<Path>) -> Condition {
        Condition(Node::Compare(
            Operand::Path(self),
            "=",
            Operand::Path(other.into()),
        ))
    }
}

impl<T: DynamoValue> Attr<T> {
    /// `path BETWEEN low AND high` (inclusive).
    pub fn between(self, low: impl ValueOf<T>, high: impl ValueOf<T>) -> Condition {
        Path::from(self).between(low.into_value(), high.into_value())
    }

    /// `path IN (values)`.
    pub fn is_in(self, values: impl IntoIterator<Item = T>) -> Condition {
        Path::from(self).is_in(values)
    }

    /// `attribute_exists(path)`.
    pub fn exists(self) -> Condition {
        Path::from(self).exists()
    }

    /// `attribute_not_exists(path)`.
    pub fn not_exists(self) -> Condition {
        Path::from(self).not_exists()
    }

    /// `begins_with(path, prefix)`.
    pub fn begins_with(self, prefix: impl Into<String>) -> Condition {
        Path::from(self).begins_with(prefix)
    }

    /// `contains(path, value)`.
    pub fn contains(self, value: impl IntoAttributeValue) -> Condition {
        Path::from(self).contains(value)
    }

    /// `size(path)`.
    pub fn size(self) -> Size {
        Path::from(self).size()
    }

    /// A path into this attribute's map.
    pub fn key(self, name: impl Into<Cow<'static, str>>) -> Path {
        Path::from(self).key(name)
    }

    /// A path to an element of this attribute's list.
    pub fn index(self, index: usize) -> Path {
        Path::from(self).index(index)
    }
}

/// A key part reads like an [`Attr`] in conditions and projections (updates do not take a
/// [`KeyAttr`]; see [`IndexAttr`] for the one they take).
macro_rules! key_part_conditions {
    ($ty:ident $(, $entity:ident)?) => {
        impl<T: DynamoValue $(, $entity: Entity)?> $ty<T $(, $entity)?> {
            /// `path BETWEEN low AND high` (inclusive).
            pub fn between(self, low: impl ValueOf<T>, high: impl ValueOf<T>) -> Condition {
                self.attr().between(low, high)
            }

            /// `path IN (values)`.
            pub fn is_in(self, values: impl IntoIterator<Item = T>) -> Condition {
                self.attr().is_in(values)
            }

            /// `attribute_exists(path)`.
            pub fn exists(self) -> Condition {
                self.attr().exists()
            }

            /// `attribute_not_exists(path)`.
            pub fn not_exists(self) -> Condition {
                self.attr().not_exists()
            }

            /// `begins_with(path, prefix)`.
            pub fn begins_with(self, prefix: impl Into<String>) -> Condition {
                self.attr().begins_with(prefix)
            }

            /// `contains(path, value)`.
            pub fn contains(self, value: impl IntoAttributeValue) -> Condition {
                self.attr().contains(value)
            }

            /// `size(path)`.
            pub fn size(self) -> Size {
                self.attr().size()
            }
        }
    };
}

key_part_conditions!(KeyAttr);
key_part_conditions!(IndexAttr, E);

/// Index key parts are projected like any other attribute.
impl<T, E: Entity> From<IndexAttr<T, E>> for Path {
    fn from(attr: IndexAttr<T, E>) -> Self {
        Path::new(attr.name())
    }
}

impl<T: crate::mapping::value::Tagged> Attr<T> {
    /// `path.tag = "variant"`: the stored value is of `value`'s variant (its fields are not
    /// compared). For `#[dynamo(tag = "..")]` enums.
    ///
    /// ```
    /// use dynamo_core::{DynamoEntity, DynamoValue};
    ///
    /// #[derive(DynamoValue)]
    /// #[dynamo(tag = "method", rename_all = "snake_case")]
    /// enum Payment { Cash, Card { last4: String } }
    ///
    /// #[derive(DynamoEntity)]
    /// #[dynamo(table_name = "orders")]
    /// struct Order { #[pk] id: String, payment: Payment }
    ///
    /// let cash = Order::fields().payment.is_variant(&Payment::Cash);
    /// let rendered = cash.render()?;
    /// assert_eq!(rendered.text, "#n0.#n1 = :v0");
    /// assert_eq!(rendered.values[":v0"], dynamo_core::AttributeValue::S("cash".into()));
    /// # Ok::<(), dynamo_core::mapping::ValueError>(())
    /// ```
    pub fn is_variant(self, value: &T) -> Condition {
        Path::from(self).key(T::TAG).eq(value.variant())
    }
}

#[derive(Debug, Clone, PartialEq)]
enum SetAction {
    Value(Operand),
    IfNotExists(Operand),
    Append(Operand),
    Prepend(Operand),
}

/// What an update does to one top-level attribute ([`UpdateExpr::on_attribute`]).
struct OnAttribute<'a> {
    sets: Vec<&'a SetAction>,
    removed: bool,
    adds: Vec<&'a Operand>,
    deleted: bool,
    /// Another action names a path inside the attribute.
    inside: bool,
}

/// The actions of an update expression: `SET`, `REMOVE`, `ADD` and `DELETE`, by path. What
/// [`Update`](crate::Update)'s typed methods write into.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct UpdateExpr {
    set: Vec<(Path, SetAction)>,
    remove: Vec<Path>,
    add: Vec<(Path, Operand)>,
    delete: Vec<(Path, Operand)>,
}

impl UpdateExpr {
    /// Whether no action was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.set.is_empty()
            && self.remove.is_empty()
            && self.add.is_empty()
            && self.delete.is_empty()
    }

    /// `SET path = value`. A value stored as no attribute (`None`, an empty set) removes it.
    #[must_use]
    pub(crate) fn set(mut self, path: impl Into<Path>, v: impl IntoAttributeValue) -> Self {
        match v.into_attribute_value() {
            Ok(None) => self.remove.push(path.into()),
            Ok(Some(v)) => self
                .set
                .push((path.into(), SetAction::Value(Operand::Value(v)))),
            Err(e) => self
                .set
                .push((path.into(), SetAction::Value(Operand::Invalid(e)))),
        }
        self
    }

    /// `SET path = if_not_exists(path, value)`.
    #[must_use]
    pub(crate) fn set_if_not_exists(
        mut self,
        path: impl Into<Path>,
        v: impl IntoAttributeValue,
    ) -> Self {
        self.set
            .push((path.into(), SetAction::IfNotExists(operand(v))));
        self
    }

    /// `SET path = list_append(path, values)`: adds to the end of a list.
    #[must_use]
    pub(crate) fn append(mut self, path: impl Into<Path>, values: impl IntoAttributeValue) -> Self {
        self.set
            .push((path.into(), SetAction::Append(operand(values))));
        self
    }

    /// `SET path = list_append(values, path)`: adds to the front of a list.
    #[must_use]
    pub(crate) fn prepend(
        mut self,
        path: impl Into<Path>,
        values: impl IntoAttributeValue,
    ) -> Self {
        self.set
            .push((path.into(), SetAction::Prepend(operand(values))));
        self
    }

    /// `REMOVE path`.
    #[must_use]
    pub(crate) fn remove(mut self, path: impl Into<Path>) -> Self {
        self.remove.push(path.into());
        self
    }

    /// `ADD path value`: adds to a number (created at 0) or to a set.
    #[must_use]
    pub(crate) fn add(mut self, path: impl Into<Path>, v: impl IntoAttributeValue) -> Self {
        self.add.push((path.into(), operand(v)));
        self
    }

    /// `DELETE path values`: removes members from a set.
    #[must_use]
    pub(crate) fn delete(
        mut self,
        path: impl Into<Path>,
        members: impl IntoAttributeValue,
    ) -> Self {
        self.delete.push((path.into(), operand(members)));
        self
    }

    /// Whether an action names top-level attribute `attribute` (or a path inside it).
    pub(crate) fn names(&self, attribute: &str) -> bool {
        let named = |p: &Path| matches!(&p.head, Segment::Name(n) if n == attribute);
        self.set.iter().any(|(p, _)| named(p))
            || self.remove.iter().any(named)
            || self.add.iter().any(|(p, _)| named(p))
            || self.delete.iter().any(|(p, _)| named(p))
    }

    /// The actions on top-level attribute `attribute` itself, and whether another action names
    /// a path inside it.
    fn on_attribute(&self, attribute: &str) -> OnAttribute<'_> {
        let only = |p: &Path| p.is_attribute(attribute);
        OnAttribute {
            sets: self
                .set
                .iter()
                .filter(|(p, _)| only(p))
                .map(|(_, a)| a)
                .collect(),
            removed: self.remove.iter().any(only),
            adds: self
                .add
                .iter()
                .filter(|(p, _)| only(p))
                .map(|(_, o)| o)
                .collect(),
            deleted: self.delete.iter().any(|(p, _)| only(p)),
            inside: self
                .set
                .iter()
                .map(|(p, _)| p)
                .chain(&self.remove)
                .chain(self.add.iter().map(|(p, _)| p))
                .chain(self.delete.iter().map(|(p, _)| p))
                .any(|p| !only(p) && matches!(&p.head, Segment::Name(n) if n == attribute)),
        }
    }

    /// How the update changes top-level attribute `attribute`: what a unique constraint's
    /// guard is moved by.
    pub(crate) fn assigned(&self, attribute: &str) -> crate::table::unique::Assigned {
        use crate::table::unique::Assigned;
        if !self.names(attribute) {
            return Assigned::Untouched;
        }
        let on = self.on_attribute(attribute);
        if on.inside || !on.adds.is_empty() || on.deleted {
            return Assigned::Other;
        }
        match (on.sets.as_slice(), on.removed) {
            ([SetAction::Value(Operand::Value(_))], false) => Assigned::Value,
            ([], true) => Assigned::Removed,
            _ => Assigned::Other,
        }
    }

    /// The value top-level attribute `attribute` has after the update, given the value `old`
    /// it has before (`Some(None)`: removed): `None` when the update changes it in a way this
    /// cannot follow (more than one action, a path inside it, a list append).
    pub(crate) fn value_after(
        &self,
        attribute: &str,
        old: Option<&AttributeValue>,
    ) -> Option<Option<AttributeValue>> {
        if !self.names(attribute) {
            return Some(old.cloned());
        }
        let on = self.on_attribute(attribute);
        if on.inside || on.deleted {
            return None;
        }
        match (on.sets.as_slice(), on.removed, on.adds.as_slice()) {
            ([SetAction::Value(Operand::Value(value))], false, []) => Some(Some(value.clone())),
            ([], true, []) => Some(None),
            ([SetAction::IfNotExists(Operand::Value(value))], false, []) => {
                Some(Some(old.cloned().unwrap_or_else(|| value.clone())))
            }
            ([], false, [Operand::Value(AttributeValue::N(n))]) => {
                let base = match old {
                    None => 0,
                    Some(AttributeValue::N(old)) => old.parse::<i64>().ok()?,
                    Some(_) => return None,
                };
                let sum = base.checked_add(n.parse::<i64>().ok()?)?;
                Some(Some(AttributeValue::N(sum.to_string())))
            }
            _ => None,
        }
    }

    /// The actions with repeats of one same action dropped. `Err(path)` when two different
    /// actions name one path, or one path inside another: DynamoDB refuses the request ("Two
    /// document paths overlap"), so it is refused before it is sent.
    pub(crate) fn merged(mut self) -> Result<Self, Path> {
        fn dedup<T: PartialEq>(actions: &mut Vec<T>) {
            let mut kept = Vec::with_capacity(actions.len());
            for action in actions.drain(..) {
                if !kept.contains(&action) {
                    kept.push(action);
                }
            }
            *actions = kept;
        }
        dedup(&mut self.set);
        dedup(&mut self.remove);
        dedup(&mut self.add);
        dedup(&mut self.delete);
        let paths: Vec<&Path> = (self.set.iter().map(|(p, _)| p))
            .chain(&self.remove)
            .chain(self.add.iter().map(|(p, _)| p))
            .chain(self.delete.iter().map(|(p, _)| p))
            .collect();
        for (i, a) in paths.iter().enumerate() {
            if let Some(b) = paths[i + 1..].iter().find(|b| a.overlaps(b)) {
                let shorter = if a.tail.len() <= b.tail.len() { a } else { b };
                return Err((*shorter).clone());
            }
        }
        Ok(self)
    }

    /// The expression text with its placeholders, standalone.
    #[cfg(test)]
    pub(crate) fn render(&self) -> Result<Rendered, ValueError> {
        let mut b = Placeholders::default();
        let text = b.update(self)?;
        Ok(Rendered {
            text,
            names: b.names,
            values: b.values,
        })
    }
}

/// Expression attribute names: placeholder to name.
pub type Names = HashMap<String, String>;
/// Expression attribute values: placeholder to value.
pub type Values = HashMap<String, AttributeValue>;

/// An expression with its placeholders.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The expression text, e.g. `#n0 = :v0`.
    pub text: String,
    /// `#n0` to attribute name.
    pub names: Names,
    /// `:v0` to value.
    pub values: Values,
}

/// Placeholders shared by the expressions of one request.
#[derive(Debug, Default)]
pub(crate) struct Placeholders {
    pub(crate) names: HashMap<String, String>,
    pub(crate) values: HashMap<String, AttributeValue>,
    next_value: usize,
}

impl Placeholders {
    /// Writes the placeholder of attribute `name` into `out`, registering it the first time.
    fn name(&mut self, name: &str, out: &mut String) {
        // An expression names few attributes: a scan of the names beats a second map.
        match self.names.iter().find(|(_, known)| *known == name) {
            Some((placeholder, _)) => out.push_str(placeholder),
            None => {
                let placeholder = format!("#n{}", self.names.len());
                out.push_str(&placeholder);
                self.names.insert(placeholder, name.to_owned());
            }
        }
    }

    pub(crate) fn value(&mut self, value: AttributeValue) -> String {
        let p = format!(":v{}", self.next_value);
        self.next_value += 1;
        self.values.insert(p.clone(), value);
        p
    }

    pub(crate) fn path(&mut self, path: &Path) -> String {
        let mut out = String::with_capacity(8);
        for (i, segment) in path.segments().enumerate() {
            match segment {
                Segment::Name(n) => {
                    if i > 0 {
                        out.push('.');
                    }
                    self.name(n, &mut out);
                }
                Segment::Index(ix) => {
                    let _ = write!(out, "[{ix}]");
                }
            }
        }
        out
    }

    fn operand(&mut self, operand: &Operand) -> Result<String, ValueError> {
        Ok(match operand {
            Operand::Path(p) => self.path(p),
            Operand::Value(v) => self.value(v.clone()),
            Operand::Size(p) => format!("size({})", self.path(p)),
            Operand::Invalid(e) => return Err(e.clone()),
        })
    }

    fn node(&mut self, node: &Node) -> Result<String, ValueError> {
        Ok(match node {
            Node::Compare(a, op, b) => format!("{} {op} {}", self.operand(a)?, self.operand(b)?),
            Node::Between(a, lo, hi) => {
                format!(
                    "{} BETWEEN {} AND {}",
                    self.operand(a)?,
                    self.operand(lo)?,
                    self.operand(hi)?
                )
            }
            Node::In(a, list) => {
                let a = self.operand(a)?;
                let list = list
                    .iter()
                    .map(|o| self.operand(o))
                    .collect::<Result<Vec<_>, _>>()?;
                format!("{a} IN ({})", list.join(", "))
            }
            Node::Exists(p) => format!("attribute_exists({})", self.path(p)),
            Node::NotExists(p) => format!("attribute_not_exists({})", self.path(p)),
            Node::BeginsWith(p, v) => {
                format!("begins_with({}, {})", self.path(p), self.operand(v)?)
            }
            Node::Contains(p, v) => format!("contains({}, {})", self.path(p), self.operand(v)?),
            Node::And(nodes) => self.join(nodes, " AND ")?,
            Node::Or(nodes) => self.join(nodes, " OR ")?,
            Node::Not(node) => format!("(NOT {})", self.node(node)?),
        })
    }

    fn join(&mut self, nodes: &[Node], sep: &str) -> Result<String, ValueError> {
        let parts = nodes
            .iter()
            .map(|n| self.node(n))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(format!("({})", parts.join(sep)))
    }

    pub(crate) fn condition(&mut self, condition: &Condition) -> Result<String, ValueError> {
        self.node(&condition.0)
    }

    pub(crate) fn update(&mut self, update: &UpdateExpr) -> Result<String, ValueError> {
        let mut clauses = Vec::new();
        if !update.set.is_empty() {
            let mut actions = Vec::with_capacity(update.set.len());
            for (path, action) in &update.set {
                let p = self.path(path);
                actions.push(match action {
                    SetAction::Value(v) => format!("{p} = {}", self.operand(v)?),
                    SetAction::IfNotExists(v) => {
                        format!("{p} = if_not_exists({p}, {})", self.operand(v)?)
                    }
                    SetAction::Append(v) => format!(
                        "{p} = list_append(if_not_exists({p}, :empty_list), {})",
                        self.operand_with_empty_list(v)?
                    ),
                    SetAction::Prepend(v) => format!(
                        "{p} = list_append({}, if_not_exists({p}, :empty_list))",
                        self.operand_with_empty_list(v)?
                    ),
                });
            }
            clauses.push(format!("SET {}", actions.join(", ")));
        }
        if !update.remove.is_empty() {
            let paths: Vec<String> = update.remove.iter().map(|p| self.path(p)).collect();
            clauses.push(format!("REMOVE {}", paths.join(", ")));
        }
        for (keyword, actions) in [("ADD", &update.add), ("DELETE", &update.delete)] {
            if !actions.is_empty() {
                let mut parts = Vec::with_capacity(actions.len());
                for (path, v) in actions {
                    parts.push(format!("{} {}", self.path(path), self.operand(v)?));
                }
                clauses.push(format!("{keyword} {}", parts.join(", ")));
            }
        }
        Ok(clauses.join(" "))
    }

    /// An operand, registering the `:empty_list` placeholder `list_append` uses for absent lists.
    fn operand_with_empty_list(&mut self, v: &Operand) -> Result<String, ValueError> {
        self.values
            .entry(":empty_list".to_owned())
            .or_insert_with(|| AttributeValue::L(Vec::new()));
        self.operand(v)
    }

    /// The placeholder maps, `None` when empty (DynamoDB rejects empty maps).
    pub(crate) fn into_parts(self) -> (Option<Names>, Option<Values>) {
        (
            (!self.names.is_empty()).then_some(self.names),
            (!self.values.is_empty()).then_some(self.values),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_words_always_go_through_placeholders() {
        let c = Path::new("status")
            .eq("HOLD")
            .and(Path::new("ttl").lt(5))
            .and(Path::new("name").exists());
        let Rendered {
            text,
            names,
            values: _,
        } = c.render().expect("renders");
        assert_eq!(text, "(#n0 = :v0 AND #n1 < :v1 AND attribute_exists(#n2))");
        assert_eq!(names.len(), 3);
        assert!(!text.contains("status"));
    }

    #[test]
    fn names_are_shared_and_nested_paths_render() {
        let c = Path::new("a")
            .key("b")
            .index(3)
            .eq(1)
            .or(Path::new("a").size().gt(2))
            .not();
        let Rendered {
            text,
            names,
            values,
        } = c.render().expect("renders");
        assert_eq!(text, "(NOT (#n0.#n1[3] = :v0 OR size(#n0) > :v1))");
        assert_eq!(names.len(), 2);
        assert_eq!(values[":v1"], AttributeValue::N("2".into()));
    }

    #[test]
    fn in_between_begins_contains() {
        let c = Path::new("n")
            .between(1, 9)
            .and(Path::new("s").begins_with("EVT#"))
            .and(Path::new("tags").contains("vip"))
            .and(Path::new("k").is_in(["a", "b"].map(String::from)));
        let Rendered {
            text,
            names: _,
            values,
        } = c.render().expect("renders");
        assert_eq!(
            text,
            "(#n0 BETWEEN :v0 AND :v1 AND begins_with(#n1, :v2) AND contains(#n2, :v3) AND #n3 IN (:v4, :v5))"
        );
        assert_eq!(values.len(), 6);
    }

    #[test]
    fn invalid_values_are_reported_when_rendered() {
        let err = Path::new("price").eq(f64::NAN).render().expect_err("NaN");
        assert!(err.to_string().contains("finite"));
    }

    #[test]
    fn repeated_actions_merge_and_overlapping_paths_are_refused() {
        let same = UpdateExpr::default()
            .set("status", "open")
            .set("gsi1pk", "STATUS#open")
            .set("status", "open")
            .set("gone", Option::<String>::None)
            .set("gone", Option::<String>::None)
            .merged()
            .expect("repeats merge");
        assert_eq!(
            same.render().expect("renders").text,
            "SET #n0 = :v0, #n1 = :v1 REMOVE #n2"
        );
        let differing = UpdateExpr::default()
            .set("status", "open")
            .set("status", "closed")
            .merged();
        assert_eq!(differing, Err(Path::new("status")));
        let inside = UpdateExpr::default()
            .set(Path::new("address").key("city"), "Seoul")
            .remove("address")
            .merged();
        assert_eq!(inside, Err(Path::new("address")));
        let set_and_add = UpdateExpr::default().set("n", 1).add("n", 1).merged();
        assert_eq!(set_and_add, Err(Path::new("n")));
        let apart = UpdateExpr::default()
            .set(Path::new("address").key("city"), "Seoul")
            .set(Path::new("address").key("zip"), "04524")
            .set("addresses", "x")
            .merged();
        assert!(apart.is_ok(), "siblings and a longer name do not overlap");
    }

    #[test]
    fn update_clauses() {
        let u = UpdateExpr::default()
            .set("a", 1)
            .set_if_not_exists("created", "now")
            .append("log", vec!["x".to_string()])
            .prepend("n", vec![2])
            .set("gone", Option::<String>::None)
            .add("tags", std::collections::HashSet::from(["t".to_string()]))
            .delete("old", std::collections::HashSet::from(["o".to_string()]));
        let Rendered {
            text,
            names: _,
            values,
        } = u.render().expect("renders");
        assert_eq!(
            text,
            "SET #n0 = :v0, #n1 = if_not_exists(#n1, :v1), #n2 = list_append(if_not_exists(#n2, :empty_list), :v2), #n3 = list_append(:v3, if_not_exists(#n3, :empty_list)) REMOVE #n4 ADD #n5 :v4 DELETE #n6 :v5"
        );
        assert!(values.contains_key(":empty_list"));
    }
}
