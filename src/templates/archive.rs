//! Template archives (`.tar.gz`): writing one reproducibly, and unpacking one into a staging
//! folder while refusing entries that climb out, absolute paths, links, special files and
//! anything over the size limits, before anything is installed.

use std::fs;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use tar::EntryType;

use super::Template;
use super::folder::{MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES, symlink_problem};
use crate::sanitize;

/// Largest archive file accepted (compressed).
pub const MAX_ARCHIVE_BYTES: u64 = 32 << 20;

/// Writes `t` as `<name>-<version>/template.toml` and `<name>-<version>/files/...` into a
/// gzip'd tar at `out`. Entries are sorted, with fixed times, owners and modes, so the same
/// template always gives the same archive. Nothing is left at `out` if writing fails.
pub fn export_archive(t: &Template, out: &Path) -> Result<(), String> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new().prefix(".factory-export-").tempfile_in(&parent).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("the folder {} does not exist", parent.display()),
        _ => format!("cannot write in {} ({})", parent.display(), e.kind()),
    })?;
    let top = format!("{}-{}", t.name(), t.version());
    let mut tar = tar::Builder::new(GzEncoder::new(tmp.as_file(), Compression::default()));
    let mut add = |path: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_uid(0);
        h.set_gid(0);
        h.set_entry_type(EntryType::Regular);
        tar.append_data(&mut h, path, data)
    };
    let io = |e: std::io::Error| format!("cannot write the archive ({e})");
    add(&format!("{top}/template.toml"), t.manifest_text.as_bytes()).map_err(io)?;
    for (path, text) in &t.files {
        add(&format!("{top}/files/{path}"), text.as_bytes()).map_err(io)?;
    }
    let gz = tar.into_inner().map_err(io)?;
    gz.finish().map_err(io)?.flush().map_err(io)?;
    tmp.persist(out).map_err(|e| format!("cannot write {} ({})", out.display(), e.error))?;
    Ok(())
}

/// Unpacks the archive at `file` into the empty folder `into` and returns the template's
/// root in it (`into` itself, or its one top folder). Every entry is checked before it is
/// written; the first bad one stops it with a sentence naming the entry.
pub fn unpack_archive(file: &Path, into: &Path) -> Result<PathBuf, String> {
    let meta = fs::metadata(file).map_err(|e| format!("cannot read it ({e})"))?;
    if meta.len() > MAX_ARCHIVE_BYTES {
        return Err(format!("it is {} bytes, over the limit of {MAX_ARCHIVE_BYTES} bytes for an archive", meta.len()));
    }
    let f = fs::File::open(file).map_err(|e| format!("cannot read it ({e})"))?;
    unpack_tar(GzDecoder::new(f), into)
}

/// Unpacks an uncompressed tar stream (what a template archive holds inside its gzip) into
/// the empty folder `into`, with every check `unpack_archive` makes. Public so that the fuzz
/// target can reach the tar layer without going through gzip's checksums.
pub fn unpack_tar(reader: impl Read, into: &Path) -> Result<PathBuf, String> {
    // Names, link targets and the tar reader's errors come from the archive: the sentence
    // stays one inert line whatever they hold.
    unpack_entries(reader, into).map_err(|e| sanitize::line(&e).into_owned())
}

