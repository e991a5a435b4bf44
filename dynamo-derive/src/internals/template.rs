//! Key templates: `"SEAT#{section}#{seat_no:4}"` parsed into literal text and placeholders.
//! `{{` and `}}` are literal braces.

use syn::LitStr;

/// One part of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    Literal(String),
    /// A placeholder: the field it names, and the digits to pad an integer to (`0`: the type's
    /// own width).
    Field {
        name: String,
        width: usize,
    },
    /// `{shard(field):N}`: the shard of the field's key text among `shards`, written with the
    /// digits of `shards - 1`.
    Shard {
        name: String,
        shards: u32,
    },
}

impl Part {
    /// The field a placeholder names.
    pub(crate) fn field(&self) -> Option<&str> {
        match self {
            Part::Field { name, .. } | Part::Shard { name, .. } => Some(name),
            Part::Literal(_) => None,
        }
    }
}

/// A parsed key template.
pub(crate) struct Template {
    pub(crate) lit: LitStr,
    pub(crate) text: String,
    pub(crate) parts: Vec<Part>,
}

/// The widest integer component (`u128`) has 39 digits.
const MAX_WIDTH: usize = 39;

/// The most shards a `{shard(field):N}` component spreads over.
pub(crate) const MAX_SHARDS: u32 = 10_000;

impl Template {
    /// Parses `lit`; the error says what is wrong and how to write it.
    pub(crate) fn parse(lit: &LitStr) -> Result<Template, String> {
        let text = lit.value();
        if text.is_empty() {
            return Err("a key template cannot be empty: write the key's text, with {field} placeholders, e.g. \"EVENT#{event_id}\"".into());
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => {
                    return Err(format!(
                        "unbalanced `}}` in key template \"{text}\": placeholders are written {{field}}, a literal brace }}}}"
                    ));
                }
                '{' => {
                    let mut inner = String::new();
                    let mut closed = false;
                    for c in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        inner.push(c);
                    }
                    if !closed {
                        return Err(format!(
                            "unbalanced `{{` in key template \"{text}\": close the placeholder with `}}`, or write a literal brace as {{{{"
                        ));
                    }
                    let field = placeholder(&text, &inner)?;
                    if let Some(name) = parts.last().and_then(Part::field)
                        && literal.is_empty()
                    {
                        return Err(format!(
                            "placeholders {{{name}}} and {{{}}} are adjacent in key template \"{text}\": separate them with a delimiter, e.g. \"{{{name}}}#{{{}}}\", so the key reads back unambiguously",
                            field_name(&field),
                            field_name(&field),
                        ));
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    if parts.iter().any(|p| p.field() == Some(field_name(&field))) {
                        return Err(format!(
                            "placeholder {{{}}} appears twice in key template \"{text}\"; a field is written once",
                            field_name(&field)
                        ));
                    }
                    parts.push(field);
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Template {
            lit: lit.clone(),
            text,
            parts,
        })
    }

    /// The fields the template is composed of, in order, with their widths (`0` for a shard's
    /// field: its text is hashed, not written).
    pub(crate) fn components(&self) -> impl Iterator<Item = (&str, usize)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Field { name, width } => Some((name.as_str(), *width)),
            Part::Shard { name, .. } => Some((name.as_str(), 0)),
            Part::Literal(_) => None,
        })
    }

    /// The `{shard(field):N}` component: its field and `N`.
    pub(crate) fn shard(&self) -> Option<(&str, u32)> {
        self.parts.iter().find_map(|p| match p {
            Part::Shard { name, shards } => Some((name.as_str(), *shards)),
            _ => None,
        })
    }

    /// Whether the template has no placeholder.
    pub(crate) fn is_constant(&self) -> bool {
        self.components().next().is_none()
    }

    /// The literal text before the first placeholder; the whole key without placeholders.
    pub(crate) fn prefix(&self) -> String {
        match self.parts.first() {
            Some(Part::Literal(text)) => text.clone(),
            _ => String::new(),
        }
    }

    /// The template without placeholder names: `"EVENT#{}"`.
    pub(crate) fn shape(&self) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Literal(text) => text.replace('{', "{{").replace('}', "}}"),
                Part::Field { width: 0, .. } => "{}".to_owned(),
                Part::Field { width, .. } => format!("{{:{width}}}"),
                Part::Shard { shards, .. } => format!("{{shard:{shards}}}"),
            })
            .collect()
    }

    /// The delimiter after each component: the first character of the literal that follows
    /// it, which the component must not contain (or a key could be read two ways, and a prefix
    /// of one value would match another's). The last component, when nothing follows it, is
    /// free: the key reads back unambiguously whatever it holds.
    pub(crate) fn delimiters(&self) -> Vec<Option<char>> {
        self.parts
            .iter()
            .enumerate()
            .filter(|(_, p)| p.field().is_some())
            .map(|(i, _)| match self.parts.get(i + 1) {
                Some(Part::Literal(text)) => text.chars().next(),
                _ => None,
            })
            .collect()
    }
}

fn field_name(part: &Part) -> &str {
    match part {
        Part::Field { name, .. } | Part::Shard { name, .. } => name,
        Part::Literal(text) => text,
    }
}

