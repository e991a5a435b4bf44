//! The repository's generated files checked against the code that generates them; see
//! `sync.rs`. A file that drifted is rewritten with `UPDATE_FIXTURES=1`.
