//! The host's modules form layers: no module imports one that imports it
//! back, directly or through others. This reads the sources (`use crate::…`
//! and `crate::…` paths) and fails naming the circle if one appears.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module of `host/src` and the modules it names with `crate::`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files: Vec<_> = std::fs::read_dir(&src).unwrap().map(|e| e.unwrap().path()).collect();
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|p| p.file_stem()?.to_str().map(str::to_string))
        .filter(|m| m != "lib" && !m.ends_with("_tests"))
        .collect();
    let mut graph = BTreeMap::new();
    for module in &modules {
        let text = std::fs::read_to_string(src.join(format!("{module}.rs"))).unwrap();
        // A module's own unit tests live apart (`*_tests.rs`) and may reach anywhere.
        let mut named = BTreeSet::new();
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if &name != module && modules.contains(&name) {
                named.insert(name);
            }
        }
        graph.insert(module.clone(), named);
    }
    graph
}

/// A circle through `start`, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![start.to_string()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap();
        for next in &graph[last] {
            if next == start {
                let mut circle = path.clone();
                circle.push(start.to_string());
                return Some(circle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn no_module_of_the_host_imports_one_that_imports_it_back() {
    let graph = imports();
    assert!(graph.len() > 10, "found only {:?}", graph.keys());
    for module in graph.keys() {
        if let Some(circle) = circle(&graph, module) {
            panic!("import circle: {}", circle.join(" → "));
        }
    }
}
