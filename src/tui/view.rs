//! Drawing a frame: the header, the four panes (or one in a small terminal, or a message in
//! a tiny one), the open screen, the overlay, and the footer of keys.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::app::{App, Pane, Screen};
use super::component::Component;
use super::panes;
use super::screens;
use crate::config::keys::Action;
use crate::domain::money::fmt_usd;
use crate::sanitize;
use crate::tui::widgets;

/// Smallest terminal for anything.
pub const MIN: (u16, u16) = (60, 15);

/// The four panes' columns: 55 % of the width on the left, 45 % on the right.
fn halves(area: Rect) -> [Rect; 2] {
    Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area)
}

/// Whether the four panes fit in `area` (the frame less its header and footer), at least 30
/// rows and each pane as wide as its figures need; elsewhere one pane at a time, in tabs.
pub fn four_panes_fit(area: Rect) -> bool {
    let [left, right] = halves(area);
    let need = |a: u16, b: u16| a.max(b) + 2;
    area.height + 2 >= 30
        && left.width >= need(panes::startups::MIN_WIDTH, panes::providers::MIN_WIDTH)
        && right.width >= need(panes::team::MIN_WIDTH, panes::gates::MIN_WIDTH)
}

pub fn render(app: &mut App, f: &mut Frame) {
    app.begin_frame();
    let area = f.area();
    f.render_widget(Block::default().style(app.theme().s.base), area);
    if area.width < MIN.0 || area.height < MIN.1 {
        let msg = format!(
            "Startup Factory needs a terminal of at least {}x{} (this one is {}x{}).",
            MIN.0, MIN.1, area.width, area.height
        );
        let [r] = Layout::vertical([Constraint::Length(3)]).flex(Flex::Center).areas(area);
        f.render_widget(
            Paragraph::new(msg).style(app.theme().s.warn).centered().wrap(ratatui::widgets::Wrap { trim: true }),
            r,
        );
        return;
    }
    let [head, body, foot] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)]).areas(area);
    header(app, f, head);
    match &app.screen {
        Screen::Review(_) => screens::review::render(app, f, body),
        Screen::NewRun(_) => screens::new_run::render(app, f, body),
        Screen::Browser(_) => screens::browser::render(app, f, body),
        Screen::Stats(_) => screens::stats::render(app, f, body),
        Screen::Dashboard => dashboard(app, f, body),
    }
    footer(app, f, foot);
    app.draw_layers(f, area);
}

fn dashboard(app: &mut App, f: &mut Frame, area: Rect) {
    if four_panes_fit(area) {
        let [top, bottom] = Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area);
        let [tl, tr] = halves(top);
        let [bl, br] = halves(bottom);
        let focus = app.focus;
        app.hit.four([tl, tr, bl, br]);
        panes::startups::render(app, f, tl, focus == Pane::Startups);
        panes::team::render(app, f, tr, focus == Pane::Team);
        panes::providers::render(app, f, bl, focus == Pane::Providers);
        panes::gates::render(app, f, br, focus == Pane::Gates);
        return;
    }
    // Compact: a tab line, then the focused pane alone.
    let [tabs, pane] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let t = &app.theme().s;
    let mut spans = Vec::new();
    for (i, (p, name)) in
        [(Pane::Startups, "Startups"), (Pane::Team, "Team"), (Pane::Providers, "Providers"), (Pane::Gates, "Gates")]
            .into_iter()
            .enumerate()
    {
        let label = if p == Pane::Gates {
            format!(" {} {name} ({}) ", i + 1, app.snap.gates.len())
        } else {
            format!(" {} {name} ", i + 1)
        };
        spans.push(Span::styled(label, if p == app.focus { t.selection } else { t.muted }));
    }
    // Where each label went, for the mouse.
    let widths = [0, 1, 2, 3].map(|i| spans.get(i).map_or(0, |s| s.width() as u16));
    app.hit.tabbed(tabs, widths, app.focus, pane);
    f.render_widget(Line::from(spans), tabs);
    match app.focus {
        Pane::Startups => panes::startups::render(app, f, pane, true),
        Pane::Team => panes::team::render(app, f, pane, true),
        Pane::Providers => panes::providers::render(app, f, pane, true),
        Pane::Gates => panes::gates::render(app, f, pane, true),
    }
}

