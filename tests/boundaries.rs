//! The module tree's one-way edges, enforced: the control room does not reach past the
//! orchestrator, the orchestrator does not call the views or the printers, the domain does
//! no I/O.
//!
//! The rule, precisely. Every path in a file's code (comments left out) that starts with
//! `crate::`, `super::` or `startup_factory::` is resolved against the file's own module
//! (`super` climbs one module; a group `crate::{a, b::c}` gives each of its items), and the
//! first module it reaches below the crate root is the one it *names*. So `crate::store::X`,
//! `super::super::providers` from `src/tui/app.rs` and `use crate::{templates, x}` all name
//! their module, while the control room's own `panes::providers` (a path inside `tui`) and
//! a field such as `snap.providers` do not. `std::fs` and `tokio::fs` are named by their
//! text.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The module a file under `src/` is: `src/tui/panes/mod.rs` is `["tui", "panes"]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib" || p == "main") {
        parts.pop();
    }
    parts
}

/// The code of a file without its comments (`//` to the end of the line).
fn code(text: &str) -> String {
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

fn ident_at(s: &str) -> Option<(&str, &str)> {
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    (end > 0).then(|| (&s[..end], &s[end..]))
}

/// The top-level crate modules the paths of `code` reach, for a file of module `module`.
fn named_modules(code: &str, module: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for (i, _) in code.match_indices("::") {
        // The path's first segment ends here; find where it starts.
        let before = &code[..i];
        let start = before.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map(|k| k + 1).unwrap_or(0);
        let first = &before[start..];
        let preceded_by_path = before[..start].ends_with("::");
        if preceded_by_path || !matches!(first, "crate" | "super" | "startup_factory") {
            continue;
        }
        let mut at: Vec<String> =
            if first == "super" { module[..module.len().saturating_sub(1)].to_vec() } else { Vec::new() };
        let mut rest = &code[i + 2..];
        // More `super`s climb further.
        while let Some(r) = rest.strip_prefix("super::") {
            at.pop();
            rest = r;
        }
        if at.is_empty() {
            if let Some(group) = rest.strip_prefix('{') {
                // `crate::{a, b::c, d}`: the first segment of each item at the top level.
                let mut depth = 0;
                let mut item_start = true;
                let mut k = 0;
                while k < group.len() {
                    let c = group[k..].chars().next().unwrap();
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => item_start = true,
                        c if item_start && (c.is_ascii_alphabetic() || c == '_') => {
                            if let Some((name, _)) = ident_at(&group[k..]) {
                                found.push(name.to_string());
                                k += name.len();
                                item_start = false;
                                continue;
                            }
                        }
                        _ => {}
                    }
                    k += c.len_utf8();
                }
            } else if let Some((name, _)) = ident_at(rest) {
                found.push(name.to_string());
            }
        } else if let Some(top) = at.first() {
            found.push(top.clone());
        }
    }
    found.sort();
    found.dedup();
    found
}

/// `(file, module named)` for each file under `src/<area>` that names one of `banned`.
fn violations(area: &str, banned: &[&str]) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = rust_files(&src.join(area));
    assert!(!files.is_empty(), "no files under src/{area}");
    let mut out = Vec::new();
    for f in files {
        let module = module_of(&src, &f);
        let text = code(&fs::read_to_string(&f).unwrap());
        for name in named_modules(&text, &module) {
            if banned.contains(&name.as_str()) {
                out.push(format!("{} names crate::{name}", f.strip_prefix(&src).unwrap().display()));
            }
        }
    }
    out
}

#[test]
fn the_checker_resolves_paths_as_the_compiler_does() {
    let tui_app = ["tui".to_string(), "app".to_string()];
    let names = |code: &str| named_modules(code, &tui_app);
    assert_eq!(names("use crate::store::Store;"), ["store"]);
    assert_eq!(
        names("use crate::{orchestrator::Reply, providers::{Gateway, Routing}};"),
        ["orchestrator", "providers"]
    );
    assert_eq!(names("let x = super::super::templates::builtin();"), ["templates"]);
    assert_eq!(names("use super::panes::providers;"), ["tui"], "the control room's own pane");
    assert_eq!(names("let n = app.snap.providers.len(); panes::providers::render();"), Vec::<String>::new());
    assert_eq!(names("startup_factory::store::open()"), ["store"]);
    assert_eq!(code("use crate::tui::app; // crate::store::Store"), "use crate::tui::app; ");
}

#[test]
fn the_control_room_reaches_nothing_past_the_orchestrator() {
    let bad = violations("tui", &["store", "providers", "templates"]);
    assert!(bad.is_empty(), "the control room reads snapshots and sends commands:\n{}", bad.join("\n"));
}

#[test]
fn the_orchestrator_calls_neither_the_views_nor_the_printers() {
    let bad = violations("orchestrator", &["tui", "headless"]);
    assert!(bad.is_empty(), "the orchestrator publishes; views and printers read:\n{}", bad.join("\n"));
}

#[test]
fn the_domain_does_no_io() {
    let mut bad = violations("domain", &["workspace", "store"]);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/domain");
    for f in rust_files(&src) {
        let text = code(&fs::read_to_string(&f).unwrap());
        for io in ["std::fs", "tokio::fs"] {
            if text.contains(io) {
                bad.push(format!("{} names {io}", f.display()));
            }
        }
    }
    assert!(bad.is_empty(), "the domain is plain types; its callers do the I/O:\n{}", bad.join("\n"));
}
