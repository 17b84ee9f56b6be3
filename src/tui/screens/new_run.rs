//! The new-run form: name, idea (multi-line), template, budget and priority, checked as you
//! type; Ctrl-S creates the run, Esc leaves.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui_textarea::TextArea;

use crate::config::keys::Action;
use crate::domain::money::{fmt_usd, parse_usd};
use crate::orchestrator::{Command, NewRun};
use crate::sanitize;
use crate::tui::app::{App, Effect, Pending, Screen};
use crate::tui::paste::{self, Field};

const FIELDS: [&str; 5] = ["Name", "Idea", "Template", "Budget (USD)", "Priority"];

pub struct NewRunForm {
    pub name: TextArea<'static>,
    pub idea: TextArea<'static>,
    pub budget: TextArea<'static>,
    pub templates: Vec<String>,
    pub template: usize,
    pub priority: u8,
    pub field: usize,
    /// The orchestrator's refusal, if it refused.
    pub error: Option<String>,
    pub submitting: bool,
    /// What the registry says of each template (after it answered).
    pub infos: Vec<crate::orchestrator::TemplateInfo>,
}

impl NewRunForm {
    /// The form, on `neoforge` if offered; `default_budget` is what a run gets when the
    /// budget is left empty (the config's `budget.default_run_usd`), in micro-dollars.
    pub fn new(templates: &[String], default_budget: u64) -> Self {
        let mut name = TextArea::default();
        name.set_placeholder_text("e.g. Ledgerly");
        let mut idea = TextArea::default();
        idea.set_placeholder_text("What the startup does, for whom (several lines are fine)");
        let mut budget = TextArea::default();
        budget.set_placeholder_text(format!("default: {}", fmt_usd(default_budget)));
        let template = templates.iter().position(|t| t == "neoforge").unwrap_or(0);
        NewRunForm {
            name,
            idea,
            budget,
            templates: templates.to_vec(),
            template,
            priority: 2,
            field: 0,
            error: None,
            submitting: false,
            infos: Vec::new(),
        }
    }

    fn text(t: &TextArea) -> String {
        t.lines().join("\n").trim().to_string()
    }

    /// What is wrong with each field, checked as the user types.
    pub fn problems(&self) -> [Option<String>; 5] {
        let name = Self::text(&self.name);
        let idea = Self::text(&self.idea);
        let budget = Self::text(&self.budget);
        [
            if name.is_empty() {
                Some("a name is required".into())
            } else if let Some(why) = too_long(&self.name, &paste::NAME) {
                Some(why)
            } else if name.chars().any(char::is_control) {
                Some("one line, no control characters".into())
            } else {
                None
            },
            if idea.is_empty() { Some("describe the idea".into()) } else { too_long(&self.idea, &paste::IDEA) },
            if self.templates.is_empty() { Some("no templates are installed".into()) } else { None },
            match budget.as_str() {
                "" => None,
                b => match parse_usd(b) {
                    Ok(0) => Some("must be more than $0".into()),
                    Ok(_) => None,
                    Err(_) => Some("a dollar amount such as 12.50".into()),
                },
            },
            None,
        ]
    }

    /// The registry's templates, keeping the current choice when it is still there.
    pub fn set_templates(&mut self, infos: Vec<crate::orchestrator::TemplateInfo>) {
        let current = self.templates.get(self.template).cloned();
        self.templates = infos.iter().map(crate::tui::app::template_label).collect();
        self.infos = infos;
        match current {
            Some(c) => self.select(&c),
            None => self.template = 0,
        }
    }

    /// Chooses a template by its label, if it is offered.
    pub fn select(&mut self, label: &str) {
        if let Some(i) = self.templates.iter().position(|t| t == label) {
            self.template = i;
        }
    }

    /// The orchestrator refused the run. What it tells a command-line user to do (`describe
    /// it with --idea`) is left out: here the fields are the way to say it.
    pub fn failed(&mut self, message: String) {
        self.submitting = false;
        let kept: Vec<&str> = message.split("; ").filter(|part| !part.contains(" --")).collect();
        self.error = Some(if kept.is_empty() { message.clone() } else { kept.join("; ") });
    }

    /// A paste into the field being typed in, as far as it fits; the form's message line
    /// says what was left out.
    pub fn paste(&mut self, text: &str) {
        if self.submitting {
            return;
        }
        let result = match self.field {
            0 => paste::into_area(&mut self.name, text, &paste::NAME),
            1 => paste::into_area(&mut self.idea, text, &paste::IDEA),
            3 => paste::into_area(&mut self.budget, text, &paste::BUDGET),
            _ => Err(format!("{}: nothing to paste into; Tab moves to a text field", FIELDS[self.field])),
        };
        self.error = paste::message(&result);
    }

    fn to_command(&self) -> Command {
        let budget = Self::text(&self.budget);
        Command::NewRun(NewRun {
            name: Self::text(&self.name),
            idea: Self::text(&self.idea),
            template: self.templates.get(self.template).cloned(),
            budget_usd: (!budget.is_empty()).then_some(budget),
            priority: Some(self.priority),
            gates: Vec::new(),
        })
    }
}

/// `at most 80 characters (93 now)`, when the field holds more than its limit.
fn too_long(t: &TextArea, field: &Field) -> Option<String> {
    let n = paste::chars(t);
    (n > field.max).then(|| format!("at most {} characters ({} now)", paste::thousands(field.max), paste::thousands(n)))
}

