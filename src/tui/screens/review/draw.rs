//! Drawing the review: the tab bar, the shown tab (document, diff or file tree) with its
//! search line and position, the gate's facts, the decision under way, and the footer keys.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::tabs::Body;
use super::{Mode, ReviewScreen};
use crate::config::keys::Action;
use crate::domain::money::fmt_usd;
use crate::domain::{Decision, GateStatus};
use crate::orchestrator::ReviewData;
use crate::sanitize;
use crate::tui::app::{App, Screen};
use crate::tui::theme::Styles;
use crate::tui::widgets;

fn facts(app: &App, d: &ReviewData) -> Vec<Line<'static>> {
    let t = &app.theme().s;
    let g = &d.gate;
    let row = |k: &str, v: String| Line::from(vec![Span::styled(format!("{k:<10}"), t.muted), Span::styled(v, t.base)]);
    let mut out = vec![
        Line::from(Span::styled(format!("{} {}", g.id, g.id.code.name()), t.title)),
        row("run", sanitize::line(&format!("{} {}", d.run.id, d.run.name)).into_owned()),
        row("status", g.status.as_str().to_string()),
        row("opened", format!("{} ago", widgets::wait_text(app.now().saturating_sub(g.opened_at)))),
    ];
    if let Some(p) = g.review.phase {
        out.push(row("phase", format!("{p} (revision {})", g.id.n)));
    }
    if let (Some(p), Some(m)) = (&g.review.provider, &g.review.model) {
        out.push(row("provider", sanitize::line(&format!("{p} / {m}")).into_owned()));
    }
    if g.review.simulated {
        out.push(Line::from(vec![Span::styled(format!("{:<10}", ""), t.muted), Span::styled(" SIMULATED ", t.badge)]));
    }
    if g.review.phase.is_some() {
        out.push(row("cost", fmt_usd(g.review.cost_micros)));
    }
    if let Some(q) = g.review.quality {
        out.push(row("quality", format!("{q:.2} of 1")));
    }
    if let Some(ask) = &g.budget {
        out.push(row("scope", ask.scope.clone()));
        out.push(row("spent", fmt_usd(ask.spent_micros)));
        out.push(row("limit", fmt_usd(ask.limit_micros)));
        out.push(row("next call", format!("up to {}", fmt_usd(ask.needed_micros))));
    }
    out.push(row("run cost", format!("{} of {}", fmt_usd(d.run.ledger.cost_micros), fmt_usd(d.run.budget_micros))));
    if let Err(who) = app.snap.may_decide(g.id.code, app.reviewer()) {
        out.push(Line::from(Span::styled(who, t.warn)));
    }
    out.push(Line::from(""));
    out.push(Line::from(Span::styled("Revision history", t.title)));
    for h in &d.history {
        let who = h.decided_by.clone().unwrap_or_default();
        let head = match h.status {
            GateStatus::Pending => format!("{}.{} waiting", h.id.code, h.id.n),
            s => format!("{}.{} {s} by {who}", h.id.code, h.id.n),
        };
        out.push(Line::from(Span::styled(head, t.base)));
        if let Some(n) = &h.note {
            out.push(Line::from(Span::styled(format!("  “{}”", sanitize::line(n)), t.muted)));
        }
    }
    out
}

