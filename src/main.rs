//! The `factory` binary.

fn main() {
    std::process::exit(startup_factory::cli::main());
}

/// jemalloc rather than the system allocator: glibc's arenas contend between the actor and
/// the workers (about 15% of the orchestrator's CPU in malloc, free and their locks); see
/// BENCHMARKS.md for the throughput and memory it was measured at.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
