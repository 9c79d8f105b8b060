//! The `megatest` binary: hands the command line to the library and exits with its code.

fn main() {
    megatest::cli::entry::prepare_process();
    let args = match megatest::cli::entry::text_args(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(megatest::error::exit_code::USAGE);
        }
    };
    let code = megatest::cli::entry::run_on_large_stack(|| megatest::cli::main(args));
    std::process::exit(code);
}
