//! Themes: TOML files of semantic styles (`themes/` built in, plus the user's), and the
//! terminal's colour depth (truecolour only where `COLORTERM` says so, else the nearest of
//! 256 or 16 colours, and none under `NO_COLOR` or on a basic terminal).

use std::collections::BTreeMap;

use include_dir::{Dir, include_dir};
use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::error::{FactoryError, Result};

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/themes");

/// The theme used when colour is off, whatever was asked for.
pub const NO_COLOUR: &str = "no-colour";
pub const DEFAULT: &str = "dark";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorMode {
    TrueColor,
    Ansi256,
    Ansi16,
    None,
}

impl ColorMode {
    /// From the environment: `NO_COLOR`, `COLORTERM`, `TERM`.
    pub fn detect() -> ColorMode {
        let var = |k: &str| std::env::var(k).unwrap_or_default();
        Self::from_env(std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()), &var("COLORTERM"), &var("TERM"))
    }

    pub fn from_env(no_color: bool, colorterm: &str, term: &str) -> ColorMode {
        if no_color {
            return ColorMode::None;
        }
        if matches!(colorterm, "truecolor" | "24bit") {
            return ColorMode::TrueColor;
        }
        let term = term.to_ascii_lowercase();
        if term.contains("256") || term.contains("direct") {
            ColorMode::Ansi256
        } else if term.is_empty() || term == "dumb" || term.starts_with("vt") || term == "ansi-mono" {
            ColorMode::None
        } else {
            ColorMode::Ansi16
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    bold: Option<bool>,
    dim: Option<bool>,
    italic: Option<bool>,
    underline: Option<bool>,
    reverse: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    #[serde(default)]
    description: String,
    styles: BTreeMap<String, StyleSpec>,
}

/// Every style a theme must define, by meaning.
#[derive(Clone, Debug, PartialEq)]
pub struct Styles {
    pub base: Style,
    pub muted: Style,
    pub title: Style,
    pub accent: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub info: Style,
    pub border: Style,
    pub border_focused: Style,
    pub selection: Style,
    pub header: Style,
    pub footer: Style,
    pub key: Style,
    pub badge: Style,
    pub bar: Style,
    pub bar_empty: Style,
    pub input: Style,
}

const NAMES: [&str; 18] = [
    "base",
    "muted",
    "title",
    "accent",
    "ok",
    "warn",
    "error",
    "info",
    "border",
    "border_focused",
    "selection",
    "header",
    "footer",
    "key",
    "badge",
    "bar",
    "bar_empty",
    "input",
];

#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub name: String,
    pub description: String,
    pub s: Styles,
}

impl Theme {
    /// A theme by name: the user's `themes/NAME.toml` in the config folder first, then
    /// the built-in one. With colour off, the no-colour theme whatever the name.
    pub fn load(name: &str, mode: ColorMode) -> Result<Theme> {
        let name = if mode == ColorMode::None { NO_COLOUR } else { name };
        if let Some(dir) = crate::paths::config_dir() {
            let path = dir.join("themes").join(format!("{name}.toml"));
            if let Ok(text) = std::fs::read_to_string(&path) {
                return Theme::parse(&text, &path.display().to_string(), mode);
            }
        }
        match BUILTIN.get_file(format!("{name}.toml")).and_then(|f| f.contents_utf8()) {
            Some(text) => Theme::parse(text, &format!("themes/{name}.toml"), mode),
            None => Err(FactoryError::usage(format!(
                "there is no theme named `{name}` (known: {}); add one as themes/{name}.toml in the config folder",
                Theme::available().join(", ")
            ))),
        }
    }

