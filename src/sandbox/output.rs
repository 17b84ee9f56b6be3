//! A check's output: its bounded, inert tail, and what it says (test counts, registry errors).

use std::collections::VecDeque;

/// How much of a check's output is kept: its last 64 KiB.
pub const TAIL_BYTES: usize = 64 * 1024;

/// The last `cap` bytes of a stream, whatever its length: older bytes are dropped as new
/// ones arrive, so memory stays bounded.
#[derive(Debug)]
pub struct Tail {
    buf: VecDeque<u8>,
    cap: usize,
    dropped: u64,
}

impl Default for Tail {
    fn default() -> Self {
        Tail::new(TAIL_BYTES)
    }
}

impl Tail {
    /// An empty tail keeping at most `cap` bytes.
    pub fn new(cap: usize) -> Tail {
        Tail { buf: VecDeque::with_capacity(cap.min(16 * 1024)), cap: cap.max(1), dropped: 0 }
    }

    /// Appends bytes, dropping the oldest beyond the cap.
    pub fn push(&mut self, bytes: &[u8]) {
        let bytes = if bytes.len() > self.cap {
            self.dropped += (bytes.len() - self.cap) as u64;
            &bytes[bytes.len() - self.cap..]
        } else {
            bytes
        };
        let over = (self.buf.len() + bytes.len()).saturating_sub(self.cap);
        if over > 0 {
            self.buf.drain(..over);
            self.dropped += over as u64;
        }
        self.buf.extend(bytes);
    }

    /// Bytes dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The kept bytes as text: valid UTF-8 (a character cut at the start is left out),
    /// without colour codes, carriage-return overwrites resolved, and made inert for terminals.
    pub fn text(&self) -> String {
        let (a, b) = self.buf.as_slices();
        let mut bytes = Vec::with_capacity(a.len() + b.len());
        bytes.extend_from_slice(a);
        bytes.extend_from_slice(b);
        let start =
            if self.dropped > 0 { bytes.iter().take(3).take_while(|b| (0x80..0xC0).contains(*b)).count() } else { 0 };
        let raw = String::from_utf8_lossy(&bytes[start..]);
        let mut out = String::new();
        if self.dropped > 0 {
            out.push_str(&format!("[… {} earlier bytes of output not kept]\n", self.dropped + start as u64));
        }
        out.push_str(&crate::sanitize::text(&plain(&raw)));
        out
    }
}

/// Text without ANSI colour and cursor codes (CSI sequences), each line showing what a
/// terminal would after its carriage returns (progress bars keep their last state).
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            // Parameters and intermediates, up to the final byte (@ to ~).
            for f in chars.by_ref() {
                if ('@'..='~').contains(&f) {
                    break;
                }
            }
            continue;
        }
        out.push(c);
    }
    let lines: Vec<&str> = out
        .split('\n')
        .map(|l| {
            let l = l.strip_suffix('\r').unwrap_or(l);
            l.rsplit('\r').next().unwrap_or(l)
        })
        .collect();
    lines.join("\n")
}

/// Tests passed and failed, as the last summary line of pytest, vitest, jest or
/// `node --test` in `output` states them; `None` where no runner printed a count.
/// pytest's errors count as failed.
pub fn parse_test_counts(output: &str) -> (Option<u32>, Option<u32>) {
    let mut found = (None, None);
    let mut node = (None, None);
    for line in plain(output).lines() {
        let line = line.trim();
        if let Some(c) = pytest(line).or_else(|| vitest(line)).or_else(|| jest(line)) {
            found = (Some(c.0), Some(c.1));
            node = (None, None);
            continue;
        }
        // node --test, TAP (`# pass 3`) or spec (`ℹ pass 3`) reporter: one count a line.
        let rest = line.strip_prefix("# ").or_else(|| line.strip_prefix("ℹ "));
        if let Some(rest) = rest {
            let mut words = rest.split_whitespace();
            match (words.next(), words.next().and_then(|n| n.parse::<u32>().ok()), words.next()) {
                (Some("pass"), Some(n), None) => node.0 = Some(n),
                (Some("fail"), Some(n), None) => node.1 = Some(n),
                _ => {}
            }
            if let (Some(p), Some(f)) = node {
                found = (Some(p), Some(f));
            }
        }
    }
    found
}

