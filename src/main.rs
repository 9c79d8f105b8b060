//! The `megatest` binary: hands the command line to the library and exits with its code.

fn main() {
    megatest::entry::prepare_process();
    let code = megatest::entry::run_on_large_stack(|| {
        let args: Vec<String> = std::env::args().skip(1).collect();
        megatest::cli::main(args)
    });
    std::process::exit(code);
}
