//! Syntax highlighting for the file viewer: syntect's grammars with pure-Rust regexes, worked out line by line only as far down as the view has been (and kept), coloured by a syntect scheme that matches the control room's theme, mapped to the terminal's colour depth.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ratatui::style::{Color, Modifier, Style};
use syntect::easy::HighlightLines;
use syntect::highlighting::{FontStyle, Theme as Scheme, ThemeSet};
use syntect::parsing::{SyntaxReference, SyntaxSet};

use crate::tui::theme::{ColorMode, nearest_16, nearest_256};

/// Lines longer than this are left plain, and so is everything after the first of them: a
/// minified bundle would take the regexes seconds, and its state after it is unknown.
pub const LONG_LINE: usize = 4096;

/// Highlighting done for one frame before the rest waits for the next frame.
pub const FRAME_BUDGET: Duration = Duration::from_millis(12);

/// Lines always done at once, whatever the clock says (a screenful and more take about a
/// millisecond): the budget only splits a long way down, such as a jump to the end.
pub const EAGER_LINES: usize = 300;

static SYNTAXES: OnceLock<SyntaxSet> = OnceLock::new();
static SCHEMES: OnceLock<ThemeSet> = OnceLock::new();

/// The grammars (two-face's: syntect's and bat's, with TypeScript, TSX, Vue, Dart, TOML and
/// Dockerfile, which the templates write), loaded on first use.
pub fn syntaxes() -> &'static SyntaxSet {
    SYNTAXES.get_or_init(two_face::syntax::extra_newlines)
}

/// Short samples of the languages the templates write, highlighted once to compile their
/// patterns (syntect compiles each regex on first use, and keeps it).
const SAMPLES: [(&str, &str); 7] = [
    (
        "a.py",
        "\"\"\"Doc.\"\"\"\nimport os\nfrom x import y  # c\n\n@app.get(\"/a/{id}\")\nasync def f(id: int) -> dict[str, int]:\n    return {\"a\": 1, 'b': f\"{id}\"}\n\nclass A(B):\n    x: int = 0\n",
    ),
    (
        "a.ts",
        "import { a } from './a';\n// c\nexport class A<T> extends B {\n  @property() x: number = 1;\n  async f(y: string): Promise<void> { return `${y}`; }\n}\n",
    ),
    ("a.tsx", "export default function A({ x }: P) {\n  return <div className=\"a\">{x}</div>;\n}\n"),
    ("a.json", "{\"a\": [1, true, null, \"s\"]}\n"),
    ("a.toml", "[a]\nb = \"c\" # d\ne = [1, 2]\n"),
    ("a.yml", "a:\n  - b: \"c\"  # d\n"),
    ("Dockerfile", "FROM python:3.12-slim\nRUN pip install -r requirements.txt\nCMD [\"uvicorn\", \"main:app\"]\n"),
];

/// Loads the grammars and compiles the common languages' patterns on a background thread,
/// once per process (about a tenth of a second of one core), so that the first file opened
/// paints as fast as the next ones.
pub fn warm_up() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let _ = std::thread::Builder::new().name("highlight-warm-up".into()).spawn(warm_up_now);
    });
}

/// What [`warm_up`] does, on the calling thread.
pub fn warm_up_now() {
    for (path, sample) in SAMPLES {
        let lines = crate::sanitize::lines(sample);
        let mut code = Code::new(path, &lines[0], ColorMode::TrueColor, "dark");
        code.ensure(&lines, lines.len(), Duration::MAX);
    }
}

fn schemes() -> &'static ThemeSet {
    SCHEMES.get_or_init(ThemeSet::load_defaults)
}

/// The syntect colour scheme that goes with a control-room theme.
fn scheme_for(theme: &str) -> Option<&'static Scheme> {
    let name = if theme == "light" { "InspiredGitHub" } else { "base16-ocean.dark" };
    schemes().themes.get(name)
}

/// Whether a file is prose the viewer wraps by words (Markdown, text) rather than code.
pub fn is_prose(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".md", ".markdown", ".txt", ".rst"].iter().any(|e| lower.ends_with(e))
}

/// The grammar for a file, by its name (`Dockerfile`, `Makefile`), its extension, or its
/// first line (`#!/usr/bin/env python3`); `None` for plain text.
pub fn syntax_for(path: &str, first_line: &str) -> Option<&'static SyntaxReference> {
    let ss = syntaxes();
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map(|(_, e)| e);
    ss.find_syntax_by_extension(name)
        .or_else(|| ext.and_then(|e| ss.find_syntax_by_extension(e)))
        .or_else(|| ext.and_then(|e| ss.find_syntax_by_extension(&e.to_ascii_lowercase())))
        .or_else(|| ss.find_syntax_by_first_line(first_line))
        .filter(|s| s.name != "Plain Text")
}

