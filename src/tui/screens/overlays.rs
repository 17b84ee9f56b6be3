//! Overlays over the dashboard: help (built from the keymap), alerts, an agent's report
//! history, and the `:` command line with completion.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui_textarea::TextArea;

use crate::config::keys::Action;
use crate::config::keys::screens::DASHBOARD;
use crate::domain::{AgentRole, Report, RunId};
use crate::fmt::format_ts;
use crate::orchestrator::Command;
use crate::sanitize;
use crate::tui::app::{App, Effect, Pending};
use crate::tui::component::{Component, Handled};
use crate::tui::scroll::Scroll;
use crate::tui::theme::Theme;
use crate::tui::widgets;

pub use super::alerts::AlertsView;

pub struct ReportsView {
    pub run: RunId,
    pub role: AgentRole,
    /// Newest first.
    pub items: Option<Vec<Report>>,
    pub scroll: Scroll,
}

pub struct TemplatesView {
    pub items: Option<Vec<crate::orchestrator::TemplateInfo>>,
    pub selected: usize,
}

pub struct CommandLine {
    pub input: TextArea<'static>,
    pub completions: Vec<String>,
    pub pick: Option<usize>,
}

pub enum Overlay {
    Help { scroll: Scroll },
    Alerts(AlertsView),
    Reports(ReportsView),
    Command(Box<CommandLine>),
    Templates(TemplatesView),
    Batch(Box<super::batch::Batch>),
}

/// The command line's commands, with what they take.
pub const COMMANDS: [(&str, &str); 11] = [
    ("new", "create a run"),
    ("open", "browse a run's files: :open s-01 [path]"),
    ("templates", "templates with versions and ratings"),
    ("pause", "pause a run: :pause s-01"),
    ("resume", "resume a paused or failed run: :resume s-01"),
    ("cancel", "cancel a run: :cancel s-01"),
    ("theme", "change the theme: :theme light"),
    ("alerts", "list alerts"),
    ("stats", "stats across runs: :stats [7d|30d|all]"),
    ("help", "this help"),
    ("q", "quit (runs stay saved)"),
];

impl Overlay {
    pub fn command() -> Overlay {
        Overlay::Command(Box::new(CommandLine { input: TextArea::default(), completions: Vec::new(), pick: None }))
    }
}

/// The open overlay's keys, for the footer.
fn hints(app: &App, overlay: &Overlay) -> Vec<(String, &'static str)> {
    let k = |a: Action| app.keymap().hint(a);
    let close = (k(Action::Back), "close");
    match overlay {
        Overlay::Batch(b) => super::batch::hints(app, b),
        Overlay::Command(_) => vec![("Tab".into(), "complete"), ("Enter".into(), "run"), ("Esc".into(), "cancel")],
        Overlay::Templates(_) => vec![
            (format!("{}/{}", k(Action::Up), k(Action::Down)), "move"),
            (k(Action::Open), "new run from it"),
            close,
        ],
        Overlay::Alerts(_) => super::alerts::hints(app),
        Overlay::Help { .. } | Overlay::Reports(_) => vec![
            (format!("{}/{}", k(Action::Up), k(Action::Down)), "scroll"),
            (format!("{}/{}", k(Action::PageUp), k(Action::PageDown)), "page"),
            (k(Action::Top), "top"),
            close,
        ],
    }
}

/// Help and the report history: keys that scroll, and keys that close.
fn scroll_key(pos: &mut Scroll, app: &mut App, key: KeyEvent) -> Handled {
    let action = app.keymap().action(
        &key,
        &[
            Action::Up,
            Action::Down,
            Action::PageUp,
            Action::PageDown,
            Action::Top,
            Action::Back,
            Action::Help,
            Action::Alerts,
            Action::Quit,
        ],
    );
    match action {
        Some(Action::Up) => pos.by(-1),
        Some(Action::Down) => pos.by(1),
        Some(Action::PageUp) => pos.by(-10),
        Some(Action::PageDown) => pos.by(10),
        Some(Action::Top) => pos.set(0),
        Some(Action::Back | Action::Help | Action::Alerts | Action::Quit) => return Handled::closed(Vec::new()),
        _ => {}
    }
    Handled::consumed(Vec::new())
}

