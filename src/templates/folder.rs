//! Reading a template from a folder (`template.toml` + `files/`), refusing anything unsafe:
//! symlinks, special files, oversized files, too many files, text that is not UTF-8.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path};

use super::{Manifest, Source, Template};

/// Largest file a template may hold.
pub const MAX_FILE_BYTES: u64 = 1 << 20;
/// Largest total of a template's files.
pub const MAX_TOTAL_BYTES: u64 = 16 << 20;
/// Most files a template may hold.
pub const MAX_FILES: usize = 2_000;
/// Largest `template.toml`.
const MAX_MANIFEST_BYTES: u64 = 256 << 10;

/// Reads and validates the template in `dir`. Errors are one sentence naming the file
/// relative to the template (`files/app.py`), for the caller to prefix with the source.
pub fn load_dir(dir: &Path, source: Source) -> Result<Template, String> {
    // The folder itself may be reached through a link; nothing inside it may be one.
    let meta = fs::metadata(dir).map_err(|e| format!("cannot read it ({e})"))?;
    if !meta.is_dir() {
        return Err("it is not a folder".into());
    }
    let manifest_path = dir.join("template.toml");
    let files_dir = dir.join("files");
    match fs::symlink_metadata(&manifest_path) {
        Ok(m) if m.is_file() => {
            if m.len() > MAX_MANIFEST_BYTES {
                return Err(format!("its template.toml is {} bytes, over the limit of {MAX_MANIFEST_BYTES}", m.len()));
            }
        }
        Ok(m) if m.file_type().is_symlink() => {
            return Err("its template.toml is a symlink; a template holds plain files and folders only".into());
        }
        _ => {
            return Err(
                "it is not a template: it has no template.toml (a template is a folder with template.toml and files/)"
                    .into(),
            );
        }
    }
    match fs::symlink_metadata(&files_dir) {
        Ok(m) if m.is_dir() => {}
        Ok(m) if m.file_type().is_symlink() => {
            return Err("its files/ is a symlink; a template holds plain files and folders only".into());
        }
        _ => return Err("it is not a template: it has template.toml but no files/ folder".into()),
    }
    let text = fs::read_to_string(&manifest_path).map_err(|e| format!("cannot read template.toml ({e})"))?;
    let manifest = Manifest::parse(&text, "template.toml").map_err(|e| e.message)?;
    let files = read_files(&files_dir)?;
    Ok(Template {
        manifest,
        manifest_text: text,
        files,
        source,
        path: Some(dir.to_path_buf()),
        hash: Default::default(),
    })
}

/// Every file under `root` as text, by path relative to it (with `/`).
fn read_files(root: &Path) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    let mut total = 0u64;
    let mut stack = vec![String::new()];
    while let Some(rel_dir) = stack.pop() {
        let dir = if rel_dir.is_empty() { root.to_path_buf() } else { root.join(&rel_dir) };
        let mut entries: Vec<_> = fs::read_dir(&dir)
            .map_err(|e| format!("cannot read files/{rel_dir} ({e})"))?
            .collect::<Result<_, _>>()
            .map_err(|e| format!("cannot read files/{rel_dir} ({e})"))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry
                .file_name()
                .into_string()
                .map_err(|n| format!("the name {n:?} under files/{rel_dir} is not UTF-8; rename it"))?;
            let rel = if rel_dir.is_empty() { name } else { format!("{rel_dir}/{name}") };
            crate::workspace::check_relative_path(&rel).map_err(|e| format!("files/{rel}: {e}"))?;
            let meta = fs::symlink_metadata(entry.path()).map_err(|e| format!("cannot read files/{rel} ({e})"))?;
            let ft = meta.file_type();
            if ft.is_symlink() {
                let target = fs::read_link(entry.path()).unwrap_or_default();
                return Err(symlink_problem(&format!("files/{rel}"), &target));
            } else if ft.is_dir() {
                stack.push(rel);
            } else if ft.is_file() {
                if meta.len() > MAX_FILE_BYTES {
                    return Err(format!(
                        "files/{rel} is {} bytes, over the limit of {MAX_FILE_BYTES} bytes per template file",
                        meta.len()
                    ));
                }
                total += meta.len();
                if total > MAX_TOTAL_BYTES {
                    return Err(format!("its files add up to more than the limit of {MAX_TOTAL_BYTES} bytes"));
                }
                if out.len() >= MAX_FILES {
                    return Err(format!("it holds more than the limit of {MAX_FILES} files"));
                }
                let bytes = fs::read(entry.path()).map_err(|e| format!("cannot read files/{rel} ({e})"))?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| format!("files/{rel} is not UTF-8 text; templates hold text files only"))?;
                out.insert(rel, text);
            } else {
                return Err(format!("files/{rel} is not a regular file or folder (a device, pipe or socket)"));
            }
        }
    }
    Ok(out)
}

