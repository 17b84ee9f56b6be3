//! The files shipped inside the binary: prompts, templates, prices, the default config.

use include_dir::{Dir, include_dir};

pub static ASSETS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/assets");

/// A text asset by its path under `assets/`.
pub fn text(path: &str) -> Option<&'static str> {
    ASSETS.get_file(path).and_then(|f| f.contents_utf8())
}
