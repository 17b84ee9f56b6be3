//! The real binary in a tmux session, driven as a person would: keys in, the screen read back.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// One session on a private tmux server; dropping it stops the server.
pub struct Tmux {
    pub socket: String,
    pub session: String,
}

impl Tmux {
    /// A session named `session` on the server `socket` (nothing is started yet).
    pub fn new(socket: impl Into<String>, session: &str) -> Tmux {
        Tmux { socket: socket.into(), session: session.into() }
    }

    /// The same server, another session.
    pub fn sibling(&self, session: &str) -> Tmux {
        Tmux::new(self.socket.clone(), session)
    }

    pub fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux").args(["-L", &self.socket]).args(args).output().expect("tmux runs (.ci/run installs it)")
    }

    /// Runs `command` (through the shell, as typed) in this session, `width` x `height`.
    pub fn start(&self, width: u16, height: u16, command: &str) {
        let (w, h) = (width.to_string(), height.to_string());
        let out = self.cmd(&["new-session", "-d", "-s", &self.session, "-x", &w, "-y", &h, command]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    /// Presses each key (tmux names: `Enter`, `Escape`, `C-s`) with a pause between.
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.cmd(&["send-keys", "-t", &self.session, k]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Types `text` as it is.
    pub fn type_text(&self, text: &str) {
        self.cmd(&["send-keys", "-t", &self.session, "-l", text]);
    }

    /// The visible screen, wrapped lines joined.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-J", "-t", &self.session]).stdout).into_owned()
    }

    pub fn alive(&self) -> bool {
        self.cmd(&["has-session", "-t", &self.session]).status.success()
    }

    /// Waits until the screen satisfies `ok`, or fails showing the screen.
    pub fn wait(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; the screen:\n{s}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the program in the session has exited, or fails showing the screen.
    pub fn wait_gone(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.alive() {
            assert!(Instant::now() < deadline, "{what}:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).output();
    }
}
