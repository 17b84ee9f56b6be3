//! Template manifest: any text gives a valid manifest or one sentence naming the file; a parsed manifest written back parses to the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use startup_factory::templates::Manifest;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Manifest::parse(text, "template.toml") {
        Ok(m) => {
            let _ = m.check_compatible();
            let _ = m.version();
            let written = toml::to_string(&m).expect("a parsed manifest serialises");
            let back = Manifest::parse(&written, "again.toml").unwrap_or_else(|e| panic!("{}\n{written}", e.message));
            assert_eq!(back, m, "{written}");
        }
        Err(e) => {
            assert!(e.message.starts_with("template.toml"), "{:?}", e.message);
            assert!(!e.message.contains('\n'), "{:?}", e.message);
        }
    }
});
