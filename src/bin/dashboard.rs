//! The `dashboard` command: `megatest -dashboard` under Megatest's other name for it, with
//! its options (`-rows N`, `-port N`, `-bind ADDR`, `-start-dir DIR`, ...).

fn main() {
    megatest::cli::entry::prepare_process();
    let mut args = match megatest::cli::entry::text_args(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(megatest::error::exit_code::USAGE);
        }
    };
    if !args
        .iter()
        .any(|a| a == "-h" || a == "-help" || a == "-version")
    {
        args.insert(0, "-dashboard".to_string());
    }
    let code = megatest::cli::entry::run_on_large_stack(move || megatest::cli::main(args));
    std::process::exit(code);
}