fn templates_key(v: &mut TemplatesView, app: &mut App, key: KeyEvent) -> Handled {
    let action = app
        .keymap()
        .action(&key, &[Action::Up, Action::Down, Action::Open, Action::NewRun, Action::Back, Action::Quit]);
    let len = v.items.as_ref().map(|i| i.len()).unwrap_or(0);
    match action {
        Some(Action::Up) => v.selected = v.selected.saturating_sub(1),
        Some(Action::Down) => v.selected = (v.selected + 1).min(len.saturating_sub(1)),
        Some(Action::Open | Action::NewRun) => {
            let pick = v.items.as_ref().and_then(|i| i.get(v.selected)).map(crate::tui::app::template_label);
            if let Some(why) = app.may_not(None) {
                app.fail(why);
                return Handled::closed(Vec::new());
            }
            return Handled::closed(app.open_new_run(pick));
        }
        Some(Action::Back | Action::Quit) => return Handled::closed(Vec::new()),
        _ => {}
    }
    Handled::consumed(Vec::new())
}

fn command_key(cl: &mut CommandLine, app: &mut App, key: KeyEvent) -> Handled {
    let runs: Vec<String> = app.snap.runs.iter().map(|r| r.id.to_string()).collect();
    match key.code {
        KeyCode::Esc => return Handled::closed(Vec::new()),
        KeyCode::Enter => {
            let line = cl.input.lines().join(" ");
            return Handled::closed(run_command(app, line.trim()));
        }
        KeyCode::Tab | KeyCode::BackTab => {
            let text = cl.input.lines().join("");
            if cl.completions.is_empty() || cl.pick.is_none() {
                cl.completions = complete(&text, &runs);
                cl.pick = if cl.completions.is_empty() { None } else { Some(0) };
            } else if let Some(p) = cl.pick {
                let n = cl.completions.len();
                cl.pick = Some(if key.code == KeyCode::Tab { (p + 1) % n } else { (p + n - 1) % n });
            }
            if let Some(choice) = cl.pick.and_then(|p| cl.completions.get(p)) {
                let mut input = TextArea::new(vec![choice.clone()]);
                input.move_cursor(ratatui_textarea::CursorMove::End);
                cl.input = input;
            }
        }
        _ => {
            cl.input.input(key);
            cl.completions.clear();
            cl.pick = None;
        }
    }
    Handled::consumed(Vec::new())
}

/// Whole-line completions of what was typed: command names, then run ids or theme names.
pub fn complete(text: &str, runs: &[String]) -> Vec<String> {
    match text.split_once(' ') {
        None => COMMANDS.iter().filter(|(c, _)| c.starts_with(text)).map(|(c, _)| c.to_string()).collect(),
        Some((cmd, arg)) => {
            let arg = arg.trim();
            let choices: Vec<String> = match cmd {
                "pause" | "resume" | "cancel" | "open" => runs.to_vec(),
                "theme" => Theme::available(),
                "stats" => ["7d", "30d", "all"].map(String::from).to_vec(),
                _ => Vec::new(),
            };
            choices.into_iter().filter(|c| c.starts_with(arg)).map(|c| format!("{cmd} {c}")).collect()
        }
    }
}

