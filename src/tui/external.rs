//! Another program on a workspace file (`$EDITOR`, `$PAGER`) with the terminal handed over to it, refusing any path that leaves the workspace or passes through a symlink; and OSC 52 clipboard writes.

use std::path::{Path, PathBuf};

use crate::workspace::{Workspace, check_relative_path};

/// The file `rel` of the workspace folder `workspace`, as a path to give a program: a plain
/// relative path (no `..`, not absolute), naming a regular file reached through no symlink.
pub fn target(workspace: &str, rel: &str) -> Result<PathBuf, String> {
    check_relative_path(rel).map_err(|e| format!("not opened: {e}"))?;
    let root = Path::new(workspace);
    if !root.is_absolute() {
        return Err(format!("not opened: the workspace folder `{workspace}` is not an absolute path"));
    }
    Workspace::new(root)
        .read_head(rel, 0)
        .map_err(|e| format!("not opened: `{rel}` is not a regular file inside the workspace ({e})"))?;
    Ok(root.join(rel))
}

/// The command that runs `program` on `file`. The program may carry arguments (`code -w`,
/// `less -R`), so a shell splits it, as git does with `$EDITOR`; the path goes to it as its
/// own argument, never through the shell's parsing.
pub fn command(program: &str, file: &Path) -> std::process::Command {
    let mut c = std::process::Command::new("sh");
    c.arg("-c").arg(format!("{program} \"$1\"")).arg(program).arg(file);
    c
}

/// What the status line says after the program ended.
pub fn outcome(program: &str, result: std::io::Result<std::process::ExitStatus>) -> Result<String, String> {
    let name = crate::sanitize::line(program).into_owned();
    match result {
        Ok(s) if s.success() => Ok(format!("back from {name}")),
        Ok(s) => Err(format!("{name} ended with {s}")),
        Err(e) => Err(format!("could not run {name}: {e}")),
    }
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_outside_the_workspace_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("ws");
        std::fs::create_dir_all(ws.join("app")).unwrap();
        std::fs::write(ws.join("app/main.py"), "print(1)\n").unwrap();
        std::fs::write(dir.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), ws.join("app/link")).unwrap();
        std::os::unix::fs::symlink(dir.path(), ws.join("up")).unwrap();
        let w = ws.to_str().unwrap();
        assert_eq!(target(w, "app/main.py").unwrap(), ws.join("app/main.py"));
        for bad in ["../secret", "app/../../secret", "/etc/passwd", "app/link", "up/secret", "app", "app/none.py"] {
            let err = target(w, bad).unwrap_err();
            assert!(err.starts_with("not opened:"), "{bad}: {err}");
        }
        assert!(target("relative/ws", "app/main.py").is_err());
    }

    #[test]
    fn a_fake_editor_gets_the_real_path_as_one_argument() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("my ws");
        std::fs::create_dir_all(ws.join("app")).unwrap();
        std::fs::write(ws.join("app/a b.py"), "x = 1\n").unwrap();
        let log = dir.path().join("log");
        let editor = dir.path().join("editor.sh");
        std::fs::write(&editor, format!("#!/bin/sh\nprintf '%s|%s\\n' \"$1\" \"$2\" > '{}'\n", log.display())).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = target(ws.to_str().unwrap(), "app/a b.py").unwrap();
        let program = format!("{} --wait", editor.display());
        let status = command(&program, &file).status();
        assert_eq!(outcome(&program, status).unwrap(), format!("back from {program}"));
        let got = std::fs::read_to_string(&log).unwrap();
        assert_eq!(got.trim_end(), format!("--wait|{}", ws.join("app/a b.py").display()));
        let failed = command("false", &file).status();
        assert!(outcome("false", failed).unwrap_err().starts_with("false ended with"));
    }

    #[test]
    fn osc52_encodes_base64() {
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"/tmp/ws/app/main.py"), "L3RtcC93cy9hcHAvbWFpbi5weQ==");
        assert_eq!(osc52("foo"), "\x1b]52;c;Zm9v\x07");
    }
}
