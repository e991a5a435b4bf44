//! One environment variable, declared once: its name, its default, what it accepts and what it
//! means. The declaration is what reads the variable ([`Env`]), what gives its development
//! default, what lists it among the variables the service knows (a typo is reported at
//! start-up), and what documents it (`docs/operations.md`'s table is rendered from the
//! declarations, and a test keeps it so).
//!
//! Each part of the service declares and reads its own settings (`auth`, `store`, `outbox`,
//! ...); `configuration` gathers them. This module depends on nothing of the service.

use secrecy::SecretString;
use std::fmt;
use std::time::Duration;

/// The unit of a [`Number`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A count.
    Count,
    /// Seconds: read as a [`Duration`].
    Seconds,
    /// Milliseconds: read as a [`Duration`].
    Millis,
}

/// A whole number within a range.
#[derive(Debug, Clone, Copy)]
pub struct Number {
    name: &'static str,
    default: u64,
    min: u64,
    max: u64,
    unit: Unit,
    doc: &'static str,
}

impl Number {
    /// A whole number in `unit`, `default` unless set, accepted between `min` and `max`.
    const fn new(
        name: &'static str,
        default: u64,
        (min, max): (u64, u64),
        unit: Unit,
        doc: &'static str,
    ) -> Self {
        Number {
            name,
            default,
            min,
            max,
            unit,
            doc,
        }
    }

    /// A count.
    pub const fn count(
        name: &'static str,
        default: u64,
        min: u64,
        max: u64,
        doc: &'static str,
    ) -> Self {
        Self::new(name, default, (min, max), Unit::Count, doc)
    }

    /// A duration in seconds.
    pub const fn seconds(
        name: &'static str,
        default: u64,
        min: u64,
        max: u64,
        doc: &'static str,
    ) -> Self {
        Self::new(name, default, (min, max), Unit::Seconds, doc)
    }

    /// A duration in milliseconds.
    pub const fn millis(
        name: &'static str,
        default: u64,
        min: u64,
        max: u64,
        doc: &'static str,
    ) -> Self {
        Self::new(name, default, (min, max), Unit::Millis, doc)
    }

    /// The default, as a count.
    pub const fn default_value(&self) -> u64 {
        self.default
    }

    /// The default, as a duration (for a count: that many seconds).
    pub const fn default_duration(&self) -> Duration {
        self.duration_of(self.default)
    }

    const fn duration_of(&self, value: u64) -> Duration {
        match self.unit {
            Unit::Millis => Duration::from_millis(value),
            Unit::Seconds | Unit::Count => Duration::from_secs(value),
        }
    }

    /// How the docs list it.
    pub const fn var(&self) -> Var {
        Var {
            name: self.name,
            default: Shown::Number(self.default),
            range: Some((self.min, self.max)),
            doc: self.doc,
        }
    }
}

/// A decimal number within a range (a rate).
#[derive(Debug, Clone, Copy)]
pub struct Decimal {
    name: &'static str,
    default: u64,
    max: u64,
    doc: &'static str,
}

impl Decimal {
    /// A decimal between 0 and `max`, defaulting to the whole number `default`.
    pub const fn new(name: &'static str, default: u64, max: u64, doc: &'static str) -> Self {
        Decimal {
            name,
            default,
            max,
            doc,
        }
    }

    /// The default.
    pub fn default_value(&self) -> f64 {
        self.default as f64
    }

    /// How the docs list it.
    pub const fn var(&self) -> Var {
        Var {
            name: self.name,
            default: Shown::Number(self.default),
            range: Some((0, self.max)),
            doc: self.doc,
        }
    }
}

/// Text with a default.
#[derive(Debug, Clone, Copy)]
pub struct Text {
    name: &'static str,
    default: &'static str,
    doc: &'static str,
}

impl Text {
    /// Text defaulting to `default` (empty: unset).
    pub const fn new(name: &'static str, default: &'static str, doc: &'static str) -> Self {
        Text { name, default, doc }
    }

    /// The default.
    pub fn default_value(&self) -> String {
        self.default.to_owned()
    }

