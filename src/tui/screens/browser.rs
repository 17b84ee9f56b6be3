//! Workspace browser: a run's documents and `app/` tree on the left, the open file on the right (highlighted, numbered, searchable); `e` edits or pages it, `y` copies its path.

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_tree_widget::{Tree, TreeItem, TreeState};

use crate::config::keys::Action;
use crate::config::keys::screens::{BROWSER_COMMON, BROWSER_TREE};
use crate::domain::RunId;
use crate::error::FactoryError;
use crate::orchestrator::{Command, FileEntry, FileText, Reply};
use crate::sanitize;
use crate::tui::app::{App, Effect, Pending, Screen};
use crate::tui::highlight;
use crate::tui::theme::Styles;
use crate::tui::viewer::{Kind, Viewer};
use crate::tui::widgets;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Tree,
    File,
}

/// The file on the right.
pub struct OpenFile {
    pub path: String,
    pub bytes: u64,
    /// Only the first part was read (the rest is past the read limit).
    pub truncated: bool,
    /// Not text: nothing is shown.
    pub binary: bool,
    pub viewer: Viewer,
}

pub struct BrowserScreen {
    pub run: RunId,
    pub name: String,
    /// The run's workspace folder, once the orchestrator has said it (for `e` and `y`).
    pub workspace: Option<String>,
    /// Files as listed; `None` while the list is on its way.
    pub files: Option<Vec<FileEntry>>,
    pub items: Vec<TreeItem<'static, String>>,
    pub tree: TreeState<String>,
    pub focus: Focus,
    pub file: Option<OpenFile>,
    /// The file being read.
    pub loading: Option<String>,
    /// Why the list or the file could not be read.
    pub error: Option<String>,
    /// Where Esc goes back to (the dashboard, or the review the browser was opened from).
    pub back: Option<Screen>,
    /// Rows of tree shown at the last frame, for paging.
    pub page: usize,
}

impl BrowserScreen {
    pub fn new(run: RunId, name: String, back: Screen) -> BrowserScreen {
        BrowserScreen {
            run,
            name,
            workspace: None,
            files: None,
            items: Vec::new(),
            tree: TreeState::default(),
            focus: Focus::Tree,
            file: None,
            loading: None,
            error: None,
            back: Some(back),
            page: 20,
        }
    }

    /// The list arrived: build the tree, open `docs/` (and the folders down to the open or
    /// loading file), and select that file or the first document.
    pub fn listed(&mut self, files: Vec<FileEntry>) {
        self.items = build_tree(&files);
        self.files = Some(files);
        let target = self.loading.clone().or_else(|| self.file.as_ref().map(|f| f.path.clone()));
        self.tree.open(vec!["docs".to_string()]);
        match target {
            Some(p) => self.reveal(&p),
            None => {
                let visible: Vec<Vec<String>> =
                    self.tree.flatten(&self.items).into_iter().map(|f| f.identifier).collect();
                let first = visible.iter().find(|id| self.is_file(id)).or(visible.first());
                self.tree.select(first.cloned().unwrap_or_default());
            }
        }
    }

    /// Opens the folders down to `path` and selects it.
    pub fn reveal(&mut self, path: &str) {
        let parts: Vec<String> = path.split('/').map(str::to_string).collect();
        for i in 1..parts.len() {
            self.tree.open(parts[..i].to_vec());
        }
        self.tree.select(parts);
    }

