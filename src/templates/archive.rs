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

/// Most bytes an archive may unpack to (its tar stream, inside the gzip): a template's files
/// (`MAX_TOTAL_BYTES` at most) and their headers fit with room to spare, and a compression
/// bomb is cut off here, whatever its compressed size.
pub const MAX_UNPACKED_BYTES: u64 = 4 * MAX_TOTAL_BYTES;

/// Longest GNU long name or long link target (an `L` or `K` entry): a path, not a file.
const MAX_LONG_NAME: u64 = 4096;

/// Largest PAX extended header (an `x` or `g` entry): a few records, not a file.
const MAX_PAX_HEADER: u64 = 64 << 10;

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
    let over = std::rc::Rc::new(std::cell::Cell::new(false));
    let capped = Capped { inner: reader, left: MAX_UNPACKED_BYTES, over: std::rc::Rc::clone(&over) };
    // Names, link targets and the tar reader's errors come from the archive: the sentence
    // stays one inert line whatever they hold.
    unpack_entries(capped, into).map_err(|e| {
        if over.get() {
            format!(
                "it unpacks to more than the limit of {MAX_UNPACKED_BYTES} bytes for a template archive (a compression bomb?)"
            )
        } else {
            sanitize::line(&e).into_owned()
        }
    })
}

/// The decompressed stream, cut off at `left` bytes: a read past the limit is an error (and
/// sets `over`), never a quiet end that would make a cut archive look whole.
struct Capped<R> {
    inner: R,
    left: u64,
    over: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            // At the limit: the stream may end here, but not one byte more.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.over.set(true);
            return Err(std::io::Error::other("the archive unpacks to more than the limit"));
        }
        let n = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let got = self.inner.read(&mut buf[..n])?;
        self.left -= got as u64;
        Ok(got)
    }
}

/// Reads an extension entry's data (a long name, a PAX header), refusing it over `max`
/// bytes before reading any of it: the tar reader itself would read it whole.
fn read_extension(entry: &mut tar::Entry<impl Read>, what: &str, max: u64) -> Result<Vec<u8>, String> {
    let size = entry.size();
    if size > max {
        return Err(format!(
            "the archive holds a {what} of {size} bytes, over the limit of {max} bytes; it is damaged or hostile"
        ));
    }
    let mut data = Vec::with_capacity(size as usize);
    entry.take(max).read_to_end(&mut data).map_err(|e| format!("it is not a readable .tar.gz archive ({e})"))?;
    Ok(data)
}

/// The value of `key` in a PAX header's records.
fn pax_value(pax: Option<&[u8]>, key: &str) -> Option<Vec<u8>> {
    tar::PaxExtensions::new(pax?)
        .flatten()
        .filter(|e| e.key_bytes() == key.as_bytes())
        .last()
        .map(|e| e.value_bytes().to_vec())
}

/// A GNU long name as stored: the name, then a NUL.
fn trim_nul(mut name: Vec<u8>) -> Vec<u8> {
    while name.last() == Some(&0) {
        name.pop();
    }
    name
}

