//! A run's workspace on disk: every write stays inside it (no `..`, no absolute paths, no symlinks).

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

/// `O_NOFOLLOW` and the `ELOOP` it fails with: never write through a symlink. From libc,
/// whose values are right for every architecture (they differ between x86_64 and aarch64).
const fn libc_o_nofollow() -> i32 {
    libc::O_NOFOLLOW
}
const ELOOP: i32 = libc::ELOOP;

/// Largest file a task may write.
pub const MAX_FILE_BYTES: usize = 1 << 20;

/// The rule lives in the domain (a plan's files obey it too); the workspace enforces it.
pub use crate::domain::check_relative_path;

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("the output tried to write outside the workspace: {0}")]
    Escape(String),
    #[error("the output file `{path}` is {size} bytes, over the limit of {MAX_FILE_BYTES}")]
    TooBig { path: String, size: usize },
    #[error("could not write `{path}` in the workspace: {source}")]
    Io { path: String, source: std::io::Error },
}

impl WorkspaceError {
    /// An escape or an oversized file is the answer's fault; a retry may do better.
    /// An I/O error is the machine's (disk full, permissions).
    pub fn is_output_fault(&self) -> bool {
        !matches!(self, WorkspaceError::Io { .. })
    }
}

/// A run's workspace. Clones share the folders already checked, so that a run's tasks
/// walk each folder once: only this factory writes there, never a symlink, until a
/// template check runs the generated code (`forget_checked` after it).
#[derive(Clone, Debug)]
pub struct Workspace {
    root: PathBuf,
    /// Folders already checked (real folders, no symlink on the way), each with whether
    /// this workspace made it: what such a folder holds, this factory wrote (regular files).
    checked: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<PathBuf, bool>>>,
}

/// `rel` would be written through the symlink at `at`.
fn through_link(rel: &str, at: &Path) -> WorkspaceError {
    WorkspaceError::Escape(format!("`{rel}` passes through the symlink `{}`", at.display()))
}

