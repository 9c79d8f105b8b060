//! Every option megatest accepts: Megatest 1.65's registered options (spec §15.2) plus the
//! later ones this port adds. The single source for parsing and for `-h`.

/// The `-h` sections, in the order the spec describes them (§15.3–15.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Starting and controlling runs.
    Running,
    /// Choosing runs and tests.
    Selectors,
    /// Commands used inside a running test.
    TestHelpers,
    /// Managing recorded runs.
    RunManagement,
    /// Reading configs and results.
    Queries,
    /// Everything else.
    Utilities,
    /// Options that apply to every command.
    General,
    /// Accepted for compatibility; they do nothing in Megatest 1.65 either.
    NoEffect,
}

impl Group {
    /// Heading in `-h`.
    pub fn title(self) -> &'static str {
        match self {
            Group::Running => "Running",
            Group::Selectors => "Selectors",
            Group::TestHelpers => "Test helpers (inside a running test)",
            Group::RunManagement => "Run management",
            Group::Queries => "Queries",
            Group::Utilities => "Utilities",
            Group::General => "General",
            Group::NoEffect => "Accepted for compatibility, no effect",
        }
    }

    /// All groups, in `-h` order.
    pub const ALL: [Group; 8] = [
        Group::Running,
        Group::Selectors,
        Group::TestHelpers,
        Group::RunManagement,
        Group::Queries,
        Group::Utilities,
        Group::General,
        Group::NoEffect,
    ];
}

/// One option.
#[derive(Debug)]
pub struct OptionSpec {
    /// As Megatest spells it: `-run`, `:state`, `--modepatt`.
    pub name: &'static str,
    /// Other spellings with the same meaning.
    pub aliases: &'static [&'static str],
    /// The value's placeholder, for options that take one.
    pub value: Option<&'static str>,
    /// Where `-h` lists it.
    pub group: Group,
    /// One line of help.
    pub help: &'static str,
}

const fn sw(name: &'static str, group: Group, help: &'static str) -> OptionSpec {
    OptionSpec {
        name,
        aliases: &[],
        value: None,
        group,
        help,
    }
}

const fn val(
    name: &'static str,
    value: &'static str,
    group: Group,
    help: &'static str,
) -> OptionSpec {
    OptionSpec {
        name,
        aliases: &[],
        value: Some(value),
        group,
        help,
    }
}

impl OptionSpec {
    const fn aka(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }
}

use Group::*;