fn unpack_entries(reader: impl Read, into: &Path) -> Result<PathBuf, String> {
    let mut archive = tar::Archive::new(reader);
    let bad = |e: std::io::Error| format!("it is not a readable .tar.gz archive ({e})");
    let (mut total, mut count, mut entries) = (0u64, 0usize, 0usize);
    // Raw entries: the tar reader reads a long name or a PAX header whole, whatever size it
    // claims; here each is bounded before it is read, then applied to the entry after it.
    let (mut long_name, mut long_link, mut pax) = (None::<Vec<u8>>, None::<Vec<u8>>, None::<Vec<u8>>);
    for entry in archive.entries().map_err(bad)?.raw(true) {
        let mut entry = entry.map_err(bad)?;
        let kind = entry.header().entry_type();
        match kind {
            EntryType::GNULongName | EntryType::GNULongLink | EntryType::XHeader => {
                let (slot, what, max) = match kind {
                    EntryType::GNULongName => (&mut long_name, "long name", MAX_LONG_NAME),
                    EntryType::GNULongLink => (&mut long_link, "long link target", MAX_LONG_NAME),
                    _ => (&mut pax, "PAX header", MAX_PAX_HEADER),
                };
                if slot.is_some() {
                    return Err(format!("two {what}s describe one archive entry; the archive is damaged"));
                }
                *slot = Some(read_extension(&mut entry, what, max)?);
                continue;
            }
            EntryType::XGlobalHeader => {
                // Read and dropped: nothing in it applies to a template.
                read_extension(&mut entry, "global PAX header", MAX_PAX_HEADER)?;
                continue;
            }
            _ => {}
        }
        let pax_here = pax.take();
        if pax_value(pax_here.as_deref(), "size").is_some() {
            // The tar reader would let it override the header's size; a template's files
            // are small enough for the header's own field, so one is refused, not guessed.
            return Err("an archive entry carries a PAX size; a template's files never need one, so the archive is hostile or damaged".into());
        }
        let path_bytes = long_name
            .take()
            .map(trim_nul)
            .or_else(|| pax_value(pax_here.as_deref(), "path"))
            .unwrap_or_else(|| entry.path_bytes().into_owned());
        let link_bytes = long_link
            .take()
            .map(trim_nul)
            .or_else(|| pax_value(pax_here.as_deref(), "linkpath"))
            .or_else(|| entry.link_name_bytes().map(|b| b.into_owned()));
        entries += 1;
        if entries > 4 * MAX_FILES {
            return Err(format!(
                "it holds more than {} entries; a template holds at most {MAX_FILES} files",
                4 * MAX_FILES
            ));
        }
        let raw =
            String::from_utf8(path_bytes).map_err(|_| "an archive entry's name is not UTF-8; rename it".to_string())?;
        let rel = entry_path(&raw)?;
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
                let target = link_bytes.map(|b| String::from_utf8_lossy(&b).into_owned());
                return Err(format!(
                    "archive entry {}",
                    symlink_problem(&format!("`{raw}`"), Path::new(&target.unwrap_or_default()))
                ));
            }
            EntryType::Link => {
                let target = link_bytes.map(|b| String::from_utf8_lossy(&b).into_owned());
                let target = target.unwrap_or_default();
                return Err(if entry_path(&target).is_err() {
                    format!("archive entry `{raw}` is a hard link pointing outside the template (to `{target}`)")
                } else {
                    format!(
                        "archive entry `{raw}` is a hard link; a template holds plain files and folders only, so replace it with a copy"
                    )
                });
            }
            _ => {
                return Err(format!(
                    "archive entry `{raw}` is a device, pipe or other special file; a template holds plain files and folders only"
                ));
            }
        }
    }
    if long_name.is_some() || long_link.is_some() || pax.is_some() {
        return Err("the archive ends with a long name or PAX header that describes no entry; it is damaged".into());
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

    /// Packs bits into bytes, least significant first, as deflate does.
    #[derive(Default)]
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }

    impl Bits {
        fn put(&mut self, value: u64, count: u32) {
            self.acc |= value << self.n;
            self.n += count;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }

        /// A Huffman code, which deflate writes most significant bit first.
        fn code(&mut self, code: u32, len: u32) {
            self.put(u64::from(code.reverse_bits() >> (32 - len)), len);
        }

        /// A literal byte in deflate's fixed Huffman codes.
        fn literal(&mut self, b: u8) {
            if b < 144 { self.code(0x30 + u32::from(b), 8) } else { self.code(0x190 + u32::from(b - 144), 9) }
        }
    }

    /// A .tar.gz whose tar stream is `header` then `zeros` zero bytes, deflated by hand (fixed
    /// Huffman codes; the zeros as 258-byte copies at distance 1), so that a 1 GB bomb takes
    /// a moment to write. Its CRC is left 0: nothing reads that far.
    fn gzip_bomb(header: &tar::Header, zeros: u64) -> Vec<u8> {
        let mut bits = Bits::default();
        bits.put(1, 1); // the last block
        bits.put(1, 2); // fixed Huffman codes
        for &b in header.as_bytes() {
            bits.literal(b);
        }
        bits.literal(0);
        let mut left = zeros - 1;
        while left >= 258 {
            bits.code(0xc5, 8); // length 258 (code 285)
            bits.code(0, 5); // distance 1
            left -= 258;
        }
        for _ in 0..left {
            bits.literal(0);
        }
        bits.code(0, 7); // end of block
        if bits.n > 0 {
            bits.out.push(bits.acc as u8);
        }
        let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        gz.extend_from_slice(&bits.out);
        gz.extend_from_slice(&0u32.to_le_bytes());
        gz.extend_from_slice(&((512 + zeros) as u32).to_le_bytes());
        gz
    }

    /// The bombs: a GNU long name, a PAX header and a folder's data, each 1 GB of zeros.
    fn bombs() -> Vec<(&'static str, tar::Header, &'static str)> {
        [
            ("long-name", EntryType::GNULongName, "././@LongLink", "long name of 1073741824 bytes, over the limit"),
            ("pax", EntryType::XHeader, "PaxHeader/t", "PAX header of 1073741824 bytes, over the limit"),
            ("folder", EntryType::Directory, "t/", "unpacks to more than the limit of 67108864 bytes"),
        ]
        .into_iter()
        .map(|(name, kind, path, needle)| {
            let mut h = tar::Header::new_gnu();
            h.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
            h.set_entry_type(kind);
            h.set_size(1 << 30);
            h.set_mode(0o644);
            h.set_cksum();
            (name, h, needle)
        })
        .collect()
    }

    /// Run by `a_gzip_bomb_is_refused_within_100_mb_of_memory` in a process of its own, so
    /// that its peak memory is the unpacking's.
    #[test]
    #[ignore = "run in a child process by a_gzip_bomb_is_refused_within_100_mb_of_memory"]
    fn gzip_bomb_child() {
        let Some(dir) = std::env::var_os("FACTORY_BOMB_DIR") else { return };
        let dir = PathBuf::from(dir);
        // A guard for the machine: a reader that holds the whole gigabyte fails here.
        let limit = libc::rlimit { rlim_cur: 1 << 30, rlim_max: 1 << 30 };
        // SAFETY: setrlimit with a valid struct; it changes only this process's limit.
        unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) };
        for (name, _, _) in bombs() {
            let into = dir.join(format!("{name}-into"));
            fs::create_dir(&into).unwrap();
            match unpack_archive(&dir.join(format!("{name}.tar.gz")), &into) {
                Ok(_) => println!("unpacked {name}"),
                Err(e) => println!("refused {name}: {e}"),
            }
        }
        let status = fs::read_to_string("/proc/self/status").unwrap();
        let hwm = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        println!("{hwm}");
    }

    /// 1 GB of zeros, gzip'd to a few MB, as a long name, a PAX header and a folder's data:
    /// each is refused, and the process never holds more than 100 MB.
    #[test]
    fn a_gzip_bomb_is_refused_within_100_mb_of_memory() {
        let d = tempfile::tempdir().unwrap();
        for (name, header, _) in bombs() {
            let gz = gzip_bomb(&header, 1 << 30);
            assert!((gz.len() as u64) < MAX_ARCHIVE_BYTES, "the bomb passes the compressed size check");
            fs::write(d.path().join(format!("{name}.tar.gz")), gz).unwrap();
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "templates::archive::tests::gzip_bomb_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("FACTORY_BOMB_DIR", d.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "the child failed ({}): {stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        for (name, _, needle) in bombs() {
            let line = stdout.lines().find(|l| l.contains(&format!("refused {name}: "))).unwrap_or_default();
            assert!(line.contains(needle), "{name} is not refused as it should be: {stdout}");
        }
        let hwm: u64 = stdout
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|l| l.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no VmHWM: {stdout}"));
        assert!(hwm < 100 * 1024, "peak memory {hwm} kB, over 100 MB");
    }

    /// A PAX header of one record, `<length> <key>=<value>\n` (the length counts itself).
    fn append_pax<W: Write>(tar: &mut tar::Builder<W>, key: &str, value: &str) {
        let body = format!(" {key}={value}\n");
        let mut len = body.len() + 1;
        while format!("{len}{body}").len() != len {
            len += 1;
        }
        let record = format!("{len}{body}");
        let mut h = tar::Header::new_ustar();
        h.set_path("PaxHeader/x").unwrap();
        h.set_entry_type(EntryType::XHeader);
        h.set_size(record.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append(&h, record.as_bytes()).unwrap();
    }

    /// A long name and a PAX path within their limits still name the entry they describe.
    #[test]
    fn long_names_and_pax_paths_within_the_limits_still_work() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("t.tar.gz");
        let long = format!("t/files/{}/x.txt", "d".repeat(150));
        let mut tar = tar::Builder::new(GzEncoder::new(fs::File::create(&file).unwrap(), Compression::fast()));
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        h.set_mode(0o644);
        tar.append_data(&mut h, "t/template.toml", b"x".as_slice()).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(2);
        h.set_mode(0o644);
        tar.append_data(&mut h, &long, b"hi".as_slice()).unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_size(3);
        h.set_mode(0o644);
        h.set_path("t/files/short.txt").unwrap();
        h.set_cksum();
        append_pax(&mut tar, "path", "t/files/from-pax.txt");
        tar.append(&h, b"pax".as_slice()).unwrap();
        tar.into_inner().unwrap().finish().unwrap();
        let into = d.path().join("into");
        fs::create_dir(&into).unwrap();
        let root = unpack_archive(&file, &into).unwrap();
        assert_eq!(fs::read(root.parent().unwrap().join(&long)).unwrap(), b"hi");
        assert_eq!(fs::read(root.join("files/from-pax.txt")).unwrap(), b"pax");
        assert!(!root.join("files/short.txt").exists());
        // A PAX size would override the header's: refused, not guessed at.
        let file = d.path().join("size.tar.gz");
        let mut tar = tar::Builder::new(GzEncoder::new(fs::File::create(&file).unwrap(), Compression::fast()));
        append_pax(&mut tar, "size", "3");
        let mut h = tar::Header::new_ustar();
        h.set_size(3);
        h.set_mode(0o644);
        h.set_path("t/template.toml").unwrap();
        h.set_cksum();
        tar.append(&h, b"abc".as_slice()).unwrap();
        tar.into_inner().unwrap().finish().unwrap();
        let into = d.path().join("into2");
        fs::create_dir(&into).unwrap();
        let err = unpack_archive(&file, &into).unwrap_err();
        assert!(err.contains("carries a PAX size"), "{err}");
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