    /// How the docs list it.
    pub const fn var(&self) -> Var {
        Var {
            name: self.name,
            default: if self.default.is_empty() {
                Shown::Words("(empty)")
            } else {
                Shown::Text(self.default)
            },
            range: None,
            doc: self.doc,
        }
    }
}

/// `true` or `false`.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    name: &'static str,
    default: bool,
    doc: &'static str,
}

impl Flag {
    /// A flag defaulting to `default`.
    pub const fn new(name: &'static str, default: bool, doc: &'static str) -> Self {
        Flag { name, default, doc }
    }

    /// The default.
    pub const fn default_value(&self) -> bool {
        self.default
    }

    /// How the docs list it.
    pub const fn var(&self) -> Var {
        Var {
            name: self.name,
            default: Shown::Text(if self.default { "true" } else { "false" }),
            range: None,
            doc: self.doc,
        }
    }
}

/// A variable its owner reads in its own way (a URL, a secret, a choice among words, or one
/// another program reads): its default is said in words.
#[derive(Debug, Clone, Copy)]
pub struct Described {
    name: &'static str,
    default: &'static str,
    doc: &'static str,
}

impl Described {
    /// A variable whose absence means `default` (in words: `(unset)`, `(required)`, ...).
    pub const fn new(name: &'static str, default: &'static str, doc: &'static str) -> Self {
        Described { name, default, doc }
    }

    /// The name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// How the docs list it.
    pub const fn var(&self) -> Var {
        Var {
            name: self.name,
            default: Shown::Words(self.default),
            range: None,
            doc: self.doc,
        }
    }
}

/// A variable as the service knows and documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Var {
    /// The variable's name.
    pub name: &'static str,
    /// Its default.
    pub default: Shown,
    /// The whole numbers it accepts, for numbers.
    pub range: Option<(u64, u64)>,
    /// What it means.
    pub doc: &'static str,
}

/// A default as the docs show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// A number.
    Number(u64),
    /// A literal value.
    Text(&'static str),
    /// Words saying what happens without the variable.
    Words(&'static str),
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shown::Number(n) => write!(f, "{n}"),
            Shown::Text(t) | Shown::Words(t) => f.write_str(t),
        }
    }
}

impl Var {
    /// Its row in `docs/operations.md`'s table of variables.
    pub fn row(&self) -> String {
        let range = match self.range {
            Some((min, max)) => format!(" ({min} to {max})"),
            None => String::new(),
        };
        format!(
            "| `{}` | {} | {}{range} |",
            self.name, self.default, self.doc
        )
    }
}

/// Settings are missing or invalid: every problem found, one per line.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
pub struct ConfigError(pub Vec<String>);

/// Reads variables, collecting every problem, so one start-up names them all.
pub struct Env<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
    /// Production, unless `APP_ENV=local`: development defaults are allowed only then.
    local: bool,
    problems: Vec<String>,
    /// Settings production needs to serve that are absent.
    missing: Vec<String>,
}

impl<'a> Env<'a> {
    /// Reads through `get` (a variable's value by name).
    pub fn new(get: &'a dyn Fn(&str) -> Option<String>, local: bool) -> Self {
        Env {
            get,
            local,
            problems: Vec::new(),
            missing: Vec::new(),
        }
    }

    /// Whether development defaults are allowed (`APP_ENV=local`).
    pub fn is_local(&self) -> bool {
        self.local
    }

    /// The trimmed value of `name`; `None` when unset or blank.
    pub fn var(&self, name: &str) -> Option<String> {
        (self.get)(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// An invalid value.
    pub fn problem(&mut self, message: impl Into<String>) {
        self.problems.push(message.into());
    }

    /// A setting production needs to serve is absent.
    pub fn missing(&mut self, message: impl Into<String>) {
        self.missing.push(message.into());
    }

    /// Whether a problem was reported about `name` already.
    pub fn reported(&self, name: &str) -> bool {
        self.problems.iter().any(|p| p.starts_with(name))
    }

    /// The problems found; the absent settings too when `to_serve`.
    pub fn finish(mut self, to_serve: bool) -> Result<(), ConfigError> {
        if to_serve {
            self.problems.append(&mut self.missing);
        }
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError(self.problems))
        }
    }