    fn item(&self, id: &[String]) -> Option<&TreeItem<'static, String>> {
        let (first, rest) = id.split_first()?;
        let mut item = self.items.iter().find(|i| i.identifier() == first)?;
        for part in rest {
            item = item.children().iter().find(|i| i.identifier() == part)?;
        }
        Some(item)
    }

    /// Whether the selected identifier is a file (a leaf listed as a file).
    fn is_file(&self, id: &[String]) -> bool {
        let path = id.join("/");
        self.files.as_ref().is_some_and(|fs| fs.binary_search_by(|f| f.path.as_str().cmp(&path)).is_ok())
            || self.item(id).is_some_and(|i| i.children().is_empty())
    }

    /// The path of the selected tree entry.
    pub fn selected_path(&self) -> Option<String> {
        let sel = self.tree.selected();
        (!sel.is_empty()).then(|| sel.join("/"))
    }

    /// Moves the tree's selection by `delta` visible rows (clamped).
    pub fn move_by(&mut self, delta: isize) {
        let visible: Vec<Vec<String>> = self.tree.flatten(&self.items).into_iter().map(|f| f.identifier).collect();
        if visible.is_empty() {
            return;
        }
        let pos = visible.iter().position(|id| id.as_slice() == self.tree.selected()).unwrap_or(0);
        let next = (pos as isize).saturating_add(delta).clamp(0, visible.len() as isize - 1) as usize;
        self.tree.select(visible[next].clone());
    }

    /// The file `e` and `y` act on: the selected file in the tree, else the open one.
    pub fn target(&self) -> Option<String> {
        let selected = self.tree.selected();
        if self.focus == Focus::Tree && !selected.is_empty() && self.is_file(selected) {
            return Some(selected.join("/"));
        }
        self.file.as_ref().map(|f| f.path.clone()).or_else(|| self.loading.clone())
    }

    /// A file's text arrived: show it, highlighted if it is code.
    pub fn loaded(&mut self, file: FileText, mode: crate::tui::theme::ColorMode, theme: &str) {
        if self.loading.as_deref() != Some(file.path.as_str()) {
            return;
        }
        self.loading = None;
        self.error = None;
        let viewer = if file.binary {
            Viewer::new("", Kind::Plain)
        } else if highlight::is_prose(&file.path) {
            let kind = if file.path.ends_with(".md") || file.path.ends_with(".markdown") {
                Kind::Markdown
            } else {
                Kind::Plain
            };
            Viewer::new(&file.text, kind).with_numbers()
        } else {
            Viewer::code(&file.text, &file.path, mode, theme).with_numbers()
        };
        self.file = Some(OpenFile {
            path: file.path,
            bytes: file.bytes,
            truncated: file.truncated,
            binary: file.binary,
            viewer,
        });
    }
}

/// A folder of the tree being built.
#[derive(Default)]
struct Folder {
    folders: BTreeMap<String, Folder>,
    files: Vec<(String, u64)>,
}

impl Folder {
    fn count(&self) -> usize {
        self.files.len() + self.folders.values().map(Folder::count).sum::<usize>()
    }
}

/// The tree of a run's files: `docs/` first (its documents before `history/`), then `app/`,
/// then the rest; elsewhere folders before files, each by name.
pub fn build_tree(files: &[FileEntry]) -> Vec<TreeItem<'static, String>> {
    let mut root = Folder::default();
    for f in files {
        let mut parts: Vec<&str> = f.path.split('/').filter(|p| !p.is_empty()).collect();
        let Some(name) = parts.pop() else { continue };
        let mut at = &mut root;
        for p in parts {
            at = at.folders.entry(p.to_string()).or_default();
        }
        at.files.push((name.to_string(), f.bytes));
    }
    let rank = |name: &str| match name {
        "docs" => 0,
        "app" => 1,
        _ => 2,
    };
    let mut top: Vec<(&String, &Folder)> = root.folders.iter().collect();
    top.sort_by_key(|(n, _)| (rank(n), (*n).clone()));
    let mut out: Vec<TreeItem<'static, String>> = top.into_iter().filter_map(|(n, f)| folder_item(n, f)).collect();
    out.extend(root.files.iter().map(|(n, b)| file_item(n, *b)));
    out
}

fn folder_item(name: &str, f: &Folder) -> Option<TreeItem<'static, String>> {
    let mut children: Vec<TreeItem<'static, String>> = Vec::with_capacity(f.folders.len() + f.files.len());
    let folders = f.folders.iter().filter_map(|(n, sub)| folder_item(n, sub));
    let files = f.files.iter().map(|(n, b)| file_item(n, *b));
    if name == "docs" {
        children.extend(files);
        children.extend(folders);
    } else {
        children.extend(folders);
        children.extend(files);
    }
    let label = Line::from(vec![
        Span::raw(format!("{}/", sanitize::line(name))),
        Span::styled(
            format!(" {}", f.count()),
            ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::DIM),
        ),
    ]);
    TreeItem::new(name.to_string(), label, children).ok()
}

