//! The `logpro` command beyond the corpus: its flags, rule-file errors, byte-exact lines,
//! and the literal path that never starts the Scheme engine.

use crate::harness::Area;
use std::io::Write;
use std::process::{Command, Stdio};

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

fn logpro(area: &Area, args: &[&str], input: &[u8], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logpro"));
    cmd.args(args)
        .current_dir(area.path())
        .env_remove("LOGPRO_FORCE_SCHEME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn text(run: &Run) -> String {
    String::from_utf8_lossy(&run.stdout).into_owned()
}

#[test]
fn flags_usage_and_missing_rules() {
    let area = Area::new();
    let help = logpro(&area, &["--help"], b"", &[]);
    assert_eq!(help.code, 0);
    assert!(text(&help).contains("RULES [HTML [WAIVERS]]"));
    let version = logpro(&area, &["--version"], b"", &[]);
    assert!(text(&version).contains("1.19"), "{}", text(&version));
    let usage = logpro(&area, &[], b"", &[]);
    assert_eq!(usage.code, 1);
    assert!(text(&usage).starts_with("Usage: logpro"));
    let missing = logpro(&area, &["nope.logpro"], b"", &[]);
    assert_eq!(missing.code, 1);
    assert!(text(&missing).contains("ERROR: command file nope.logpro not found"));
}

#[test]
fn rule_file_errors_name_the_place_in_stdout_and_html() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "unbalanced",
            "(expect:error in \"LogFileBody\" = 0 \"x\" #/x/\n",
            "unbalanced parentheses",
            "bad.logpro:1:1",
        ),
        (
            "bad regex",
            ";; c\n(expect:error in \"LogFileBody\" = 0 \"x\" #/a(b/)\n",
            "invalid regex /a(b/",
            "bad.logpro:2:",
        ),
        (
            "arity",
            "(section \"a\" \"b\")\n",
            "bad argument count - received 2 but expected 3",
            "bad.logpro:1:1",
        ),
        (
            "unknown procedure",
            "(define x 1)\n(no-such-thing x)\n",
            "unbound variable",
            "bad.logpro:2:2",
        ),
        (
            "tolerance",
            "(expect:value in \"LogFileBody\" 1 'x \"v\" #/(\\d+)/)\n",
            "call of non-procedure",
            "bad.logpro:1:1",
        ),
    ];
    for (name, rules, message, place) in cases {
        for scheme in ["0", "1"] {
            let area = Area::new().file("bad.logpro", rules);
            let run = logpro(
                &area,
                &["bad.logpro", "out.html"],
                b"a line\n",
                &[("LOGPRO_FORCE_SCHEME", scheme)],
            );
            let out = text(&run);
            assert_eq!(run.code, 1, "{name}: {out}");
            assert!(
                out.contains("ERROR: Syntax error in your command file!"),
                "{name}: {out}"
            );
            assert!(
                out.contains(&format!(" =>  {message}")),
                "{name} (scheme {scheme}): {out}"
            );
            assert!(out.contains(place), "{name} (scheme {scheme}): {out}");
            let html = std::fs::read_to_string(area.path().join("out.html")).unwrap();
            assert!(html.contains(message), "{name}: {html}");
            assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
            assert_eq!(
                std::fs::read_to_string(area.path().join("out.dat")).unwrap(),
                ""
            );
        }
    }
}

#[test]
fn lines_are_bytes() {
    let area = Area::new().file(
        "r.logpro",
        "(expect:error in \"LogFileBody\" = 0 \"bad\" #/BAD$/)\n(expect:required in \"LogFileBody\" > 0 \"long\" #/^x+$/)\n",
    );
    let long = "x".repeat(200_000);
    let mut input = Vec::new();
    input.extend_from_slice(b"\xff\xfe not utf-8\r\n");
    input.extend_from_slice(b"nul\0inside\n");
    input.extend_from_slice(b"lone cr\rBAD\r\n");
    input.extend_from_slice(long.as_bytes());
    input.extend_from_slice(b"\nlast without newline <&>");
    let run = logpro(&area, &["r.logpro", "out.html"], &input, &[]);
    assert_eq!(run.code, 1);
    let body: Vec<u8> = run
        .stdout
        .split(|&b| b == b'\n')
        .skip(6)
        .flat_map(|l| l.iter().copied().chain([b'\n']))
        .collect();
    let expected_log = [
        &b"LOGPRO: hit trigger LogFileBodyStart on line 0\n\xff\xfe not utf-8\nnul\0inside\nlone cr\n"[..],
        b"LOGPRO Error: bad unk 0 in section LogFileBody on line 3\nBAD\n",
        b"LOGPRO Required: long unk 0 in section LogFileBody on line 4\n",
    ]
    .concat();
    assert!(
        body.starts_with(&expected_log),
        "{}",
        String::from_utf8_lossy(&body[..300.min(body.len())])
    );
    assert!(body.windows(long.len()).any(|w| w == long.as_bytes()));
    assert!(String::from_utf8_lossy(&run.stdout).contains("\nlast without newline <&>\n====="));
    let html = std::fs::read(area.path().join("out.html")).unwrap();
    let html_text = String::from_utf8_lossy(&html);
    assert!(
        html_text.contains("last without newline &lt;&amp;&gt;"),
        "the log text is escaped"
    );
    assert!(
        html.windows(6).any(|w| w == b"\xff\xfe not"),
        "bytes pass through the report"
    );
    assert!(html_text.contains("EXIT CODE: 1 (FAIL"));
}

