//! The review's evidence tabs: each document in its own viewer (the gate's own tab with a
//! diff against the revision before), and the `app/` files as an indented tree to open.

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::config::keys::{Action, Keymap};
use crate::orchestrator::{EvidenceKind, ReviewData};
use crate::sanitize;
use crate::tui::theme::Styles;
use crate::tui::viewer::{Kind, Viewer};

/// One row of the file tree: a folder or a file.
pub struct Row {
    pub depth: usize,
    /// The last part of the path, made inert (folders end in `/`).
    pub name: String,
    /// The workspace-relative path (a folder's without the trailing `/`).
    pub path: String,
    pub dir: bool,
}

/// The `app/` files as an indented tree with a selection.
pub struct Tree {
    pub rows: Vec<Row>,
    pub selected: usize,
    /// First row shown, and rows shown at the last frame.
    pub offset: crate::tui::scroll::Scroll,
    pub page: usize,
    /// Searches the rows' paths; never drawn, it keeps the query and the matches.
    pub search: Viewer,
}

/// The keys that move the tree's selection.
const MOVES: [Action; 6] = [Action::Up, Action::Down, Action::PageUp, Action::PageDown, Action::Top, Action::Bottom];

impl Tree {
    /// A tree of `paths` (one a line, workspace-relative, in any order).
    pub fn new(text: &str) -> Tree {
        let mut paths: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        paths.sort_unstable();
        paths.dedup();
        let mut rows = Vec::with_capacity(paths.len() + paths.len() / 4);
        let mut open: Vec<&str> = Vec::new();
        for path in paths {
            let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
            let Some((file, dirs)) = parts.split_last() else { continue };
            let same = open.iter().zip(dirs).take_while(|(a, b)| a == b).count();
            open.truncate(same);
            for (depth, dir) in dirs.iter().enumerate().skip(same) {
                open.push(dir);
                rows.push(Row {
                    depth,
                    name: format!("{}/", sanitize::line(dir)),
                    path: dirs[..=depth].join("/"),
                    dir: true,
                });
            }
            rows.push(Row {
                depth: dirs.len(),
                name: sanitize::line(file).into_owned(),
                path: parts.join("/"),
                dir: false,
            });
        }
        let listing: Vec<String> =
            rows.iter().map(|r| if r.dir { format!("{}/", r.path) } else { r.path.clone() }).collect();
        let selected = rows.iter().position(|r| !r.dir).unwrap_or(0);
        Tree {
            rows,
            selected,
            offset: Default::default(),
            page: 20,
            search: Viewer::new(&listing.join("\n"), Kind::Plain),
        }
    }

    pub fn files(&self) -> usize {
        self.rows.iter().filter(|r| !r.dir).count()
    }

    /// The selected row, if there is one.
    pub fn current(&self) -> Option<&Row> {
        self.rows.get(self.selected)
    }

    /// Handles a key; `true` when the tree used it.
    pub fn key(&mut self, keymap: &Keymap, key: &KeyEvent) -> bool {
        if !self.search.typing()
            && let Some(a) = keymap.action(key, &MOVES)
        {
            let page = self.page.max(1) as isize;
            let delta = match a {
                Action::Up => -1,
                Action::Down => 1,
                Action::PageUp => -page,
                Action::PageDown => page,
                Action::Top => isize::MIN / 2,
                _ => isize::MAX / 2,
            };
            let last = self.rows.len().saturating_sub(1) as isize;
            self.selected = (self.selected as isize).saturating_add(delta).clamp(0, last.max(0)) as usize;
            self.follow();
            return true;
        }
        let was_typing = self.search.typing();
        let stepped = keymap.action(key, &[Action::NextMatch, Action::PrevMatch]).is_some();
        let used = self.search.key(keymap, key);
        if used && !self.search.typing() && (was_typing || stepped) {
            if let Some(row) = self.search.search.matches.get(self.search.search.current) {
                self.selected = *row;
            }
            self.follow();
        }
        used
    }

    /// Scrolls so that the selection is on screen.
    fn follow(&mut self) {
        self.offset.follow(self.selected..self.selected + 1, self.page.max(1));
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, t: &Styles) {
        self.page = area.height as usize;
        self.follow();
        let matches = &self.search.search.matches;
        let mut lines: Vec<Line> = Vec::with_capacity(self.page);
        for (i, row) in self.offset.window(self.rows.iter().enumerate(), self.page) {
            let style = if i == self.selected {
                t.selection
            } else if matches.binary_search(&i).is_ok() {
                t.accent
            } else if row.dir {
                t.title
            } else {
                t.base
            };
            let mark = if i == self.selected { "▸ " } else { "  " };
            lines.push(Line::from(Span::styled(format!("{}{mark}{}", "  ".repeat(row.depth), row.name), style)));
        }
        if self.rows.is_empty() {
            lines.push(Line::from(Span::styled("(no files in app/)", t.muted)));
        }
        f.render_widget(Paragraph::new(lines).style(t.base), area);
        if !self.rows.is_empty() {
            crate::tui::widgets::paint_row(f, area, self.selected.saturating_sub(self.offset.top()), t.selection);
        }
    }
}

pub enum Body {
    Text(Viewer),
    Tree(Tree),
}

