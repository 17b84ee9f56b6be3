//! The terminal: raw mode and the alternate screen while the control room runs, restored on
//! exit, on panic and on drop; bracketed paste on (a paste arrives as one event); frames
//! wrapped in synchronized-update sequences; bytes counted.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture};
use ratatui::crossterm::terminal::{
    BeginSynchronizedUpdate, Clear, ClearType, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute, queue};

use super::app::App;

/// A writer that counts what passes through it (bytes sent to the terminal).
pub struct Counting<W> {
    inner: W,
    pub bytes: Arc<AtomicU64>,
}

impl<W: Write> Counting<W> {
    pub fn new(inner: W) -> Self {
        Counting { inner, bytes: Arc::default() }
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Gives the terminal back: cooked mode, the main screen, the cursor, no mouse capture, no
/// bracketed paste.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), DisableBracketedPaste, DisableMouseCapture, LeaveAlternateScreen, cursor::Show);
}

pub struct Term<W: Write> {
    pub terminal: Terminal<CrosstermBackend<Counting<W>>>,
    pub bytes: Arc<AtomicU64>,
    owns_tty: bool,
    mouse: bool,
}

impl Term<io::Stdout> {
    /// Takes over the real terminal; it is given back when this is dropped, and by a panic.
    pub fn setup(mouse: bool) -> io::Result<Term<io::Stdout>> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        enable_raw_mode()?;
        let mut out = io::stdout();
        execute!(out, EnterAlternateScreen, cursor::Hide, EnableBracketedPaste)?;
        if mouse {
            execute!(out, EnableMouseCapture)?;
        }
        let mut t = Term::on(out)?;
        t.owns_tty = true;
        t.mouse = mouse;
        t.terminal.clear()?;
        Ok(t)
    }
}

impl<W: Write> Term<W> {
    /// A terminal over any writer, sized from the real terminal.
    pub fn on(writer: W) -> io::Result<Term<W>> {
        let counting = Counting::new(writer);
        let bytes = Arc::clone(&counting.bytes);
        Ok(Term { terminal: Terminal::new(CrosstermBackend::new(counting))?, bytes, owns_tty: false, mouse: false })
    }

    /// A terminal of a fixed size over any writer (benchmarks: no terminal is asked).
    pub fn fixed(writer: W, width: u16, height: u16) -> io::Result<Term<W>> {
        let counting = Counting::new(writer);
        let bytes = Arc::clone(&counting.bytes);
        let viewport = ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, width, height));
        let terminal = Terminal::with_options(CrosstermBackend::new(counting), ratatui::TerminalOptions { viewport })?;
        Ok(Term { terminal, bytes, owns_tty: false, mouse: false })
    }

    /// Draws one frame inside a synchronized update, so the terminal shows it whole.
    pub fn draw(&mut self, app: &mut App) -> io::Result<()> {
        queue!(self.terminal.backend_mut(), BeginSynchronizedUpdate)?;
        self.terminal.draw(|f| super::view::render(app, f))?;
        execute!(self.terminal.backend_mut(), EndSynchronizedUpdate)?;
        Ok(())
    }

    /// Hands the terminal to another program: cooked mode, the main screen, the cursor.
    pub fn suspend(&mut self) -> io::Result<()> {
        let b = self.terminal.backend_mut();
        if self.mouse {
            execute!(b, DisableMouseCapture)?;
        }
        execute!(b, DisableBracketedPaste, LeaveAlternateScreen, cursor::Show)?;
        if self.owns_tty { disable_raw_mode() } else { Ok(()) }
    }

    /// Takes the terminal back after [`Term::suspend`], and clears it so the next frame is
    /// drawn whole (without `Terminal::clear`, which asks the terminal where its cursor is).
    pub fn resume(&mut self) -> io::Result<()> {
        if self.owns_tty {
            enable_raw_mode()?;
        }
        let b = self.terminal.backend_mut();
        execute!(b, EnterAlternateScreen, cursor::Hide, EnableBracketedPaste, Clear(ClearType::All))?;
        if self.mouse {
            execute!(b, EnableMouseCapture)?;
        }
        // Both buffers blank: the next frame is compared with an empty screen.
        self.terminal.swap_buffers();
        Ok(())
    }

    /// Writes an escape sequence as is (an OSC 52 clipboard write).
    pub fn send(&mut self, sequence: &str) -> io::Result<()> {
        let b = self.terminal.backend_mut();
        b.write_all(sequence.as_bytes())?;
        b.flush()
    }

    pub fn bell(&mut self) -> io::Result<()> {
        let b = self.terminal.backend_mut();
        b.write_all(b"\x07")?;
        b.flush()
    }
}

impl<W: Write> Drop for Term<W> {
    fn drop(&mut self) {
        if self.owns_tty {
            restore();
        }
    }
}