/// `N word` items, as pytest, vitest and jest list them; `None` if an item is not one.
fn items<'a>(list: impl Iterator<Item = &'a str>) -> Option<Vec<(u32, &'a str)>> {
    let mut out = Vec::new();
    for item in list {
        let mut words = item.split_whitespace();
        let n = words.next()?.parse::<u32>().ok()?;
        let word = words.next()?;
        if words.next().is_some() {
            return None;
        }
        out.push((n, word));
    }
    if out.is_empty() { None } else { Some(out) }
}

/// pytest: `===== 1 failed, 2 passed, 1 warning in 0.12s =====`, `3 passed in 1.02s`,
/// `no tests ran in 0.01s`.
fn pytest(line: &str) -> Option<(u32, u32)> {
    let line = line.trim_matches(|c: char| c == '=' || c.is_whitespace());
    let (counts, time) = line.rsplit_once(" in ")?;
    let secs = time.split_whitespace().next()?;
    secs.strip_suffix('s')?.parse::<f64>().ok()?;
    if counts == "no tests ran" {
        return Some((0, 0));
    }
    let items = items(counts.split(", "))?;
    let known = [
        "passed",
        "failed",
        "error",
        "errors",
        "skipped",
        "deselected",
        "xfailed",
        "xpassed",
        "warning",
        "warnings",
        "rerun",
    ];
    if items.iter().any(|(_, w)| !known.contains(w)) {
        return None;
    }
    Some(tally(&items, &["passed"], &["failed", "error", "errors"]))
}

/// vitest: `Tests  1 failed | 3 passed (4)` (not its `Test Files` line).
fn vitest(line: &str) -> Option<(u32, u32)> {
    let rest = line.strip_prefix("Tests ")?.trim();
    let rest = match rest.rsplit_once(" (") {
        Some((head, total)) if total.ends_with(')') => head,
        _ => rest,
    };
    let items = items(rest.split('|'))?;
    Some(tally(&items, &["passed"], &["failed"]))
}

/// jest: `Tests:       1 failed, 1 skipped, 2 passed, 4 total`.
fn jest(line: &str) -> Option<(u32, u32)> {
    let rest = line.strip_prefix("Tests:")?.trim();
    let items = items(rest.split(", "))?;
    Some(tally(&items, &["passed"], &["failed"]))
}

fn tally(items: &[(u32, &str)], passed: &[&str], failed: &[&str]) -> (u32, u32) {
    let sum = |words: &[&str]| items.iter().filter(|(_, w)| words.contains(w)).map(|(n, _)| *n).sum();
    (sum(passed), sum(failed))
}