/// One tab of evidence.
pub struct Tab {
    pub title: String,
    pub path: Option<String>,
    pub body: Body,
    /// The diff against the revision before (the gate's own tab of a revision), and
    /// whether it is shown rather than the whole document.
    pub diff: Option<Viewer>,
    pub show_diff: bool,
}

impl Tab {
    fn text(title: &str, path: Option<String>, text: &str) -> Tab {
        Tab {
            title: title.to_string(),
            path,
            body: Body::Text(Viewer::new(text, Kind::Markdown)),
            diff: None,
            show_diff: false,
        }
    }

    /// The viewer keys and search go to: the diff, the document, or the tree's search.
    pub fn viewer(&self) -> &Viewer {
        match (&self.diff, &self.body) {
            (Some(d), _) if self.show_diff => d,
            (_, Body::Text(v)) => v,
            (_, Body::Tree(t)) => &t.search,
        }
    }

    /// [`Tab::viewer`], to change.
    pub fn viewer_mut(&mut self) -> &mut Viewer {
        match (&mut self.diff, &mut self.body) {
            (Some(d), _) if self.show_diff => d,
            (_, Body::Text(v)) => v,
            (_, Body::Tree(t)) => &mut t.search,
        }
    }

    /// Whether a search query is being typed here (every key goes to it).
    pub fn typing(&self) -> bool {
        self.viewer().typing()
    }

    /// Handles a key meant for the tab's viewer or tree; `true` when it was used.
    pub fn key(&mut self, keymap: &Keymap, key: &KeyEvent) -> bool {
        match (&mut self.diff, &mut self.body) {
            (Some(d), _) if self.show_diff => d.key(keymap, key),
            (_, Body::Text(v)) => v.key(keymap, key),
            (_, Body::Tree(t)) => t.key(keymap, key),
        }
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, t: &Styles) {
        match (&mut self.diff, &mut self.body) {
            (Some(d), _) if self.show_diff => d.render(f, area, t),
            (_, Body::Text(v)) => v.render(f, area, t),
            (_, Body::Tree(tree)) => tree.render(f, area, t),
        }
    }

    /// Where the view is: `42%`, or `file 3/46` in the tree.
    pub fn position(&self) -> String {
        match (&self.diff, &self.body) {
            (Some(d), _) if self.show_diff => format!("{}%", d.percent()),
            (_, Body::Text(v)) => format!("{}%", v.percent()),
            (_, Body::Tree(tree)) => {
                let files = tree.files();
                match tree.current() {
                    Some(row) if !row.dir => {
                        let nth = tree.rows.iter().take(tree.selected + 1).filter(|r| !r.dir).count();
                        format!("file {nth}/{files}")
                    }
                    _ => format!("{files} files"),
                }
            }
        }
    }
}

/// The tabs of a review, and the one it opens on: the evidence in order, with the gate's
/// own artifact first when no tab holds it (a budget gate's ask, or older data with none).
pub fn build(d: &ReviewData) -> (Vec<Tab>, usize) {
    let mut tabs: Vec<Tab> = d
        .evidence
        .iter()
        .map(|e| match e.kind {
            EvidenceKind::Tree => Tab {
                title: e.title.clone(),
                path: e.path.clone(),
                body: Body::Tree(Tree::new(&e.text)),
                diff: None,
                show_diff: false,
            },
            EvidenceKind::Document | EvidenceKind::Checks | EvidenceKind::Spend => {
                Tab::text(&e.title, e.path.clone(), &e.text)
            }
        })
        .collect();
    let own = Some(d.focus)
        .filter(|i| d.evidence.get(*i).is_some_and(|e| e.text == d.artifact))
        .or_else(|| d.evidence.iter().position(|e| e.text == d.artifact));
    let focus = match own {
        Some(i) => i,
        None => {
            let title = match (&d.gate.budget, &d.gate.review.artifact) {
                (Some(_), _) => "Budget ask".to_string(),
                (None, Some(path)) => path.rsplit('/').next().unwrap_or(path).to_string(),
                (None, None) => "Artifact".to_string(),
            };
            tabs.insert(0, Tab::text(&title, d.gate.review.artifact.clone(), &d.artifact));
            0
        }
    };
    if let Some(prev) = &d.previous {
        let tab = &mut tabs[focus];
        tab.diff = Some(Viewer::diff(&prev.text, &d.artifact));
        tab.show_diff = true;
    }
    (tabs, focus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_indents_folders_once_and_lists_files_under_them() {
        let tree =
            Tree::new("app/backend/main.py\napp/README.md\napp/backend/app/models.py\napp/frontend/index.html\n");
        let shown: Vec<String> = tree.rows.iter().map(|r| format!("{}{}", "  ".repeat(r.depth), r.name)).collect();
        assert_eq!(
            shown,
            [
                "app/",
                "  README.md",
                "  backend/",
                "    app/",
                "      models.py",
                "    main.py",
                "  frontend/",
                "    index.html"
            ]
        );
        assert_eq!(tree.files(), 4);
        assert_eq!(tree.current().map(|r| r.path.as_str()), Some("app/README.md"), "opens on the first file");
        assert_eq!(tree.rows[5].path, "app/backend/main.py");
    }
}
