//! Compile-time rules: each failing case has a reviewed `.stderr`, each feature a passing case.
//!
//! The compiler's messages list the types that implement a trait, which depends on the enabled
//! features: the cases are written for `--all-features` (as `make test` runs them).

#[test]
#[cfg_attr(
    not(all(
        feature = "uuid",
        feature = "bytes",
        feature = "json",
        feature = "testing",
        feature = "cloudformation"
    )),
    ignore = "compile-fail messages are recorded with --all-features"
)]
fn ui() {
    let t = trybuild::TestCases::new();
    for topic in ["keys", "attributes", "managed", "shape", "values", "table"] {
        t.compile_fail(format!("tests/ui/{topic}/*.rs"));
    }
    t.pass("tests/ui/pass/*.rs");
}
