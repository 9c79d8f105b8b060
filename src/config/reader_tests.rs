//! Tests of the config reader against the vectors and rules of spec §1.

use super::*;
use crate::environ;
use regex::Regex;
use std::fs;
use std::path::Path;

fn opts(dir: &Path) -> ReadOptions {
    ReadOptions::new(dir)
}

fn read(text: &str) -> Config {
    read_str(Path::new("/virtual/t.config"), text, &opts(Path::new("/"))).unwrap()
}

fn read_err(text: &str) -> crate::error::Error {
    let strict = ReadOptions {
        strict: true,
        ..opts(Path::new("/"))
    };
    read_str(Path::new("/virtual/t.config"), text, &strict).unwrap_err()
}

#[test]
fn spec_1_18_vectors() {
    let text = "A 1\nB\nC  two  words  \n[s1]\n   ignored indented line\nD #{get default A}0\nE #{getenv MEGATEST_READER_UNSET}\nF first\\\nsecond\nG x\n  y\n    z\n# comment ends nothing more\n[%]\nW w\n";
    let c = read(text);
    assert_eq!(c.get("default", "A"), Some("1"));
    assert_eq!(c.get("default", "B"), Some(""));
    assert_eq!(c.get("default", "C"), Some("two  words  "));
    assert_eq!(c.get("s1", "D"), Some("10"));
    assert_eq!(c.get("s1", "E"), Some("#f"));
    assert_eq!(c.get("s1", "F"), Some("firstsecond"));
    assert_eq!(c.get("s1", "G"), Some("x\ny\n  z"));
    assert_eq!(c.get("default", "W"), Some("w"));
    assert_eq!(c.get("s1", "W"), Some("w"));
    assert!(!c.has_section("%"));
    let keys: Vec<_> = c.section("s1").unwrap().keys().collect();
    assert_eq!(keys, ["D", "E", "F", "G", "W"]);
    assert_eq!(environ::var("B").as_deref(), Some(""));
}

#[test]
fn every_value_remembers_file_and_line() {
    let c = read("[a]\nx 1\n\ny first\\\ncont\n");
    let e = c.entry("a", "x").unwrap();
    assert_eq!(
        (&*e.origin.file, e.origin.line),
        (Path::new("/virtual/t.config"), 2)
    );
    assert_eq!(c.entry("a", "y").unwrap().origin.line, 4);
}

#[test]
fn manual_multiline_example() {
    let text = "[metadata]\ndescription This is a multiline \n  description. The leading whitespace is discarded\n  irrespective of amount of indenting.\n     This line is indented more.\n \nauthor matt\n";
    let c = read(text);
    assert_eq!(
        c.get("metadata", "description"),
        Some(
            "This is a multiline \ndescription. The leading whitespace is discarded\nirrespective of amount of indenting.\n   This line is indented more."
        )
    );
    assert_eq!(c.get("metadata", "author"), Some("matt"));
}

#[test]
fn multiline_ends_at_blank_and_comment_and_keyless_value_starts_with_newline() {
    let c = read(
        "[logpro]\nrunit\n  (expect:required in \"LogFileBody\" > 0 \"x\" #/ok/)\n# end\n  dropped\nk v\n  more\n\n  dropped too\n",
    );
    assert_eq!(
        c.get("logpro", "runit"),
        Some("\n(expect:required in \"LogFileBody\" > 0 \"x\" #/ok/)")
    );
    assert_eq!(c.get("logpro", "k"), Some("v\nmore"));
}

