//! Rebuilds the crate when anything under assets/ changes: `include_dir!` embeds that folder,
//! and without this cargo would not notice a file added to it.

fn main() {
    println!("cargo:rerun-if-changed=assets");
}