fn run_command(app: &mut App, line: &str) -> Vec<Effect> {
    let (cmd, arg) = line.split_once(' ').map(|(c, a)| (c, a.trim())).unwrap_or((line, ""));
    let need_run = |app: &mut App| -> Option<String> {
        if arg.is_empty() {
            app.fail(format!(":{cmd} needs a run id, such as :{cmd} s-01 (Tab completes)"));
            None
        } else {
            Some(arg.to_string())
        }
    };
    match cmd {
        "" => Vec::new(),
        "new" | "pause" | "resume" | "cancel" if app.may_not(None).is_some() => {
            let why = app.may_not(None).unwrap_or_default();
            app.fail(why);
            Vec::new()
        }
        "new" => app.open_new_run(None),
        "stats" => match crate::stats::parse_since(if arg.is_empty() { "all" } else { arg }) {
            Ok(since) => app.open_stats(since),
            Err(why) => {
                app.fail(why);
                Vec::new()
            }
        },
        "templates" => {
            app.open_overlay(Overlay::Templates(TemplatesView { items: None, selected: 0 }));
            vec![app.request(Command::Templates, Pending::Templates)]
        }
        "pause" | "resume" | "cancel" => {
            let Some(run) = need_run(app) else { return Vec::new() };
            let run = match run.parse::<crate::domain::RunId>() {
                Ok(id) => id,
                Err(e) => {
                    app.fail(e);
                    return Vec::new();
                }
            };
            let c = match cmd {
                "pause" => Command::Pause { run },
                "resume" => Command::Resume { run },
                _ => Command::Cancel { run, by: app.reviewer().to_string() },
            };
            vec![app.request(c, Pending::Simple)]
        }
        "theme" => {
            match Theme::load(arg, app.color_mode()) {
                Ok(t) => {
                    app.say(format!("theme {}", t.name));
                    app.set_theme(t);
                }
                Err(e) => app.fail(e.message),
            }
            Vec::new()
        }
        "open" => {
            let Some(arg) = need_run(app) else { return Vec::new() };
            let (run, path) = arg.split_once(' ').map(|(r, p)| (r, Some(p.trim().to_string()))).unwrap_or((&arg, None));
            match run.parse::<crate::domain::RunId>() {
                Ok(id) => app.open_browser(id, path.filter(|p| !p.is_empty())),
                Err(e) => {
                    app.fail(e);
                    Vec::new()
                }
            }
        }
        "alerts" => app.open_alerts(),
        "help" => {
            app.open_overlay(Overlay::Help { scroll: Scroll::default() });
            Vec::new()
        }
        "q" | "quit" => vec![Effect::Quit],
        other => {
            app.fail(format!(
                "unknown command :{}; try {}",
                sanitize::line(other),
                COMMANDS.iter().map(|(c, _)| format!(":{c}")).collect::<Vec<_>>().join(" ")
            ));
            Vec::new()
        }
    }
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(v);
    h
}

fn boxed(title: String, app: &App) -> Block<'static> {
    let t = &app.theme().s;
    Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focused)
        .style(t.base)
        .title(Span::styled(title, t.title))
}

