//! What one invocation works with: the parsed arguments, and the area and its database, each
//! read once when a command first needs it.

use super::args::Args;
use crate::area::{Area, AreaOptions, Target};
use crate::db::{RunRecord, Store, TestFilter};
use crate::environ;
use crate::error::exit_code;
use crate::error::{Error, ErrorKind, Result};
use crate::select::{RunSelector, TestPatterns, list_filter};

/// One invocation's state.
pub(super) struct Session {
    /// The command line.
    pub args: Args,
    area: Option<Area>,
    store: Option<Store>,
    /// The exit code commands asked for (e.g. `-runstep` passes its step's status on).
    pub exit_code: i32,
}

/// The job of the test this process runs inside, when that test runs on another host than
/// the database's and `area` is its area (a command on another area is on its own).
fn test_away_from_database(area: &Area) -> Option<crate::launch::job::Job> {
    let job = crate::launch::job::Job::from_env("").ok()?;
    let home = job.homehost.as_deref()?;
    let same = crate::sys::same_file;
    let ours = same(&crate::db::db_path(area), &job.db_path) || same(&area.top, &job.toppath);
    (ours && !crate::sys::same_host(home, &crate::sys::host_name())).then_some(job)
}

/// The rmt procedures of a command inside such a test: through the server, or an error
/// saying why there is none.
fn install_remote_api(area: &Area, job: &crate::launch::job::Job) {
    let remote: Box<dyn crate::api::RemoteApi> = match crate::recorder::RemoteServer::for_job(job) {
        Ok(Some(server)) => Box::new(crate::recorder::ServerApi::new(
            server,
            job.db_path.clone(),
            job.keys.clone(),
        )),
        Ok(None) => return crate::api::install(area),
        Err(e) => Box::new(NoServer(e.message.clone())),
    };
    crate::api::install_remote(&area.top, &job.db_path, remote);
}

/// The rmt procedures where no server can be reached: each call says why.
struct NoServer(String);

impl crate::api::RemoteApi for NoServer {
    fn call(
        &self,
        _: &str,
        _: &[crate::api::Value],
    ) -> Result<(crate::api::Value, Vec<crate::db::StatusChange>)> {
        Err(Error::new(self.0.clone()))
    }

    fn record_dir(&self, _: crate::model::TestId) -> Option<(String, i64)> {
        None
    }
}

impl Session {
    /// A session for these arguments.
    pub(super) fn new(args: Args) -> Self {
        Session {
            args,
            area: None,
            store: None,
            exit_code: exit_code::SUCCESS,
        }
    }

    /// The target as given: (text, where from), from -reqtarg, -target or `$MT_TARGET`.
    pub(super) fn target_text(&self) -> Option<(String, &'static str)> {
        if let Some(t) = self.args.value("-reqtarg") {
            return Some((t.to_string(), "-reqtarg"));
        }
        if let Some(t) = self.args.value("-target") {
            return Some((t.to_string(), "-target"));
        }
        environ::var("MT_TARGET")
            .filter(|t| !t.is_empty())
            .map(|t| (t, "MT_TARGET"))
    }

    /// The run name: `-runname`, `:runname` or `$MT_RUNNAME`.
    pub(super) fn runname(&self) -> Option<String> {
        self.args
            .value("-runname")
            .map(str::to_string)
            .or_else(|| environ::var("MT_RUNNAME").filter(|r| !r.is_empty()))
    }

    /// The area, read on first use.
    pub(super) fn area(&mut self) -> Result<&Area> {
        if self.area.is_none() {
            let opts = AreaOptions {
                config_file: self.args.value("-config").map(str::to_string),
                append_config: self.args.value("-append-config").map(str::to_string),
                target: self.target_text().map(|(t, _)| t),
            };
            let area = Area::load(&opts)?;
            // Scheme in configs and triggers reaches this area through the rmt procedures:
            // inside a test away from the database's host, through the server.
            match test_away_from_database(&area) {
                None => crate::api::install(&area),
                Some(job) => install_remote_api(&area, &job),
            }
            self.area = Some(area);
        }
        Ok(self.area.as_ref().expect("loaded above"))
    }

    /// The area's database, opened on first use; never from inside a test on another host
    /// than the database's.
    pub(super) fn store(&mut self) -> Result<&Store> {
        if self.store.is_none() {
            if let Some(job) = test_away_from_database(self.area()?) {
                return Err(Error::new(format!(
                    "this command runs inside test {} on {}, not on the database's host {}: it does not open megatest.db over the network",
                    job.test_name,
                    crate::sys::host_name(),
                    job.homehost.unwrap_or_default()
                ))
                .note("inside a test the helpers (-step, -test-status, -set-values, ...) and Scheme's rmt procedures record through the server"));
            }
            let store = Store::open(self.area()?)?;
            self.store = Some(store);
        }
        Ok(self.store.as_ref().expect("opened above"))
    }