#[test]
fn repeated_section_appends_and_key_replaces() {
    let c = read("[a]\nx 1\n[b]\ny 2\n[a]\nz 3\nx 4\n");
    let keys: Vec<_> = c.section("a").unwrap().keys().collect();
    assert_eq!(keys, ["z", "x"]);
    assert_eq!(c.get("a", "x"), Some("4"));
    let names: Vec<_> = c.section_names().collect();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn mentioned_sections_exist_and_lines_before_a_header_go_to_default() {
    let c = read("top value\n[skip]\n[items]\n");
    assert_eq!(c.get("default", "top"), Some("value"));
    assert!(c.has_section("skip") && c.has_section("items"));
}

#[test]
fn no_key_equals_value_and_no_inline_comments() {
    let c = read("FOO=bar\nFOO: bar\nfileexists /a/b # skip\n");
    assert_eq!(c.get("default", "FOO=bar"), Some(""));
    assert_eq!(c.get("default", "FOO:"), Some("bar"));
    assert_eq!(c.get("default", "fileexists"), Some("/a/b # skip"));
}

#[test]
fn nested_forms_inside_out() {
    environ::set("MEGATEST_READER_DEPS", "std");
    environ::set("MEGATEST_READER_WHICH", "DEPS");
    let c = read(
        "[std]\ngenlib libstd\n[x]\nv #{get #{getenv MEGATEST_READER_DEPS} genlib}\nw #{getenv MEGATEST_READER_#{getenv MEGATEST_READER_WHICH}}\n",
    );
    assert_eq!(c.get("x", "v"), Some("libstd"));
    assert_eq!(c.get("x", "w"), Some("std"));
}

#[test]
fn expansion_happens_in_comments_and_can_make_any_line_kind() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    environ::set("MEGATEST_READER_LINE", "waiton setup");
    environ::set("MEGATEST_READER_HDR", "[made]");
    let text = format!(
        "# #{{system touch {}}}\n#{{getenv MEGATEST_READER_HDR}}\n#{{getenv MEGATEST_READER_LINE}}\n#{{getenv MEGATEST_READER_NOPE}}\n",
        marker.display()
    );
    let c = read_str(&dir.path().join("t.config"), &text, &opts(dir.path())).unwrap();
    assert!(marker.exists(), "the #{{system}} in a comment ran");
    assert_eq!(c.get("made", "waiton"), Some("setup"));
    assert_eq!(c.section("made").unwrap().entries.len(), 1);
}

#[test]
fn helpers_shell_system_rp_mtrah_rget() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(dir.path());
    o.toppath = Some(dir.path().to_path_buf());
    o.target = Some("a/b".into());
    let text = "[default]\nV dv\nU du\n[a/b]\nV tv\n[x]\nsh #{shell printf 'l1\\nl2\\n'}\nsh2 #{sh false}\nsys #{system exit 4}\nrp #{rp sub/../here}\ntop #{mtrah}\nsub #{mtrah tests}\nr1 #{rget V}\nr2 #{runconfigs-get U}\nr3 #{rget NOPE}\nitems [system echo a; echo b]\nlit #{mtrah}x\n";
    let c = read_str(&dir.path().join("t.config"), text, &o).unwrap();
    let top = dir.path().display().to_string();
    assert_eq!(c.get("x", "sh"), Some("l1 l2"));
    assert_eq!(
        c.get("x", "sh2"),
        Some(" "),
        "a failing shell gives an empty string, leaving the key valueless"
    );
    assert_eq!(c.get("x", "sys"), Some("4"));
    assert_eq!(c.get("x", "rp"), Some(format!("{top}/here").as_str()));
    assert_eq!(c.get("x", "top"), Some(top.as_str()));
    assert_eq!(c.get("x", "sub"), Some(format!("{top}/tests").as_str()));
    assert_eq!(c.get("x", "r1"), Some("tv"));
    assert_eq!(c.get("x", "r2"), Some("du"));
    assert_eq!(c.get("x", "r3"), Some("#f"));
    assert_eq!(c.get("x", "items"), Some("a b"));
    assert_eq!(c.get("x", "lit"), Some(format!("{top}x").as_str()));
}

#[test]
fn scheme_forms() {
    let c = read(
        "[s]\na #{scheme (+ 5 6 7)}\nb #{scm (conc \"x\" (getenv \"MEGATEST_READER_NOPE\"))}\nc #{scheme (configf:lookup ht \"s\" \"a\")}\n",
    );
    assert_eq!(c.get("s", "a"), Some("18"));
    assert_eq!(c.get("s", "b"), Some("x#f"));
    assert_eq!(c.get("s", "c"), Some("18"));
}

