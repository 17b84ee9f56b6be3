//! Config loader: any text gives a `Config` or one sentence naming the file; a parsed config written back as TOML parses to the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use startup_factory::config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match config::parse(text, "fuzz.toml") {
        Ok(cfg) => {
            let written = toml::to_string(&cfg).expect("a parsed config serialises");
            let back = config::parse(&written, "again.toml").unwrap_or_else(|e| panic!("{}\n{written}", e.message));
            assert_eq!(back, cfg, "{written}");
        }
        Err(e) => {
            assert!(e.message.starts_with("fuzz.toml"), "{:?}", e.message);
            assert!(!e.message.contains('\n'), "{:?}", e.message);
        }
    }
});
