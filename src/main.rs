//! The `factory` binary.

fn main() {
    std::process::exit(startup_factory::cli::main());
}