/// `shard(name):shards`.
fn shard_placeholder(
    text: &str,
    inner: &str,
    field: &str,
    shards: Option<&str>,
) -> Result<Part, String> {
    let name = field.trim();
    let name = name.strip_prefix("r#").unwrap_or(name);
    if name.is_empty()
        || !name.chars().all(|c| c.is_alphanumeric() || c == '_')
        || name.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(format!(
            "placeholder {{{inner}}} in key template \"{text}\" does not name a field to shard by; write {{shard(field):N}}, e.g. {{shard(seat_id):16}}"
        ));
    }
    let Some(shards) = shards else {
        return Err(format!(
            "placeholder {{{inner}}} in key template \"{text}\" does not say how many shards: write {{shard({name}):N}}, e.g. {{shard({name}):16}}"
        ));
    };
    match shards.parse::<u32>() {
        Ok(n) if (2..=MAX_SHARDS).contains(&n) => Ok(Part::Shard {
            name: name.to_owned(),
            shards: n,
        }),
        _ => Err(format!(
            "`{shards}` shards in placeholder {{{inner}}} of key template \"{text}\" is not a number from 2 to {MAX_SHARDS}; write e.g. {{shard({name}):16}} for 16 shards"
        )),
    }
}

/// `name`, `name:width` or `shard(name):shards`.
fn placeholder(text: &str, inner: &str) -> Result<Part, String> {
    let (name, width) = match inner.split_once(':') {
        Some((name, width)) => (name.trim(), Some(width.trim())),
        None => (inner.trim(), None),
    };
    if let Some(field) = name
        .strip_prefix("shard(")
        .and_then(|f| f.strip_suffix(')'))
    {
        return shard_placeholder(text, inner, field, width);
    }
    if name.is_empty() {
        return Err(format!(
            "empty placeholder in key template \"{text}\": name the field it holds, e.g. {{event_id}}"
        ));
    }
    let name = name.strip_prefix("r#").unwrap_or(name);
    if !name.chars().all(|c| c.is_alphanumeric() || c == '_')
        || name.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(format!(
            "placeholder {{{inner}}} in key template \"{text}\" is not a field name; write {{field}} or {{field:WIDTH}}"
        ));
    }
    let width = match width {
        None => 0,
        Some(width) => match width.parse::<usize>() {
            Ok(w) if (1..=MAX_WIDTH).contains(&w) => w,
            _ => {
                return Err(format!(
                    "width `{width}` of placeholder {{{name}}} in key template \"{text}\" is not a number of digits from 1 to {MAX_WIDTH}; write e.g. {{{name}:4}} to zero-pad an integer to 4 digits"
                ));
            }
        },
    };
    Ok(Part::Field {
        name: name.to_owned(),
        width,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Template, String> {
        Template::parse(&LitStr::new(text, proc_macro2::Span::call_site()))
    }

    #[test]
    fn parts_prefix_shape_and_delimiters() {
        let t = parse("SEAT#{section}#{seat_no:4}").expect("valid");
        assert_eq!(
            t.components().collect::<Vec<_>>(),
            [("section", 0), ("seat_no", 4)]
        );
        assert_eq!(t.prefix(), "SEAT#");
        assert_eq!(t.shape(), "SEAT#{}#{:4}");
        assert_eq!(t.delimiters(), [Some('#'), None]);
        let t = parse("{created_at}|{id}.x").expect("valid");
        assert_eq!(t.prefix(), "");
        assert_eq!(t.delimiters(), [Some('|'), Some('.')]);
        let t = parse("EVENT").expect("valid");
        assert!(t.is_constant());
        assert_eq!(t.prefix(), "EVENT");
        let t = parse("A{{B}}#{r#type}").expect("valid");
        assert_eq!(t.prefix(), "A{B}#");
        assert_eq!(t.shape(), "A{{B}}#{}");
        let t = parse("EVENT#{event_id}#{shard(seat_id):256}").expect("valid");
        assert_eq!(
            t.components().collect::<Vec<_>>(),
            [("event_id", 0), ("seat_id", 0)]
        );
        assert_eq!(t.shard(), Some(("seat_id", 256)));
        assert_eq!(t.shape(), "EVENT#{}#{shard:256}");
        assert_eq!(t.delimiters(), [Some('#'), None]);
    }

    #[test]
    fn mistakes_are_explained() {
        let cases = [
            ("", "cannot be empty"),
            ("A#{id", "unbalanced `{`"),
            ("A#id}", "unbalanced `}`"),
            ("A#{}", "empty placeholder"),
            ("{a}{b}", "adjacent"),
            ("{a}#{a}", "appears twice"),
            ("{a:x}", "not a number of digits"),
            ("{a:0}", "not a number of digits"),
            ("{a-b}", "not a field name"),
            ("A#{shard(a)}", "how many shards"),
            ("A#{shard(a):1}", "not a number from 2"),
            ("A#{shard(a):x}", "not a number from 2"),
            ("A#{shard():4}", "does not name a field"),
            ("{a}#{shard(a):4}", "appears twice"),
        ];
        for (text, message) in cases {
            let err = parse(text).err().unwrap_or_default();
            assert!(err.contains(message), "{text:?}: {err}");
        }
    }
}