fn file_item(name: &str, bytes: u64) -> TreeItem<'static, String> {
    let label = Line::from(vec![
        Span::raw(sanitize::line(name).into_owned()),
        Span::styled(
            format!(" {}", size(bytes)),
            ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::DIM),
        ),
    ]);
    TreeItem::new_leaf(name.to_string(), label)
}

/// `812 B`, `4.1 KB`, `1.3 MB`.
pub fn size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} KB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

impl App {
    /// Reads `path` of the browsed run into the file pane.
    fn read_file(&mut self, path: String) -> Vec<Effect> {
        let Screen::Browser(b) = &mut self.screen else { return Vec::new() };
        if b.file.as_ref().is_some_and(|f| f.path == path) {
            b.focus = Focus::File;
            return Vec::new();
        }
        let run = b.run;
        b.loading = Some(path.clone());
        b.focus = Focus::File;
        vec![self.request(Command::ReadFile { run, path: path.clone() }, Pending::ReadFile(run, path))]
    }

    /// `e`: the file in `$EDITOR`, or in `$PAGER` from a read-only terminal; a path that would
    /// leave the workspace is refused here and again, on disk, before the program starts.
    fn edit_file(&mut self) -> Vec<Effect> {
        let read_only = self.read_only();
        let Screen::Browser(b) = &self.screen else { return Vec::new() };
        let Some(path) = b.target() else {
            self.fail("select a file first");
            return Vec::new();
        };
        if let Err(why) = crate::workspace::check_relative_path(&path) {
            self.fail(format!("not opened: {why}"));
            return Vec::new();
        }
        let Some(workspace) = b.workspace.clone() else {
            self.fail("the workspace's folder is not known yet; try again in a moment");
            return Vec::new();
        };
        let (program, note) = program(read_only, |k| std::env::var(k).ok());
        if let Some(note) = note {
            self.say(note);
        }
        vec![Effect::External { program, workspace, path }]
    }

    /// `y`: the file's path to the terminal's clipboard with OSC 52, when the config allows it.
    fn copy_path(&mut self) -> Vec<Effect> {
        let Screen::Browser(b) = &self.screen else { return Vec::new() };
        let Some(path) = b.target() else {
            self.fail("select a file first");
            return Vec::new();
        };
        if crate::workspace::check_relative_path(&path).is_err() {
            self.fail("this path cannot be copied");
            return Vec::new();
        }
        let full = match &b.workspace {
            Some(w) => format!("{}/{path}", w.trim_end_matches('/')),
            None => path,
        };
        if !self.settings().osc52 {
            self.fail("copying is off: set [tui] osc52 = true in the config (SECURITY.md: why)");
            return Vec::new();
        }
        self.say(format!("copied {} (OSC 52)", sanitize::line(&full)));
        vec![Effect::Clipboard(full)]
    }
}

/// The program `e` runs: `$EDITOR` (`$PAGER` when read-only), else `vi` (`less`), with a
/// note for the status line when the variable is not set.
pub fn program(read_only: bool, env: impl Fn(&str) -> Option<String>) -> (String, Option<String>) {
    let (var, fallback) = if read_only { ("PAGER", "less") } else { ("EDITOR", "vi") };
    match env(var).filter(|v| !v.trim().is_empty()) {
        Some(p) => (p, None),
        None => (fallback.to_string(), Some(format!("${var} is not set: using {fallback} (set {var} to choose)"))),
    }
}

/// Replies to the browser's requests.
pub fn on_reply(app: &mut App, why: Pending, result: Result<Reply, FactoryError>) {
    let (mode, theme) = (app.color_mode(), app.theme().name.clone());
    let Screen::Browser(b) = &mut app.screen else { return };
    match (why, result) {
        (Pending::Files(run), Ok(Reply::Files { files, .. })) if run == b.run => b.listed(files),
        (Pending::Workspace(run), Ok(Reply::Run { detail })) if run == b.run => {
            b.workspace = Some(detail.run.workspace)
        }
        (Pending::ReadFile(run, _), Ok(Reply::File { file })) if run == b.run => b.loaded(*file, mode, &theme),
        (Pending::ReadFile(run, path), Err(e)) if run == b.run && b.loading.as_deref() == Some(path.as_str()) => {
            b.loading = None;
            b.error = Some(e.message);
            if b.file.is_none() {
                b.focus = Focus::Tree;
            }
        }
        (Pending::Files(run), Err(e)) if run == b.run => {
            b.files = Some(Vec::new());
            b.error = Some(e.message);
        }
        (_, Err(e)) => app.fail(e.message),
        _ => {}
    }
}

