//! The `phoenix` command: `phoenix SUITE_DIR TESTCASE...` writes a UTAH suite skeleton that
//! `utah` runs as written (see `megatest::utah::phoenix`). Exit status 0, or 2 with a reason.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a == "-h" || a == "--help") {
        println!(
            "Usage: phoenix SUITE_DIR TESTCASE...\n  writes SUITE_DIR/master.run, ts_control, tslist.run and TESTCASE/tc_control, TESTCASE/test.sh"
        );
        std::process::exit(if args.is_empty() { 2 } else { 0 });
    }
    match megatest::utah::phoenix::create(std::path::Path::new(&args[0]), &args[1..]) {
        Ok(said) => {
            for line in said {
                println!("{line}");
            }
        }
        Err(why) => {
            eprintln!("phoenix: {why}");
            std::process::exit(2);
        }
    }
}
