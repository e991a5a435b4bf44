//! The crate's layers, as `src/lib.rs` states them, checked on its source: no module uses a
//! module of a higher layer (`crate::...` paths and `use crate::{...}` groups, comments aside);
//! and no file is over 600 lines without a reason written at its top.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layers, lowest first, with their top-level modules.
const LAYERS: [(&str, &[&str]); 9] = [
    ("domain", &["domain", "clock", "setting"]),
    (
        "support",
        &[
            "auth",
            "limits",
            "metrics",
            "resilience",
            "telemetry",
            "upstream",
        ],
    ),
    ("storage", &["store", "iam"]),
    ("coordination", &["leases"]),
    ("services", &["services", "outbox"]),
    ("workers", &["workers"]),
    ("application", &["configuration", "state"]),
    ("HTTP", &["routes"]),
    ("process", &["cli", "startup"]),
];

/// The longest file without a reason.
const MAX_LINES: usize = 600;

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module `file` belongs to (`None` for the crate root and binaries).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).expect("under src");
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main" | "bin")).then(|| name.to_owned())
}

/// The top-level modules `code` names through `crate::`.
fn used_modules(code: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                used.extend(group_heads(group));
            } else {
                used.insert(ident(rest).to_owned());
            }
        }
    }
    used.remove("");
    used
}

/// The first identifier of each item of a `{a::b, c, d::{e}}` group (up to its closing brace).
fn group_heads(group: &str) -> Vec<String> {
    let (mut depth, mut heads, mut at_item) = (0usize, Vec::new(), true);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_item = true,
            c if at_item && !c.is_whitespace() => {
                heads.push(ident(&group[i..]).to_owned());
                at_item = false;
            }
            _ => {}
        }
    }
    heads
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

#[test]
fn no_module_uses_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let layer = layer_of(&module)
            .unwrap_or_else(|| panic!("module {module} is in no layer: add it to LAYERS"));
        let code = std::fs::read_to_string(file).expect("readable");
        for used in used_modules(&code) {
            let Some(theirs) = layer_of(&used) else {
                continue;
            };
            if theirs > layer {
                violations.push(format!(
                    "{}: {module} ({}) uses {used} ({})",
                    file.strip_prefix(&src).expect("under src").display(),
                    LAYERS[layer].0,
                    LAYERS[theirs].0
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports from a lower layer to a higher one:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_check_sees_paths_and_groups() {
    let code = "use crate::{domain::Error, store::{Tables, Seat}, clock};\n\
                // crate::routes in a comment\n\
                let x = crate::workers::work_order(v);";
    let used: Vec<String> = used_modules(code).into_iter().collect();
    assert_eq!(used, ["clock", "domain", "store", "workers"]);
    assert!(layer_of("workers") > layer_of("services"));
}

#[test]
fn long_files_say_why() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let unexplained: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let code = std::fs::read_to_string(file).expect("readable");
            let lines = code.lines().count();
            let reason = code
                .lines()
                .take(10)
                .any(|l| l.contains("Longer than 600 lines because"));
            (lines > MAX_LINES && !reason).then(|| format!("{} ({lines} lines)", file.display()))
        })
        .collect();
    assert!(
        unexplained.is_empty(),
        "files over {MAX_LINES} lines without \"Longer than 600 lines because ...\" in their first ten lines:\n{}",
        unexplained.join("\n")
    );
}
