//! The parsed entity's keys and indexes: what every generated artefact is made from.

use crate::internals::ast::{Container, Field};
use crate::internals::attr::IndexRole;

/// Where a key comes from: a field holding it, or a template composing it (the template's
/// position in `Container::templates`).
#[derive(Clone, Copy)]
pub(super) enum Key<'c, 'a> {
    Field(&'c Field<'a>),
    Template(usize),
}

/// One secondary index the entity writes keys of.
pub(super) struct IndexModel<'c, 'a> {
    pub(super) name: String,
    /// `Gsi1` for `GSI1` (or the `alias` of its `gsi(..)`): the middle of the generated type
    /// names.
    pub(super) type_part: String,
    pub(super) pk: Option<Key<'c, 'a>>,
    pub(super) sk: Option<Key<'c, 'a>>,
}

impl IndexModel<'_, '_> {
    /// The index's key templates (by their position in `Container::templates`).
    pub(super) fn templates(&self) -> Vec<usize> {
        [self.pk, self.sk]
            .into_iter()
            .flatten()
            .filter_map(|k| match k {
                Key::Template(n) => Some(n),
                Key::Field(_) => None,
            })
            .collect()
    }
}

/// The keys and managed attributes of the entity.
pub(super) struct EntityModel<'c, 'a> {
    pub(super) pk: Key<'c, 'a>,
    pub(super) sk: Option<Key<'c, 'a>>,
    pub(super) indexes: Vec<IndexModel<'c, 'a>>,
    pub(super) ttl: Option<&'c Field<'a>>,
    pub(super) version: Option<&'c Field<'a>>,
}

impl<'c, 'a> EntityModel<'c, 'a> {
    pub(super) fn of(c: &'c Container<'a>) -> Option<Self> {
        // Templates write the declared table's attributes; without one, the errors are
        // reported and nothing is generated.
        if c.attrs.table.is_none() && (!c.templates.is_empty() || c.attrs.entity.is_some()) {
            return None;
        }
        let key = |role: IndexRole, marker: Option<&'c Field<'a>>| {
            let template = c
                .templates
                .iter()
                .position(|t| t.index.is_none() && t.role == role);
            template.map(Key::Template).or(marker.map(Key::Field))
        };
        let pk = key(IndexRole::Partition, c.marked(|a| a.pk))?;
        let sk = key(IndexRole::Sort, c.marked(|a| a.sk));
        if let (Key::Field(pk), Some(Key::Field(sk))) = (pk, sk)
            && std::ptr::eq(pk, sk)
        {
            // One field as both keys: reported, and nothing to generate.
            return None;
        }

        // Indexes in order of first appearance: field markers, then templates.
        let mut indexes: Vec<IndexModel<'c, 'a>> = Vec::new();
        let slot = |indexes: &mut Vec<IndexModel<'c, 'a>>, name: &str, role, key| {
            let position = match indexes.iter().position(|i| i.name == name) {
                Some(p) => p,
                None => {
                    indexes.push(IndexModel {
                        name: name.to_owned(),
                        type_part: type_part(name),
                        pk: None,
                        sk: None,
                    });
                    indexes.len() - 1
                }
            };
            let index = &mut indexes[position];
            match role {
                IndexRole::Partition => index.pk = Some(key),
                IndexRole::Sort => index.sk = Some(key),
            }
        };
        for f in c.fields() {
            for gsi in &f.attrs.gsi {
                slot(&mut indexes, &gsi.index, gsi.role, Key::Field(f));
            }
        }
        for (n, t) in c.templates.iter().enumerate() {
            if let Some(name) = t.index_name() {
                slot(&mut indexes, name, t.role, Key::Template(n));
            }
        }
        for gsi in &c.attrs.gsi {
            if let (Some(alias), Some(index)) =
                (&gsi.alias, indexes.iter_mut().find(|i| i.name == gsi.index))
            {
                index.type_part = alias.to_string();
            }
        }
        Some(EntityModel {
            pk,
            sk,
            indexes,
            ttl: c.marked(|a| a.ttl),
            version: c.marked(|a| a.version),
        })
    }
}

/// `GSI1` → `Gsi1`, `user-index` → `UserIndex`, `byUser` → `ByUser`.
pub(super) fn type_part(index: &str) -> String {
    index
        .split(|c: char| !c.is_alphanumeric())
        .filter(|s| !s.is_empty())
        .map(|segment| {
            let shouting = !segment.chars().any(char::is_lowercase);
            let mut chars = segment.chars();
            let first = chars.next().map(|c| c.to_uppercase().to_string());
            let rest: String = if shouting {
                chars.as_str().to_lowercase()
            } else {
                chars.as_str().to_owned()
            };
            first.unwrap_or_default() + &rest
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::type_part;

    #[test]
    fn index_names_become_type_names() {
        assert_eq!(type_part("GSI1"), "Gsi1");
        assert_eq!(type_part("user-index"), "UserIndex");
        assert_eq!(type_part("byUser"), "ByUser");
        assert_eq!(type_part("status_index"), "StatusIndex");
    }
}
