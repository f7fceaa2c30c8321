//! Keeps the storage folder layered. It reads the source of `app/src/store/` and draws an arrow from a
//! file to each sibling it names (`super::x`, `crate::store::x`, or `x` inside a `use super::{…}` /
//! `use crate::store::{…}` list), wherever the path stands: in a `use` line or inline. `mod.rs` (the
//! folder's door: it declares the modules and holds `Db`) is left out. Checked: `sql.rs`, the ground floor,
//! names no sibling at all; and the arrows between the files form no circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The siblings a file names, among `known`.
fn arrows(source: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // Comments name files too ("see `leads::apply`"); only code counts.
    let code: String = source
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    for prefix in ["super::", "crate::store::"] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(prefix) {
            rest = &rest[at + prefix.len()..];
            if let Some(list) = rest.strip_prefix('{') {
                // `use super::{a, b::c, d as e}`: the first segment of each item.
                let end = list.find('}').unwrap_or(list.len());
                for item in list[..end].split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if known.contains(&name) {
                        out.insert(name);
                    }
                }
            } else {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if known.contains(&name) {
                    out.insert(name);
                }
            }
        }
    }
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store");
    let mut sources = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("the store folder") {
        let path = entry.expect("a file").path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        if path.extension().is_some_and(|e| e == "rs") && name != "mod" {
            sources.insert(name, std::fs::read_to_string(&path).expect("readable source"));
        }
    }
    assert!(
        sources.contains_key("sql") && sources.contains_key("write"),
        "the ground floor is missing: {:?}",
        sources.keys()
    );
    let known: BTreeSet<String> = sources.keys().cloned().collect();
    sources
        .iter()
        .map(|(name, src)| {
            (
                name.clone(),
                arrows(src, &known).into_iter().filter(|to| to != name).collect(),
            )
        })
        .collect()
}

/// A circle through `at`, if the depth-first walk from it finds one: the files on it, in order.
fn circle_from(
    at: &str,
    graph: &BTreeMap<String, BTreeSet<String>>,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(start) = path.iter().position(|p| p == at) {
        let mut circle = path[start..].to_vec();
        circle.push(at.to_string());
        return Some(circle);
    }
    if done.contains(at) {
        return None;
    }
    path.push(at.to_string());
    for next in graph.get(at).into_iter().flatten() {
        if let Some(c) = circle_from(next, graph, path, done) {
            return Some(c);
        }
    }
    path.pop();
    done.insert(at.to_string());
    None
}

#[test]
fn the_ground_floor_names_no_sibling() {
    let g = graph();
    assert!(
        g["sql"].is_empty(),
        "sql.rs must not use other store files, but uses {:?}",
        g["sql"]
    );
}

#[test]
fn the_store_files_import_each_other_in_no_circle() {
    let g = graph();
    let mut done = BTreeSet::new();
    for file in g.keys() {
        if let Some(c) = circle_from(file, &g, &mut Vec::new(), &mut done) {
            panic!("import circle in app/src/store: {}", c.join(" -> "));
        }
    }
}

#[test]
fn the_parser_sees_use_lists_inline_paths_and_skips_comments() {
    let known: BTreeSet<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
    let src = "use super::{a::X, b as bee};\nfn f() { crate::store::c::g(); }\n// see super::d::h\n";
    assert_eq!(
        arrows(src, &known),
        ["a", "b", "c"].iter().map(|s| s.to_string()).collect()
    );
    let g: BTreeMap<String, BTreeSet<String>> = [("a", "b"), ("b", "a")]
        .iter()
        .map(|(f, t)| (f.to_string(), [t.to_string()].into()))
        .collect();
    assert!(circle_from("a", &g, &mut Vec::new(), &mut BTreeSet::new()).is_some());
}