#[test]
fn system_policies() {
    let text = "[s]\na #{shell echo hi}\nb [system echo run]\nc #{getenv MEGATEST_READER_NOPE}\n";
    let mut o = opts(Path::new("/"));
    o.system = SystemPolicy::Deny;
    let c = read_str(Path::new("/v/t"), text, &o).unwrap();
    assert_eq!(c.get("s", "a"), Some("#{(shell) echo hi}"));
    assert_eq!(c.get("s", "b"), None);
    assert_eq!(c.get("s", "c"), Some("#f"));
    o.system = SystemPolicy::Raw;
    let c = read_str(Path::new("/v/t"), text, &o).unwrap();
    assert_eq!(c.get("s", "a"), Some("#{shell echo hi}"));
    assert_eq!(c.get("s", "b"), Some("echo run"));
}

#[test]
fn trim_trailing_spaces_setting() {
    let c = read(
        "[test]\nA keep  \n[configf:settings trim-trailing-spaces yes]\nVAL1 Foo    \nVAL2 ==>#{get test VAL1}Bar<==\nNOVAL   \n[configf:settings trim-trailing-spaces no]\nB keep  \n",
    );
    assert_eq!(c.get("test", "A"), Some("keep  "));
    assert_eq!(c.get("test", "VAL1"), Some("Foo"));
    assert_eq!(c.get("test", "VAL2"), Some("==>FooBar<=="));
    assert_eq!(c.get("test", "NOVAL"), Some(""));
    assert_eq!(c.get("test", "B"), Some("keep  "));
}

#[test]
fn wildcard_and_regex_sections() {
    let c = read(
        "[a/2/b]\nVAR1 VAL1\nKEEP k\n[a/%/b]\nVAR1 VAL2\n[c/1/b]\n[/(a|c)/.*/b/]\nRX yes\n[a/2/b]\nLATE late\n",
    );
    assert_eq!(c.get("a/2/b", "VAR1"), Some("VAL2"));
    assert_eq!(c.get("a/2/b", "KEEP"), Some("k"));
    assert_eq!(c.get("a/2/b", "RX"), Some("yes"));
    assert_eq!(c.get("c/1/b", "RX"), Some("yes"));
    assert_eq!(
        c.get("c/1/b", "VAR1"),
        None,
        "c/1/b did not exist when [a/%/b] ended"
    );
    let names: Vec<_> = c.section_names().collect();
    assert_eq!(names, ["a/2/b", "c/1/b"]);
}

#[test]
fn bad_regex_section_is_an_error_at_its_header() {
    let e = read_err("[x]\n[/(unclosed/]\nA b\n");
    let loc = e.location.clone().unwrap();
    assert_eq!((loc.line, loc.column), (2, 2));
    assert!(e.message.contains("not a valid pattern"));
}

#[test]
fn sections_filter_keeps_listed_and_limits_system() {
    let mut o = opts(Path::new("/"));
    o.sections = Some(vec!["default".into(), "t/1".into()]);
    let text = "[default]\nA #{shell echo d}\n[other]\nB #{shell echo o}\nC [system echo o]\n[t/%]\nW #{shell echo w}\n[t/1]\nT t\n";
    let mut c = Config::new();
    c.ensure_section("t/1");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runconfigs.config");
    fs::write(&path, text).unwrap();
    c = read_file_into(&path, c, &o, None).unwrap().unwrap();
    assert_eq!(c.get("default", "A"), Some("d"));
    assert_eq!(
        c.get("t/1", "W"),
        Some("#{(shell) echo w}"),
        "wildcard sections run no commands"
    );
    assert_eq!(c.get("t/1", "T"), Some("t"));
    assert!(!c.has_section("other"));
    let names: Vec<_> = c.section_names().collect();
    assert_eq!(names, ["t/1", "default"]);
}