pub fn key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let keymap = app.keymap().clone();
    let Screen::Browser(b) = &mut app.screen else { return Vec::new() };
    // A search being typed takes every key.
    if let Some(f) = b.file.as_mut()
        && f.viewer.typing()
    {
        f.viewer.key(&keymap, &key);
        return Vec::new();
    }
    app.clear_status();
    let Screen::Browser(b) = &mut app.screen else { return Vec::new() };
    match keymap.action(&key, &BROWSER_COMMON) {
        Some(Action::NextPane | Action::PrevPane) => {
            b.focus = if b.focus == Focus::Tree && b.file.is_some() { Focus::File } else { Focus::Tree };
            return Vec::new();
        }
        Some(Action::Edit) => return app.edit_file(),
        Some(Action::CopyPath) => return app.copy_path(),
        Some(Action::Back) => {
            let back = b.back.take().unwrap_or(Screen::Dashboard);
            app.screen = back;
            return Vec::new();
        }
        _ => {}
    }
    if b.focus == Focus::File {
        if let Some(f) = b.file.as_mut() {
            f.viewer.key(&keymap, &key);
        }
        return Vec::new();
    }
    let page = b.page.max(1) as isize;
    match keymap.action(&key, &BROWSER_TREE) {
        Some(Action::Up) => b.move_by(-1),
        Some(Action::Down) => b.move_by(1),
        Some(Action::PageUp) => b.move_by(-page),
        Some(Action::PageDown) => b.move_by(page),
        Some(Action::Top) => b.move_by(isize::MIN / 2),
        Some(Action::Bottom) => b.move_by(isize::MAX / 2),
        Some(Action::Expand) => {
            let sel = b.tree.selected().to_vec();
            if !b.is_file(&sel) {
                b.tree.open(sel);
            }
        }
        Some(Action::Collapse) => {
            b.tree.key_left();
        }
        Some(Action::Open) => {
            let sel = b.tree.selected().to_vec();
            if sel.is_empty() {
                return Vec::new();
            }
            if b.is_file(&sel) {
                return app.read_file(sel.join("/"));
            }
            b.tree.toggle(sel);
        }
        // `/`, `n` and `N` search the open file from the tree too.
        Some(Action::Search | Action::NextMatch) => {
            if let Some(f) = b.file.as_mut() {
                f.viewer.key(&keymap, &key);
            }
        }
        _ => {
            if let Some(f) = b.file.as_mut()
                && keymap.action(&key, &[Action::PrevMatch]).is_some()
            {
                f.viewer.key(&keymap, &key);
            }
        }
    }
    Vec::new()
}

pub fn render(app: &mut App, f: &mut Frame, area: Rect) {
    let theme = app.theme().clone();
    let t = &theme.s;
    let tree_w = (area.width * 3 / 10).clamp(24, 48);
    let [left, right] = Layout::horizontal([Constraint::Length(tree_w), Constraint::Min(20)]).areas(area);
    let Screen::Browser(b) = &mut app.screen else { return };
    render_tree(b, f, left, t, &theme);
    let more = render_file(b, f, right, t, &theme);
    if more {
        app.time_shown(crate::tui::FRAME.as_millis() as u64);
    }
}