/// The table.
pub static OPTIONS: &[OptionSpec] = &[
    sw(
        "-run",
        Running,
        "run the tests selected by -testpatt for -target and -runname",
    )
    .aka(&["-runall"]),
    val(
        "-runtests",
        "PATT",
        Running,
        "deprecated: same as -run -testpatt PATT",
    ),
    val(
        "-rerun",
        "STATUS,...",
        Running,
        "re-run tests whose status is in the list",
    ),
    sw(
        "-rerun-clean",
        Running,
        "re-run tests not COMPLETED with PASS, WARN or WAIVED, cleaning them first",
    ),
    sw(
        "-rerun-all",
        Running,
        "re-run every selected test, cleaning it first",
    ),
    sw(
        "-preclean",
        Running,
        "remove a test's run directory before launching it",
    ),
    sw(
        "-force",
        Running,
        "launch tests even when they already passed",
    ),
    sw(
        "-run-wait",
        Running,
        "wait until the selected tests are finished",
    ),
    val(
        "-setvars",
        "VAR=val,...",
        Running,
        "extra environment variables for the tests",
    ),
    val(
        "-m",
        "COMMENT",
        Running,
        "comment for -set-run-status, -step, -runstep, -test-status",
    ),
    val("-contour", "NAME", Running, "contour stored with the run"),
    sw(
        "-xterm",
        Running,
        "open an xterm in the test's environment instead of running it",
    ),
    sw(
        "-clean-cache",
        Running,
        "delete the cached megatest.config and runconfigs.config of a run",
    ),
    sw("-no-cache", Running, "do not use cached config files"),
    val(
        "-execute",
        "JOB",
        Running,
        "internal: run one test (used by launchers)",
    ),
    val(
        "-recover-test",
        "RUNID,TESTID",
        Running,
        "internal: wait on a test's process",
    ),
    val(
        "-target",
        "K1/K2/...",
        Selectors,
        "the target: one value per [fields] key, joined with /",
    ),
    val(
        "-reqtarg",
        "K1/K2/...",
        Selectors,
        "like -target, but it must be a section of runconfigs.config",
    ),
    val(
        "-runname",
        "NAME",
        Selectors,
        "the run name (a pattern for queries: % or * wildcards)",
    )
    .aka(&[":runname"]),
    val(
        "-testpatt",
        "PATT,...",
        Selectors,
        "test patterns: test[/item], % wildcard, ~ negates",
    ),
    val(
        "--modepatt",
        "KEY",
        Selectors,
        "take the test pattern from runconfigs key KEY",
    ),
    val(
        "-tagexpr",
        "TAG,...",
        Selectors,
        "select tests with a tag matching one of the patterns",
    ),
    val(
        "-itempatt",
        "PATT",
        Selectors,
        "deprecated: appended to -testpatt as testpatt/PATT",
    ),
    val(
        "-state",
        "STATE,...",
        Selectors,
        "only tests (or steps) in these states",
    )
    .aka(&[":state"]),
    val(
        "-status",
        "STATUS,...",
        Selectors,
        "only tests (or steps) with these statuses",
    )
    .aka(&[":status"]),
    val(
        "-step",
        "NAME",
        TestHelpers,
        "record a step (with :state and :status)",
    ),
    val(
        "-runstep",
        "NAME",
        TestHelpers,
        "run the rest of the command line as step NAME",
    ),
    val(
        "-logpro",
        "RULES",
        TestHelpers,
        "with -runstep: check the step's log with logpro",
    ),
    sw(
        "-test-status",
        TestHelpers,
        "set this test's state and status (:state, :status)",
    ),
    val(
        "-setlog",
        "FILE",
        TestHelpers,
        "set this test's log file (relative to the test directory)",
    ),
    val(
        "-set-toplog",
        "FILE",
        TestHelpers,
        "set the log file of this test's toplevel record",
    ),
    sw(
        "-summarize-items",
        TestHelpers,
        "write the summary page of this itemized test",
    ),
    sw(
        "-set-values",
        TestHelpers,
        "record a value (:value :expected :tol ...) in test_data",
    ),
    sw(
        "-load-test-data",
        TestHelpers,
        "read test_data rows as CSV from stdin",
    ),
    val(":category", "CAT", TestHelpers, "category of a value"),
    val(":variable", "VAR", TestHelpers, "name of a value"),
    val(":value", "VALUE", TestHelpers, "measured value"),
    val(":expected", "VALUE", TestHelpers, "expected value"),
    val(
        ":tol",
        "TOL",
        TestHelpers,
        "tolerance: a number, or <, >, <=, >=",
    ),
    val(":units", "UNITS", TestHelpers, "units of a value"),
    sw(
        "-remove-runs",
        RunManagement,
        "remove the selected runs' tests (needs -target, -runname, -testpatt)",
    ),
    sw(
        "-keep-records",
        RunManagement,
        "with -remove-runs: keep the records, remove only the files",
    ),
    val(
        "-remove-keep",
        "N",
        RunManagement,
        "per target (-target, -runname), list the runs beyond the newest N; -actions says what to do with them",
    ),
    val(
        "-actions",
        "LIST",
        RunManagement,
        "with -remove-keep: print (the default), remove-runs",
    ),
    val(
        "-precmd",
        "CMD",
        RunManagement,
        "with -remove-keep: put CMD before each -remove-runs it starts (e.g. nbfake)",
    ),
    val(
        "-age",
        "AGE",
        RunManagement,
        "with -remove-keep: leave runs younger than AGE alone (e.g. 30d)",
    ),
    sw(
        "-kill-run",
        RunManagement,
        "stop the selected runs: interrupt their runner (on this host) and set KILLREQ on their running tests",
    ),
    val(
        "-set-state-status",
        "STATE,STATUS",
        RunManagement,
        "set state and status of the selected tests",
    ),
    val(
        "-set-run-status",
        "STATUS",
        RunManagement,
        "set the status of the run",
    ),
    sw(
        "-get-run-status",
        RunManagement,
        "print the status of the run",
    ),
    sw(
        "-lock",
        RunManagement,
        "lock the selected runs against removal",
    ),
    sw("-unlock", RunManagement, "unlock the selected runs"),
    val(
        "-archive",
        "CMD",
        RunManagement,
        "archive the selected runs: save, save-remove, keep-html, restore",
    ),
    sw(
        "-cleanup-db",
        RunManagement,
        "remove orphan and deleted records, vacuum the database",
    ),
    sw(
        "-rebuild-db",
        RunManagement,
        "bring the database schema up to date",
    ),
    sw(
        "-mark-incompletes",
        RunManagement,
        "find and mark dead tests",
    ),
    sw(
        "-update-meta",
        RunManagement,
        "refresh test_meta from every testconfig",
    ),
    sw(
        "-import-megatest.db",
        RunManagement,
        "Megatest's /tmp working copy: not needed here",
    ),
    sw(
        "-sync-to-megatest.db",
        RunManagement,
        "Megatest's /tmp working copy: not needed here",
    ),
    val(
        "-server",
        "HOST|-",
        RunManagement,
        "start a database server",
    ),
    val("-transport", "http", RunManagement, "server transport"),
    sw("-list-servers", RunManagement, "list the database servers"),
    sw("-kill-servers", RunManagement, "stop the database servers"),
    val(
        "-ping",
        "RUNID|HOST:PORT",
        RunManagement,
        "exit 0 if the server answers",
    ),
    val(
        "-list-runs",
        "RUNPATT",
        Queries,
        "list runs matching the pattern, with their tests",
    ),
    val(
        "-fields",
        "SPEC",
        Queries,
        "fields for -list-runs: runs:f1,f2+tests:f3+steps",
    ),
    val(
        "-sort",
        "FIELD",
        Queries,
        "with -list-runs: sort tests by FIELD",
    ),
    sw(
        "-list-db-targets",
        Queries,
        "list the targets recorded in the database",
    ),
    sw(
        "-list-targets",
        Queries,
        "list the sections of runconfigs.config (filtered by -target)",
    ),
    sw("-show-keys", Queries, "print the [fields] keys").aka(&["-showkeys"]),
    sw(
        "-show-config",
        Queries,
        "print megatest.config after processing",
    ),
    sw(
        "-show-runconfig",
        Queries,
        "print runconfigs.config for the target",
    ),
    val(
        "-section",
        "NAME",
        Queries,
        "with -show-config/-show-runconfig: only this section",
    ),
    val(
        "-var",
        "NAME",
        Queries,
        "with -section: print only this variable's value",
    ),
    val(
        "-dumpmode",
        "MODE",
        Queries,
        "output format: ini, json or sexp (csh, bash for -envdelta; junit for -list-runs)",
    ),
    sw("-show-cmdinfo", Queries, "decode $MT_CMDINFO"),
    sw(
        "-list-disks",
        Queries,
        "print the [disks] of megatest.config",
    ),
    sw(
        "-test-paths",
        Queries,
        "print the run directories of the selected tests",
    ),
    val(
        "-test-files",
        "GLOB",
        Queries,
        "print the files matching GLOB in the selected tests",
    ),
    val(
        "-extract-ods",
        "FILE",
        Queries,
        "write a spreadsheet of the runs",
    ),
    val(
        "-pathmod",
        "PATH",
        Queries,
        "with -extract-ods: path prefix for links",
    ),
    val(
        "-o",
        "FILE",
        Queries,
        "output file for -refdb2dat, -envdelta, -extract-ods and -utah",
    ),
    sw(
        "-diff-rep",
        Queries,
        "report the differences between two runs",
    ),
    val(
        "-src-target",
        "TARGET",
        Queries,
        "with -diff-rep: the first run's target",
    ),
    val(
        "-src-runname",
        "NAME",
        Queries,
        "with -diff-rep: the first run's name",
    ),
    val(
        "-diff-email",
        "ADDRS",
        Queries,
        "with -diff-rep: mail the report",
    ),
    val(
        "-diff-html",
        "FILE",
        Queries,
        "with -diff-rep: write the report as HTML",
    ),
    sw(
        "-generate-html",
        Queries,
        "write HTML pages of the runs into the link tree",
    ),
    val(
        "-env2file",
        "NAME",
        Utilities,
        "write the environment to NAME.sh and NAME.csh",
    ),
    val(
        "-envcap",
        "CONTEXT",
        Utilities,
        "store the environment under CONTEXT in envdat.db",
    ),
    val(
        "-envdelta",
        "A-B",
        Utilities,
        "print the environment changes from context A to B",
    ),
    val(
        "-refdb2dat",
        "DIR",
        Utilities,
        "convert a refdb to -dumpmode format",
    ),
    sw(
        "-create-megatest-area",
        Utilities,
        "create a skeleton area (asks questions)",
    ),
    val(
        "-create-test",
        "NAME",
        Utilities,
        "create a skeleton test (asks questions)",
    ),
    sw(
        "-dashboard",
        Utilities,
        "serve the web dashboard of this area and print its address (-port, -bind, -rows)",
    ),
    val(
        "-port",
        "N",
        Utilities,
        "with -dashboard: the port (default: a free one)",
    ),
    val(
        "-bind",
        "ADDR",
        Utilities,
        "with -dashboard: the address to listen on (default 127.0.0.1)",
    ),
    val(
        "-rows",
        "N",
        Utilities,
        "with -dashboard: runs per page of the Runs view (default 10)",
    ),
    val(
        "-cols",
        "N",
        Utilities,
        "with -dashboard: the same as -rows",
    ),
    val(
        "-utah",
        "RUNLIST",
        Utilities,
        "run a UTAH runlist as a run of this area (with -target, -runname, -o FILE)",
    ),
    sw("-repl", Utilities, "start a Scheme REPL in the area"),
    val(
        "-load",
        "FILE",
        Utilities,
        "load and run a Scheme file in the area",
    ),
    sw("-manual", Utilities, "open the Megatest manual"),
    sw("-version", Utilities, "print the version"),
    sw("-h", Utilities, "print this help").aka(&["-help", "--help"]),
    val("-start-dir", "DIR", General, "change to DIR first"),
    val(
        "-config",
        "FILE",
        General,
        "read FILE instead of megatest.config",
    ),
    val(
        "-append-config",
        "FILE",
        General,
        "read FILE after megatest.config, into the same config",
    ),
    val(
        "-debug",
        "N|N,M",
        General,
        "print debug traces up to level N (or levels N,M)",
    ),
    val(
        "-log",
        "FILE",
        General,
        "send megatest's own log output to FILE",
    ),
    sw(
        "-strict",
        General,
        "make unknown options and config forms that cannot be expanded errors, not warnings",
    ),
    sw(
        "-cache-db",
        General,
        "with -source-db: make a read-only cached copy of a database",
    ),
    sw("-use-db-cache", General, "read from cached database copies"),
    val("-source-db", "FILE", General, "database to cache"),
    val("-target-db", "FILE", General, "where to cache it"),
    val("-days", "N", NoEffect, "no effect"),
    val("-rename-run", "NAME", NoEffect, "no effect"),
    val("-to", "NAME", NoEffect, "no effect"),
    val("-since", "N", NoEffect, "no effect"),
    val("-run-id", "N", NoEffect, "no effect"),
    val("-override-timeout", "N", NoEffect, "no effect"),
    val("-prefix-target", "T", NoEffect, "no effect"),
    val("-sync-to", "DEST", NoEffect, "no effect"),
    val("-pgsync", "X", NoEffect, "no effect"),
    sw("-rollup", NoEffect, "no effect (disabled in Megatest 1.65)"),
    sw("-gui", NoEffect, "no effect"),
    sw("-daemonize", NoEffect, "no effect"),
    sw("-local", NoEffect, "no effect"),
    sw("-prepend-contour", NoEffect, "no effect"),
    sw("-convert-to-norm", NoEffect, "no effect"),
    sw("-convert-to-old", NoEffect, "no effect"),
    sw("-logging", NoEffect, "no effect"),
    sw("-v", NoEffect, "no effect"),
    sw("-q", NoEffect, "no effect"),
];

