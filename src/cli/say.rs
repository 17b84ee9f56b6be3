//! The one way the command line prints. Every line written to standard output or standard
//! error goes through a [`Sanitizing`] writer, which makes it inert (escape sequences,
//! other control characters and bidi overrides become visible symbols; in JSON, bidi
//! controls become `\u` escapes), so that no call site can forget to: provider error
//! bodies, model names, run names and notes are untrusted. A test checks that nothing in
//! the command line prints another way.

use std::fmt::Display;
use std::io::{self, Write};

/// How a line is made inert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Text for people ([`crate::sanitize::line`]).
    Text,
    /// JSON for scripts ([`crate::sanitize::json`]): the same value, written inertly.
    Json,
}

/// A writer that passes on whole lines, each made inert; a line not ended yet waits for
/// its end (or for `flush`).
pub struct Sanitizing<W: Write> {
    inner: W,
    mode: Mode,
    pending: Vec<u8>,
}

impl<W: Write> Sanitizing<W> {
    pub fn new(inner: W, mode: Mode) -> Self {
        Sanitizing { inner, mode, pending: Vec::new() }
    }

    fn emit(&mut self, line: &[u8], newline: bool) -> io::Result<()> {
        let text = String::from_utf8_lossy(line);
        let safe = match self.mode {
            Mode::Text => crate::sanitize::line(text.strip_suffix('\r').unwrap_or(&text)).into_owned(),
            Mode::Json => crate::sanitize::json(text.into_owned()),
        };
        self.inner.write_all(safe.as_bytes())?;
        if newline {
            self.inner.write_all(b"\n")?;
        }
        Ok(())
    }
}

impl<W: Write> Write for Sanitizing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.emit(&line[..end], true)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.emit(&rest, false)?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for Sanitizing<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Set once standard output is gone (a closed pipe: `factory events | head -5`).
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether a write to standard output found it closed: what streams stops, quietly, as
/// Unix tools do (the command still exits 0).
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Remembers a closed standard output; other errors are ignored like before.
fn note(result: io::Result<()>) {
    if let Err(e) = result
        && e.kind() == io::ErrorKind::BrokenPipe
    {
        STDOUT_CLOSED.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Prints `text` on standard output, made inert (a broken pipe is remembered, not shown).
pub fn out(text: impl Display) {
    let mut w = Sanitizing::new(io::stdout().lock(), Mode::Text);
    note(write!(w, "{text}").and_then(|()| w.flush()));
}

/// Prints `text` and a line end on standard output, made inert.
pub fn outln(text: impl Display) {
    let mut w = Sanitizing::new(io::stdout().lock(), Mode::Text);
    note(writeln!(w, "{text}").and_then(|()| w.flush()));
}

/// Writes what the factory itself generated from its own definitions, byte for byte (a
/// shell completion script, the man page): no untrusted text is in it, and tabs matter.
pub fn generated(bytes: &[u8]) {
    let mut w = io::stdout().lock();
    note(w.write_all(bytes).and_then(|()| w.flush()));
}

/// Prints `text` and a line end on standard error, made inert.
pub fn errln(text: impl Display) {
    let mut w = Sanitizing::new(io::stderr().lock(), Mode::Text);
    let _ = writeln!(w, "{text}");
}

/// Prints a JSON text and a line end on standard output, its bidi controls escaped.
pub fn json(text: impl Display) {
    let mut w = Sanitizing::new(io::stdout().lock(), Mode::Json);
    note(writeln!(w, "{text}").and_then(|()| w.flush()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(mode: Mode, parts: &[&str]) -> String {
        let mut buf = Vec::new();
        {
            let mut w = Sanitizing::new(&mut buf, mode);
            for p in parts {
                w.write_all(p.as_bytes()).unwrap();
            }
        }
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn every_line_written_is_made_inert_even_when_split_across_writes() {
        let out = through(Mode::Text, &["ok \u{1b}[2J", "model\u{202E}txt\n", "body\u{1b}]52;c;eA==\u{7}"]);
        assert_eq!(out, "ok ␛[2Jmodel⸮txt\nbody␛]52;c;eA==\u{FFFD}");
        assert!(!out.chars().any(|c| c != '\n' && c.is_control()), "{out:?}");
        let out = through(Mode::Json, &["{\"m\":\"a\u{202E}b\"}\n"]);
        assert_eq!(out, "{\"m\":\"a\\u202eb\"}\n");
        assert_eq!(through(Mode::Text, &["plain\r\n", "lines\n"]), "plain\nlines\n");
    }

    /// The command line prints only through this module: a call site cannot forget to
    /// make its text inert.
    #[test]
    fn nothing_in_the_command_line_prints_another_way() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        for dir in ["cli", "headless"] {
            for e in std::fs::read_dir(root.join(dir)).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("say.rs") {
                    files.push(p);
                }
            }
        }
        assert!(files.len() >= 5, "{files:?}");
        let banned = ["println!(", "print!(", "eprintln!(", "eprint!(", "io::stdout()", "io::stderr()", ".print()"];
        let mut found = Vec::new();
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if banned.iter().any(|b| code.contains(b)) {
                    found.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
                }
            }
        }
        assert!(found.is_empty(), "print through crate::cli::say instead:\n{}", found.join("\n"));
    }
}
