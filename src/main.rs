//! The `newsdedup` command: a thin layer over the library. See `newsdedup --help`.

mod allocator;
mod cli;

fn main() -> std::process::ExitCode {
    allocator::set_freed_memory(allocator::FreedMemory::ReturnAtOnce);
    cli::main()
}
