//! The control room's first frame after a clean stop: the real binary in tmux shows at once
//! what the data directory held when it was last closed, saying it is opening the store,
//! then the live state.
#![allow(clippy::unwrap_used)] // a test: a failed unwrap is a failed test

mod common;

use std::process::Command;

use common::Factory;
use common::tmux::Tmux;
use startup_factory::store::{Store, last_frame};

const OPENING: &str = "opening the data directory…";

#[test]
fn a_restarted_control_room_shows_the_saved_frame_until_the_store_opens() {
    assert!(Command::new("tmux").arg("-V").output().is_ok(), "tmux is needed for this test; .ci/run installs it");
    let f = Factory::new();
    f.run(&["demo", "--headless", "--exit-when-idle", "--quiet", "--sim-latency-ms", "0", "--startups", "3"]).ok();
    let data = f.data_dir();
    let saved = last_frame::read(&data).expect("the demo stopped cleanly and saved its last frame");

    // Another process holds the data directory for a moment (as a one-shot command does),
    // so the store cannot open yet: what shows is the saved frame. Opening it here forgets
    // the saved frame, as every open does; it is put back as the demo left it.
    let held = Store::open(&data, 1).unwrap();
    assert!(last_frame::read(&data).is_none());
    last_frame::save(&data, &saved).unwrap();

    let bin = env!("CARGO_BIN_EXE_factory");
    let tmux = Tmux::new(format!("sf-saved-{}", std::process::id()), "saved");
    let command = format!(
        "env -i PATH=/usr/bin:/bin HOME={home} TERM=xterm-256color USER=tester {bin} --data-dir {data} --reviewer tester",
        home = f.dir.path().display(),
        data = data.display(),
    );
    tmux.start(160, 45, &command);
    let screen = tmux.wait("the saved frame", |s| s.contains(OPENING));
    drop(held);
    for name in ["Ledgerly", "Gate inbox (3)"] {
        assert!(screen.contains(name), "the saved frame shows {name}:\n{screen}");
    }

    // The store opens once it is let go (within the 3 s a control room waits for it): the
    // footer's line goes and the live state shows the same runs.
    let live = tmux.wait("the live state", |s| !s.contains(OPENING) && s.contains("Ledgerly"));
    assert!(live.contains("Gate inbox (3)"), "{live}");
    tmux.keys(&["q"]);
    tmux.wait_gone("the control room quits");
    assert!(last_frame::read(&data).is_some(), "the control room's own clean stop saved its frame again");
}