/// One file's highlighting: the grammar's state after the last line done, and the styled
/// runs of every line done so far.
pub struct Code {
    /// `None` when nothing (more) is highlighted: no grammar, no colour, a long line, an error.
    lines: Option<HighlightLines<'static>>,
    mode: ColorMode,
    /// The scheme's own text colour, left to the control room's theme.
    plain_fg: Option<syntect::highlighting::Color>,
    /// Per line done: (style, length in bytes) runs covering the line.
    done: Vec<Vec<(Style, usize)>>,
    /// The grammar's name (`Python`), or `None`.
    pub syntax: Option<&'static str>,
}

impl Code {
    /// Highlighting for the file at `path` (its first line helps find a grammar), in the
    /// colours of `theme` at the terminal's depth; with colour off, none at all.
    pub fn new(path: &str, first_line: &str, mode: ColorMode, theme: &str) -> Code {
        let mut code = Code { lines: None, mode, plain_fg: None, done: Vec::new(), syntax: None };
        if mode == ColorMode::None {
            return code;
        }
        let (Some(syntax), Some(scheme)) = (syntax_for(path, first_line), scheme_for(theme)) else { return code };
        code.lines = Some(HighlightLines::new(syntax, scheme));
        code.plain_fg = scheme.settings.foreground;
        code.syntax = Some(syntax.name.as_str());
        code
    }

    /// Highlights lines (made inert) up to `upto` (exclusive), stopping after `budget` while
    /// more than [`EAGER_LINES`] remain; `true` when all of them are done.
    pub fn ensure(&mut self, lines: &[String], upto: usize, budget: Duration) -> bool {
        let upto = upto.min(lines.len());
        if self.lines.is_none() {
            return true;
        }
        let start = Instant::now();
        let mut text = String::new();
        while self.done.len() < upto {
            let line = &lines[self.done.len()];
            let runs = self.highlight(line, &mut text);
            match runs {
                Some(runs) => self.done.push(runs),
                None => {
                    self.lines = None;
                    return true;
                }
            }
            if upto - self.done.len() > EAGER_LINES && start.elapsed() >= budget {
                break;
            }
        }
        self.done.len() >= upto
    }

    fn highlight(&mut self, line: &str, text: &mut String) -> Option<Vec<(Style, usize)>> {
        if line.len() > LONG_LINE {
            return None;
        }
        let hl = self.lines.as_mut()?;
        text.clear();
        text.push_str(line);
        text.push('\n');
        let tokens = hl.highlight_line(text, syntaxes()).ok()?;
        let mut runs: Vec<(Style, usize)> = Vec::with_capacity(tokens.len());
        let mut at = 0;
        for (s, t) in tokens {
            let len = t.len().min(line.len().saturating_sub(at));
            at += t.len();
            if len == 0 {
                continue;
            }
            let style = self.style(s);
            match runs.last_mut() {
                Some((last, n)) if *last == style => *n += len,
                _ => runs.push((style, len)),
            }
        }
        Some(runs)
    }

    fn style(&self, s: syntect::highlighting::Style) -> Style {
        let mut out = Style::default();
        if Some(s.foreground) != self.plain_fg {
            out = out.fg(color(s.foreground, self.mode));
        }
        for (f, m) in [
            (FontStyle::BOLD, Modifier::BOLD),
            (FontStyle::ITALIC, Modifier::ITALIC),
            (FontStyle::UNDERLINE, Modifier::UNDERLINED),
        ] {
            if s.font_style.contains(f) {
                out = out.add_modifier(m);
            }
        }
        out
    }

    /// The styled runs of bytes `from..from + len` of line `line`, or `None` when that line is
    /// not highlighted (yet, or at all).
    pub fn runs(&self, line: usize, from: usize, len: usize) -> Option<Vec<(Style, std::ops::Range<usize>)>> {
        let runs = self.done.get(line)?;
        let end = from + len;
        let mut out = Vec::new();
        let mut at = 0;
        for (style, n) in runs {
            let (a, b) = (at.max(from), (at + n).min(end));
            if a < b {
                out.push((*style, a..b));
            }
            at += n;
            if at >= end {
                break;
            }
        }
        if at < end {
            out.push((Style::default(), at.max(from)..end));
        }
        Some(out)
    }