fn unpack_entries(reader: impl Read, into: &Path) -> Result<PathBuf, String> {
    let mut archive = tar::Archive::new(reader);
    let bad = |e: std::io::Error| format!("it is not a readable .tar.gz archive ({e})");
    let (mut total, mut count, mut entries) = (0u64, 0usize, 0usize);
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        entries += 1;
        if entries > 4 * MAX_FILES {
            return Err(format!(
                "it holds more than {} entries; a template holds at most {MAX_FILES} files",
                4 * MAX_FILES
            ));
        }
        let raw = String::from_utf8(entry.path_bytes().into_owned())
            .map_err(|_| "an archive entry's name is not UTF-8; rename it".to_string())?;
        let rel = entry_path(&raw)?;
        let kind = entry.header().entry_type();
        match kind {
            EntryType::Directory => {
                fs::create_dir_all(into.join(&rel)).map_err(|e| format!("cannot unpack `{raw}` ({e})"))?;
            }
            EntryType::Regular | EntryType::Continuous => {
                let size = entry.size();
                if size > MAX_FILE_BYTES {
                    return Err(format!(
                        "archive entry `{raw}` is {size} bytes, over the limit of {MAX_FILE_BYTES} bytes per template file"
                    ));
                }
                total += size;
                count += 1;
                if total > MAX_TOTAL_BYTES {
                    return Err(format!("its files add up to more than the limit of {MAX_TOTAL_BYTES} bytes"));
                }
                if count > MAX_FILES + 1 {
                    return Err(format!("it holds more than the limit of {MAX_FILES} files"));
                }
                let dest = into.join(&rel);
                if let Some(parent) = dest.parent() {
                    fs::create_dir_all(parent).map_err(|e| format!("cannot unpack `{raw}` ({e})"))?;
                }
                let mut out = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&dest)
                    .map_err(|e| format!("cannot unpack `{raw}` ({e}); does it appear twice?"))?;
                let copied = std::io::copy(&mut (&mut entry).take(MAX_FILE_BYTES + 1), &mut out)
                    .map_err(|e| format!("cannot unpack `{raw}` ({e})"))?;
                if copied != size {
                    return Err(format!("archive entry `{raw}` is cut short; the archive is damaged"));
                }
            }
            EntryType::Symlink => {
                let target = entry.link_name_bytes().map(|b| String::from_utf8_lossy(&b).into_owned());
                return Err(format!(
                    "archive entry {}",
                    symlink_problem(&format!("`{raw}`"), Path::new(&target.unwrap_or_default()))
                ));
            }
            EntryType::Link => {
                let target = entry.link_name_bytes().map(|b| String::from_utf8_lossy(&b).into_owned());
                let target = target.unwrap_or_default();
                return Err(if entry_path(&target).is_err() {
                    format!("archive entry `{raw}` is a hard link pointing outside the template (to `{target}`)")
                } else {
                    format!(
                        "archive entry `{raw}` is a hard link; a template holds plain files and folders only, so replace it with a copy"
                    )
                });
            }
            EntryType::XGlobalHeader | EntryType::XHeader | EntryType::GNULongName | EntryType::GNULongLink => {}
            _ => {
                return Err(format!(
                    "archive entry `{raw}` is a device, pipe or other special file; a template holds plain files and folders only"
                ));
            }
        }
    }
    template_root(into)
}

/// A plain relative path from an entry's name; the error names the entry.
fn entry_path(raw: &str) -> Result<PathBuf, String> {
    if raw.contains(|c: char| c.is_control() || c == '\\') {
        return Err(format!("archive entry `{raw}` holds a control character or a backslash"));
    }
    let mut out = PathBuf::new();
    for c in Path::new(raw).components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            Component::ParentDir => return Err(format!("archive entry `{raw}` climbs out of the template with `..`")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("archive entry `{raw}` has an absolute path"));
            }
        }
    }
    Ok(out)
}