impl Workspace {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Workspace { root: root.into(), checked: Default::default() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Checks every folder again from the next write on.
    pub fn forget_checked(&self) {
        self.checked.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn is_checked(&self, dir: &Path) -> bool {
        self.checked.lock().unwrap_or_else(|e| e.into_inner()).contains_key(dir)
    }

    /// Whether this workspace made `dir` (since the last `forget_checked`).
    fn made(&self, dir: &Path) -> bool {
        self.checked.lock().unwrap_or_else(|e| e.into_inner()).get(dir).copied().unwrap_or(false)
    }

    fn mark_checked(&self, dir: PathBuf, made: bool) {
        *self.checked.lock().unwrap_or_else(|e| e.into_inner()).entry(dir).or_insert(made) |= made;
    }

    /// Whether `content` could be written at `rel`, without writing anything: the path stays
    /// inside, the size is allowed, and nothing on the way (nor the file) is a symlink. A
    /// set of files is checked whole this way first, so that a refusal writes none of them.
    pub fn check(&self, rel: &str, len: usize) -> Result<(), WorkspaceError> {
        check_relative_path(rel).map_err(WorkspaceError::Escape)?;
        if len > MAX_FILE_BYTES {
            return Err(WorkspaceError::TooBig { path: rel.into(), size: len });
        }
        let mut at = self.root.clone();
        let parts: Vec<_> = Path::new(rel).components().collect();
        for (k, c) in parts.iter().enumerate() {
            let Component::Normal(name) = c else { continue };
            at.push(name);
            // A folder an earlier write walked is known to be a real one (as `write` trusts);
            // a file in a folder this workspace made is missing or one it wrote.
            let last = k + 1 == parts.len();
            if (!last && self.is_checked(&at)) || (last && at.parent().is_some_and(|p| self.made(p))) {
                continue;
            }
            match fs::symlink_metadata(&at) {
                Ok(m) if m.file_type().is_symlink() => return Err(through_link(rel, &at)),
                Ok(_) => {}
                // What does not exist yet is made as a real folder or file.
                Err(_) => break,
            }
        }
        Ok(())
    }

    /// Writes `content` at `rel`, refusing any path that would leave the workspace,
    /// including through a symlink.
    pub fn write(&self, rel: &str, content: &[u8]) -> Result<PathBuf, WorkspaceError> {
        match self.write_once(rel, content) {
            // A folder checked earlier was removed since (by hand): check them all again.
            Err(WorkspaceError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                self.forget_checked();
                self.write_once(rel, content)
            }
            other => other,
        }
    }

    fn write_once(&self, rel: &str, content: &[u8]) -> Result<PathBuf, WorkspaceError> {
        check_relative_path(rel).map_err(WorkspaceError::Escape)?;
        if content.len() > MAX_FILE_BYTES {
            return Err(WorkspaceError::TooBig { path: rel.into(), size: content.len() });
        }
        let io = |source| WorkspaceError::Io { path: rel.into(), source };
        let target = self.root.join(rel);
        let parent = target.parent().unwrap_or(&self.root).to_path_buf();
        if !self.is_checked(&parent) {
            fs::create_dir_all(&self.root).map_err(io)?;
            // Walk every folder below the root, making the missing ones: none may be a
            // symlink or a file.
            let mut at = self.root.clone();
            let folders = Path::new(rel).parent().map(|p| p.components().collect::<Vec<_>>()).unwrap_or_default();
            for c in folders {
                let Component::Normal(name) = c else { continue };
                at.push(name);
                if self.is_checked(&at) {
                    continue;
                }
                let mut made = false;
                match fs::symlink_metadata(&at) {
                    Ok(m) if m.file_type().is_symlink() => return Err(through_link(rel, &at)),
                    Ok(m) if !m.is_dir() => {
                        return Err(io(std::io::Error::other(format!("`{}` is a file, not a folder", at.display()))));
                    }
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => match fs::create_dir(&at) {
                        Ok(()) => made = true,
                        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                            // Made at the same moment by someone else: check it again.
                            if !fs::symlink_metadata(&at).is_ok_and(|m| m.is_dir()) {
                                return Err(WorkspaceError::Escape(format!(
                                    "`{}` changed under the write",
                                    at.display()
                                )));
                            }
                        }
                        Err(e) => return Err(io(e)),
                    },
                    Err(e) => return Err(io(e)),
                }
                self.mark_checked(at.clone(), made);
            }
            self.mark_checked(parent, false);
        }
        // The file itself: never through a symlink (O_NOFOLLOW). No temporary file and
        // rename: a task whose write is cut short by a crash is not recorded done, so it
        // runs again and rewrites the file whole.
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .custom_flags(libc_o_nofollow())
            .open(&target)
            .map_err(|e| {
                if e.raw_os_error() == Some(ELOOP) {
                    WorkspaceError::Escape(format!("`{rel}` is a symlink"))
                } else {
                    io(e)
                }
            })?;
        f.write_all(content).map_err(io)?;
        Ok(target)
    }

    /// The size of a workspace file and its first `limit` bytes, read beneath the workspace
    /// through no symlink (the checks may have left links in `app/`), never blocking on a fifo.
    pub fn read_head(&self, rel: &str, limit: usize) -> std::io::Result<(u64, Vec<u8>)> {
        use std::io::Read;
        let root = fs::File::open(&self.root)?;
        let f = open_beneath(&root, rel)?;
        let meta = f.metadata()?;
        if !meta.is_file() {
            return Err(std::io::Error::other("not a regular file"));
        }
        let mut head = Vec::with_capacity(meta.len().min(limit as u64) as usize);
        f.take(limit as u64).read_to_end(&mut head)?;
        Ok((meta.len(), head))
    }