#[test]
fn literal_rule_files_never_start_the_engine() {
    let area = Area::new()
        .file("plain.logpro", "(expect:error in logfile = 0 \"err\" (list #/ERROR/ \"fatal\") expires: \"01/01/2999\")\n(trigger \"T\" #/start/)\n(section \"S\" \"T\" \"E\")\n(expect:ignore in \"S\" < 99 \"x\" (regexp \"x\" #t))\n")
        .file("code.logpro", "(define pat #/ERROR/)\n(expect:error in logfile = 0 \"err\" pat)\n");
    let plain = logpro(&area, &["plain.logpro"], b"ok\n", &[("LOGPRO_DEBUG", "2")]);
    assert_eq!(plain.code, 0, "{}", text(&plain));
    assert!(
        plain.stderr.contains("loaded without the Scheme engine"),
        "{}",
        plain.stderr
    );
    assert!(
        !plain.stderr.contains("creating the Scheme engine"),
        "{}",
        plain.stderr
    );
    let code = logpro(
        &area,
        &["code.logpro"],
        b"ERROR here\n",
        &[("LOGPRO_DEBUG", "2")],
    );
    assert_eq!(code.code, 1);
    assert!(
        code.stderr.contains("creating the Scheme engine"),
        "{}",
        code.stderr
    );
    assert!(
        area.path().join("summary.dat").exists(),
        "without HTML the summary is summary.dat"
    );
}

#[test]
fn hooks_run_with_placeholders() {
    let area = Area::new().file(
        "h.logpro",
        "(hook:add \"h\" \"echo got=#{m1} line=#{escaped msg}\" one-time: #t)\n(expect:warning in logfile = 0 \"w\" #/warn (\\w+)/ hook: \"h\")\n",
    );
    let run = logpro(&area, &["h.logpro"], b"warn it's\nwarn again\n", &[]);
    assert_eq!(run.code, 2);
    let out = text(&run);
    assert!(out.contains("NONERR HOOK CALLED: echo got=it line='warn it'\\''s'\ngot=it line=warn it's\nwarn it's\n"), "{out}");
    assert_eq!(
        out.matches("HOOK CALLED").count(),
        1,
        "one-time hooks run once: {out}"
    );
}

/// A log large enough for the many-lines-at-once path gives the same output as the
/// line-by-line path (forced here by a `\r`, which that path alone handles).
#[test]
fn skipping_unmatched_lines_changes_nothing() {
    let rules = "(trigger-with-limit \"B\" 10 #/^begin X$/)\n(trigger-with-limit \"E\" 10 #/^end X$/)\n(section \"X\" \"B\" \"E\")\n(expect:ignore in \"X\" < 99 \"inside\" #/ERROR/)\n(expect:error in \"LogFileBody\" = 0 \"error\" #/ERROR/)\n(expect:warning not-in \"X\" = 0 \"outside\" #/^warn/)\n(expect:required in \"LogFileBody\" > 0 \"end\" #/^THE END$/)\n";
    let area = Area::new().file("r.logpro", rules);
    let mut lines: Vec<String> = (0..3000)
        .map(|i| format!("filler line {i} with some text"))
        .collect();
    lines[500] = "begin X".into();
    lines[600] = "ERROR inside".into();
    lines[650] = "warn inside".into();
    lines[700] = "end X".into();
    lines[1500] = "ERROR outside".into();
    lines[1600] = "warn outside".into();
    lines[2999] = "THE END".into();
    let plain = lines.join("\n") + "\n";
    let with_cr = plain.replacen("filler line 10 ", "filler line 10\r", 1);
    let fast = logpro(&area, &["r.logpro"], plain.as_bytes(), &[]);
    let slow = logpro(&area, &["r.logpro"], with_cr.as_bytes(), &[]);
    assert_eq!(fast.code, 1);
    let fast_text = text(&fast);
    for expected in [
        "LOGPRO: hit trigger B on line 500\nbegin X\n",
        "LOGPRO Ignore: inside unk 99 in section X on line 600\nERROR inside\n",
        "warn inside\n",
        "LOGPRO: hit trigger E on line 700\nend X\n",
        "LOGPRO Error: error unk 0 in section LogFileBody on line 1500\n",
        "LOGPRO Warning: outside unk 0 in section X on line 1600\n",
        "LOGPRO Required: end unk 0 in section LogFileBody on line 2999\nTHE END\n",
    ] {
        assert!(fast_text.contains(expected), "missing {expected:?}");
    }
    assert!(
        !fast_text.contains("on line 650"),
        "warn inside X is not counted by a not-in rule"
    );
    let slow_text = text(&slow).replacen("filler line 10\nwith", "filler line 10 with", 1);
    let adjusted: String = slow_text
        .lines()
        .map(|l| {
            // The \r split one line in two: later line numbers are one higher.
            match l.rsplit_once(" on line ") {
                Some((head, n)) if n.parse::<usize>().is_ok_and(|n| n > 10) => {
                    format!("{head} on line {}", n.parse::<usize>().unwrap() - 1)
                }
                _ => l.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(adjusted.trim_end(), fast_text.trim_end());
}

/// A rule file that starts with CHICKEN's `(use ...)` works on the Scheme path: `use` is
/// defined by logpro's built-in Scheme, which is loaded when a form names it.
#[test]
fn a_rule_file_starting_with_use_runs_on_the_scheme_path() {
    let area = Area::new().file(
        "use.logpro",
        "(use regex)\n(expect:error in \"LogFileBody\" = 0 \"Bad\" #/bad/)\n",
    );
    let run = logpro(
        &area,
        &["use.logpro", "out.html"],
        b"all good\n",
        &[("LOGPRO_FORCE_SCHEME", "1")],
    );
    assert_eq!(run.code, 0, "{}", text(&run));
    assert!(!text(&run).contains("ERROR"), "{}", text(&run));
}
