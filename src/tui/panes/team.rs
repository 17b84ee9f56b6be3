//! The Agent team pane: the selected run in brief, then each role of its build team with its
//! state, current task, tasks done and latest progress report.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use crate::domain::money::fmt_usd;
use crate::orchestrator::RoleView;
use crate::sanitize;
use crate::tui::app::App;
use crate::tui::widgets;

fn state_glyph(state: &str) -> &'static str {
    match state {
        "running" => "●",
        "blocked" => "◐",
        "done" => "✓",
        _ => "○",
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
    format!("{} files ready", rep.ready_for_integration.len())
}

/// Before the build: the idea, then each phase so far with its cost and score.
fn pipeline(run: &crate::orchestrator::RunView, theme: &crate::tui::theme::Theme) -> Vec<Line<'static>> {
    let t = &theme.s;
    let mut lines = vec![Line::from(Span::styled(sanitize::line(&run.idea).into_owned(), t.base)), Line::from("")];
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
    lines
}

pub fn render(app: &mut App, f: &mut Frame, area: Rect, focused: bool) {
    let t = app.theme.s.clone();
    let Some(run) = app.selected_run_view().cloned() else {
        let block = widgets::pane(Line::from(Span::styled(" Agent team ", t.title)), focused, &app.theme);
        f.render_widget(Paragraph::new(Span::styled("select a run in Startups", t.muted)).block(block), area);
        return;
    };
    let title = Line::from(vec![
        Span::styled(" Agent team · ", t.title),
        Span::styled(format!("{} ", run.id), t.muted),
        Span::styled(format!("{} ", widgets::fit(&sanitize::line(&run.name), 30)), t.title),
    ]);
    let block = widgets::pane(title, focused, &app.theme);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let (glyph, gstyle) = widgets::status_glyph(run.status, &app.theme);
    let mut summary = vec![
        Span::styled(format!("{glyph} {} ", run.status), gstyle),
        Span::styled(format!("· {} ", widgets::where_text(&run)), t.base),
        Span::styled(format!("· {} of {} ", fmt_usd(run.cost_micros), fmt_usd(run.budget_micros)), t.muted),
        Span::styled(format!("· p{} · {} ", run.priority, run.template), t.muted),
    ];
    if run.simulated {
        summary.push(Span::styled(" sim ", t.badge));
    }
    f.render_widget(Line::from(summary), Rect { height: 1, ..inner });
    let body = Rect { y: inner.y + 1, height: inner.height.saturating_sub(1), ..inner };
    if run.team.is_empty() {
        f.render_widget(Paragraph::new(pipeline(&run, &app.theme)).wrap(Wrap { trim: true }), body);
        return;
    }
    app.selected_role = app.selected_role.min(run.team.len() - 1);
    let rows: Vec<Row> = run
        .team
        .iter()
        .enumerate()
        .take(body.height.saturating_sub(1) as usize)
        .map(|(k, r)| {
            let style = match r.state.as_str() {
                "running" => t.info,
                "blocked" => t.warn,
                "done" => t.ok,
                _ => t.muted,
            };
            let current = r.current.as_deref().map(|c| sanitize::line(c).into_owned()).unwrap_or_default();
            let row = Row::new(vec![
                Cell::from(Span::styled(r.role.title(), t.base)),
                Cell::from(Span::styled(format!("{} {}", state_glyph(&r.state), r.state), style)),
                Cell::from(Span::styled(current, t.base)),
                Cell::from(Span::styled(format!("{}/{}", r.done, r.total), t.muted)),
                Cell::from(Span::styled(sanitize::line(&report_brief(r)).into_owned(), t.muted)),
            ]);
            if k == app.selected_role && focused { row.style(t.selection) } else { row }
        })
        .collect();
    let header = Row::new(
        ["Role", "State", "Working on", "Done", "Latest report"].map(|h| Cell::from(Span::styled(h, t.muted))),
    );
    let widths = [
        Constraint::Length(11),
        Constraint::Length(10),
        Constraint::Fill(3),
        Constraint::Length(5),
        Constraint::Fill(2),
    ];
    f.render_widget(Table::new(rows, widths).header(header).column_spacing(1).style(t.base), body);
}
