//! The `newsdedup` command: a thin layer over the library. See `newsdedup --help`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
