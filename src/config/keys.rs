//! Keys to intents, as the config names them: every user action has a name, a description
//! for the help overlay and default keys, each screen takes a set of actions, and the
//! config's `[tui.keys]` changes only the actions it names.

use std::collections::BTreeMap;
use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::error::{FactoryError, Result};

/// Every intent a key can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    NextPane,
    PrevPane,
    Pane1,
    Pane2,
    Pane3,
    Pane4,
    Gates,
    Open,
    Back,
    Help,
    Command,
    Filter,
    PauseResume,
    Alerts,
    NewRun,
    Approve,
    Revise,
    Reject,
    Confirm,
    Submit,
    Quit,
    Search,
    NextMatch,
    PrevMatch,
    NextTab,
    PrevTab,
    ToggleDiff,
    Browse,
    Edit,
    CopyPath,
    Mark,
    Expand,
    Collapse,
    TakeOver,
    Acknowledge,
    AcknowledgeAll,
    Stats,
}

/// Name in the config, description in the help, default keys.
const TABLE: [(Action, &str, &str, &[&str]); 43] = [
    (Action::Up, "up", "move up", &["up", "k"]),
    (Action::Down, "down", "move down", &["down", "j"]),
    (Action::PageUp, "page_up", "page up", &["pageup", "ctrl-b"]),
    (Action::PageDown, "page_down", "page down", &["pagedown", "ctrl-f"]),
    (Action::Top, "top", "to the top", &["home"]),
    (Action::Bottom, "bottom", "to the bottom", &["end", "G"]),
    (Action::NextPane, "next_pane", "next pane", &["tab"]),
    (Action::PrevPane, "prev_pane", "previous pane", &["backtab"]),
    (Action::Pane1, "pane_startups", "focus Startups", &["1"]),
    (Action::Pane2, "pane_team", "focus Agent team", &["2"]),
    (Action::Pane3, "pane_providers", "focus Providers", &["3"]),
    (Action::Pane4, "pane_gates", "focus Gate inbox", &["4"]),
    (Action::Gates, "gates", "jump to the gate inbox", &["g"]),
    (Action::Open, "open", "open", &["enter"]),
    (Action::Back, "back", "back, close", &["esc"]),
    (Action::Help, "help", "this help", &["?"]),
    (Action::Command, "command", "command line", &[":"]),
    (Action::Filter, "filter", "filter the list", &["/"]),
    (Action::PauseResume, "pause", "pause or resume the run", &["p"]),
    (Action::Alerts, "alerts", "alerts", &["!"]),
    (Action::NewRun, "new_run", "new run", &["n"]),
    (Action::Approve, "approve", "approve the gate (then y)", &["a"]),
    (Action::Revise, "revise", "revise: send back with a note", &["v"]),
    (Action::Reject, "reject", "reject with a note", &["r"]),
    (Action::Confirm, "confirm", "confirm", &["y"]),
    (Action::Submit, "submit", "submit the note or form", &["ctrl-s"]),
    (Action::Quit, "quit", "quit (runs stay saved)", &["q", "ctrl-c"]),
    (Action::Search, "search", "search the open document", &["/"]),
    (Action::NextMatch, "next_match", "next match", &["n"]),
    (Action::PrevMatch, "prev_match", "previous match", &["N"]),
    (Action::NextTab, "next_tab", "next evidence tab", &["tab"]),
    (Action::PrevTab, "prev_tab", "previous evidence tab", &["backtab"]),
    (Action::ToggleDiff, "toggle_diff", "diff or whole document", &["d"]),
    (Action::Browse, "browse", "browse the run's files", &["w"]),
    (Action::Edit, "edit", "open in $EDITOR ($PAGER when read-only)", &["e"]),
    (Action::CopyPath, "copy_path", "copy the file's path (OSC 52, if allowed)", &["y"]),
    (Action::Mark, "mark", "mark or unmark the gate", &["space"]),
    (Action::Expand, "expand", "expand the folder", &["right", "l"]),
    (Action::Collapse, "collapse", "collapse the folder", &["left", "h"]),
    (Action::TakeOver, "take_over", "take over as the owner when it is gone", &["t"]),
    (Action::Acknowledge, "acknowledge", "acknowledge the alert", &["x"]),
    (Action::AcknowledgeAll, "acknowledge_all", "acknowledge every open alert", &["X"]),
    (Action::Stats, "stats", "stats across runs (Tab: the window)", &["s"]),
];

