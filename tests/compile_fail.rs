//! Compile-time rules: one folder per rule (`ui/<rule>/`, named as in `docs/rules.md`), each
//! case with its reviewed `.stderr`; `ui/pass/` compiles every feature. Record a new or changed
//! message with `TRYBUILD=overwrite cargo test -p dynamo-tests --test compile_fail`, then review
//! the `.stderr` like code.

#[test]
fn compile_fail() {
    let t = trybuild::TestCases::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let mut rules: Vec<String> = std::fs::read_dir(&root)
        .expect("ui/ exists")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name != "pass")
        .collect();
    rules.sort();
    assert!(!rules.is_empty(), "no rule folders under ui/");
    let listed = std::fs::read_to_string(root.join("../../docs/rules.md")).expect("docs/rules.md");
    for rule in &rules {
        assert!(
            listed.contains(&format!("`ui/{rule}/`")),
            "docs/rules.md does not list the rule of ui/{rule}/"
        );
    }
    for rule in rules {
        t.compile_fail(format!("ui/{rule}/*.rs"));
    }
    t.pass("ui/pass/*.rs");
}