#[test]
fn env_override_values_are_shell_evaluated_and_exported_at_once() {
    let mut o = opts(Path::new("/"));
    o.environ_patt = Some(Regex::new("env-override").unwrap());
    let c = read_str(
        Path::new("/v/megatest.config"),
        "[env-override]\nMEGATEST_RD_A hello  world\nMEGATEST_RD_B $MEGATEST_RD_A/x\nMEGATEST_RD_EMPTY\n[other]\nMEGATEST_RD_C $HOME\n",
        &o,
    )
    .unwrap();
    assert_eq!(c.get("env-override", "MEGATEST_RD_A"), Some("hello world"));
    assert_eq!(
        c.get("env-override", "MEGATEST_RD_B"),
        Some("hello world/x")
    );
    assert_eq!(
        environ::var("MEGATEST_RD_B").as_deref(),
        Some("hello world/x")
    );
    assert_eq!(environ::var("MEGATEST_RD_EMPTY").as_deref(), Some(""));
    assert_eq!(c.get("other", "MEGATEST_RD_C"), Some("$HOME"));
    assert_eq!(environ::var("MEGATEST_RD_C"), None);
}

#[test]
fn includes_relative_missing_and_section_restored() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("sub/deeper")).unwrap();
    fs::write(
        dir.path().join("sub/inc.config"),
        "INC yes\n[included]\nX 1\n[include deeper/more.config]\n",
    )
    .unwrap();
    fs::write(dir.path().join("sub/deeper/more.config"), "MORE 2\n").unwrap();
    let main = dir.path().join("main.config");
    fs::write(
        &main,
        "[pre]\n[include sub/inc.config]\nAFTER a\n[include missing.config]\nLAST l\n",
    )
    .unwrap();
    let c = read_file(&main, &opts(dir.path())).unwrap().unwrap();
    assert_eq!(
        c.get("pre", "INC"),
        Some("yes"),
        "an include starts in the current section"
    );
    assert_eq!(c.get("included", "X"), Some("1"));
    assert_eq!(
        c.get("included", "MORE"),
        Some("2"),
        "nested includes resolve from their own file"
    );
    assert_eq!(
        c.get("pre", "AFTER"),
        Some("a"),
        "the section is restored after the include"
    );
    assert_eq!(
        c.get("pre", "LAST"),
        Some("l"),
        "a missing include is skipped"
    );
    assert_eq!(
        c.entry("included", "MORE")
            .unwrap()
            .origin
            .file
            .file_name()
            .unwrap(),
        "more.config"
    );
}

#[test]
fn include_cycle_names_both_files() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.config"), "[include b.config]\n").unwrap();
    fs::write(dir.path().join("b.config"), "x 1\n[include a.config]\n").unwrap();
    let e = read_file(&dir.path().join("a.config"), &opts(dir.path())).unwrap_err();
    assert!(e.message.contains("include cycle"), "{}", e.message);
    assert!(
        e.message.contains("b.config") && e.message.contains("a.config"),
        "{}",
        e.message
    );
    let loc = e.location.clone().unwrap();
    assert!(loc.file.ends_with("b.config") && loc.line == 2);
}

#[test]
fn include_of_a_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("d")).unwrap();
    fs::write(dir.path().join("a.config"), "x 1\n[include d]\n").unwrap();
    let e = read_file(&dir.path().join("a.config"), &opts(dir.path())).unwrap_err();
    assert!(e.message.contains("is a directory"));
    assert_eq!(e.location.clone().unwrap().line, 2);
}

#[test]
fn scriptinc_output_is_read_in_the_current_section() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("gen.sh");
    fs::write(
        &script,
        "#!/bin/sh\necho \"G $1\"\necho '[gensec]'\necho 'H h'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let text = "[s]\n[scriptinc ./gen.sh arg1]\nAFTER a\n[scriptinc ./absent.sh]\n";
    let c = read_str(&dir.path().join("t.config"), text, &opts(dir.path())).unwrap();
    assert_eq!(c.get("s", "G"), Some("arg1"));
    assert_eq!(c.get("gensec", "H"), Some("h"));
    assert_eq!(c.get("s", "AFTER"), Some("a"));
}