/// The folder holding `template.toml`: `dir` itself, or its only sub-folder.
fn template_root(dir: &Path) -> Result<PathBuf, String> {
    if dir.join("template.toml").is_file() {
        return Ok(dir.to_path_buf());
    }
    let entries: Vec<PathBuf> = fs::read_dir(dir).map_err(|e| e.to_string())?.flatten().map(|e| e.path()).collect();
    match entries.as_slice() {
        [only] if only.is_dir() && only.join("template.toml").is_file() => Ok(only.clone()),
        _ => Err("it is not a template: it has no template.toml at its top or in its one top folder".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::fixtures::write_template;
    use crate::templates::{Source, load_dir};

    /// An entry: name, type, content, link target.
    type Entry<'a> = (&'a str, EntryType, &'a [u8], Option<&'a str>);

    /// Writes a .tar.gz with raw headers, so that bad names can be written at all.
    fn raw_archive(path: &Path, entries: &[Entry]) {
        let f = fs::File::create(path).unwrap();
        let mut tar = tar::Builder::new(GzEncoder::new(f, Compression::fast()));
        for (name, kind, data, link) in entries {
            let mut h = tar::Header::new_old();
            let bytes = name.as_bytes();
            h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
            h.set_entry_type(*kind);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            if let Some(l) = link {
                h.as_old_mut().linkname[..l.len()].copy_from_slice(l.as_bytes());
            }
            h.set_cksum();
            tar.append(&h, *data).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap();
    }

    fn unpack(entries: &[Entry]) -> Result<PathBuf, String> {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("t.tar.gz");
        raw_archive(&file, entries);
        let into = d.path().join("into");
        fs::create_dir(&into).unwrap();
        let out = unpack_archive(&file, &into);
        assert!(!d.path().join("evil.txt").exists() && !Path::new("/tmp/evil-factory.txt").exists());
        out.map(|p| p.strip_prefix(d.path()).unwrap().to_path_buf())
    }

    const T: EntryType = EntryType::Regular;

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        /// An archive built from generated safe files unpacks to the same bytes, and to
        /// nothing else.
        #[test]
        fn safe_files_unpack_to_the_same_bytes(
            files in proptest::collection::btree_map(
                "[a-z0-9_]{1,6}(/[a-z0-9_]{1,6}){0,2}(\\.[a-z]{1,3})?",
                proptest::collection::vec(any::<u8>(), 0..600),
                0..8,
            ),
        ) {
            // A path that is also a folder of another cannot be both.
            let files: Vec<(String, Vec<u8>)> = files
                .iter()
                .filter(|(p, _)| !files.keys().any(|q| q.starts_with(&format!("{p}/"))))
                .map(|(p, b)| (format!("files/{p}"), b.clone()))
                .collect();
            let d = tempfile::tempdir().unwrap();
            let file = d.path().join("t.tar.gz");
            let mut tar = tar::Builder::new(GzEncoder::new(fs::File::create(&file).unwrap(), Compression::fast()));
            let mut all = files.clone();
            all.push(("template.toml".into(), b"name = \"x\"".to_vec()));
            for (path, bytes) in &all {
                let mut h = tar::Header::new_gnu();
                h.set_size(bytes.len() as u64);
                h.set_mode(0o644);
                tar.append_data(&mut h, format!("x-1.0.0/{path}"), bytes.as_slice()).unwrap();
            }
            tar.into_inner().unwrap().finish().unwrap();
            let into = d.path().join("into");
            fs::create_dir(&into).unwrap();
            let root = unpack_archive(&file, &into).unwrap();
            prop_assert_eq!(&root, &into.join("x-1.0.0"));
            for (path, bytes) in &all {
                prop_assert_eq!(&fs::read(root.join(path)).unwrap(), bytes);
            }
            let mut count = 0;
            let mut stack = vec![root.clone()];
            while let Some(dir) = stack.pop() {
                for e in fs::read_dir(dir).unwrap() {
                    let e = e.unwrap();
                    if e.file_type().unwrap().is_dir() { stack.push(e.path()) } else { count += 1 }
                }
            }
            prop_assert_eq!(count, all.len());
        }

        /// Any bytes, as a tar stream: unpacked or refused with one line, nothing written
        /// beside the folder.
        #[test]
        fn any_tar_bytes_unpack_or_are_refused_in_one_line(
            mut bytes in proptest::collection::vec(any::<u8>(), 0..2048),
            name in "[ -~\n]{1,60}",
        ) {
            // Half the time, a valid-looking header with a generated name, so that the
            // checks behind the header parser run too.
            if bytes.len() >= 1024 && bytes[0] % 2 == 0 {
                let mut h = tar::Header::new_old();
                h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
                h.set_entry_type(EntryType::new(bytes[1] % 8 + b'0'));
                h.set_size(u64::from(bytes[2]));
                h.set_cksum();
                bytes[..512].copy_from_slice(h.as_bytes());
            }
            let d = tempfile::tempdir().unwrap();
            let into = d.path().join("into");
            fs::create_dir(&into).unwrap();
            if let Err(e) = unpack_tar(bytes.as_slice(), &into) {
                prop_assert!(!e.is_empty() && !e.contains('\n'), "{e:?}");
            }
            let beside: Vec<_> = fs::read_dir(d.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
            prop_assert_eq!(beside, vec![std::ffi::OsString::from("into")]);
        }
    }

    #[test]
    fn export_then_unpack_gives_the_same_files() {
        let d = tempfile::tempdir().unwrap();
        write_template(&d.path().join("src"), "mini", "1.0.0");
        let t = load_dir(&d.path().join("src"), Source::Imported).unwrap();
        let out = d.path().join("mini.tar.gz");
        export_archive(&t, &out).unwrap();
        let again = d.path().join("again.tar.gz");
        export_archive(&t, &again).unwrap();
        assert_eq!(fs::read(&out).unwrap(), fs::read(&again).unwrap(), "archives are reproducible");
        fs::create_dir(d.path().join("into")).unwrap();
        let root = unpack_archive(&out, &d.path().join("into")).unwrap();
        assert!(root.ends_with("mini-1.0.0"));
        let back = load_dir(&root, Source::Imported).unwrap();
        assert_eq!((back.manifest_text, back.files), (t.manifest_text, t.files));
    }

    #[test]
    fn bad_entries_are_refused_by_name() {
        let manifest = ("t/template.toml", T, b"x".as_slice(), None);
        let cases: [(&[Entry], &str); 6] = [
            (&[manifest, ("t/../../evil.txt", T, b"x", None)], "`t/../../evil.txt` climbs out of the template"),
            (&[manifest, ("/tmp/evil-factory.txt", T, b"x", None)], "`/tmp/evil-factory.txt` has an absolute path"),
            (
                &[manifest, ("t/files/link", EntryType::Symlink, b"", Some("/etc/passwd"))],
                "`t/files/link` is a symlink pointing outside the template (to `/etc/passwd`)",
            ),
            (
                &[manifest, ("t/files/up", EntryType::Symlink, b"", Some("../../../x"))],
                "`t/files/up` is a symlink pointing outside",
            ),
            (
                &[manifest, ("t/files/hard", EntryType::Link, b"", Some("../x"))],
                "`t/files/hard` is a hard link pointing outside",
            ),
            (&[manifest, ("t/files/fifo", EntryType::Fifo, b"", None)], "`t/files/fifo` is a device, pipe"),
        ];
        for (entries, needle) in cases {
            let err = unpack(entries).unwrap_err();
            assert!(err.contains(needle), "{needle}: {err}");
        }
    }

    /// Found by the `archive` fuzz target: the tar reader's error quoted a damaged header's
    /// bytes, line breaks included, so the sentence spread over several lines.
    #[test]
    fn errors_stay_one_line_whatever_the_archive_holds() {
        let mut block = [b't'; 512];
        block[100] = b'\n';
        block[148..156].copy_from_slice(b"t\ne\x1b[2J ");
        let d = tempfile::tempdir().unwrap();
        let err = unpack_tar(&block[..], d.path()).unwrap_err();
        assert!(err.starts_with("it is not a readable .tar.gz archive"), "{err}");
        assert!(!err.contains(['\n', '\x1b']), "{err:?}");
        let err = unpack(&[("t/files/a\nb\x1b[31m", T, b"x", None)]).unwrap_err();
        assert!(err.contains("holds a control character") && !err.contains(['\n', '\x1b']), "{err:?}");
    }

    #[test]
    fn endless_folders_are_cut_short() {
        let names: Vec<String> = (0..=4 * MAX_FILES).map(|i| format!("t/d{i}/")).collect();
        let entries: Vec<Entry> =
            names.iter().map(|n| (n.as_str(), EntryType::Directory, b"".as_slice(), None)).collect();
        let err = unpack(&entries).unwrap_err();
        assert!(err.contains("more than 8000 entries"), "{err}");
    }

    #[test]
    fn sizes_and_shapes_are_checked() {
        let big = vec![b'x'; MAX_FILE_BYTES as usize + 1];
        let err = unpack(&[("t/files/big.bin", T, &big, None)]).unwrap_err();
        assert!(err.contains("`t/files/big.bin` is 1048577 bytes, over the limit"), "{err}");
        let err = unpack(&[("a/x.txt", T, b"x", None), ("b/y.txt", T, b"y", None)]).unwrap_err();
        assert!(err.contains("has no template.toml"), "{err}");
        assert_eq!(unpack(&[("./template.toml", T, b"x", None)]).unwrap(), PathBuf::from("into"));
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("x.tar.gz"), "not gzip").unwrap();
        let err = unpack_archive(&d.path().join("x.tar.gz"), d.path()).unwrap_err();
        assert!(err.contains("not a readable .tar.gz archive"), "{err}");
    }
}
