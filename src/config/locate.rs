//! Where a config file's text sets each key, read from the `toml` crate's spans: the key an
//! error falls in, the `[table]` in force at a place, and the line a key path is set on.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

/// One key the text sets: its full path, where the key is written, and where its value is
/// (for a `[table]`, its header line; for a table made by a dotted key or a header below
/// it, the key again).
struct Entry {
    path: Vec<String>,
    key: Range<usize>,
    value: Range<usize>,
    /// A table opened by a `[header]`.
    header: bool,
}

/// The keys of one config file's text, with their places.
pub(super) struct Locator<'t> {
    text: &'t str,
    entries: Vec<Entry>,
}

impl<'t> Locator<'t> {
    /// Reads the text as far as it parses (a syntax error keeps what came before and
    /// around it), so that errors of either kind can be placed.
    pub fn new(text: &'t str) -> Self {
        let (root, _errors) = DeTable::parse_recoverable(text);
        let mut entries = Vec::new();
        collect(text, root.get_ref(), &[], &mut entries);
        Locator { text, entries }
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())].bytes().filter(|b| *b == b'\n').count() + 1
    }

    /// The dotted key (`budget.daily_cap_usd`) whose key or value holds the start of
    /// `span`, the innermost one when tables nest (`[providers.x]`, inline tables); a
    /// header gives its table. A key written twice is not in the parsed tree: a span that
    /// holds the name of a key of the table in force gives that key. `None` when the span
    /// is in no key (a header cut short, a stray character).
    pub fn key_at(&self, span: Range<usize>) -> Option<String> {
        let at = span.start;
        let holds = |r: &Range<usize>| r.start <= at && at < r.end;
        if let Some(e) = self.entries.iter().filter(|e| holds(&e.key) || holds(&e.value)).max_by_key(|e| e.path.len()) {
            return Some(e.path.join("."));
        }
        let written = self.text.get(span)?.trim().trim_matches(['"', '\'']);
        let table = self.table_path_at(at);
        self.entries
            .iter()
            .find(|e| e.path.len() == table.len() + 1 && e.path.starts_with(&table) && e.path[table.len()] == written)
            .map(|e| e.path.join("."))
    }

    /// The `[table]` in force at a byte offset (`""` before the first header).
    pub fn table_at(&self, offset: usize) -> String {
        self.table_path_at(offset).join(".")
    }

    fn table_path_at(&self, offset: usize) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| e.header && e.value.start <= offset)
            .max_by_key(|e| e.value.start)
            .map(|e| e.path.clone())
            .unwrap_or_default()
    }

    /// The 1-based line where a key path is set; for a key the text leaves out (a missing
    /// setting), the line where its table is.
    pub fn line_of_path(&self, path: &[String]) -> Option<usize> {
        let find = |p: &[String]| self.entries.iter().find(|e| e.path == p).map(|e| self.line_of(e.key.start));
        find(path).or_else(|| find(&path[..path.len().saturating_sub(1)]))
    }
}

/// Every key of `table` and of the tables inside it, with `prefix` before their names.
fn collect(text: &str, table: &DeTable<'_>, prefix: &[String], out: &mut Vec<Entry>) {
    for (key, value) in table.iter() {
        let mut path = prefix.to_vec();
        path.push(key.get_ref().to_string());
        // A header holds its own key (`[providers.x]`); the recovery from a header cut short
        // can leave a table whose "header" is elsewhere, which opens nothing.
        let (k, v) = (key.span(), value.span());
        let header = matches!(value.get_ref(), DeValue::Table(_))
            && text.get(v.clone()).is_some_and(|s| s.starts_with('['))
            && v.start <= k.start
            && k.end <= v.end;
        out.push(Entry { path: path.clone(), key: k, value: v, header });
        if let DeValue::Table(inner) = value.get_ref() {
            collect(text, inner, &path, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('/').map(String::from).collect()
    }

    #[test]
    fn keys_tables_and_lines_come_from_the_parsed_text() {
        let text =
            "# top\n[factory] # a comment\nmax_concurrent_calls = 4\n[providers.\"my.server\"]\nkind = \"sim\"\n";
        let loc = Locator::new(text);
        let at = |needle: &str| text.find(needle).unwrap();
        let span = |needle: &str| at(needle)..at(needle) + needle.len();
        assert_eq!(loc.key_at(span("4")).as_deref(), Some("factory.max_concurrent_calls"));
        assert_eq!(loc.key_at(span("[factory]")).as_deref(), Some("factory"));
        assert_eq!(loc.key_at(span("# top")), None);
        assert_eq!(loc.table_at(at("# top")), "");
        assert_eq!(loc.table_at(at("kind")), "providers.my.server");
        // The quoted name is one key: the path has three parts, not four.
        assert_eq!(loc.line_of_path(&path("providers/my.server/kind")), Some(5));
        assert_eq!(loc.line_of_path(&path("providers/my.server/model")), Some(4), "a missing key: its table");
        assert_eq!(loc.line_of_path(&path("providers/my/server")), None);
    }

    #[test]
    fn a_key_written_twice_is_named_where_it_is_repeated() {
        let text = "[factory]\nmax_concurrent_calls = 4\nmax_concurrent_calls = 8\n";
        let loc = Locator::new(text);
        let second = text.rfind("max_concurrent_calls").unwrap();
        assert_eq!(loc.key_at(second..second + 20).as_deref(), Some("factory.max_concurrent_calls"));
        assert_eq!(loc.line_of(second), 3);
    }
}