    /// Names of the built-in and user themes.
    pub fn available() -> Vec<String> {
        let mut names: Vec<String> =
            BUILTIN.files().filter_map(|f| f.path().file_stem().map(|s| s.to_string_lossy().into_owned())).collect();
        if let Some(dir) = crate::paths::config_dir()
            && let Ok(entries) = std::fs::read_dir(dir.join("themes"))
        {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "toml")
                    && let Some(stem) = p.file_stem()
                {
                    names.push(stem.to_string_lossy().into_owned());
                }
            }
        }
        names.sort();
        names.dedup();
        names
    }

    pub fn parse(text: &str, file: &str, mode: ColorMode) -> Result<Theme> {
        let f: ThemeFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1).unwrap_or(0);
            FactoryError::config(format!(
                "{file}, line {line}: {}",
                e.message().trim().replace("unknown field", "unknown key").replace('\n', " ")
            ))
        })?;
        for key in f.styles.keys() {
            if !NAMES.contains(&key.as_str()) {
                return Err(FactoryError::config(format!(
                    "{file}: unknown style `{key}` (known: {})",
                    NAMES.join(", ")
                )));
            }
        }
        let get = |name: &str| -> Result<Style> {
            let spec = f
                .styles
                .get(name)
                .ok_or_else(|| FactoryError::config(format!("{file}: the style `{name}` is missing under [styles]")))?;
            to_style(spec, mode).map_err(|e| FactoryError::config(format!("{file}, style `{name}`: {e}")))
        };
        let base = get("base")?;
        let over = |name: &str| get(name).map(|s| base.patch(s));
        Ok(Theme {
            name: f.name,
            description: f.description,
            s: Styles {
                muted: over("muted")?,
                title: over("title")?,
                accent: over("accent")?,
                ok: over("ok")?,
                warn: over("warn")?,
                error: over("error")?,
                info: over("info")?,
                border: over("border")?,
                border_focused: over("border_focused")?,
                selection: over("selection")?,
                header: over("header")?,
                footer: over("footer")?,
                key: over("key")?,
                badge: over("badge")?,
                bar: over("bar")?,
                bar_empty: over("bar_empty")?,
                input: over("input")?,
                base,
            },
        })
    }
}

fn to_style(spec: &StyleSpec, mode: ColorMode) -> std::result::Result<Style, String> {
    let mut s = Style::default();
    if mode != ColorMode::None {
        if let Some(fg) = &spec.fg {
            s = s.fg(color(fg, mode)?);
        }
        if let Some(bg) = &spec.bg {
            s = s.bg(color(bg, mode)?);
        }
    }
    for (on, m) in [
        (spec.bold, Modifier::BOLD),
        (spec.dim, Modifier::DIM),
        (spec.italic, Modifier::ITALIC),
        (spec.underline, Modifier::UNDERLINED),
        (spec.reverse, Modifier::REVERSED),
    ] {
        if on == Some(true) {
            s = s.add_modifier(m);
        }
    }
    Ok(s)
}

const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

fn color(text: &str, mode: ColorMode) -> std::result::Result<Color, String> {
    let t = text.trim().to_ascii_lowercase();
    if t == "reset" {
        return Ok(Color::Reset);
    }
    if let Some(hex) = t.strip_prefix('#') {
        let v = u32::from_str_radix(hex, 16)
            .ok()
            .filter(|_| hex.len() == 6)
            .ok_or_else(|| format!("`{text}` is not a colour (expected #rrggbb, a name such as red, or reset)"))?;
        let rgb = ((v >> 16) as u8, (v >> 8) as u8, v as u8);
        return Ok(match mode {
            ColorMode::TrueColor => Color::Rgb(rgb.0, rgb.1, rgb.2),
            ColorMode::Ansi256 => Color::Indexed(nearest_256(rgb)),
            ColorMode::Ansi16 | ColorMode::None => nearest_16(rgb),
        });
    }
    t.parse::<Color>().map_err(|_| format!("`{text}` is not a colour (expected #rrggbb, a name such as red, or reset)"))
}

fn dist(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (x as i32 - y as i32).pow(2) as u32;
    d(a.0, b.0) + d(a.1, b.1) + d(a.2, b.2)
}

pub fn nearest_16(rgb: (u8, u8, u8)) -> Color {
    ANSI16.iter().min_by_key(|(_, c)| dist(rgb, *c)).map(|(c, _)| *c).unwrap_or(Color::Reset)
}

