//! The `megatest` binary: hands the command line to the library and exits with its code.

fn main() {
    megatest::entry::prepare_process();
    let args = match megatest::entry::text_args(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(megatest::exit_code::USAGE);
        }
    };
    let code = megatest::entry::run_on_large_stack(|| megatest::cli::main(args));
    std::process::exit(code);
}
