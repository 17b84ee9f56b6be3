//! One scroll position for every list and text that scrolls: moved by keys, kept in view when drawn.

use std::ops::Range;

/// The first row shown of something taller than its window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scroll {
    top: usize,
}

impl Scroll {
    pub fn top(self) -> usize {
        self.top
    }

    pub fn set(&mut self, top: usize) {
        self.top = top;
    }

    /// Moves by `delta` rows, no further up than the first.
    pub fn by(&mut self, delta: isize) {
        self.top = self.top.saturating_add_signed(delta);
    }

    /// Scrolls the least that shows `rows` in a window of `fit` rows (their start when they
    /// are taller than it); with no room at all, only the start is kept from above.
    pub fn follow(&mut self, rows: Range<usize>, fit: usize) {
        if fit > 0 && rows.end > self.top + fit {
            self.top = rows.end - fit;
        }
        self.top = self.top.min(rows.start);
    }

    /// No further down than shows the last of `len` rows at the bottom of `fit`.
    pub fn clamp(&mut self, len: usize, fit: usize) {
        self.top = self.top.min(len.saturating_sub(fit));
    }

    /// The rows of `items` in the window of `fit` rows.
    pub fn window<I: IntoIterator>(self, items: I, fit: usize) -> std::iter::Take<std::iter::Skip<I::IntoIter>> {
        items.into_iter().skip(self.top).take(fit)
    }
}

#[cfg(test)]
mod tests {
    use super::Scroll;

    #[test]
    fn follow_scrolls_the_least_and_clamp_keeps_the_end_down() {
        let mut s = Scroll::default();
        s.follow(12..13, 10);
        assert_eq!(s.top(), 3, "row 12 at the bottom of ten");
        s.follow(5..6, 10);
        assert_eq!(s.top(), 3, "already in view");
        s.follow(1..2, 10);
        assert_eq!(s.top(), 1);
        s.follow(4..30, 10);
        assert_eq!(s.top(), 4, "taller than the window: its start");
        s.follow(40..41, 0);
        assert_eq!(s.top(), 4, "no room: nothing moves down");
        s.clamp(8, 6);
        assert_eq!(s.top(), 2);
        s.by(-5);
        assert_eq!(s.top(), 0);
        assert_eq!(s.window(0..100, 3).collect::<Vec<_>>(), vec![0, 1, 2]);
    }
}