    /// Reads a workspace file as text (refusing paths that leave the workspace).
    pub fn read(&self, rel: &str) -> Result<String, WorkspaceError> {
        check_relative_path(rel).map_err(WorkspaceError::Escape)?;
        fs::read_to_string(self.root.join(rel)).map_err(|source| WorkspaceError::Io { path: rel.into(), source })
    }
}

/// Opens `rel` beneath the folder `root` without following any symlink on the way
/// (openat2 with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, one system call); where the
/// kernel lacks openat2, each folder on the way is checked instead.
pub fn open_beneath(root: &std::fs::File, rel: &str) -> std::io::Result<std::fs::File> {
    use std::os::fd::{AsRawFd, FromRawFd};
    check_relative_path(rel).map_err(std::io::Error::other)?;
    let c_rel = std::ffi::CString::new(rel).map_err(std::io::Error::other)?;
    // SAFETY: a plain C struct of integers, for which all zeroes is valid.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    // Without blocking: a fifo left in app/ must not hang the prompt's reading.
    how.flags = (libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW | libc::O_NONBLOCK) as u64;
    how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS;
    // SAFETY: the path is NUL-terminated, `how` lives across the call and its size is
    // passed; a returned descriptor is new and owned by the File.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            root.as_raw_fd(),
            c_rel.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if fd >= 0 {
        // SAFETY: the descriptor was just opened for us and nothing else owns it.
        return Ok(unsafe { std::fs::File::from_raw_fd(fd as i32) });
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() != Some(libc::ENOSYS) {
        return Err(err);
    }
    // No openat2: refuse a symlink anywhere on the way, then open without following one.
    let dir = std::path::PathBuf::from(format!("/proc/self/fd/{}", root.as_raw_fd()));
    let dir = std::fs::read_link(&dir)?;
    let mut at = dir.clone();
    for part in Path::new(rel).components() {
        at.push(part);
        if std::fs::symlink_metadata(&at)?.file_type().is_symlink() {
            return Err(std::io::Error::other("a symlink on the way"));
        }
    }
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(dir.join(rel))
}

/// The regular files under `root` (relative paths, sorted, with their sizes), at most
/// `max`, never following a symlink and not descending into the folders `skip` names.
pub fn list_files(root: &Path, skip: impl Fn(&std::ffi::OsStr) -> bool, max: usize) -> Vec<(String, u64)> {
    walk(root, skip, max, true)
}

/// As `list_files`, without the sizes (one system call a file fewer).
pub fn list_paths(root: &Path, skip: impl Fn(&std::ffi::OsStr) -> bool, max: usize) -> Vec<String> {
    walk(root, skip, max, false).into_iter().map(|(p, _)| p).collect()
}

fn walk(root: &Path, skip: impl Fn(&std::ffi::OsStr) -> bool, max: usize, sizes: bool) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            let path = e.path();
            if ft.is_dir() {
                if !skip(&e.file_name()) {
                    stack.push(path);
                }
            } else if ft.is_file()
                && let Ok(rel) = path.strip_prefix(root)
            {
                let bytes = if sizes { e.metadata().map(|m| m.len()).unwrap_or(0) } else { 0 };
                out.push((rel.to_string_lossy().into_owned(), bytes));
            }
            if out.len() >= max {
                break;
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_inside_and_refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path().join("ws"));
        ws.write("app/main.py", b"print(1)\n").unwrap();
        assert_eq!(ws.read("app/main.py").unwrap(), "print(1)\n");
        for bad in ["../x", "app/../../x", "/etc/passwd", "", "a\\b", "~/x"] {
            let err = ws.write(bad, b"x").unwrap_err();
            assert!(err.is_output_fault(), "{bad}: {err}");
        }
        assert!(!dir.path().join("x").exists());
    }