/// Why a symlink at `rel` (relative to the template's root) is refused: one pointing out
/// of the template is named as such.
pub(super) fn symlink_problem(rel: &str, target: &Path) -> String {
    if points_outside(rel, target) {
        format!("{rel} is a symlink pointing outside the template (to `{}`)", target.display())
    } else {
        format!("{rel} is a symlink; a template holds plain files and folders only, so replace it with a copy")
    }
}

/// Whether `target`, read from a link at `rel`, leaves the folder `rel` is relative to.
fn points_outside(rel: &str, target: &Path) -> bool {
    if target.is_absolute() {
        return true;
    }
    let mut depth = Path::new(rel).components().count().saturating_sub(1) as i64;
    for c in target.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            _ => return true,
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::fixtures::write_template;

    #[test]
    fn reads_a_template_folder() {
        let d = tempfile::tempdir().unwrap();
        write_template(d.path(), "mini", "1.0.0");
        let t = load_dir(d.path(), Source::Imported).unwrap();
        assert_eq!(t.id(), "mini@1.0.0");
        assert_eq!(t.files.keys().collect::<Vec<_>>(), ["README.md", "src/main.py"]);
        assert!(t.manifest_text.starts_with("# A test template.\nname = \"mini\""));
    }

    #[test]
    fn refuses_what_is_not_a_template() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("notes.txt"), "hi").unwrap();
        assert!(load_dir(d.path(), Source::Imported).unwrap_err().contains("has no template.toml"));
        assert!(load_dir(&d.path().join("notes.txt"), Source::Imported).unwrap_err().contains("not a folder"));
        fs::write(d.path().join("template.toml"), "").unwrap();
        assert!(load_dir(d.path(), Source::Imported).unwrap_err().contains("no files/ folder"));
    }

    #[test]
    fn refuses_symlinks_big_files_and_binary_files() {
        let d = tempfile::tempdir().unwrap();
        write_template(d.path(), "mini", "1.0.0");
        std::os::unix::fs::symlink("/etc/passwd", d.path().join("files/src/evil")).unwrap();
        let err = load_dir(d.path(), Source::Imported).unwrap_err();
        assert_eq!(err, "files/src/evil is a symlink pointing outside the template (to `/etc/passwd`)");
        fs::remove_file(d.path().join("files/src/evil")).unwrap();
        std::os::unix::fs::symlink("../../../x", d.path().join("files/src/up")).unwrap();
        assert!(load_dir(d.path(), Source::Imported).unwrap_err().contains("pointing outside"));
        fs::remove_file(d.path().join("files/src/up")).unwrap();
        std::os::unix::fs::symlink("main.py", d.path().join("files/src/inside")).unwrap();
        assert!(load_dir(d.path(), Source::Imported).unwrap_err().contains("replace it with a copy"));
        fs::remove_file(d.path().join("files/src/inside")).unwrap();

        fs::write(d.path().join("files/big.txt"), vec![b'x'; MAX_FILE_BYTES as usize + 1]).unwrap();
        assert!(load_dir(d.path(), Source::Imported).unwrap_err().contains("over the limit of 1048576 bytes"));
        fs::remove_file(d.path().join("files/big.txt")).unwrap();
        fs::write(d.path().join("files/logo.png"), [0x89, b'P', b'N', b'G', 0xff, 0xfe]).unwrap();
        assert!(load_dir(d.path(), Source::Imported).unwrap_err().contains("files/logo.png is not UTF-8"));
    }

    #[test]
    fn the_folder_itself_may_be_reached_through_a_link() {
        let d = tempfile::tempdir().unwrap();
        write_template(&d.path().join("real"), "mini", "1.0.0");
        std::os::unix::fs::symlink(d.path().join("real"), d.path().join("link")).unwrap();
        assert_eq!(load_dir(&d.path().join("link"), Source::Imported).unwrap().id(), "mini@1.0.0");
    }

    #[test]
    fn links_are_judged_from_where_they_sit() {
        assert!(!points_outside("files/a/link", Path::new("../b")));
        assert!(points_outside("files/a/link", Path::new("../../../b")));
        assert!(points_outside("link", Path::new("../b")));
        assert!(points_outside("files/x", Path::new("/abs")));
    }
}