    /// A number: the default when unset, a problem (and the default) when out of range.
    pub fn number(&mut self, setting: &Number) -> u64 {
        let Some(value) = self.var(setting.name) else {
            return setting.default;
        };
        match value.parse::<u64>() {
            Ok(n) if (setting.min..=setting.max).contains(&n) => n,
            _ => {
                let unit = match setting.unit {
                    Unit::Count => "",
                    Unit::Seconds => "seconds ",
                    Unit::Millis => "milliseconds ",
                };
                self.problem(format!(
                    "{}={value:?} is not valid: {unit}between {} and {}",
                    setting.name, setting.min, setting.max
                ));
                setting.default
            }
        }
    }

    /// A number as a duration.
    pub fn duration(&mut self, setting: &Number) -> Duration {
        let n = self.number(setting);
        setting.duration_of(n)
    }

    /// A number as `T` (its range fits `T`).
    pub fn count<T: TryFrom<u64> + Default>(&mut self, setting: &Number) -> T {
        T::try_from(self.number(setting)).unwrap_or_default()
    }

    /// A decimal: the default when unset, a problem (and the default) when out of range.
    pub fn decimal(&mut self, setting: &Decimal) -> f64 {
        let Some(value) = self.var(setting.name) else {
            return setting.default_value();
        };
        match value.parse::<f64>() {
            Ok(n) if (0.0..=setting.max as f64).contains(&n) => n,
            _ => {
                self.problem(format!(
                    "{}={value:?} is not valid: a number between 0 and {}",
                    setting.name, setting.max
                ));
                setting.default_value()
            }
        }
    }

    /// Text: the default when unset.
    pub fn text(&mut self, setting: &Text) -> String {
        self.var(setting.name)
            .unwrap_or_else(|| setting.default_value())
    }

    /// A flag: `true`/`1` or `false`/`0`.
    pub fn flag(&mut self, setting: &Flag) -> bool {
        match self.var(setting.name).as_deref() {
            None => setting.default,
            Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(v) => {
                self.problem(format!(
                    "{}={v:?} is not valid: true or false",
                    setting.name
                ));
                setting.default
            }
        }
    }

    /// The raw value of a variable its owner reads itself.
    pub fn raw(&self, setting: &Described) -> Option<String> {
        self.var(setting.name)
    }

    /// An http(s) URL, without a trailing `/`.
    pub fn url(&mut self, setting: &Described) -> Option<String> {
        let url = self.var(setting.name)?;
        if url.starts_with("https://") || url.starts_with("http://") {
            Some(url.trim_end_matches('/').to_owned())
        } else {
            self.problem(format!("{}={url:?} is not an http(s) URL", setting.name));
            None
        }
    }

    /// A secret of 32 characters or more, kept out of `Debug` and logs.
    pub fn secret(&mut self, setting: &Described) -> Option<SecretString> {
        let secret = self.var(setting.name)?;
        if secret.len() < 32 {
            self.problem(format!("{} must be at least 32 characters", setting.name));
            return None;
        }
        Some(SecretString::from(secret))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Number = Number::seconds("TTL_SECONDS", 300, 1, 86_400, "how long");

    #[test]
    fn a_declaration_reads_documents_and_defaults() {
        let read = |value: &'static str| {
            let get = move |name: &str| (name == "TTL_SECONDS").then(|| value.to_owned());
            let mut env = Env::new(&get, false);
            let ttl = env.duration(&TTL);
            (ttl, env.finish(true))
        };
        assert_eq!(read("60").0, Duration::from_secs(60));
        let (ttl, err) = read("0");
        assert_eq!(ttl, TTL.default_duration());
        assert_eq!(
            err.expect_err("out of range").0,
            ["TTL_SECONDS=\"0\" is not valid: seconds between 1 and 86400"]
        );
        assert_eq!(
            TTL.var().row(),
            "| `TTL_SECONDS` | 300 | how long (1 to 86400) |"
        );
        assert_eq!(
            Text::new("PREFIX", "", "before names").var().row(),
            "| `PREFIX` | (empty) | before names |"
        );
    }
}