/// The tabs' titles with the shown one highlighted, shortening the others to fit `width`,
/// and the position (`2/5`) on the right.
fn tab_bar(r: &ReviewScreen, f: &mut Frame, area: Rect, t: &Styles) {
    let pos = format!(" {}/{}", r.tab + 1, r.tabs.len());
    let [left, right] =
        Layout::horizontal([Constraint::Min(1), Constraint::Length(widgets::width(&pos) as u16)]).areas(area);
    let mut titles: Vec<String> = r.tabs.iter().map(|x| sanitize::line(&x.title).into_owned()).collect();
    let room = left.width as usize;
    let total = |ts: &[String]| ts.iter().map(|s| widgets::width(s) + 3).sum::<usize>().saturating_sub(1);
    while total(&titles) > room {
        let longest = (0..titles.len())
            .filter(|i| *i != r.tab && titles[*i].chars().count() > 2)
            .max_by_key(|i| widgets::width(&titles[*i]));
        let Some(i) = longest else { break };
        let n = titles[i].chars().count();
        titles[i] = widgets::fit(&titles[i], n - 1);
    }
    let mut spans = Vec::with_capacity(titles.len() * 2);
    for (i, title) in titles.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("│", t.border));
        }
        let style = if i == r.tab { t.selection } else { t.muted };
        spans.push(Span::styled(format!(" {title} "), style));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), left);
    f.render_widget(Paragraph::new(Span::styled(pos, t.muted)), right);
}

/// Above a diff: the revision, and the note that asked for it with who wrote it.
fn revision_line(d: &ReviewData, t: &Styles) -> Option<Line<'static>> {
    let prev = d.previous.as_ref()?;
    let mut spans = vec![Span::styled(format!("revision {}", prev.revision + 1), t.info)];
    match (&prev.by, &prev.note) {
        (Some(by), Some(note)) => {
            spans.push(Span::styled(format!(" asked by {}: ", sanitize::line(by)), t.muted));
            spans.push(Span::styled(format!("“{}”", sanitize::line(note)), t.base));
        }
        (None, Some(note)) => spans.push(Span::styled(format!(" asked: “{}”", sanitize::line(note)), t.base)),
        (Some(by), None) => spans.push(Span::styled(format!(" asked by {}", sanitize::line(by)), t.muted)),
        (None, None) => spans.push(Span::styled(format!(" after revision {}", prev.revision), t.muted)),
    }
    Some(Line::from(spans))
}

