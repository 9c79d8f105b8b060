//! `-show-config`: exact values of every form, and the dump modes.

use crate::harness::Area;

fn forms_area() -> Area {
    Area::new()
        .file(
            "megatest.config",
            r#"
            [fields]
            sysname TEXT
            fsname TEXT

            [configf:settings trim-trailing-spaces yes]
            [test]
            VAL1 Foo    
            VAL2 ==>#{get test VAL1}Bar<==
            [configf:settings trim-trailing-spaces no]

            [forms]
            plain a value with  two  spaces
            empty
            get #{get test VAL1}
            g #{g forms plain}
            getenv #{getenv MEGATEST_IT_VAR}
            gv #{gv MEGATEST_IT_UNSET}
            shell #{shell printf 'one\ntwo\n'}
            sh #{sh echo  spaced   out}
            system #{system exit 3}
            rp #{rp sub/../dir}
            mtrah #{mtrah tests}
            scheme #{scheme (+ 5 6 7)}
            scm #{scm (string-intersperse (list "x" "y") "-")}
            key #{getenv sysname}/#{getenv fsname}
            nested #{get #{getenv MEGATEST_IT_SECTION} plain}
            cmd [system echo a; echo b]
            multi first line
              second line
                indented third
            joined part one \
            and part two
            noinline /a/b # not a comment

            [env-override]
            MEGATEST_IT_EXPORTED $MEGATEST_IT_VAR-exported
            MEGATEST_IT_NOVAL

            [after]
            sees #{getenv MEGATEST_IT_EXPORTED}
            sees_empty x#{getenv MEGATEST_IT_NOVAL}x

            [include more/extra.config]

            [wild-a]
            [wild-b]
            [wild-%]
            W applied
            "#,
        )
        .file("more/extra.config", "[extra]\nfrom included file\n")
}

fn value(area: &Area, section: &str, var: &str) -> String {
    let out = area
        .megatest(&[
            "-show-config",
            "-target",
            "ubuntu/nfs",
            "-section",
            section,
            "-var",
            var,
        ])
        .env("MEGATEST_IT_VAR", "hello")
        .env("MEGATEST_IT_SECTION", "forms")
        .run();
    let text = out.success();
    text.strip_suffix('\n').unwrap_or(text).to_string()
}

#[test]
fn every_form_prints_its_exact_value() {
    let area = forms_area();
    let top = area.path().canonicalize().unwrap().display().to_string();
    let cases = [
        ("test", "VAL1", "Foo".to_string()),
        ("test", "VAL2", "==>FooBar<==".to_string()),
        ("forms", "plain", "a value with  two  spaces".to_string()),
        ("forms", "empty", String::new()),
        ("forms", "get", "Foo".to_string()),
        ("forms", "g", "a value with  two  spaces".to_string()),
        ("forms", "getenv", "hello".to_string()),
        ("forms", "gv", "#f".to_string()),
        ("forms", "shell", "one two".to_string()),
        ("forms", "sh", "spaced out".to_string()),
        ("forms", "system", "3".to_string()),
        ("forms", "rp", format!("{top}/dir")),
        ("forms", "mtrah", format!("{top}/tests")),
        ("forms", "scheme", "18".to_string()),
        ("forms", "scm", "x-y".to_string()),
        ("forms", "key", "ubuntu/nfs".to_string()),
        ("forms", "nested", "a value with  two  spaces".to_string()),
        ("forms", "cmd", "a b".to_string()),
        (
            "forms",
            "multi",
            "first line\nsecond line\n  indented third".to_string(),
        ),
        ("forms", "joined", "part one and part two".to_string()),
        ("forms", "noinline", "/a/b # not a comment".to_string()),
        (
            "env-override",
            "MEGATEST_IT_EXPORTED",
            "hello-exported".to_string(),
        ),
        ("after", "sees", "hello-exported".to_string()),
        ("after", "sees_empty", "xx".to_string()),
        ("extra", "from", "included file".to_string()),
        ("wild-a", "W", "applied".to_string()),
        ("wild-b", "W", "applied".to_string()),
    ];
    for (section, var, expected) in cases {
        assert_eq!(value(&area, section, var), expected, "[{section}] {var}");
    }
}

#[test]
fn missing_value_prints_nothing() {
    let area = forms_area();
    let out = area
        .megatest(&["-show-config", "-section", "forms", "-var", "nope"])
        .run();
    assert_eq!(out.success(), "");
}

#[test]
fn json_dump_is_valid_with_sections_as_objects() {
    let area = forms_area();
    let out = area
        .megatest(&["-show-config", "-dumpmode", "json"])
        .env("MEGATEST_IT_VAR", "hello")
        .run();
    let json: serde_json::Value = serde_json::from_str(out.success()).expect("valid JSON");
    let object = json.as_object().unwrap();
    assert!(
        object.values().all(|s| s.is_object()),
        "sections are objects"
    );
    assert!(
        object
            .values()
            .flat_map(|s| s.as_object().unwrap().values())
            .all(|v| v.is_string()),
        "values are strings"
    );
    assert_eq!(
        json["forms"]["multi"],
        "first line\nsecond line\n  indented third"
    );
    assert_eq!(json["fields"]["sysname"], "TEXT");
    assert!(
        json.get("wild-%").is_none(),
        "wildcard sections are removed"
    );
}

#[test]
fn ini_and_sexp_dumps() {
    let area = forms_area();
    let ini = area
        .megatest(&["-show-config", "-dumpmode", "ini", "-section", "fields"])
        .run();
    assert_eq!(ini.success(), "\n[fields]\nsysname TEXT\nfsname TEXT\n");
    let sexp = area.megatest(&["-show-config", "-section", "fields"]).run();
    assert_eq!(
        sexp.success(),
        "((\"fields\"\n  (\"sysname\" \"TEXT\")\n  (\"fsname\" \"TEXT\")))\n"
    );
    let traced = area
        .megatest(&[
            "-show-config",
            "-dumpmode",
            "ini",
            "-section",
            "fields",
            "-debug",
            "9",
        ])
        .run();
    assert!(
        traced.success().contains("# sysname=>"),
        "{}",
        traced.stdout
    );
    assert!(
        traced.stdout.contains("megatest.config:2\n"),
        "{}",
        traced.stdout
    );
}
