//! The test builder: an area written into a temp dir, the real `megatest` binary run in it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A Megatest area in a temporary directory.
pub(crate) struct Area {
    dir: tempfile::TempDir,
}

/// What a run of the binary produced.
#[derive(Debug)]
pub(crate) struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Area {
    /// An empty directory.
    pub(crate) fn new() -> Self {
        Area {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// Writes a file (parent directories created); text is unindented first.
    pub(crate) fn file(self, path: &str, text: &str) -> Self {
        let full = self.dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, unindent(text)).unwrap();
        self
    }

    /// The area's directory.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A command running megatest in the area with a clean Megatest environment.
    pub(crate) fn megatest(&self, args: &[&str]) -> Run {
        Run::new(
            env!("CARGO_BIN_EXE_megatest"),
            self.dir.path().to_path_buf(),
            args,
        )
    }

    /// A command running the `utah` client in the area, environment as for megatest.
    pub(crate) fn utah(&self, args: &[&str]) -> Run {
        Run::new(
            env!("CARGO_BIN_EXE_utah"),
            self.dir.path().to_path_buf(),
            args,
        )
    }
}

/// A megatest invocation being prepared.
pub(crate) struct Run {
    command: Command,
    cwd: PathBuf,
}

impl Run {
    fn new(program: &str, cwd: PathBuf, args: &[&str]) -> Self {
        let mut command = Command::new(program);
        command.args(args).current_dir(&cwd).stdin(Stdio::null());
        for (name, _) in std::env::vars() {
            if name.starts_with("MT_") {
                command.env_remove(name);
            }
        }
        Run { command, cwd }
    }

    /// Runs in a subdirectory of the area.
    pub(crate) fn in_dir(mut self, sub: &str) -> Self {
        self.command.current_dir(self.cwd.join(sub));
        self
    }

    /// Sets an environment variable.
    pub(crate) fn env(mut self, name: &str, value: &str) -> Self {
        self.command.env(name, value);
        self
    }

    /// Starts it in the background, its output thrown away.
    pub(crate) fn spawn(mut self) -> std::process::Child {
        self.command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("megatest starts")
    }

    /// Starts it in the background, its output captured for `wait_with_output`.
    pub(crate) fn spawn_with_output(mut self) -> std::process::Child {
        self.command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("megatest starts")
    }

    /// Runs it.
    pub(crate) fn run(mut self) -> Output {
        let out = self.command.output().expect("megatest runs");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Output {
    /// Asserts exit code 0 and returns stdout.
    #[track_caller]
    pub(crate) fn success(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "exit code; stderr:\n{}\nstdout:\n{}",
            self.stderr, self.stdout
        );
        &self.stdout
    }

    /// Asserts exit code 0 and returns stderr.
    #[track_caller]
    pub(crate) fn success_stderr(&self) -> &str {
        self.success();
        &self.stderr
    }

    /// Asserts the exit code and returns stderr.
    #[track_caller]
    pub(crate) fn failure(&self, code: i32) -> &str {
        assert_eq!(
            self.code, code,
            "exit code; stderr:\n{}\nstdout:\n{}",
            self.stderr, self.stdout
        );
        &self.stderr
    }
}

/// Removes the common leading indentation and a leading newline, so tests can indent text.
pub(crate) fn unindent(text: &str) -> String {
    let text = text.strip_prefix('\n').unwrap_or(text);
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out: String = text
        .lines()
        .map(|l| {
            if l.len() >= indent {
                &l[indent..]
            } else {
                l.trim_start()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// The area every test starts from: two keys, a runconfigs file with exact, wildcard and
/// regex target sections.
pub(crate) fn basic_area() -> Area {
    Area::new()
        .file(
            "megatest.config",
            "
            [fields]
            sysname TEXT
            fsname TEXT

            [setup]
            max_concurrent_jobs 4
            linktree #{getenv MT_RUN_AREA_HOME}/links

            [disks]
            disk0 /tmp/disk0
            ",
        )
        .file(
            "runconfigs.config",
            "
            [default]
            ALLTESTS see this variable
            V from-default

            [ubuntu/nfs]
            V from-target

            [ubuntu/%]
            WILD wildcard

            [/(ubuntu|debian)/(nfs|afs)/]
            RX regex

            [centos/afs]
            V centos
            ",
        )
}

/// An area with one target key (`platform`), `max_jobs` tests at a time, and a runconfigs
/// file with one default value: add `tests/NAME/testconfig` files to it.
pub(crate) fn one_key_area(max_jobs: usize) -> Area {
    Area::new()
        .file(
            "megatest.config",
            &format!("[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs {max_jobs}\n"),
        )
        .file("runconfigs.config", "[default]\nX 1\n")
}

/// A random seed, or the one `variable` names (to replay a run); printed either way.
pub(crate) fn seed(variable: &str) -> u64 {
    let seed = std::env::var(variable)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("seed {seed} ({variable}={seed} replays it)");
    seed
}

/// An area with two target keys (`platform`, `variant`), for database tests.
pub(crate) fn db_area() -> Area {
    Area::new()
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\nvariant TEXT\n\n[setup]\nlinktree #{mtrah links}\n",
        )
        .file("runconfigs.config", "[default]\nX 1\n")
}

/// The area's database, opened through the library.
pub(crate) fn open_store(area: &Area) -> megatest::db::Store {
    let keys = vec![
        ("platform".to_string(), "TEXT".to_string()),
        ("variant".to_string(), "TEXT".to_string()),
    ];
    megatest::db::Store::open_at(&area.path().join("megatest.db"), &keys)
        .expect("the database opens")
}

/// A target for [`db_area`].
pub(crate) fn target(text: &str) -> megatest::area::Target {
    let keys = vec!["platform".to_string(), "variant".to_string()];
    megatest::area::Target::parse(text, &keys, "test").expect("a valid target")
}

/// The `MT_CMDINFO` of a test, for running in-test helpers.
pub(crate) fn cmdinfo(
    area: &Area,
    run_id: megatest::model::RunId,
    test_id: megatest::model::TestId,
    test: &str,
    item: &str,
    work_area: &std::path::Path,
) -> String {
    megatest::launch::job::Job {
        toppath: area.path().to_path_buf(),
        run_id,
        test_id,
        test_name: test.to_string(),
        item_path: item.to_string(),
        work_area: work_area.to_path_buf(),
        ..megatest::launch::job::Job::default()
    }
    .encode()
}

impl Run {
    /// Feeds `text` on stdin.
    pub(crate) fn stdin(mut self, text: &str) -> Self {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
        let reader = file.reopen().unwrap();
        self.command.stdin(Stdio::from(reader));
        self
    }
}