pub fn render(app: &mut App, f: &mut Frame, area: Rect) {
    let theme = app.theme().clone();
    let t = &theme.s;
    let wide = area.width >= 100;
    let Screen::Review(r) = &app.screen else { return };
    let bottom_height = match &r.mode {
        Mode::Note(n) => 6 + if n.budget.is_some() { 3 } else { 0 },
        Mode::View if r.elsewhere.is_none() => 0,
        _ => 3,
    };
    let [main, bottom] = Layout::vertical([Constraint::Min(3), Constraint::Length(bottom_height)]).areas(area);
    let (text_area, side) = if wide {
        let [a, b] = Layout::horizontal([Constraint::Min(40), Constraint::Length(44)]).areas(main);
        (a, Some(b))
    } else {
        (main, None)
    };
    let tab = r.current();
    let diffing = tab.is_some_and(|x| x.diff.is_some() && x.show_diff);
    let title = match (&r.data, tab) {
        (Some(d), Some(tab)) => {
            let what = tab.path.as_deref().unwrap_or(&tab.title);
            let diff = match (&d.previous, diffing) {
                (Some(p), true) => format!(" · diff r{} → r{}", p.revision, p.revision + 1),
                _ => String::new(),
            };
            format!(" {}{diff} · {} ", sanitize::line(what), sanitize::line(&d.run.name))
        }
        _ => format!(" {} · loading… ", r.gate),
    };
    let block = widgets::pane(Line::from(Span::styled(title, t.title)), true, &theme);
    let inner = block.inner(text_area);
    f.render_widget(block, text_area);
    let Some(d) = &r.data else {
        f.render_widget(Paragraph::new(Span::styled("loading the evidence…", t.muted)), inner);
        return;
    };
    let head = (!wide).then(|| {
        let g = &d.gate;
        let mut head = vec![Span::styled(format!("{} {} ", g.id, g.id.code.name()), t.title)];
        if let (Some(p), Some(m)) = (&g.review.provider, &g.review.model) {
            head.push(Span::styled(sanitize::line(&format!("· {p}/{m} ")).into_owned(), t.muted));
        }
        if let Some(q) = g.review.quality {
            head.push(Span::styled(format!("· q {q:.2} "), t.muted));
        }
        if g.review.simulated {
            head.push(Span::styled(" SIMULATED ", t.badge));
        }
        Line::from(head)
    });
    let revision = tab.filter(|x| x.diff.is_some()).and_then(|_| revision_line(d, t));
    let revision_rows = match &revision {
        Some(l) if l.width() > inner.width as usize && inner.height >= 10 => 2,
        Some(_) => 1,
        None => 0,
    };
    let [bar, head_area, revision_area, view_area, status_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(head.is_some())),
        Constraint::Length(revision_rows),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    tab_bar(r, f, bar, t);
    if let Some(head) = head {
        f.render_widget(Paragraph::new(head), head_area);
    }
    if let Some(revision) = revision {
        f.render_widget(Paragraph::new(revision).wrap(Wrap { trim: true }), revision_area);
    }
    let opened = d.gate.opened_at;
    if let Some(side) = side {
        let block = widgets::pane(Line::from(Span::styled(" Gate ", t.title)), false, &theme);
        f.render_widget(Paragraph::new(facts(app, d)).block(block).wrap(Wrap { trim: false }), side);
    }
    if let Screen::Review(r) = &mut app.screen
        && let Some(tab) = r.tabs.get_mut(r.tab)
    {
        tab.render(f, view_area, t);
    }
    let Screen::Review(r) = &app.screen else { return };
    if let Some(tab) = r.current() {
        let position = tab.position();
        let [l, p] = Layout::horizontal([Constraint::Min(1), Constraint::Length(widgets::width(&position) as u16 + 1)])
            .areas(status_area);
        let left = tab.viewer().search_line(t).unwrap_or_else(|| match (&tab.body, diffing, &tab.diff) {
            (_, true, _) => Line::from(Span::styled("the changes only; d shows the whole document", t.muted)),
            (_, false, Some(_)) => Line::from(Span::styled("the whole document; d shows the changes", t.muted)),
            (Body::Tree(_), _, _) => Line::from(Span::styled("Enter opens the file in the browser", t.muted)),
            _ => Line::from(""),
        });
        f.render_widget(Paragraph::new(left), l);
        f.render_widget(Paragraph::new(Span::styled(position, t.muted)).right_aligned(), p);
    }
    app.time_shown(widgets::next_change(opened, app.now()));
    let Screen::Review(r) = &app.screen else { return };
    match &r.mode {
        Mode::View => {
            if let Some(what) = &r.elsewhere {
                let msg = format!("⚠ {} · nothing left to decide here · Esc back", sanitize::line(what));
                f.render_widget(Paragraph::new(Span::styled(msg, t.warn)).block(bordered(t.border, t.base)), bottom);
            }
        }
        Mode::Confirm => {
            let msg = format!(
                "Approve {}? Press {} to confirm; any other key cancels.",
                r.gate,
                app.keymap().hint(Action::Confirm)
            );
            f.render_widget(
                Paragraph::new(Span::styled(msg, t.warn)).block(bordered(t.border_focused, t.base)),
                bottom,
            );
        }
        Mode::Note(n) => {
            let what = match n.decision {
                Decision::Approve => "approve (budget)",
                Decision::Revise => "revise",
                Decision::Reject => "reject",
            };
            let (note_area, budget_area) = if n.budget.is_some() {
                let [a, b] = Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(bottom);
                (a, Some(b))
            } else {
                (bottom, None)
            };
            let title = format!(
                " Note to {what} (required) · {} submit · Esc leave without deciding{} ",
                app.keymap().hint(Action::Submit),
                n.error.as_ref().map(|e| format!(" · {e}")).unwrap_or_default()
            );
            let mut ta = n.text.clone();
            ta.set_block(
                bordered(if n.field == 0 { t.border_focused } else { t.border }, t.input)
                    .title(Span::styled(title, if n.error.is_some() { t.error } else { t.title }))
                    .title_bottom(crate::tui::paste::counter_title(&n.text, &crate::tui::paste::NOTE, t)),
            );
            ta.set_style(t.input);
            ta.set_cursor_line_style(t.input);
            // One cursor on screen: only the field being typed in shows one.
            if n.field != 0 {
                ta.set_cursor_style(t.input);
            }
            f.render_widget(&ta, note_area);
            if let (Some(b), Some(area)) = (&n.budget, budget_area) {
                let mut ta = b.clone();
                ta.set_block(
                    bordered(if n.field == 1 { t.border_focused } else { t.border }, t.input)
                        .title(Span::styled(" New limit in dollars · Tab switches field ", t.title)),
                );
                ta.set_style(t.input);
                ta.set_cursor_line_style(t.input);
                if n.field != 1 {
                    ta.set_cursor_style(t.input);
                }
                f.render_widget(&ta, area);
            }
        }
        Mode::Submitting(d) => {
            let msg = format!("Saving “{}”… waiting for the orchestrator to confirm it is on disk", d.as_str());
            f.render_widget(Paragraph::new(Span::styled(msg, t.info)).block(bordered(t.border, t.base)), bottom);
        }
        Mode::Done { ok, message } => {
            let (glyph, style) = if *ok { ("✓", t.ok) } else { ("✗", t.error) };
            let msg = format!("{glyph} {} · Esc back", sanitize::line(message));
            f.render_widget(Paragraph::new(Span::styled(msg, style)).block(bordered(t.border, t.base)), bottom);
        }
    }
}