fn scrolled(lines: Vec<Line<'static>>, scroll: &mut Scroll, height: usize) -> Vec<Line<'static>> {
    scroll.clamp(lines.len(), height);
    scroll.window(lines, height).collect()
}

/// The help lines: the dashboard's keys, the command line's commands.
pub fn help_lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme().s;
    let mut lines = vec![Line::from(Span::styled("Keys", t.title))];
    for (keys, what) in app.keymap().help(&DASHBOARD) {
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys:<16}"), t.key),
            Span::styled(what.to_string(), t.base),
        ]));
    }
    for (keys, what) in app.keymap().help(&[Action::Back, Action::Confirm, Action::Submit, Action::Quit]) {
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys:<16}"), t.key),
            Span::styled(what.to_string(), t.base),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Commands (after :)", t.title)));
    for (c, what) in COMMANDS {
        lines
            .push(Line::from(vec![Span::styled(format!("  :{c:<15}"), t.key), Span::styled(what.to_string(), t.base)]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Keys can be changed in the config's [tui.keys].", t.muted)));
    lines
}

impl Component for Overlay {
    fn event(&mut self, app: &mut App, key: KeyEvent) -> Handled {
        match self {
            Overlay::Command(cl) => command_key(cl, app, key),
            Overlay::Templates(v) => templates_key(v, app, key),
            Overlay::Batch(b) => super::batch::key(b, app, key),
            Overlay::Alerts(v) => super::alerts::key(v, app, key),
            Overlay::Help { scroll } => scroll_key(scroll, app, key),
            Overlay::Reports(v) => scroll_key(&mut v.scroll, app, key),
        }
    }

    fn draw(&mut self, app: &App, f: &mut Frame, area: Rect) {
        draw(self, app, f, area);
    }

    fn hints(&self, app: &App) -> Vec<(String, &'static str)> {
        hints(app, self)
    }
}

fn draw(overlay: &mut Overlay, app: &App, f: &mut Frame, area: Rect) {
    let t = app.theme().s.clone();
    let width = area.width.saturating_sub(4).min(96);
    let height = area.height.saturating_sub(2);
    match overlay {
        Overlay::Batch(b) => {
            super::batch::render(app, f, area, b);
        }
        Overlay::Command(cl) => {
            let [_, line] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
            f.render_widget(Clear, line);
            let [prompt, input] = Layout::horizontal([Constraint::Length(1), Constraint::Min(1)]).areas(line);
            f.render_widget(Paragraph::new(Span::styled(":", t.key)).style(t.input), prompt);
            let mut ta = cl.input.clone();
            ta.set_style(t.input);
            ta.set_cursor_line_style(t.input);
            f.render_widget(&ta, input);
            if !cl.completions.is_empty() {
                let rows = cl.completions.len().min(8) as u16;
                let w = cl.completions.iter().map(|c| c.chars().count()).max().unwrap_or(0) as u16 + 4;
                let popup =
                    Rect { x: area.x, y: line.y.saturating_sub(rows + 2), width: w.min(area.width), height: rows + 2 };
                f.render_widget(Clear, popup);
                let lines: Vec<Line> = cl
                    .completions
                    .iter()
                    .take(8)
                    .enumerate()
                    .map(|(k, c)| {
                        Line::from(Span::styled(c.clone(), if Some(k) == cl.pick { t.selection } else { t.base }))
                    })
                    .collect();
                let block = boxed(" Tab ".into(), app);
                let body = block.inner(popup);
                f.render_widget(Paragraph::new(lines).block(block), popup);
                if let Some(k) = cl.pick {
                    widgets::paint_row(f, body, k, t.selection);
                }
            }
        }
        Overlay::Help { scroll } => {
            // Long lines wrap under the descriptions, after the keys.
            let lines = widgets::wrap_lines(help_lines(app), width.saturating_sub(2) as usize, 18);
            let r = centered(area, width, (lines.len() as u16 + 2).min(height));
            f.render_widget(Clear, r);
            let body = scrolled(lines, scroll, r.height.saturating_sub(2) as usize);
            f.render_widget(Paragraph::new(body).block(boxed(" Help · Esc closes ".into(), app)), r);
        }
        Overlay::Alerts(v) => {
            let r = centered(area, width, height);
            f.render_widget(Clear, r);
            super::alerts::draw(app, v, f, r, boxed(" Alerts, newest first · Esc closes ".into(), app));
        }
        Overlay::Templates(v) => {
            let r = centered(area, area.width.saturating_sub(4).min(130), height);
            f.render_widget(Clear, r);
            let inner = r.width.saturating_sub(2) as usize;
            let mut lines: Vec<Line> = Vec::new();
            match &v.items {
                None => lines.push(Line::from(Span::styled("loading…", t.muted))),
                Some(items) => {
                    let tallies: Vec<String> = items
                        .iter()
                        .map(|i| {
                            i.gates
                                .iter()
                                .map(|g| format!("{}/{}", g.approved, g.reached))
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .collect();
                    // The approvals are figures: shown whole, or not at all where they do not fit.
                    let header = "G0 G1 G2 G3 approved";
                    let tally_w = tallies.iter().map(|g| widgets::width(g)).fold(widgets::width(header), usize::max);
                    let show_tallies = 16 + 1 + 9 + 1 + 9 + 1 + 5 + 1 + 7 + 2 + tally_w <= inner;
                    let row = |cells: [&str; 7]| {
                        let [name, version, source, runs, rating, tally, stack] = cells;
                        let mut text =
                            format!("{} {version:<9} {source:<9} {runs:>5} {rating:>7}  ", widgets::pad(name, 16));
                        if show_tallies {
                            text.push_str(&format!("{} ", widgets::pad(tally, tally_w)));
                        }
                        widgets::fit(&(text + stack), inner)
                    };
                    lines.push(Line::styled(
                        row(["Template", "Version", "Source", "Runs", "Rating", header, "Stack"]),
                        t.muted,
                    ));
                    for (i, tally) in items.iter().zip(&tallies) {
                        let text = row([
                            &sanitize::line(&i.name),
                            &format!("{}{}", i.version, if i.latest { "" } else { "*" }),
                            i.source.as_str(),
                            &i.runs.to_string(),
                            &i.rating_text(),
                            tally,
                            &sanitize::line(&i.stack.join(", ")),
                        ]);
                        lines.push(Line::styled(text, t.base));
                    }
                    if let Some(i) = items.get(v.selected) {
                        lines.push(Line::from(""));
                        lines.push(Line::from(Span::styled(sanitize::line(&i.description).into_owned(), t.muted)));
                        lines.push(Line::from(Span::styled(
                            "Enter: a new run from this template · * not the default version",
                            t.muted,
                        )));
                    }
                }
            }
            let block =
                boxed(" Templates · ratings are the share of finished runs approved at G3 · Esc closes ".into(), app);
            let body = block.inner(r);
            f.render_widget(Paragraph::new(widgets::wrap_lines(lines, inner, 0)).block(block), r);
            if v.items.is_some() {
                widgets::paint_row(f, body, v.selected + 1, t.selection);
            }
        }
        Overlay::Reports(v) => {
            let r = centered(area, width, height);
            f.render_widget(Clear, r);
            let mut lines: Vec<Line> = Vec::new();
            match &v.items {
                None => lines.push(Line::from(Span::styled("loading…", t.muted))),
                Some(items) if items.is_empty() => lines.push(Line::from(Span::styled("no reports yet", t.muted))),
                Some(items) => {
                    for rep in items {
                        lines.push(Line::from(Span::styled(format!("{} ", &format_ts(rep.at)[..19]), t.muted)));
                        for l in sanitize::lines(&rep.to_markdown()) {
                            let style = if l.starts_with("###") || l.starts_with("**") { t.title } else { t.base };
                            lines.push(Line::from(Span::styled(l, style)));
                        }
                    }
                }
            }
            let title = format!(" {} · {} reports, newest first · Esc closes ", v.run, v.role.title());
            let lines = widgets::wrap_lines(lines, r.width.saturating_sub(2) as usize, 2);
            let body = scrolled(lines, &mut v.scroll, r.height.saturating_sub(2) as usize);
            f.render_widget(Paragraph::new(body).block(boxed(title, app)), r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_commands_then_ids() {
        let runs = vec!["s-01".to_string(), "s-02".to_string(), "s-10".to_string()];
        assert_eq!(complete("pa", &runs), vec!["pause"]);
        assert_eq!(complete("pause s-0", &runs), vec!["pause s-01", "pause s-02"]);
        assert_eq!(complete("cancel ", &runs).len(), 3);
        assert!(complete("theme da", &runs).contains(&"theme dark".to_string()));
        assert!(complete("zzz", &runs).is_empty());
    }
}