    /// The database at `db_path` (a running test's, from its job), opened on first use
    /// without reading the area.
    pub(super) fn store_at(
        &mut self,
        db_path: &std::path::Path,
        keys: &[(String, String)],
    ) -> Result<&Store> {
        if self.store.is_none() {
            self.store = Some(Store::open_for_test(db_path, keys)?);
        }
        Ok(self.store.as_ref().expect("opened above"))
    }

    /// The area and its database together.
    pub(super) fn area_and_store(&mut self) -> Result<(&Area, &Store)> {
        self.store()?;
        Ok((
            self.area.as_ref().expect("loaded"),
            self.store.as_ref().expect("opened"),
        ))
    }

    /// The validated target, if one was given.
    pub(super) fn target(&mut self) -> Result<Option<Target>> {
        let Some((text, from)) = self.target_text() else {
            return Ok(None);
        };
        self.area()?.target(&text, from).map(Some)
    }

    /// `-reqtarg T` requires a runconfigs.config section named exactly T.
    pub(super) fn check_reqtarg(&mut self, target: &Target) -> Result<()> {
        let Some(name) = self.args.value("-reqtarg").map(str::to_string) else {
            return Ok(());
        };
        let area = self.area()?;
        if !area.runconfigs_all(Some(target))?.has_section(&name) {
            return Err(Error::new(format!(
                "[{name}] not found in {}",
                area.runconfigs_path().display()
            ))
            .note("-reqtarg needs a section named exactly as the target"));
        }
        Ok(())
    }

    /// Target pattern, run-name pattern and test patterns that `what` requires (Megatest
    /// exits 3 without them).
    pub(super) fn required_selectors(
        &mut self,
        what: &str,
        need_testpatt: bool,
    ) -> Result<(RunSelector, Option<TestPatterns>)> {
        let missing =
            |thing: &str| Error::of(ErrorKind::MissingSelector, format!("{what} needs {thing}"));
        let Some((target, from)) = self.target_text() else {
            return Err(missing("a target: -target PATTERN (e.g. -target %/%)"));
        };
        let Some(runname) = self.runname() else {
            return Err(missing("a run name: -runname PATTERN"));
        };
        let patterns = match self.args.value("-testpatt") {
            Some(p) => Some(TestPatterns::parse(p)?),
            None if need_testpatt => {
                return Err(missing("a test pattern: -testpatt PATTERN (% for all)"));
            }
            None => None,
        };
        self.check_target_pattern(&target, from)?;
        Ok((RunSelector::new(Some(&target), Some(&runname)), patterns))
    }

    /// Checks a target pattern against the area's keys.
    pub(super) fn check_target_pattern(&mut self, text: &str, from: &str) -> Result<()> {
        let keys = self.area()?.keys.clone();
        crate::area::check_target_pattern(text, &keys, from)
    }

    /// The runs and tests a command operating on tests (`-remove-runs`,
    /// `-set-state-status`) selects: target, run name and test patterns are required, the
    /// `-state`/`-status` filters optional.
    pub(super) fn test_selection(&mut self, what: &str) -> Result<(RunSelector, TestFilter)> {
        let (runs, patterns) = self.required_selectors(what, true)?;
        let (states, statuses) = self.state_status_filters();
        Ok((
            runs,
            TestFilter {
                patterns,
                states,
                statuses,
                ..TestFilter::default()
            },
        ))
    }

    /// The selected runs that are not locked; locked ones are named in a warning saying that
    /// they were `left` as they are.
    pub(super) fn unlocked_runs(
        &mut self,
        selector: &RunSelector,
        left: &str,
    ) -> Result<Vec<RunRecord>> {
        let mut runs = self.store()?.runs(selector)?;
        runs.retain(|run| {
            let locked = run.state() == "locked";
            if locked {
                crate::warn!("run {}/{} is locked; {left}", run.target(), run.runname());
            }
            !locked
        });
        Ok(runs)
    }

    /// `-state`/`:state` and `-status`/`:status` lists.
    pub(super) fn state_status_filters(&self) -> (Option<Vec<String>>, Option<Vec<String>>) {
        (
            list_filter(self.args.value("-state")),
            list_filter(self.args.value("-status")),
        )
    }
}
