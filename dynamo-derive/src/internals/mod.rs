//! The derive pipeline up to code generation: attributes are parsed into a model
//! ([`ast`], [`attr`], key templates in [`template`]), every rule is checked on it ([`check`]), and errors accumulate in a
//! context ([`ctxt`]) so one compile reports them all.

pub(crate) mod ast;
pub(crate) mod attr;
pub(crate) mod case;
pub(crate) mod check;
pub(crate) mod ctxt;
pub(crate) mod symbol;
pub(crate) mod template;