fn bordered(border: Style, style: Style) -> Block<'static> {
    Block::default().borders(Borders::ALL).border_style(border).style(style)
}

/// Keys to list in the footer for the review screen.
pub fn hints(app: &App) -> Vec<(String, &'static str)> {
    let k = |a: Action| app.keymap().hint(a);
    let Screen::Review(r) = &app.screen else { return Vec::new() };
    if r.typing() {
        return vec![("Enter".into(), "find"), ("Esc".into(), "cancel the search")];
    }
    if r.data.is_none() {
        return vec![(k(Action::Back), "back")];
    }
    match r.mode {
        Mode::View | Mode::Done { .. } => {
            let tab = r.current();
            let mut out = Vec::new();
            let decides = !matches!(r.mode, Mode::Done { .. })
                && r.elsewhere.is_none()
                && app.may_not(Some(r.gate.code)).is_none();
            if decides {
                out.push((k(Action::Approve), "approve"));
                out.push((k(Action::Revise), "revise"));
            }
            if r.tabs.len() > 1 {
                out.push((k(Action::NextTab), "tabs"));
            }
            out.push((k(Action::Search), "search"));
            if tab.is_some_and(|x| !x.viewer().search.query.is_empty()) {
                out.push((format!("{}/{}", k(Action::NextMatch), k(Action::PrevMatch)), "match"));
            }
            if tab.is_some_and(|x| x.diff.is_some()) {
                out.push((k(Action::ToggleDiff), "diff"));
            }
            if tab.is_some_and(|x| matches!(x.body, Body::Tree(_))) {
                out.push((k(Action::Open), "open file"));
            }
            out.push((format!("{}/{}", k(Action::Up), k(Action::Down)), "scroll"));
            out.push((k(Action::Browse), "files"));
            if decides {
                out.push((k(Action::Reject), "reject"));
            }
            out.push((k(Action::Back), "back"));
            out
        }
        Mode::Confirm => vec![(k(Action::Confirm), "confirm approval"), ("other".into(), "cancel")],
        Mode::Note(_) => vec![(k(Action::Submit), "submit"), ("Esc".into(), "leave without deciding")],
        Mode::Submitting(_) => vec![("…".into(), "saving")],
    }
}
