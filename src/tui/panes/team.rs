//! The Agent team pane: the selected run in brief, then each role of its build team with its
//! state, current task, tasks done and latest progress report.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table, Wrap};

use crate::domain::money::fmt_usd;
use crate::orchestrator::{RoleState, RoleView};
use crate::sanitize;
use crate::tui::app::App;
use crate::tui::widgets;

fn state_glyph(state: RoleState) -> &'static str {
    match state {
        RoleState::Running => "●",
        RoleState::Blocked => "◐",
        RoleState::Done => "✓",
        RoleState::Idle => "○",
    }
}

/// The latest report in a few words.
fn report_brief(r: &RoleView) -> String {
    let Some(rep) = &r.latest_report else { return String::new() };
    if let Some(b) = rep.blockers.first() {
        return format!("blocked: {b}");
    }
    if let Some(n) = rep.next.first() {
        return format!("next: {n}");
    }
    format!("{} ready", crate::plural::count(rep.ready_for_integration.len() as u64, "file"))
}

/// The build's latest round of checks, one line each (✓ ✗ –, time, tests), and why no
/// gate passes automatically if none may.
fn checks(run: &crate::orchestrator::RunView, theme: &crate::tui::theme::Theme) -> Vec<Line<'static>> {
    use crate::domain::CheckStatus;
    let t = &theme.s;
    if run.checks.is_empty() {
        return Vec::new();
    }
    let title = if run.repair_rounds > 0 {
        let n = run.repair_rounds;
        format!("Checks (after {n} repair round{})", if n == 1 { "" } else { "s" })
    } else {
        "Checks".to_string()
    };
    let mut lines = vec![Line::from(Span::styled(title, t.muted))];
    for c in &run.checks {
        let style = match c.status {
            CheckStatus::Passed => t.ok,
            CheckStatus::Failed => t.error,
            CheckStatus::Skipped => t.warn,
        };
        let tests = match (c.tests_passed, c.tests_failed) {
            (None, None) => String::new(),
            (p, Some(f)) if f > 0 => format!("{} passed, {f} failed", p.unwrap_or(0)),
            (p, _) => format!("{} passed", p.unwrap_or(0)),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", c.status.mark()), style),
            Span::styled(format!("{} ", widgets::pad(&sanitize::line(&c.name), 20)), t.base),
            Span::styled(format!("{:>7} ", format!("{:.1} s", c.duration_ms as f64 / 1000.0)), t.muted),
            Span::styled(if c.status == CheckStatus::Skipped { "could not run".to_string() } else { tests }, style),
        ]));
    }
    if let Some(why) = &run.automation_blocked {
        lines.push(Line::from(Span::styled(format!("a person decides: {}", sanitize::line(why)), t.warn)));
    }
    lines
}

/// The idea in at most two rows of `width` cells, the second ending in `…` when there is
/// more (the browser and `status` show it whole).
fn idea(text: &str, width: usize) -> Vec<String> {
    let mut rows = widgets::wrap(&[sanitize::line(text).into_owned()], width);
    if rows.len() > 2 {
        rows.truncate(2);
        rows[1] = widgets::fit(&format!("{}…", rows[1]), width);
    }
    rows
}

/// Before the build: the idea, then each phase so far with its cost and score.
fn pipeline(run: &crate::orchestrator::RunView, theme: &crate::tui::theme::Theme, width: u16) -> Vec<Line<'static>> {
    let t = &theme.s;
    let mut lines: Vec<Line> = idea(&run.idea, width as usize).into_iter().map(|r| Line::styled(r, t.base)).collect();
    lines.push(Line::from(""));
    if let Some(f) = &run.failure {
        lines.push(Line::from(Span::styled(format!("failed: {}", sanitize::line(f)), t.error)));
    }
    for p in &run.phases {
        let (glyph, style) = if p.done { ("✓", t.ok) } else { ("▸", t.info) };
        let mut spans = vec![
            Span::styled(format!("{glyph} "), style),
            Span::styled(format!("{:<19}", p.phase.title()), t.base),
            Span::styled(
                format!("{:<4}", if p.revision > 0 { format!("r{}", p.revision) } else { String::new() }),
                t.muted,
            ),
            Span::styled(format!("{:>9} ", fmt_usd(p.cost_micros)), t.muted),
        ];
        if let Some(q) = p.quality {
            spans.push(Span::styled(format!("quality {q:.2}"), t.muted));
        }
        lines.push(Line::from(spans));
    }
    if run.phase < crate::domain::Phase::Build {
        lines.push(Line::from(Span::styled("the build team starts after gate G2", t.muted)));
    }
    let checks = checks(run, theme);
    if !checks.is_empty() {
        lines.push(Line::from(""));
        lines.extend(checks);
    }
    lines
}