/// The nearest colour of the xterm 256-colour palette's cube and grey ramp.
pub fn nearest_256(rgb: (u8, u8, u8)) -> u8 {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    let level = |v: u8| {
        LEVELS.iter().enumerate().min_by_key(|(_, l)| (**l as i32 - v as i32).abs()).map(|(i, _)| i).unwrap_or(0)
    };
    let (r, g, b) = (level(rgb.0), level(rgb.1), level(rgb.2));
    let cube = (LEVELS[r], LEVELS[g], LEVELS[b]);
    let cube_index = 16 + 36 * r + 6 * g + b;
    let avg = (rgb.0 as u32 + rgb.1 as u32 + rgb.2 as u32) / 3;
    let grey_step = ((avg.saturating_sub(8)) / 10).min(23) as u8;
    let grey = 8 + 10 * grey_step;
    if dist(rgb, (grey, grey, grey)) < dist(rgb, cube) { 232 + grey_step } else { cube_index as u8 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_loads_in_every_mode() {
        let names = Theme::available();
        for required in ["dark", "light", "high-contrast", "no-colour"] {
            assert!(names.contains(&required.to_string()), "{names:?}");
        }
        for name in &names {
            for mode in [ColorMode::TrueColor, ColorMode::Ansi256, ColorMode::Ansi16] {
                let t = Theme::load(name, mode).unwrap();
                assert_eq!(&t.name, name);
            }
        }
    }

    #[test]
    fn colour_depth_follows_the_environment() {
        assert_eq!(ColorMode::from_env(true, "truecolor", "xterm-256color"), ColorMode::None);
        assert_eq!(ColorMode::from_env(false, "truecolor", "xterm"), ColorMode::TrueColor);
        assert_eq!(ColorMode::from_env(false, "", "tmux-256color"), ColorMode::Ansi256);
        assert_eq!(ColorMode::from_env(false, "", "xterm"), ColorMode::Ansi16);
        assert_eq!(ColorMode::from_env(false, "", "dumb"), ColorMode::None);
        assert_eq!(ColorMode::from_env(false, "", "vt100"), ColorMode::None);
        // Colour off: the no-colour theme whatever was asked, and no colour in it.
        let t = Theme::load("dark", ColorMode::None).unwrap();
        assert_eq!(t.name, "no-colour");
        assert_eq!(t.s.ok.fg, None);
    }

    #[test]
    fn colours_map_to_the_depth_available() {
        let dark_true = Theme::load("dark", ColorMode::TrueColor).unwrap();
        assert_eq!(dark_true.s.base.bg, Some(Color::Rgb(0x1e, 0x1e, 0x2e)));
        let dark_256 = Theme::load("dark", ColorMode::Ansi256).unwrap();
        assert!(matches!(dark_256.s.base.bg, Some(Color::Indexed(_))));
        assert_eq!(nearest_256((255, 0, 0)), 196);
        assert_eq!(nearest_256((0, 0, 0)), 16);
        assert_eq!(nearest_256((128, 128, 128)), 244);
        assert_eq!(nearest_16((250, 10, 10)), Color::LightRed);
    }

    #[test]
    fn bad_theme_files_name_what_is_wrong() {
        let err = Theme::parse("name = \"x\"\n[styles]\nbase = { fg = \"#12\" }\n", "t.toml", ColorMode::TrueColor)
            .unwrap_err();
        assert!(err.message.contains("t.toml, style `base`: `#12` is not a colour"), "{}", err.message);
        let err = Theme::parse("name = \"x\"\n[styles]\nbase = {}\nshiny = {}\n", "t.toml", ColorMode::TrueColor)
            .unwrap_err();
        assert!(err.message.contains("unknown style `shiny`"), "{}", err.message);
        let err = Theme::parse("name = \"x\"\n[styles]\nbase = {}\n", "t.toml", ColorMode::TrueColor).unwrap_err();
        assert!(err.message.contains("the style `muted` is missing"), "{}", err.message);
        assert!(Theme::load("nope", ColorMode::TrueColor).unwrap_err().message.contains("no theme named `nope`"));
    }
}
