//! `docs/CONFIGURATION.md` against the source: every environment variable the server reads has a
//! row in one of the doc's variable tables, and every row names a variable the server reads.
//!
//! The scan looks for the string literals passed to each way `src/` reads the environment. These
//! are `std::env::var`, the `lookup` closures of `Config::from_lookup` and the Lakebase settings,
//! and the configuration reader's methods (`optional`, `required`, `in_range`, `parsed`,
//! `parsed_by`, `allowed_origins`). The scan also matches `aliased(lookup, NAME, ALIAS, …)`,
//! clap's `env = "NAME"`, and `EnvFilter::try_from_default_env`, which reads `RUST_LOG`. A new way
//! of reading a variable needs a pattern here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

/// An environment variable name as the scan and the doc tables accept it.
const NAME: &str = r"[A-Z][A-Z0-9_]*[A-Z0-9]";

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn doc_path() -> PathBuf {
    crate_dir().join("../../docs/CONFIGURATION.md")
}

/// Collects the `.rs` files under `dir`, recursively, in a stable order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("failed to read directory {}: {error}", dir.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|error| panic!("failed to read an entry of {}: {error}", dir.display()))
            .path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Returns a file's text up to its first `#[cfg(test)]`, because unit tests pass made-up
/// variables to the lookups.
fn non_test_code(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |end| &text[..end])
}

/// Returns the names of the variables that `code` reads.
fn names_read(code: &str) -> BTreeSet<String> {
    let single = Regex::new(&format!(
        r#"(?:env::var|env::var_os|lookup\)?|\.optional|\.required|\.in_range|\.parsed|\.parsed_by|\.allowed_origins)\s*\(\s*"({NAME})""#
    ))
    .expect("valid regex");
    let aliased = Regex::new(&format!(
        r#"aliased\(\s*lookup\s*,\s*"({NAME})"\s*,\s*"({NAME})""#
    ))
    .expect("valid regex");
    let clap_env = Regex::new(&format!(r#"\benv\s*=\s*"({NAME})""#)).expect("valid regex");

    let mut names = BTreeSet::new();
    for captures in single
        .captures_iter(code)
        .chain(clap_env.captures_iter(code))
    {
        names.insert(captures[1].to_owned());
    }
    for captures in aliased.captures_iter(code) {
        names.insert(captures[1].to_owned());
        names.insert(captures[2].to_owned());
    }
    if code.contains("EnvFilter::try_from_default_env")
        || code.contains("EnvFilter::from_default_env")
    {
        names.insert("RUST_LOG".to_owned());
    }
    names
}

/// Scans `src/` and returns every variable it reads, with the first file (relative to the crate)
/// that reads it.
fn variables_in_source() -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for path in rust_files(&crate_dir().join("src")) {
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("failed to read {}: {error}", path.display()));
        let relative = path
            .strip_prefix(crate_dir())
            .unwrap_or(&path)
            .display()
            .to_string();
        for name in names_read(non_test_code(&text)) {
            found.entry(name).or_insert_with(|| relative.clone());
        }
    }
    found
}

/// Returns the variables named in the first cell of each row of the tables whose first header
/// cell is `variable`. A first cell may name several variables, such as an alias in brackets.
fn variables_in_doc(doc: &str) -> BTreeSet<String> {
    let backticked = Regex::new(&format!("`({NAME})`")).expect("valid regex");
    let mut names = BTreeSet::new();
    let mut in_variable_table = false;
    for line in doc.lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            in_variable_table = false;
            continue;
        }
        let first_cell = line.trim_start_matches('|').split('|').next().unwrap_or("");
        let first_cell = first_cell.trim();
        if first_cell == "variable" {
            in_variable_table = true;
            continue;
        }
        if !in_variable_table || first_cell.starts_with("---") {
            continue;
        }
        for captures in backticked.captures_iter(first_cell) {
            names.insert(captures[1].to_owned());
        }
    }
    names
}

fn read_doc() -> String {
    std::fs::read_to_string(doc_path())
        .unwrap_or_else(|error| panic!("failed to read {}: {error}", doc_path().display()))
}

#[test]
fn scan_finds_each_way_of_reading() {
    let source = variables_in_source();

    for (name, way) in [
        ("DATABRICKS_HOST", "the configuration reader"),
        ("DATABRICKS_CLIENT_SECRET", "the reader's raw lookup"),
        ("LAKEBASE_INSTANCE_NAME", "the Lakebase lookup"),
        ("LAKEBASE_HOST", "an alias"),
        ("DATABRICKS_CONFIG_FILE", "the CLI configuration lookup"),
        ("DEV_PORT", "a clap env attribute"),
        ("LOG_FORMAT", "a clap env attribute"),
        ("RUST_LOG", "the tracing filter"),
    ] {
        assert!(
            source.contains_key(name),
            "the scan of src/ did not find {name}, read through {way}; found {:?}",
            source.keys().collect::<Vec<_>>()
        );
    }
}

#[test]
fn every_variable_read_is_documented() {
    let documented = variables_in_doc(&read_doc());

    let missing: Vec<String> = variables_in_source()
        .into_iter()
        .filter(|(name, _)| !documented.contains(name))
        .map(|(name, file)| format!("{name} (read in {file})"))
        .collect();

    assert!(
        missing.is_empty(),
        "docs/CONFIGURATION.md has no table row for: {}",
        missing.join(", ")
    );
}

#[test]
fn every_documented_variable_is_read() {
    let source = variables_in_source();

    let unread: Vec<String> = variables_in_doc(&read_doc())
        .into_iter()
        .filter(|name| !source.contains_key(name))
        .collect();

    assert!(
        unread.is_empty(),
        "docs/CONFIGURATION.md documents variables that crates/app-server/src never reads: {}",
        unread.join(", ")
    );
}

#[test]
fn doc_table_parser_reads_first_cells_only() {
    let doc = "\
| variable | default | meaning |
|---|---|---|
| `PGHOST` (`LAKEBASE_HOST`) | none | see `PGENDPOINT` |

| flag | meaning |
|---|---|
| `--port` | `DEV_PORT` |
";

    let names = variables_in_doc(doc);

    assert_eq!(
        names,
        BTreeSet::from(["PGHOST".to_owned(), "LAKEBASE_HOST".to_owned()])
    );
}