fn header(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme().s;
    let s = &app.snap;
    let c = &s.counts;
    // Parts by importance (lower drops last), kept in this order on screen.
    let mut parts: Vec<(u8, Span)> = vec![(0, Span::styled(" Startup Factory ", t.header.patch(t.title)))];
    let mut any = false;
    for (n, label, rank) in [
        (c.running + c.queued, "running", 1),
        // The gates in the inbox, a paused run's too: the header and the inbox agree.
        (s.gates.len() as u32, "at gates", 1),
        (c.paused, "paused", 4),
        (c.completed, "done", 4),
        (c.failed, "failed", 2),
        (c.rejected + c.cancelled, "stopped", 5),
    ] {
        if n > 0 {
            any = true;
            let style = if label == "failed" { t.header.patch(t.error) } else { t.header };
            parts.push((rank, Span::styled(format!("· {n} {label} "), style)));
        }
    }
    if !any {
        parts.push((1, Span::styled("· no runs ", t.header)));
    }
    let spend = if s.daily_cap_micros > 0 {
        format!("· {}/{} today ", fmt_usd(s.spent_today_micros), fmt_usd(s.daily_cap_micros))
    } else {
        format!("· {} today ", fmt_usd(s.spent_today_micros))
    };
    let over = s.daily_cap_micros > 0 && s.spent_today_micros * 10 >= s.daily_cap_micros * 8;
    parts.push((1, Span::styled(spend, if over { t.header.patch(t.warn) } else { t.header })));
    // Open alerts only: one acknowledged (`x` in the alerts, `factory alerts ack`) is done.
    if s.alerts_open > 0 {
        let unread = app.unread_alerts().min(s.alerts_open);
        let style = if unread > 0 { t.header.patch(t.error) } else { t.header };
        let count = if unread > 0 {
            format!("· ⚠ {} ({unread} new) ", crate::plural::count(s.alerts_open.into(), "alert"))
        } else {
            format!("· ⚠ {} ", crate::plural::count(s.alerts_open.into(), "alert"))
        };
        parts.push((2, Span::styled(count, style)));
        if unread > 0
            && let Some((_, msg)) = &s.last_alert
        {
            parts.push((6, Span::styled(format!("{} ", sanitize::line(msg)), style)));
        }
    }
    // The owner's own health goes first when room is short.
    parts.push((7, Span::styled(format!("· {} ", s.health.text()), t.header.patch(t.muted))));
    let mut right = Vec::new();
    match app.link() {
        crate::orchestrator::Link::Owner => {}
        crate::orchestrator::Link::Attached { pid, .. } => {
            right.push(Span::styled(format!(" attached to pid {pid} "), t.header.patch(t.muted)))
        }
        crate::orchestrator::Link::Lost { read_only } => {
            let offer = if *read_only {
                String::new()
            } else {
                format!("· {} takes over ", app.keymap().hint(Action::TakeOver))
            };
            right.push(Span::styled(format!(" ⚠ owner gone, reattaching… {offer}"), t.header.patch(t.error)))
        }
    }
    if app.read_only() {
        right.push(Span::styled(" 🔒 read-only ", t.badge));
    }
    if s.simulated {
        right.push(Span::styled(" SIMULATED ", t.badge));
    }
    let right_w: usize = right.iter().map(|s| s.width()).sum();
    let room = (area.width as usize).saturating_sub(right_w + 1);
    while parts.iter().map(|(_, s)| s.width()).sum::<usize>() > room {
        let Some(worst) = parts.iter().enumerate().max_by_key(|(i, (rank, _))| (*rank, *i)).map(|(i, _)| i) else {
            break;
        };
        if parts[worst].0 == 0 {
            break;
        }
        parts.remove(worst);
    }
    f.render_widget(Block::default().style(t.header), area);
    let [l, r] = Layout::horizontal([Constraint::Min(1), Constraint::Length(right_w as u16)]).areas(area);
    let left: Vec<Span> = parts.into_iter().map(|(_, s)| s).collect();
    f.render_widget(Paragraph::new(Line::from(left)).style(t.header), l);
    f.render_widget(Paragraph::new(Line::from(right)).style(t.header), r);
}

