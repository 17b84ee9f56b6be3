//! Under the Providers pane's table: the routing policy in force and each provider's learned
//! quality per task kind (the scores the router weighs), in pipeline order.

use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use crate::orchestrator::{ProviderView, RoutingView};
use crate::stats::format::score;
use crate::tui::theme::Theme;
use crate::tui::widgets;

/// The short name the pane gives a task kind.
fn short(kind: &str) -> &str {
    match kind {
        "founder_fit" => "fit",
        "architecture" => "arch",
        k => k,
    }
}

/// `adaptive (floor 0.60)`, `preferred`.
pub fn policy(r: &RoutingView) -> String {
    let name = if r.policy.is_empty() { "preferred" } else { r.policy.as_str() };
    match r.quality_floor {
        Some(f) => format!("{} (floor {f:.2})", crate::sanitize::line(name)),
        None => crate::sanitize::line(name).into_owned(),
    }
}

/// A heading, then one line per provider (at most `rows` lines in all, none if fewer than two).
pub fn lines(providers: &[ProviderView], width: usize, rows: usize, t: &Theme) -> Vec<Line<'static>> {
    if rows < 2 || providers.is_empty() {
        return Vec::new();
    }
    let name_w = providers.iter().map(|p| p.name.width()).max().unwrap_or(0).clamp(4, 12);
    let mut out = vec![Line::from(Span::styled("Quality learned per task kind", t.s.muted))];
    for p in providers.iter().take(rows - 1) {
        let mut spans =
            vec![Span::styled(format!("{} ", widgets::fit(&crate::sanitize::line(&p.name), name_w)), t.s.base)];
        let pad = name_w.saturating_sub(p.name.width().min(name_w));
        spans.push(Span::raw(" ".repeat(pad)));
        let known: Vec<String> = crate::stats::format::in_pipeline_order(&p.quality)
            .into_iter()
            .map(|(k, q)| format!("{} {}", crate::sanitize::line(short(k)), score(Some(q))))
            .collect();
        let text = if known.is_empty() { "nothing observed yet".to_string() } else { known.join(" · ") };
        let style = if known.is_empty() { t.s.muted } else { t.s.info };
        spans.push(Span::styled(widgets::fit(&text, width.saturating_sub(name_w + 1)), style));
        out.push(Line::from(spans));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_read_in_pipeline_order_and_the_policy_names_its_floor() {
        let t = Theme::load("no-colour", crate::tui::theme::ColorMode::None).unwrap();
        let p = ProviderView {
            name: "openai".into(),
            quality: [("build".to_string(), 0.79), ("research".to_string(), 0.824), ("founder_fit".to_string(), 1.0)]
                .into_iter()
                .collect(),
            ..ProviderView::default()
        };
        let none = ProviderView { name: "sim".into(), ..ProviderView::default() };
        let text: Vec<String> = lines(&[p, none], 80, 5, &t).iter().map(|l| l.to_string()).collect();
        assert_eq!(text[1], "openai research .82 · fit 1.00 · build .79");
        assert_eq!(text[2], "sim    nothing observed yet");
        assert!(lines(&[], 80, 5, &t).is_empty() && lines(&[ProviderView::default()], 80, 1, &t).is_empty());
        assert_eq!(
            policy(&RoutingView { policy: "adaptive".into(), quality_floor: Some(0.6) }),
            "adaptive (floor 0.60)"
        );
        assert_eq!(policy(&RoutingView::default()), "preferred");
    }
}