    #[test]
    fn refuses_to_follow_a_symlink_out() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        fs::create_dir_all(&outside).unwrap();
        let ws = Workspace::new(dir.path().join("ws"));
        fs::create_dir_all(ws.root()).unwrap();
        std::os::unix::fs::symlink(&outside, ws.root().join("link")).unwrap();
        let err = ws.write("link/evil.txt", b"x").unwrap_err();
        assert!(matches!(err, WorkspaceError::Escape(_)), "{err}");
        assert!(!outside.join("evil.txt").exists());
        std::os::unix::fs::symlink(outside.join("f"), ws.root().join("file-link")).unwrap();
        // Refused by the open itself (O_NOFOLLOW, failing with ELOOP), and said to be a link.
        let err = ws.write("file-link", b"x").unwrap_err();
        assert!(matches!(&err, WorkspaceError::Escape(m) if m.contains("is a symlink")), "{err}");
        assert!(!outside.join("f").exists());
    }

    #[test]
    fn a_check_finds_what_a_write_would_refuse_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        fs::create_dir_all(&outside).unwrap();
        let ws = Workspace::new(dir.path().join("ws"));
        fs::create_dir_all(ws.root().join("app")).unwrap();
        std::os::unix::fs::symlink(&outside, ws.root().join("app/link")).unwrap();
        assert!(ws.check("app/new/file.py", 10).is_ok());
        assert!(matches!(ws.check("app/link/x.py", 1), Err(WorkspaceError::Escape(_))));
        assert!(matches!(ws.check("app/big.bin", MAX_FILE_BYTES + 1), Err(WorkspaceError::TooBig { .. })));
        assert!(matches!(ws.check("../x", 1), Err(WorkspaceError::Escape(_))));
        assert!(!ws.root().join("app/new").exists(), "a check makes nothing");
    }

    #[test]
    fn clones_share_checked_folders_until_told_to_forget() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        fs::create_dir_all(&outside).unwrap();
        let ws = Workspace::new(dir.path().join("ws"));
        ws.write("app/src/a.py", b"a").unwrap();
        // Removed by hand between two tasks: made again.
        fs::remove_dir_all(ws.root().join("app")).unwrap();
        let task2 = ws.clone();
        task2.write("app/src/b.py", b"b").unwrap();
        assert!(ws.root().join("app/src/b.py").is_file());
        // Generated code ran (a template check) and swapped a folder for a symlink.
        fs::remove_dir_all(ws.root().join("app/src")).unwrap();
        std::os::unix::fs::symlink(&outside, ws.root().join("app/src")).unwrap();
        ws.forget_checked();
        let err = task2.write("app/src/c.py", b"c").unwrap_err();
        assert!(matches!(err, WorkspaceError::Escape(_)), "{err}");
        assert!(!outside.join("c.py").exists());
    }

    #[test]
    fn a_file_is_looked_at_unless_its_folder_was_made_here_since_the_last_check_run() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        fs::create_dir_all(&outside).unwrap();
        let ws = Workspace::new(dir.path().join("ws"));
        // A folder that was there before (not made here): its file is looked at.
        fs::create_dir_all(ws.root().join("app/old")).unwrap();
        ws.write("app/old/a.py", b"a").unwrap();
        std::os::unix::fs::symlink(outside.join("x"), ws.root().join("app/old/b.py")).unwrap();
        assert!(matches!(ws.check("app/old/b.py", 1), Err(WorkspaceError::Escape(_))));
        // A folder this workspace made holds only what it wrote: no look needed.
        ws.write("app/new/a.py", b"a").unwrap();
        assert!(ws.made(&ws.root().join("app/new")) && !ws.made(&ws.root().join("app/old")));
        assert!(ws.check("app/new/a.py", 1).is_ok() && ws.check("app/new/b.py", 1).is_ok());
        // Generated code ran and left a link there: after `forget_checked`, it is found.
        std::os::unix::fs::symlink(outside.join("y"), ws.root().join("app/new/c.py")).unwrap();
        ws.forget_checked();
        assert!(matches!(ws.check("app/new/c.py", 1), Err(WorkspaceError::Escape(_))));
        assert!(!ws.made(&ws.root().join("app/new")));
    }

    #[test]
    fn refuses_oversized_files() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::new(dir.path());
        let big = vec![b'x'; MAX_FILE_BYTES + 1];
        assert!(matches!(ws.write("big.txt", &big), Err(WorkspaceError::TooBig { .. })));
    }
}