/// The inner width that shows roles, states and counts such as `12/15` whole, beside eight
/// cells of work and eight of report.
pub const MIN_WIDTH: u16 = 11 + 9 + 8 + 5 + 8 + 4;

pub fn render(app: &mut App, f: &mut Frame, area: Rect, focused: bool) {
    let t = app.theme().s.clone();
    let Some(run) = app.selected_run_view().cloned() else {
        let block = widgets::pane(Line::from(Span::styled(" Agent team ", t.title)), focused, app.theme());
        f.render_widget(Paragraph::new(Span::styled("select a run in Startups", t.muted)).block(block), area);
        return;
    };
    let title = Line::from(vec![
        Span::styled(" Agent team · ", t.title),
        Span::styled(format!("{} ", run.id), t.muted),
        Span::styled(format!("{} ", widgets::fit(&sanitize::line(&run.name), 30)), t.title),
    ]);
    let block = widgets::pane(title, focused, app.theme());
    let inner = block.inner(area);
    f.render_widget(block, area);
    let (glyph, gstyle) = widgets::status_glyph(run.status, app.theme());
    let mut summary = vec![
        Span::styled(format!("{glyph} {} ", run.status), gstyle),
        Span::styled(format!("· {} ", widgets::where_text(&run)), t.base),
        // `~`: some of the cost comes from estimated tokens.
        Span::styled(
            format!(
                "· {}{} of {} ",
                if run.estimated { "~" } else { "" },
                fmt_usd(run.cost_micros),
                fmt_usd(run.budget_micros)
            ),
            if run.estimated { t.warn } else { t.muted },
        ),
        Span::styled(format!("· p{} · {} ", run.priority, run.template), t.muted),
    ];
    if run.simulated {
        summary.push(Span::styled(" sim ", t.badge));
    }
    // Parts are left out from the end rather than cut: a cost is never shown in part.
    let mut room = inner.width as usize;
    let summary: Vec<Span> = summary
        .into_iter()
        .take_while(|s| {
            let fits = s.width() <= room;
            room = room.saturating_sub(s.width());
            fits
        })
        .collect();
    f.render_widget(Line::from(summary), Rect { height: 1, ..inner });
    let body = Rect { y: inner.y + 1, height: inner.height.saturating_sub(1), ..inner };
    if run.team.is_empty() {
        f.render_widget(Paragraph::new(pipeline(&run, app.theme(), body.width)).wrap(Wrap { trim: true }), body);
        return;
    }
    app.selected_role = app.selected_role.min(run.team.len() - 1);
    // The checks go under the team, as many as fit after the team's rows.
    let check_lines = checks(&run, app.theme());
    let team_height = (run.team.len() as u16 + 1).min(body.height);
    let below = body.height.saturating_sub(team_height + 1);
    let body = if check_lines.is_empty() || below == 0 {
        body
    } else {
        let rest = Rect { y: body.y + team_height + 1, height: below, ..body };
        f.render_widget(Paragraph::new(check_lines).wrap(Wrap { trim: true }), rest);
        Rect { height: team_height, ..body }
    };
    let header = ["Role", "State", "Working on", "Done", "Latest report"];
    let cells: Vec<Vec<Line>> = run
        .team
        .iter()
        .take(body.height.saturating_sub(1) as usize)
        .map(|r| {
            let style = match r.state {
                RoleState::Running => t.info,
                RoleState::Blocked => t.warn,
                RoleState::Done => t.ok,
                RoleState::Idle => t.muted,
            };
            let current = r.current.as_deref().map(|c| sanitize::line(c).into_owned()).unwrap_or_default();
            vec![
                Line::styled(r.role.title(), t.base),
                Line::styled(format!("{} {}", state_glyph(r.state), r.state.name()), style),
                Line::styled(current, t.base),
                Line::styled(format!("{}/{}", r.done, r.total), t.muted),
                Line::styled(sanitize::line(&report_brief(r)).into_owned(), t.muted),
            ]
        })
        .collect();
    // Roles, states and counts whole; what a role works on and reports give way, with `…`.
    let widest = |k: usize| cells.iter().map(|c| c[k].width()).fold(widgets::width(header[k]), usize::max) as u16;
    let widths = [
        Constraint::Length(widest(0)),
        Constraint::Length(widest(1)),
        Constraint::Fill(3),
        Constraint::Length(widest(3)),
        Constraint::Fill(2),
    ];
    let columns = widgets::column_widths(&widths, body.width);
    let rows: Vec<Row> = cells.into_iter().map(|c| widgets::fitted_row(c, &columns)).collect();
    let header = widgets::fitted_row(header.map(|h| Line::styled(h, t.muted)).to_vec(), &columns);
    let selected = Some(app.selected_role).filter(|k| focused && *k < rows.len());
    widgets::render_table(f, Table::new(rows, widths).header(header).style(t.base), body, selected, t.selection);
}