/// Whether an install step's output says the package registry could not be reached (pip's
/// and npm's connection errors), rather than that the install itself went wrong.
pub fn registry_unreachable(output: &str) -> bool {
    const MARKERS: [&str; 16] = [
        // pip (urllib3 / requests)
        "NewConnectionError",
        "Failed to establish a new connection",
        "Temporary failure in name resolution",
        "Name or service not known",
        "Network is unreachable",
        "ConnectTimeoutError",
        "connection broken by 'ProxyError",
        "Could not fetch URL",
        // npm
        "code ENOTFOUND",
        "code EAI_AGAIN",
        "code ECONNREFUSED",
        "code ETIMEDOUT",
        "code ECONNRESET",
        "code ENETUNREACH",
        "network request to",
        "code ERR_SOCKET_TIMEOUT",
    ];
    MARKERS.iter().any(|m| output.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_the_last_bytes_only() {
        let mut t = Tail::new(10);
        t.push(b"0123456789abc");
        assert_eq!(t.dropped(), 3);
        t.push(b"XY");
        assert_eq!(t.dropped(), 5);
        assert!(t.text().ends_with("56789abcXY"), "{}", t.text());
        assert!(t.text().starts_with("[… 5 earlier bytes"), "{}", t.text());
        let mut big = Tail::default();
        for _ in 0..1000 {
            big.push(&[b'x'; 1000]);
        }
        assert_eq!(big.buf.len(), TAIL_BYTES);
    }

    #[test]
    fn the_tail_is_valid_inert_text() {
        // "é" is two bytes: the cut falls inside it, and the half left is not kept.
        let mut t = Tail::new(2);
        t.push("aéb".as_bytes());
        assert_eq!(t.text(), "[… 3 earlier bytes of output not kept]\nb");
        let mut t = Tail::new(100);
        t.push("x\u{1b}]52;c;ZXZpbA==\u{7}y".as_bytes());
        let s = t.text();
        assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{s:?}");
        let mut t = Tail::new(100);
        t.push(b"\x1b[32mok\x1b[0m\nloading 10%\rloading 100%\r\nbad\xff\n");
        assert_eq!(t.text(), "ok\nloading 100%\nbad\u{FFFD}\n");
    }

    #[test]
    fn pytest_summaries() {
        let real = "\
.F.                                                                      [100%]
=================================== FAILURES ===================================
___________________________________ test_bad ___________________________________
=========================== short test summary info ============================
FAILED tests/test_health.py::test_bad - assert 1 == 2
1 failed, 2 passed in 0.31s
";
        assert_eq!(parse_test_counts(real), (Some(2), Some(1)));
        assert_eq!(
            parse_test_counts("============================== 5 passed in 1.02s ==============================="),
            (Some(5), Some(0))
        );
        assert_eq!(
            parse_test_counts("===== 1 failed, 3 passed, 2 skipped, 1 error, 4 warnings in 12.50s (0:00:12) ====="),
            (Some(3), Some(2))
        );
        assert_eq!(parse_test_counts("2 errors in 0.20s"), (Some(0), Some(2)));
        assert_eq!(parse_test_counts("no tests ran in 0.01s"), (Some(0), Some(0)));
        assert_eq!(parse_test_counts("we passed in time"), (None, None));
        assert_eq!(parse_test_counts("Installed 3 packages in 0.5s"), (None, None));
    }

    #[test]
    fn vitest_summaries() {
        let real = "\
 ✓ src/app-root.test.ts (2 tests) 31ms
 ❯ src/api.test.ts (1 test | 1 failed) 5ms

 Test Files  1 failed | 1 passed (2)
      Tests  1 failed | 2 passed (3)
   Start at  10:21:07
   Duration  1.21s (transform 90ms, setup 0ms, collect 210ms, tests 36ms, environment 402ms, prepare 6ms)
";
        assert_eq!(parse_test_counts(real), (Some(2), Some(1)));
        assert_eq!(
            parse_test_counts(
                "\x1b[2m      Tests \x1b[22m \x1b[1m\x1b[32m4 passed\x1b[39m\x1b[22m\x1b[90m (4)\x1b[39m"
            ),
            (Some(4), Some(0))
        );
        assert_eq!(parse_test_counts("      Tests  3 passed | 1 skipped (4)"), (Some(3), Some(0)));
    }

    #[test]
    fn jest_and_node_summaries() {
        let jest = "\
Test Suites: 1 failed, 2 passed, 3 total
Tests:       1 failed, 1 skipped, 7 passed, 9 total
Snapshots:   0 total
Time:        1.234 s
";
        assert_eq!(parse_test_counts(jest), (Some(7), Some(1)));
        let tap = "# tests 4\n# suites 0\n# pass 3\n# fail 1\n# cancelled 0\n# skipped 0\n# duration_ms 51.2\n";
        assert_eq!(parse_test_counts(tap), (Some(3), Some(1)));
        let spec = "ℹ tests 2\nℹ suites 0\nℹ pass 2\nℹ fail 0\nℹ cancelled 0\n";
        assert_eq!(parse_test_counts(spec), (Some(2), Some(0)));
        assert_eq!(parse_test_counts("nothing to see"), (None, None));
    }

    #[test]
    fn registry_errors_are_recognised() {
        let pip = "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno 101] Network is unreachable')': /simple/fastapi/\nERROR: Could not find a version that satisfies the requirement fastapi (from versions: none)";
        assert!(registry_unreachable(pip));
        let npm = "npm error code EAI_AGAIN\nnpm error syscall getaddrinfo\nnpm error errno EAI_AGAIN\nnpm error request to https://registry.npmjs.org/lit failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org";
        assert!(registry_unreachable(npm));
        assert!(!registry_unreachable(
            "npm error code E404\nnpm error 404 Not Found - GET https://registry.npmjs.org/no-such-pkg"
        ));
        assert!(!registry_unreachable("ERROR: No matching distribution found for no-such-pkg"));
    }
}