#[test]
fn section_hook_sees_the_section_being_left() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("megatest.config");
    fs::write(
        &path,
        "[fields]\nsysname TEXT\nfsname TEXT\n[setup]\nx #{getenv MEGATEST_READER_HOOKED}\n",
    )
    .unwrap();
    let mut left = Vec::new();
    let mut hook = |name: &str, c: &Config| {
        left.push(name.to_string());
        if name == "fields" {
            assert_eq!(c.section("fields").unwrap().entries.len(), 2);
            environ::set("MEGATEST_READER_HOOKED", "yes");
        }
        Ok(())
    };
    let c = read_file_into(&path, Config::new(), &opts(dir.path()), Some(&mut hook))
        .unwrap()
        .unwrap();
    assert_eq!(left, ["default", "fields"]);
    assert_eq!(c.get("setup", "x"), Some("yes"));
}

#[test]
fn malformed_lines_are_errors_with_locations() {
    let e = read_err("[a]\n[broken\n");
    assert_eq!(e.message, "malformed section header");
    assert_eq!(e.location.as_ref().unwrap().line, 2);
    let e = read_err("[a] # comment\n");
    assert!(e.notes[0].contains("inline comments"));
    let e = read_err("x [system echo\n");
    assert!(e.message.contains("[system"));
    let e = read_err("ok 1\nv #{shell echo x\n");
    let loc = e.location.clone().unwrap();
    assert_eq!((loc.line, loc.column), (2, 3));
    let e = read_err("v #{scheme (+ 1 \"a\")}\n");
    assert!(
        e.message.starts_with("Scheme error in `#{scheme ...}`"),
        "{}",
        e.message
    );
    assert_eq!(e.location.clone().unwrap().line, 1);
}

#[test]
fn errors_after_a_join_point_at_the_physical_line() {
    let e = read_err("x first\\\n  #{nope y}\n");
    let loc = e.location.clone().unwrap();
    assert_eq!(
        (loc.line, loc.column, loc.text.as_str()),
        (2, 3, "  #{nope y}")
    );
}

#[test]
fn results_fill_values_but_never_run_or_direct() {
    let dir = tempfile::tempdir().unwrap();
    let pwned = dir.path().join("PWN");
    environ::set(
        "MEGATEST_READER_DATA",
        &format!("[system touch {}]", pwned.display()),
    );
    environ::set(
        "MEGATEST_READER_FORM",
        &format!("#{{shell touch {}}}", pwned.display()),
    );
    let text = "[x]\nV #{getenv MEGATEST_READER_DATA}\nW #{getenv MEGATEST_READER_FORM}\n";
    let c = read_str(&dir.path().join("t.config"), text, &opts(dir.path())).unwrap();
    assert!(c.get("x", "V").unwrap().starts_with("[system touch"));
    assert!(c.get("x", "W").unwrap().starts_with("#{shell touch"));
    environ::set(
        "MEGATEST_READER_LINE_SYS",
        &format!("k [system touch {}]", pwned.display()),
    );
    let e = read_str(
        &dir.path().join("t.config"),
        "[x]\n#{getenv MEGATEST_READER_LINE_SYS}\n",
        &opts(dir.path()),
    )
    .unwrap_err();
    assert!(e.message.contains("cannot run commands"), "{e}");
    assert!(!pwned.exists(), "data was run as a command");
}

#[test]
fn looked_up_values_reach_the_shell_as_their_author_wrote_them() {
    let dir = tempfile::tempdir().unwrap();
    environ::set("MEGATEST_READER_SUBST", "$(echo x)");
    let text = "[default]\nBASE /tmp/$USER\nOUT #{rget BASE}/out\nDATA #{getenv MEGATEST_READER_SUBST}\nBOTH #{get default DATA}:$USER\n";
    let mut o = opts(dir.path());
    o.target = Some("a/b".into());
    let c = read_str(&dir.path().join("runconfigs.config"), text, &o).unwrap();
    let shell = |key: &str| {
        c.shell_pairs("default")
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .unwrap()
    };
    // The author's `$USER` still expands through rget; data stays text through get.
    assert_eq!(shell("OUT"), "/tmp/$USER/out");
    assert_eq!(shell("DATA"), "'$(echo x)'");
    assert_eq!(shell("BOTH"), "'$(echo x)':$USER");
}