impl Action {
    pub fn name(self) -> &'static str {
        TABLE.iter().find(|r| r.0 == self).map(|r| r.1).unwrap_or("?")
    }
    pub fn describe(self) -> &'static str {
        TABLE.iter().find(|r| r.0 == self).map(|r| r.2).unwrap_or("?")
    }
    /// A decision must never sit on Esc or an Alt chord.
    fn is_decision(self) -> bool {
        matches!(self, Action::Approve | Action::Revise | Action::Reject | Action::Confirm | Action::Submit)
    }
}

/// One key with its modifiers, as written in the config: `a`, `G`, `ctrl-s`, `shift-tab`, `f1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn parse(text: &str) -> std::result::Result<Key, String> {
        let bad =
            || format!("`{text}` is not a key (examples: a, G, ?, enter, esc, tab, backtab, up, pagedown, f1, ctrl-s)");
        let mut mods = KeyModifiers::NONE;
        let mut rest = text.trim();
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(r) = lower.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                mods |= KeyModifiers::CONTROL;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                mods |= KeyModifiers::ALT;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("shift-").filter(|r| !r.is_empty()) {
                mods |= KeyModifiers::SHIFT;
                rest = &rest[rest.len() - r.len()..];
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdn" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) => {
                KeyCode::F(f[1..].parse().map_err(|_| bad())?)
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => {
                        KeyCode::Char(if mods.contains(KeyModifiers::CONTROL) { c.to_ascii_lowercase() } else { c })
                    }
                    _ => return Err(bad()),
                }
            }
        };
        Ok(Key { code, mods })
    }

    /// The key an event carries, folding the Shift a terminal reports with capitals and symbols.
    pub fn from_event(e: &KeyEvent) -> Key {
        let mut mods = e.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        if let KeyCode::Char(_) | KeyCode::BackTab = e.code {
            mods.remove(KeyModifiers::SHIFT);
        }
        let code = match e.code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => KeyCode::Char(c.to_ascii_lowercase()),
            c => c,
        };
        Key { code, mods }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => {
                write!(f, "{}", if self.mods.contains(KeyModifiers::CONTROL) { c.to_ascii_uppercase() } else { c })
            }
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// The actions each screen of the control room takes, in the order its help lists them.
pub mod screens {
    use super::Action;

    /// Actions of the dashboard, in the order the help lists them.
    pub const DASHBOARD: [Action; 27] = [
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::NextPane,
        Action::PrevPane,
        Action::Pane1,
        Action::Pane2,
        Action::Pane3,
        Action::Pane4,
        Action::Gates,
        Action::Open,
        Action::Mark,
        Action::Approve,
        Action::Revise,
        Action::Reject,
        Action::PauseResume,
        Action::NewRun,
        Action::Browse,
        Action::Filter,
        Action::Alerts,
        Action::Stats,
        Action::Command,
        Action::Help,
        Action::TakeOver,
    ];

    /// Keys of the review besides its tab's viewer (scrolling, search, `n`/`N`).
    pub const REVIEW: [Action; 9] = [
        Action::NextTab,
        Action::PrevTab,
        Action::ToggleDiff,
        Action::Browse,
        Action::Open,
        Action::Approve,
        Action::Revise,
        Action::Reject,
        Action::Back,
    ];

    /// The keys a viewer takes (besides the typing of a search).
    pub const VIEWER: [Action; 9] = [
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Search,
        Action::NextMatch,
        Action::PrevMatch,
    ];

