//! `rename_all` rules: the same set of cases as serde.

use std::fmt::{self, Display};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RenameRule {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

pub(crate) const RULE_NAMES: &[&str] = &[
    "lowercase",
    "UPPERCASE",
    "PascalCase",
    "camelCase",
    "snake_case",
    "SCREAMING_SNAKE_CASE",
    "kebab-case",
    "SCREAMING-KEBAB-CASE",
];

impl RenameRule {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "lowercase" => Self::Lower,
            "UPPERCASE" => Self::Upper,
            "PascalCase" => Self::Pascal,
            "camelCase" => Self::Camel,
            "snake_case" => Self::Snake,
            "SCREAMING_SNAKE_CASE" => Self::ScreamingSnake,
            "kebab-case" => Self::Kebab,
            "SCREAMING-KEBAB-CASE" => Self::ScreamingKebab,
            _ => return None,
        })
    }

    /// Renames a struct field, written in `snake_case`.
    pub(crate) fn apply_to_field(self, field: &str) -> String {
        match self {
            Self::Lower | Self::Snake => field.to_owned(),
            Self::Upper | Self::ScreamingSnake => field.to_ascii_uppercase(),
            Self::Pascal => snake_to_pascal(field),
            Self::Camel => {
                let pascal = snake_to_pascal(field);
                lower_first(&pascal)
            }
            Self::Kebab => field.replace('_', "-"),
            Self::ScreamingKebab => field.replace('_', "-").to_ascii_uppercase(),
        }
    }

    /// Renames an enum variant, written in `PascalCase`.
    pub(crate) fn apply_to_variant(self, variant: &str) -> String {
        match self {
            Self::Pascal => variant.to_owned(),
            Self::Lower => variant.to_ascii_lowercase(),
            Self::Upper => variant.to_ascii_uppercase(),
            Self::Camel => lower_first(variant),
            Self::Snake => pascal_to_snake(variant),
            Self::ScreamingSnake => pascal_to_snake(variant).to_ascii_uppercase(),
            Self::Kebab => pascal_to_snake(variant).replace('_', "-"),
            Self::ScreamingKebab => pascal_to_snake(variant)
                .replace('_', "-")
                .to_ascii_uppercase(),
        }
    }
}

impl Display for RenameRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let index = *self as usize;
        f.write_str(RULE_NAMES[index])
    }
}

fn snake_to_pascal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper = true;
    for ch in s.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

fn pascal_to_snake(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for (i, ch) in s.char_indices() {
        if i > 0 && ch.is_uppercase() {
            out.push('_');
        }
        out.extend(ch.to_lowercase());
    }
    out
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let cases = [
            (RenameRule::Lower, "hold_expires_at"),
            (RenameRule::Upper, "HOLD_EXPIRES_AT"),
            (RenameRule::Pascal, "HoldExpiresAt"),
            (RenameRule::Camel, "holdExpiresAt"),
            (RenameRule::Snake, "hold_expires_at"),
            (RenameRule::ScreamingSnake, "HOLD_EXPIRES_AT"),
            (RenameRule::Kebab, "hold-expires-at"),
            (RenameRule::ScreamingKebab, "HOLD-EXPIRES-AT"),
        ];
        for (rule, expected) in cases {
            assert_eq!(rule.apply_to_field("hold_expires_at"), expected, "{rule}");
        }
    }

    #[test]
    fn variants() {
        let cases = [
            (RenameRule::Lower, "paymentpending"),
            (RenameRule::Upper, "PAYMENTPENDING"),
            (RenameRule::Pascal, "PaymentPending"),
            (RenameRule::Camel, "paymentPending"),
            (RenameRule::Snake, "payment_pending"),
            (RenameRule::ScreamingSnake, "PAYMENT_PENDING"),
            (RenameRule::Kebab, "payment-pending"),
            (RenameRule::ScreamingKebab, "PAYMENT-PENDING"),
        ];
        for (rule, expected) in cases {
            assert_eq!(rule.apply_to_variant("PaymentPending"), expected, "{rule}");
        }
    }

    #[test]
    fn names_round_trip() {
        for name in RULE_NAMES {
            let rule = RenameRule::from_name(name).expect("every listed name parses");
            assert_eq!(rule.to_string(), *name);
        }
    }
}
