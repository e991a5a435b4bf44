//! The kinds of variable a declaration can be: whole numbers (counts and durations), decimals,
//! text, flags, and variables their owner reads in its own way.

use super::{Shown, Var};
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
    pub(super) name: &'static str,
    pub(super) default: u64,
    pub(super) min: u64,
    pub(super) max: u64,
    pub(super) unit: Unit,
    pub(super) doc: &'static str,
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

    pub(super) const fn duration_of(&self, value: u64) -> Duration {
        match self.unit {
            Unit::Millis => Duration::from_millis(value),
            Unit::Seconds | Unit::Count => Duration::from_secs(value),
        }
    }

    /// The variable's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// How the docs list it.
    pub const fn var(&self) -> Var {
        Var {
            name: self.name,
            default: Shown::Number(self.default),
            range: Some((self.min, self.max)),
            doc: self.doc,
            shared: false,
        }
    }
}

/// A decimal number within a range (a rate).
#[derive(Debug, Clone, Copy)]
pub struct Decimal {
    pub(super) name: &'static str,
    pub(super) default: u64,
    pub(super) max: u64,
    pub(super) doc: &'static str,
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

    /// The variable's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// How the docs list it.
    pub const fn var(&self) -> Var {
        Var {
            name: self.name,
            default: Shown::Number(self.default),
            range: Some((0, self.max)),
            doc: self.doc,
            shared: false,
        }
    }
}

/// Text with a default.
#[derive(Debug, Clone, Copy)]
pub struct Text {
    pub(super) name: &'static str,
    pub(super) default: &'static str,
    pub(super) doc: &'static str,
    pub(super) shared: bool,
}

impl Text {
    /// Text defaulting to `default` (empty: unset).
    pub const fn new(name: &'static str, default: &'static str, doc: &'static str) -> Self {
        Text {
            name,
            default,
            doc,
            shared: false,
        }
    }

    /// Marks it read by other programs too.
    pub const fn shared(mut self) -> Self {
        self.shared = true;
        self
    }

    /// The default.
    pub fn default_value(&self) -> String {
        self.default.to_owned()
    }

    /// The variable's name.
    pub const fn name(&self) -> &'static str {
        self.name
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
            shared: self.shared,
        }
    }
}

/// `true` or `false`.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    pub(super) name: &'static str,
    pub(super) default: bool,
    pub(super) doc: &'static str,
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

    /// The variable's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// How the docs list it.
    pub const fn var(&self) -> Var {
        Var {
            name: self.name,
            default: Shown::Text(if self.default { "true" } else { "false" }),
            range: None,
            doc: self.doc,
            shared: false,
        }
    }
}

/// A variable its owner reads in its own way (a URL, a secret, a choice among words, or one
/// another program reads): its default is said in words.
#[derive(Debug, Clone, Copy)]
pub struct Described {
    pub(super) name: &'static str,
    pub(super) default: &'static str,
    pub(super) doc: &'static str,
    pub(super) shared: bool,
}

impl Described {
    /// A variable whose absence means `default` (in words: `(unset)`, `(required)`, ...).
    pub const fn new(name: &'static str, default: &'static str, doc: &'static str) -> Self {
        Described {
            name,
            default,
            doc,
            shared: false,
        }
    }

    /// Marks it read by other programs too.
    pub const fn shared(mut self) -> Self {
        self.shared = true;
        self
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
            shared: self.shared,
        }
    }
}