fn render_tree(b: &mut BrowserScreen, f: &mut Frame, area: Rect, t: &Styles, theme: &crate::tui::theme::Theme) {
    let count = b.files.as_ref().map(|fs| format!(" · {} files", fs.len())).unwrap_or_default();
    let title = format!(" {} {}{count} ", b.run, sanitize::line(&b.name));
    let block = widgets::pane(Line::from(Span::styled(title, t.title)), b.focus == Focus::Tree, theme);
    let inner = block.inner(area);
    b.page = inner.height as usize;
    match &b.files {
        None => {
            f.render_widget(Paragraph::new(Span::styled("listing the files…", t.muted)).block(block), area);
        }
        Some(fs) if fs.is_empty() => {
            let msg = b.error.clone().unwrap_or_else(|| "no files yet: the run has not written any".into());
            f.render_widget(Paragraph::new(Span::styled(msg, t.muted)).block(block), area);
        }
        Some(_) => match Tree::new(&b.items) {
            Ok(tree) => {
                let tree = tree
                    .block(block)
                    .style(t.base)
                    .highlight_style(if b.focus == Focus::Tree { t.selection } else { t.accent })
                    .node_closed_symbol("▸ ")
                    .node_open_symbol("▾ ")
                    .node_no_children_symbol("  ");
                f.render_stateful_widget(tree, area, &mut b.tree);
            }
            Err(e) => f.render_widget(Paragraph::new(Span::styled(e.to_string(), t.error)).block(block), area),
        },
    }
}

/// Draws the file pane; `true` when highlighting still has rows on screen to do.
fn render_file(b: &mut BrowserScreen, f: &mut Frame, area: Rect, t: &Styles, theme: &crate::tui::theme::Theme) -> bool {
    let focused = b.focus == Focus::File;
    let Some(file) = b.file.as_mut() else {
        let (msg, style) = match (&b.loading, &b.error) {
            (Some(p), _) => (format!("reading {}…", sanitize::line(p)), t.muted),
            (None, Some(e)) => (e.clone(), t.error),
            (None, None) => ("Enter opens the selected file".to_string(), t.muted),
        };
        let block = widgets::pane(Line::from(Span::styled(" File ", t.title)), focused, theme);
        f.render_widget(Paragraph::new(Span::styled(sanitize::line(&msg).into_owned(), style)).block(block), area);
        return false;
    };
    // The title is drawn after the viewer, which knows the scroll position only then.
    let block = widgets::pane(Line::from(""), focused, theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let search = file.viewer.search_line(t);
    let [text, bottom] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(u16::from(search.is_some()))]).areas(inner);
    let mut notes = vec![size(file.bytes)];
    if file.binary {
        notes.push("binary".into());
        f.render_widget(
            Paragraph::new(Span::styled("A binary file: not shown here. e opens it in your editor or pager.", t.muted)),
            text,
        );
    } else {
        file.viewer.render(f, text, t);
        notes.push(format!("{}%", file.viewer.percent()));
    }
    if file.truncated {
        notes.push(format!("truncated: first {}", size(crate::orchestrator::FILE_LIMIT as u64)));
    }
    if let Some(name) = file.viewer.code.as_ref().and_then(|c| c.syntax) {
        notes.insert(0, name.to_string());
    }
    let mut title = vec![Span::styled(format!(" {} ", sanitize::line(&file.path)), t.title)];
    title.push(Span::styled(format!("· {} ", notes.join(" · ")), if file.truncated { t.warn } else { t.muted }));
    if let Some(l) = b.loading.as_ref() {
        title.push(Span::styled(format!("· reading {}… ", sanitize::line(l)), t.muted));
    }
    let title_area = Rect { x: area.x + 1, y: area.y, width: area.width.saturating_sub(2), height: 1 };
    f.render_widget(Paragraph::new(Line::from(title)), title_area);
    if let Some(line) = search {
        f.render_widget(Paragraph::new(line), bottom);
    }
    !file.binary && file.viewer.highlighting()
}