/// The keys of the focused pane or open screen, as `(key, what)` pairs.
pub fn hints(app: &App) -> Vec<(String, &'static str)> {
    let k = |a: Action| app.keymap().hint(a);
    if let Some(overlay) = app.overlay() {
        return overlay.hints(app);
    }
    match &app.screen {
        Screen::Review(_) => return screens::review::hints(app),
        Screen::Browser(_) => return screens::browser::hints(app),
        Screen::Stats(_) => return screens::stats::hints(app),
        Screen::NewRun(_) => {
            return vec![
                ("Tab".into(), "next field"),
                ("←/→".into(), "choose"),
                (k(Action::Submit), "create"),
                ("Esc".into(), "cancel"),
            ];
        }
        Screen::Dashboard => {}
    }
    let mut out = vec![(format!("{}/{}", k(Action::Up), k(Action::Down)), "move"), (k(Action::NextPane), "pane")];
    match app.focus {
        Pane::Startups => {
            out.push((k(Action::Open), "team"));
            out.push((k(Action::Browse), "files"));
            if !app.read_only() {
                out.push((k(Action::PauseResume), "pause/resume"));
                out.push((k(Action::NewRun), "new"));
            }
            out.push((k(Action::Filter), "filter"));
        }
        Pane::Team => {
            out.push((k(Action::Open), "report history"));
            out.push((k(Action::Browse), "files"));
        }
        Pane::Providers => {}
        // A read-only terminal decides nothing: no decision keys to show.
        Pane::Gates if app.read_only() => {
            out.push((k(Action::Open), "review"));
            out.push((k(Action::Filter), "filter"));
        }
        Pane::Gates if !app.marks.is_empty() => {
            out.push((k(Action::Mark), "mark"));
            out.push((k(Action::Approve), "approve marked"));
            out.push((k(Action::Revise), "revise marked"));
            out.push((k(Action::Reject), "reject marked"));
            out.push((k(Action::Open), "review"));
            out.push((k(Action::Filter), "filter"));
        }
        Pane::Gates => {
            out.push((k(Action::Open), "review"));
            out.push((k(Action::Approve), "approve"));
            out.push((k(Action::Revise), "revise"));
            out.push((k(Action::Reject), "reject"));
            out.push((k(Action::Mark), "mark"));
            out.push((k(Action::Filter), "filter"));
        }
    }
    out.extend([(k(Action::Gates), "gates"), (k(Action::Alerts), "alerts"), (k(Action::Command), "command")]);
    out.push((k(Action::Help), "help"));
    out.push((k(Action::Quit), "quit"));
    out
}

fn footer(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme().s;
    f.render_widget(Block::default().style(t.footer), area);
    if let Some(input) = &app.filter_input {
        let [p, i] = Layout::horizontal([Constraint::Length(9), Constraint::Min(1)]).areas(area);
        f.render_widget(Span::styled(" filter /", t.footer.patch(t.key)), p);
        let mut ta = input.clone();
        ta.set_style(t.input);
        ta.set_cursor_line_style(t.input);
        f.render_widget(&ta, i);
        return;
    }
    let status = app.status().map(|s| {
        let text = format!(" {} ", sanitize::line(&s.text));
        Span::styled(text, if s.error { t.footer.patch(t.error) } else { t.footer.patch(t.info) })
    });
    // Until the first decision: how to review a gate.
    let status =
        status.or_else(|| app.first_run_hint().map(|h| Span::styled(format!(" {h} "), t.footer.patch(t.accent))));
    let status_w = status.as_ref().map(|s| (s.width() as u16).min(area.width / 2)).unwrap_or(0);
    // Every hint that fits, keeping the last two (help, quit) whatever else drops.
    let all = hints(app);
    let cost = |(k, w): &(String, &str)| widgets::width(k) + widgets::width(w) + 3;
    let room = (area.width.saturating_sub(status_w)) as usize;
    let keep_end = all.len().saturating_sub(2);
    let mut used: usize = all[keep_end..].iter().map(cost).sum();
    let mut chosen: Vec<&(String, &str)> = Vec::new();
    for h in &all[..keep_end] {
        if used + cost(h) <= room {
            used += cost(h);
            chosen.push(h);
        }
    }
    chosen.extend(all[keep_end..].iter());
    let mut spans = Vec::new();
    for (key, what) in chosen {
        spans.push(Span::styled(format!(" {key} "), t.footer.patch(t.key)));
        spans.push(Span::styled(format!("{what} "), t.footer));
    }
    match status {
        Some(st) => {
            let [l, r] = Layout::horizontal([Constraint::Min(1), Constraint::Length(status_w)]).areas(area);
            f.render_widget(Paragraph::new(Line::from(spans)).style(t.footer), l);
            f.render_widget(Paragraph::new(Line::from(st)).style(t.footer), r);
        }
        None => f.render_widget(Paragraph::new(Line::from(spans)).style(t.footer), area),
    }
}
