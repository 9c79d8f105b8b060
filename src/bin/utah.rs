//! The `utah` command: runs a UTAH runlist (see `megatest::utah`).

fn main() {
    megatest::cli::entry::prepare_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match megatest::utah::args::parse(args) {
        Ok(opts) => opts,
        Err(e) => {
            let _ = e.print();
            std::process::exit(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let code = megatest::cli::entry::run_on_large_stack(move || megatest::utah::client::run(&opts));
    std::process::exit(code);
}