pub fn key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let submit = app.keymap().action(&key, &[Action::Submit]).is_some();
    let Screen::NewRun(form) = &mut app.screen else { return Vec::new() };
    if form.submitting {
        return Vec::new();
    }
    if submit {
        if let Some(first) = form.problems().iter().position(Option::is_some) {
            form.field = first;
            form.error = Some(format!("{}: {}", FIELDS[first], form.problems()[first].clone().unwrap_or_default()));
            return Vec::new();
        }
        form.submitting = true;
        form.error = None;
        let cmd = form.to_command();
        return vec![app.request(cmd, Pending::NewRun)];
    }
    match key.code {
        KeyCode::Esc => {
            app.screen = Screen::Dashboard;
            app.say("no run created");
        }
        KeyCode::Tab => form.field = (form.field + 1) % FIELDS.len(),
        KeyCode::BackTab => form.field = (form.field + FIELDS.len() - 1) % FIELDS.len(),
        KeyCode::Enter if form.field != 1 => form.field = (form.field + 1) % FIELDS.len(),
        KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') if form.field == 2 && !form.templates.is_empty() => {
            let n = form.templates.len();
            form.template =
                if key.code == KeyCode::Left { (form.template + n - 1) % n } else { (form.template + 1) % n };
        }
        KeyCode::Left if form.field == 4 => form.priority = (form.priority - 1).max(1),
        KeyCode::Right if form.field == 4 => form.priority = (form.priority + 1).min(4),
        KeyCode::Char(c @ '1'..='4') if form.field == 4 => form.priority = c as u8 - b'0',
        _ => {
            form.error = None;
            match form.field {
                0 => {
                    form.name.input(key);
                }
                1 => {
                    form.idea.input(key);
                }
                3 => {
                    form.budget.input(key);
                }
                _ => {}
            }
        }
    }
    Vec::new()
}

pub fn render(app: &App, f: &mut Frame, area: Rect) {
    let Screen::NewRun(form) = &app.screen else { return };
    let t = &app.theme().s;
    let outer = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focused)
        .style(t.base)
        .title(Span::styled(" New run · Tab next field · Ctrl-S create · Esc cancel ", t.title));
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let idea_height = inner.height.saturating_sub(3 * 4 + 1).clamp(3, 10);
    let rows = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(idea_height),
        Constraint::Length(3),
        Constraint::Length(3),
        Constraint::Length(3),
        Constraint::Min(0),
    ])
    .split(inner);
    let problems = form.problems();
    let block = |i: usize| {
        let focused = form.field == i;
        let limit = match i {
            0 => Some((&form.name, &paste::NAME)),
            1 => Some((&form.idea, &paste::IDEA)),
            _ => None,
        };
        let mut title = vec![Span::styled(format!(" {} ", FIELDS[i]), if focused { t.accent } else { t.title })];
        if let Some(p) = &problems[i] {
            title.push(Span::styled(format!("· {p} "), if focused { t.error } else { t.warn }));
        }
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(if focused { t.border_focused } else { t.border })
            .style(t.input)
            .title(Line::from(title));
        match limit {
            Some((ta, field)) => block.title_bottom(paste::counter_title(ta, field, t)),
            None => block,
        }
    };
    for (i, ta) in [(0, &form.name), (1, &form.idea), (3, &form.budget)] {
        let mut ta = ta.clone();
        ta.set_block(block(i));
        ta.set_style(t.input);
        ta.set_cursor_line_style(t.input);
        ta.set_placeholder_style(t.muted);
        if form.field != i {
            ta.set_cursor_style(t.input);
        }
        f.render_widget(&ta, rows[i]);
    }
    let mut choices = vec![Span::styled("← ", t.muted)];
    for (k, name) in form.templates.iter().enumerate() {
        let style = if k == form.template { t.selection } else { t.input };
        choices.push(Span::styled(format!(" {} ", sanitize::line(name)), style));
    }
    choices.push(Span::styled(" →", t.muted));
    if let Some(info) = form
        .templates
        .get(form.template)
        .and_then(|l| form.infos.iter().find(|i| &crate::tui::app::template_label(i) == l))
    {
        let rating = format!(" · rated {}", info.rating_text());
        choices.push(Span::styled(
            format!("  {} {}{rating}", info.version, sanitize::line(&info.stack.join("+"))),
            t.muted,
        ));
    }
    f.render_widget(Paragraph::new(Line::from(choices)).block(block(2)), rows[2]);
    let mut prio = vec![Span::styled("← ", t.muted)];
    for p in 1..=4u8 {
        let label = match p {
            1 => "1 low",
            2 => "2 normal",
            3 => "3 high",
            _ => "4 urgent",
        };
        prio.push(Span::styled(format!(" {label} "), if p == form.priority { t.selection } else { t.input }));
    }
    prio.push(Span::styled(" →", t.muted));
    f.render_widget(Paragraph::new(Line::from(prio)).block(block(4)), rows[4]);
    let msg = if form.submitting {
        Span::styled("creating the run…", t.info)
    } else if let Some(e) = &form.error {
        Span::styled(sanitize::line(e).into_owned(), t.error)
    } else {
        Span::styled("", t.muted)
    };
    f.render_widget(Paragraph::new(msg), rows[5]);
}
