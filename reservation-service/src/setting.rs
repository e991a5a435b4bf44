//! One environment variable, declared once: its name, its default, what it accepts and what it
//! means. The declaration is what reads the variable ([`Env`]), what gives its development
//! default, what lists it among the variables the service knows (a typo is reported at
//! start-up), and what documents it (`docs/operations.md`'s table is rendered from the
//! declarations, and a test keeps it so).
//!
//! Each part of the service declares its own block of settings with `settings!` (`auth`,
//! `store`, `outbox`, ...): one line per variable, from which the struct, its reading, its
//! defaults and its rows of the table come; `configuration` gathers the blocks. Messages name a
//! variable through its declaration (`ReservationSettings::hold_grace.name()`), so each name is
//! written once. This module depends on nothing of the service.

use secrecy::SecretString;
use std::fmt;
use std::time::Duration;

/// Declares a block of settings once. Each field is one variable: its doc comment is what the
/// variable means (the table of `docs/operations.md` shows it), then its type and kind:
///
/// | kind | arguments | reads as |
/// |---|---|---|
/// | `count` | name, default, min, max | a whole number (any integer type) |
/// | `seconds`, `millis` | name, default, min, max | a [`Duration`] |
/// | `decimal` | name, default, max | an `f64` from 0 to max |
/// | `text` | name, default | a `String` |
/// | `flag` | name, default | a `bool` |
/// | `raw` | name, default in words | an `Option<String>` its owner checks |
/// | `url` | name, default in words | an `Option<String>`, an http(s) URL |
/// | `secret` | name, default in words | an `Option<SecretString>` of 32+ characters |
/// | `port` | name, default in words | an `Option<u16>` from 1 to 65535 |
///
/// `[shared]` before the kind marks a variable other programs read too (`AWS_*`, `OTEL_*`): its
/// name's first word is not this service's, so other variables starting with it are not
/// reported as unknown.
///
/// It makes the struct (each field documented by its variable), `Default`, `read` (every
/// invalid value reported to the [`Env`], its default kept; then the rules between values of
/// `checked by path;`, a `fn(&Self, &mut Env)`), `VARIABLES` (the table's rows, in order), and
/// per field an associated constant of the same name that declares it:
/// `ReservationSettings::hold_grace.name()` is the grace's variable.
///
/// ```ignore
/// settings! {
///     /// Holds.
///     #[derive(Debug, Clone, PartialEq)]
///     pub struct HoldSettings {
///         /// how long a hold keeps its seats
///         hold_ttl: Duration = seconds("EXAMPLE_TTL_SECONDS", 300, 1, 86_400),
///     }
/// }
/// ```
macro_rules! settings {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[doc = $doc:literal])+
                $field:ident: $ty:ty = $([$shared:ident])? $kind:ident($($arg:expr),+ $(,)?),
            )+
        }
        $(checked by $check:path;)?
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[doc = $doc])+ pub $field: $ty, )+
        }

        #[allow(non_upper_case_globals)]
        impl $name {
            $(
                #[doc = concat!("The declaration of `", stringify!($field), "`.")]
                pub const $field: $crate::setting::settings!(@type $kind) =
                    $crate::setting::settings!(@spec $kind, concat!($($doc),+), $($arg),+)
                    $(.$shared())?;
            )+

            /// The block's variables, in order: its rows of the table of variables.
            pub const VARIABLES: &'static [$crate::setting::Var] = &[$( Self::$field.var(), )+];

            /// Reads the block; an invalid value is reported to `env`, and its default kept.
            pub fn read(env: &mut $crate::setting::Env<'_>) -> Self {
                let read = $name {
                    $( $field: $crate::setting::settings!(@read $kind, env, Self::$field), )+
                };
                $( $check(&read, env); )?
                read
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    $( $field: $crate::setting::settings!(@default $kind, Self::$field), )+
                }
            }
        }
    };
    (@type count) => { $crate::setting::Number };
    (@type seconds) => { $crate::setting::Number };
    (@type millis) => { $crate::setting::Number };
    (@type decimal) => { $crate::setting::Decimal };
    (@type text) => { $crate::setting::Text };
    (@type flag) => { $crate::setting::Flag };
    (@type raw) => { $crate::setting::Described };
    (@type url) => { $crate::setting::Described };
    (@type secret) => { $crate::setting::Described };
    (@type port) => { $crate::setting::Described };
    (@spec count, $doc:expr, $n:expr, $d:expr, $min:expr, $max:expr) => {
        $crate::setting::Number::count($n, $d, $min, $max, $doc)
    };
    (@spec seconds, $doc:expr, $n:expr, $d:expr, $min:expr, $max:expr) => {
        $crate::setting::Number::seconds($n, $d, $min, $max, $doc)
    };
    (@spec millis, $doc:expr, $n:expr, $d:expr, $min:expr, $max:expr) => {
        $crate::setting::Number::millis($n, $d, $min, $max, $doc)
    };
    (@spec decimal, $doc:expr, $n:expr, $d:expr, $max:expr) => {
        $crate::setting::Decimal::new($n, $d, $max, $doc)
    };
    (@spec text, $doc:expr, $n:expr, $d:expr) => { $crate::setting::Text::new($n, $d, $doc) };
    (@spec flag, $doc:expr, $n:expr, $d:expr) => { $crate::setting::Flag::new($n, $d, $doc) };
    (@spec $described:ident, $doc:expr, $n:expr, $d:expr) => {
        $crate::setting::Described::new($n, $d, $doc)
    };
    (@read count, $env:ident, $s:expr) => { $env.count(&$s) };
    (@read seconds, $env:ident, $s:expr) => { $env.duration(&$s) };
    (@read millis, $env:ident, $s:expr) => { $env.duration(&$s) };
    (@read decimal, $env:ident, $s:expr) => { $env.decimal(&$s) };
    (@read text, $env:ident, $s:expr) => { $env.text(&$s) };
    (@read flag, $env:ident, $s:expr) => { $env.flag(&$s) };
    (@read raw, $env:ident, $s:expr) => { $env.raw(&$s) };
    (@read url, $env:ident, $s:expr) => { $env.url(&$s) };
    (@read secret, $env:ident, $s:expr) => { $env.secret(&$s) };
    (@read port, $env:ident, $s:expr) => { $env.port(&$s) };
    (@default count, $s:expr) => { TryFrom::try_from($s.default_value()).unwrap_or_default() };
    (@default seconds, $s:expr) => { $s.default_duration() };
    (@default millis, $s:expr) => { $s.default_duration() };
    (@default decimal, $s:expr) => { $s.default_value() };
    (@default text, $s:expr) => { $s.default_value() };
    (@default flag, $s:expr) => { $s.default_value() };
    (@default $described:ident, $s:expr) => { None };
}

