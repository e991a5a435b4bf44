//! Compile-time rules: each failing case has a reviewed `.stderr`, each feature a passing case.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    for topic in ["keys", "attributes", "managed", "shape", "values", "table"] {
        t.compile_fail(format!("tests/ui/{topic}/*.rs"));
    }
    t.pass("tests/ui/pass/*.rs");
}