/// The option a command-line word names. Options take one dash, as in Megatest; two dashes
/// are accepted too (and `--modepatt` with one).
pub fn lookup(word: &str) -> Option<&'static OptionSpec> {
    let exact = |w: &str| {
        OPTIONS
            .iter()
            .find(|o| o.name == w || o.aliases.contains(&w))
    };
    exact(word)
        .or_else(|| {
            word.strip_prefix('-')
                .filter(|w| w.starts_with('-'))
                .and_then(exact)
        })
        .or_else(|| {
            (word.starts_with('-') && !word.starts_with("--"))
                .then(|| exact(&format!("-{word}")))
                .flatten()
        })
}

/// The known spelling closest to an unknown word, for "did you mean".
pub(super) fn closest(word: &str) -> Option<&'static str> {
    let bare = word.trim_start_matches(['-', ':']);
    OPTIONS
        .iter()
        .flat_map(|o| std::iter::once(o.name).chain(o.aliases.iter().copied()))
        .map(|name| (distance(bare, name.trim_start_matches(['-', ':'])), name))
        .filter(|(d, _)| *d <= 2 && *d < bare.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!(lookup("-run").unwrap().name, "-run");
        assert_eq!(lookup("--run").unwrap().name, "-run");
        assert_eq!(lookup("-runall").unwrap().name, "-run");
        assert_eq!(lookup(":state").unwrap().name, "-state");
        assert_eq!(lookup("-modepatt").unwrap().name, "--modepatt");
        assert_eq!(lookup("--help").unwrap().name, "-h");
        assert!(lookup("-nope").is_none());
        assert_eq!(closest("-targt"), Some("-target"));
        assert_eq!(closest("-zzzzzzzz"), None);
    }

    #[test]
    fn names_are_unique() {
        let mut all: Vec<&str> = OPTIONS
            .iter()
            .flat_map(|o| std::iter::once(o.name).chain(o.aliases.iter().copied()))
            .collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n);
    }
}