pub(crate) use settings;

mod kinds;

pub use kinds::{Decimal, Described, Flag, Number, Text, Unit};

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
    /// Other programs read it too: its first word is not this service's.
    pub shared: bool,
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
            self.name,
            self.default,
            self.doc.trim()
        )
    }
}

/// Settings are missing or invalid: every problem found, one per line.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
pub struct ConfigError(pub Vec<String>);

/// Where the service runs: `local` allows development defaults; anything else is production.
pub const ENVIRONMENT: Described = Described::new(
    "APP_ENV",
    "production",
    "`local` allows development defaults (dev JWT secret, any admission token, simulated payments, logged events); anything else is production",
);

/// How messages name local development: [`ENVIRONMENT`]`=local`.
pub fn local() -> String {
    format!("{}=local", ENVIRONMENT.name())
}

/// Reads variables, collecting every problem, so one start-up names them all.
pub struct Env<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
    /// Production, unless local development: development defaults are allowed only then.
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

    /// Whether development defaults are allowed (local development: [`ENVIRONMENT`]).
    pub fn is_local(&self) -> bool {
        self.local
    }

    /// How messages name local development: [`local`].
    pub fn local(&self) -> String {
        local()
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

    /// A port from 1 to 65535, when set.
    pub fn port(&mut self, setting: &Described) -> Option<u16> {
        let value = self.var(setting.name)?;
        match value.parse::<u16>() {
            Ok(port) if port != 0 => Some(port),
            _ => {
                self.problem(format!(
                    "{}={value:?} is not valid: a port from 1 to 65535",
                    setting.name
                ));
                None
            }
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