/// Keys for the footer.
pub fn hints(app: &App) -> Vec<(String, &'static str)> {
    let k = |a: Action| app.keymap().hint(a);
    let Screen::Browser(b) = &app.screen else { return Vec::new() };
    if b.file.as_ref().is_some_and(|f| f.viewer.typing()) {
        return vec![("Enter".into(), "find"), ("Esc".into(), "cancel")];
    }
    let mut out = match b.focus {
        Focus::Tree => vec![
            (format!("{}/{}", k(Action::Up), k(Action::Down)), "move"),
            (format!("{}/{}", k(Action::Expand), k(Action::Collapse)), "open/close folder"),
            (k(Action::Open), "view"),
            (k(Action::NextPane), "file"),
        ],
        Focus::File => vec![
            (format!("{}/{}", k(Action::Up), k(Action::Down)), "scroll"),
            (k(Action::Search), "search"),
            (format!("{}/{}", k(Action::NextMatch), k(Action::PrevMatch)), "match"),
            (k(Action::NextPane), "tree"),
        ],
    };
    out.push((k(Action::Edit), if app.read_only() { "pager" } else { "edit" }));
    out.push((k(Action::CopyPath), "copy path"));
    out.push((k(Action::Back), "back"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, bytes: u64) -> FileEntry {
        FileEntry { path: path.into(), bytes }
    }

    fn files() -> Vec<FileEntry> {
        let mut v = vec![
            entry("app/README.md", 300),
            entry("app/backend/main.py", 2_400),
            entry("app/backend/models.py", 900),
            entry("app/frontend/index.html", 500),
            entry("docs/history/spec.r0.md", 1_200),
            entry("docs/research.md", 5_000),
            entry("docs/spec.md", 1_300),
        ];
        v.sort_by(|a, b| a.path.cmp(&b.path));
        v
    }

    fn visible(b: &BrowserScreen) -> Vec<String> {
        b.tree.flatten(&b.items).into_iter().map(|f| f.identifier.join("/")).collect()
    }

    fn screen() -> BrowserScreen {
        let mut b = BrowserScreen::new(RunId(1), "Ledgerly".into(), Screen::Dashboard);
        b.listed(files());
        b
    }

    #[test]
    fn docs_come_first_open_with_their_documents_before_history() {
        let b = screen();
        assert_eq!(
            visible(&b),
            ["docs", "docs/research.md", "docs/spec.md", "docs/history", "app"],
            "docs open, app closed"
        );
        assert_eq!(b.selected_path().as_deref(), Some("docs/research.md"));
    }

    #[test]
    fn tree_navigation_moves_expands_and_collapses() {
        let mut b = screen();
        b.move_by(3);
        assert_eq!(b.selected_path().as_deref(), Some("app"));
        b.move_by(10);
        assert_eq!(b.selected_path().as_deref(), Some("app"), "clamped at the end");
        b.tree.open(vec!["app".into()]);
        assert_eq!(visible(&b)[4..], ["app", "app/backend", "app/frontend", "app/README.md"]);
        b.move_by(1);
        b.tree.open(b.tree.selected().to_vec());
        b.move_by(1);
        assert_eq!(b.selected_path().as_deref(), Some("app/backend/main.py"));
        assert!(b.is_file(b.tree.selected()));
        // Left on a file goes to its folder, left again closes it.
        b.tree.key_left();
        assert_eq!(b.selected_path().as_deref(), Some("app/backend"));
        b.tree.key_left();
        assert!(!visible(&b).contains(&"app/backend/main.py".to_string()));
        b.move_by(isize::MIN / 2);
        assert_eq!(b.selected_path().as_deref(), Some("docs"));
    }

    #[test]
    fn a_file_asked_for_before_the_list_is_revealed() {
        let mut b = BrowserScreen::new(RunId(1), "Ledgerly".into(), Screen::Dashboard);
        b.loading = Some("app/backend/models.py".into());
        b.listed(files());
        assert_eq!(b.selected_path().as_deref(), Some("app/backend/models.py"));
        assert!(visible(&b).contains(&"app/backend/models.py".to_string()));
    }

    #[test]
    fn the_program_falls_back_and_says_so() {
        let none = |_: &str| None;
        assert_eq!(program(false, none).0, "vi");
        assert!(program(false, none).1.unwrap().contains("$EDITOR is not set"));
        assert_eq!(program(true, none).0, "less");
        let set = |k: &str| (k == "EDITOR").then(|| "nano -w".to_string());
        assert_eq!(program(false, set), ("nano -w".to_string(), None));
        assert_eq!(size(999), "999 B");
        assert_eq!(size(4_100), "4.1 KB");
    }
}