    /// The keys the alerts take.
    pub const ALERTS: [Action; 10] = [
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Acknowledge,
        Action::AcknowledgeAll,
        Action::Back,
        Action::Alerts,
        Action::Quit,
    ];

    /// What the tree's keys do.
    pub const BROWSER_TREE: [Action; 11] = [
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Expand,
        Action::Collapse,
        Action::Open,
        Action::Search,
        Action::NextMatch,
    ];

    /// Keys of the browser whatever has the focus.
    pub const BROWSER_COMMON: [Action; 5] =
        [Action::NextPane, Action::PrevPane, Action::Edit, Action::CopyPath, Action::Back];

    /// The keys of the screen.
    pub const STATS: [Action; 10] = [
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::NextTab,
        Action::PrevTab,
        Action::Back,
        Action::Stats,
    ];
}

/// The actions each screen takes at once (its keys, with those of the viewer it holds).
fn contexts() -> [(&'static str, Vec<Action>); 5] {
    use screens::*;
    [
        ("the dashboard", [&DASHBOARD[..], &[Action::Quit]].concat()),
        ("a review", [&REVIEW[..], &VIEWER[..]].concat()),
        ("the alerts", ALERTS.to_vec()),
        ("the workspace browser", [&BROWSER_TREE[..], &BROWSER_COMMON[..], &VIEWER[..]].concat()),
        ("the stats screen", STATS.to_vec()),
    ]
}

#[derive(Clone, Debug)]
pub struct Keymap {
    by_action: BTreeMap<Action, Vec<Key>>,
}

impl Default for Keymap {
    fn default() -> Self {
        let by_action = TABLE
            .iter()
            .map(|(a, _, _, keys)| (*a, keys.iter().map(|k| Key::parse(k).expect("default keys parse")).collect()))
            .collect();
        Keymap { by_action }
    }
}

impl Keymap {
    /// The defaults with the config's overrides: `{ approve = "A", quit = ["q", "ctrl-q"] }`.
    pub fn with_overrides(overrides: &BTreeMap<String, Vec<String>>) -> Result<Keymap> {
        let mut map = Keymap::default();
        for (name, keys) in overrides {
            let action = TABLE.iter().find(|r| r.1 == name).map(|r| r.0).ok_or_else(|| {
                FactoryError::config(format!(
                    "[tui.keys] {name}: is not an action (known: {})",
                    TABLE.iter().map(|r| r.1).collect::<Vec<_>>().join(", ")
                ))
            })?;
            let mut parsed = Vec::new();
            for k in keys {
                let key = Key::parse(k).map_err(|e| FactoryError::config(format!("[tui.keys] {name}: {e}")))?;
                if action.is_decision() && (key.code == KeyCode::Esc || key.mods.contains(KeyModifiers::ALT)) {
                    return Err(FactoryError::config(format!(
                        "[tui.keys] {name}: \"{k}\" is not allowed, since decisions cannot be bound to Esc or an Alt chord (they are too easy to press by accident over SSH)"
                    )));
                }
                parsed.push(key);
            }
            if parsed.is_empty() {
                return Err(FactoryError::config(format!("[tui.keys] {name}: needs at least one key")));
            }
            map.by_action.insert(action, parsed);
        }
        // A key carries one action per screen: `approve = "q"` would both quit and approve.
        for (screen, mut actions) in contexts() {
            actions.sort();
            actions.dedup();
            for (i, a) in actions.iter().enumerate() {
                for b in &actions[i + 1..] {
                    let Some(key) = map.keys(*a).iter().find(|k| map.keys(*b).contains(k)) else { continue };
                    let (named, other) = if overrides.contains_key(a.name()) { (a, b) } else { (b, a) };
                    return Err(FactoryError::config(format!(
                        "[tui.keys] {}: \"{key}\" is also the key of {} in {screen}; give one of them another key",
                        named.name(),
                        other.name()
                    )));
                }
            }
        }
        Ok(map)
    }

    /// The action a key carries, among `allowed` (the actions of the current context).
    pub fn action(&self, key: &KeyEvent, allowed: &[Action]) -> Option<Action> {
        let k = Key::from_event(key);
        allowed.iter().copied().find(|a| self.by_action.get(a).is_some_and(|keys| keys.contains(&k)))
    }

    pub fn keys(&self, action: Action) -> &[Key] {
        self.by_action.get(&action).map(|v| v.as_slice()).unwrap_or(&[])
    }

    /// The first key of an action, as shown in hints: `a`, `Ctrl-S`.
    pub fn hint(&self, action: Action) -> String {
        self.keys(action).first().map(|k| k.to_string()).unwrap_or_default()
    }

    /// `(keys, description)` for each of `actions`, for the help overlay.
    pub fn help(&self, actions: &[Action]) -> Vec<(String, &'static str)> {
        actions
            .iter()
            .map(|a| (self.keys(*a).iter().map(|k| k.to_string()).collect::<Vec<_>>().join(" "), a.describe()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn keys_parse_and_match_terminal_events() {
        let map = Keymap::default();
        let all = [Action::Up, Action::Bottom, Action::Submit, Action::PrevPane, Action::Quit];
        assert_eq!(map.action(&ev(KeyCode::Char('k'), KeyModifiers::NONE), &all), Some(Action::Up));
        assert_eq!(map.action(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT), &all), Some(Action::Bottom));
        assert_eq!(map.action(&ev(KeyCode::Char('s'), KeyModifiers::CONTROL), &all), Some(Action::Submit));
        assert_eq!(map.action(&ev(KeyCode::BackTab, KeyModifiers::SHIFT), &all), Some(Action::PrevPane));
        assert_eq!(map.action(&ev(KeyCode::Char('c'), KeyModifiers::CONTROL), &all), Some(Action::Quit));
        assert_eq!(map.action(&ev(KeyCode::Char('k'), KeyModifiers::NONE), &[Action::Down]), None);
        assert_eq!(Key::parse("shift-tab").unwrap(), Key::parse("backtab").unwrap());
        assert_eq!(map.hint(Action::Submit), "Ctrl-S");
        assert!(Key::parse("ctrl-").is_err());
        assert!(Key::parse("hyper-x").is_err());
    }

    #[test]
    fn overrides_change_only_what_they_name_and_guard_decisions() {
        let over = BTreeMap::from([("approve".to_string(), vec!["A".to_string()])]);
        let map = Keymap::with_overrides(&over).unwrap();
        assert_eq!(map.action(&ev(KeyCode::Char('A'), KeyModifiers::SHIFT), &[Action::Approve]), Some(Action::Approve));
        assert_eq!(map.action(&ev(KeyCode::Char('a'), KeyModifiers::NONE), &[Action::Approve]), None);
        assert_eq!(map.hint(Action::Reject), "r", "untouched actions keep their keys");
        for bad in ["esc", "alt-a"] {
            let over = BTreeMap::from([("approve".to_string(), vec![bad.to_string()])]);
            let err = Keymap::with_overrides(&over).unwrap_err();
            assert!(err.message.contains("cannot be bound to Esc or an Alt chord"), "{}", err.message);
        }
        // One key for two actions of the same screen is refused, naming both.
        let over = BTreeMap::from([("approve".to_string(), vec!["q".to_string()])]);
        let err = Keymap::with_overrides(&over).unwrap_err();
        assert!(
            err.message.contains("[tui.keys] approve: \"q\" is also the key of quit in the dashboard"),
            "{}",
            err.message
        );
        // The same key on two screens is fine: `n` is a new run on the dashboard, the next match in a review.
        assert!(Keymap::with_overrides(&BTreeMap::new()).is_ok(), "the defaults never clash");
        let over = BTreeMap::from([("fly".to_string(), vec!["f".to_string()])]);
        assert!(Keymap::with_overrides(&over).unwrap_err().message.contains("[tui.keys] fly: is not an action"));
    }
}
