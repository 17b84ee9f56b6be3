//! SIGINT, SIGTERM and SIGHUP as one stream, for the headless loop and the control room.

/// SIGINT, SIGTERM and SIGHUP, as one stream.
pub struct Signals {
    int: Option<tokio::signal::unix::Signal>,
    term: Option<tokio::signal::unix::Signal>,
    hup: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    pub fn new() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            int: signal(SignalKind::interrupt()).ok(),
            term: signal(SignalKind::terminate()).ok(),
            hup: signal(SignalKind::hangup()).ok(),
        }
    }

    /// Forgets a Ctrl-C that arrived meanwhile (one pressed in `$PAGER`, which shares the
    /// terminal's process group, is not for the control room).
    pub fn forget_interrupts(&mut self) {
        use tokio::signal::unix::{SignalKind, signal};
        self.int = signal(SignalKind::interrupt()).ok();
    }

    pub async fn recv(&mut self) {
        async fn one(s: &mut Option<tokio::signal::unix::Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        tokio::select! {
            _ = one(&mut self.int) => {}
            _ = one(&mut self.term) => {}
            _ = one(&mut self.hup) => {}
        }
    }
}

impl Default for Signals {
    fn default() -> Self {
        Self::new()
    }
}