    /// Whether lines up to `upto` still wait to be highlighted.
    pub fn behind(&self, upto: usize, total: usize) -> bool {
        self.lines.is_some() && self.done.len() < upto.min(total)
    }

    /// Lines highlighted so far.
    pub fn done(&self) -> usize {
        self.done.len()
    }
}

/// A scheme's colour at the terminal's depth.
fn color(c: syntect::highlighting::Color, mode: ColorMode) -> Color {
    let rgb = (c.r, c.g, c.b);
    match mode {
        ColorMode::TrueColor => Color::Rgb(c.r, c.g, c.b),
        ColorMode::Ansi256 => Color::Indexed(nearest_256(rgb)),
        ColorMode::Ansi16 => nearest_16(rgb),
        ColorMode::None => Color::Reset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        crate::sanitize::lines(text)
    }

    #[test]
    fn python_is_coloured_and_runs_cover_each_line() {
        let src = lines("def main(x):\n    return \"hi\"  # note\n");
        let mut code = Code::new("app/backend/main.py", &src[0], ColorMode::TrueColor, "dark");
        assert_eq!(code.syntax, Some("Python"));
        assert!(code.ensure(&src, src.len(), Duration::from_secs(5)));
        for (i, l) in src.iter().enumerate() {
            let runs = code.runs(i, 0, l.len()).unwrap();
            let covered: usize = runs.iter().map(|(_, r)| r.len()).sum();
            assert_eq!(covered, l.len(), "line {i}");
        }
        let colours: std::collections::HashSet<_> =
            code.runs(1, 0, src[1].len()).unwrap().iter().map(|(s, _)| s.fg).collect();
        assert!(colours.len() >= 2, "keyword, string and comment differ: {colours:?}");
        // A row in the middle of a line gets just its bytes.
        let mid = code.runs(1, 4, 6).unwrap();
        assert_eq!(mid.first().unwrap().1.start, 4);
        assert_eq!(mid.last().unwrap().1.end, 10);
    }

    #[test]
    fn no_colour_means_no_highlighting_and_depths_map() {
        let src = lines("def main():\n    pass\n");
        let mut code = Code::new("a.py", &src[0], ColorMode::None, "dark");
        assert_eq!(code.syntax, None);
        assert!(code.ensure(&src, 2, Duration::from_secs(1)));
        assert!(code.runs(0, 0, 3).is_none());
        let c = syntect::highlighting::Color { r: 255, g: 0, b: 0, a: 255 };
        assert_eq!(color(c, ColorMode::Ansi256), Color::Indexed(196));
        assert_eq!(color(c, ColorMode::Ansi16), Color::LightRed);
        assert_eq!(color(c, ColorMode::TrueColor), Color::Rgb(255, 0, 0));
    }

    #[test]
    fn grammars_by_name_extension_and_first_line() {
        assert_eq!(syntax_for("app/Makefile", "").map(|s| s.name.as_str()), Some("Makefile"));
        assert_eq!(syntax_for("app/run", "#!/usr/bin/env python3").map(|s| s.name.as_str()), Some("Python"));
        assert!(syntax_for("app/data.unknownext", "hello").is_none());
        assert!(is_prose("docs/spec.md") && !is_prose("app/main.py"));
    }

    #[test]
    fn the_templates_languages_have_grammars() {
        for (path, name) in [
            ("app/src/app.ts", "TypeScript"),
            ("app/src/page.tsx", "TypeScriptReact"),
            ("app/pages/index.vue", "Vue Component"),
            ("app/lib/main.dart", "Dart"),
            ("app/pyproject.toml", "TOML"),
            ("app/Dockerfile", "Dockerfile"),
            ("app/.github/workflows/ci.yml", "YAML"),
            ("app/src/style.css", "CSS"),
        ] {
            assert_eq!(syntax_for(path, "").map(|s| s.name.as_str()), Some(name), "{path}");
        }
        warm_up_now();
    }

    #[test]
    fn a_long_line_stops_highlighting_there() {
        let mut text = "x = 1\n".to_string();
        text.push_str(&"y".repeat(LONG_LINE + 1));
        text.push_str("\nz = 2\n");
        let src = lines(&text);
        let mut code = Code::new("a.py", &src[0], ColorMode::TrueColor, "dark");
        assert!(code.ensure(&src, src.len(), Duration::from_secs(5)));
        assert_eq!(code.done(), 1);
        assert!(!code.behind(src.len(), src.len()));
        assert!(code.runs(2, 0, 5).is_none(), "after the long line, plain");
    }
}
