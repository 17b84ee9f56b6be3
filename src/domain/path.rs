//! Which relative paths a run may name: plain, relative, never climbing out of the folder they are joined to.

use std::path::{Component, Path};

/// Checks that `path` is a plain relative path that stays inside whatever folder it is
/// joined to. The error names the path and what is wrong with it.
pub fn check_relative_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("path is empty".into());
    }
    if path.contains(|c: char| c.is_control() || c == '\\') {
        // A line break or an escape in a file name would act on the terminal showing it.
        return Err(format!("`{}` holds a control character or a backslash", crate::sanitize::line(path)));
    }
    let p = Path::new(path);
    if p.is_absolute() || path.starts_with('~') {
        return Err(format!("`{path}` is absolute; paths must be relative to the workspace"));
    }
    for c in p.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => {
                return Err(format!("`{path}` climbs out of the workspace with `..`"));
            }
            _ => return Err(format!("`{path}` is not a plain relative path")),
        }
    }
    Ok(())
}
