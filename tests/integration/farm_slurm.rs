//! `[jobtools] launcher slurm` against a real single-node Slurm (started by
//! `scripts/setup.sh`): tests submitted with sbatch, their jobs recorded and followed,
//! cancelled jobs, kill requests, refused submissions, and a runner killed and started again.

use crate::harness::Area;
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Slurm must answer: the tests drive the real daemons, which `scripts/setup.sh` starts.
fn require_slurm() {
    let up = Command::new("scontrol")
        .arg("ping")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("is UP"))
        .unwrap_or(false);
    assert!(
        up,
        "Slurm is not running (scontrol ping): scripts/setup.sh starts a single-node cluster"
    );
}

/// An area whose tests go to Slurm, with these testconfigs.
fn slurm_area(tests: &[(&str, &str)]) -> Area {
    require_slurm();
    let mut area = Area::new()
        .file(
            "megatest.config",
            "[fields]\nplatform TEXT\n\n[setup]\nmax_concurrent_jobs 20\n\n[jobtools]\nlauncher slurm\n\n[slurm]\npartition debug\n",
        )
        .file("runconfigs.config", "[default]\nX 1\n");
    for (name, text) in tests {
        area = area.file(&format!("tests/{name}/testconfig"), text);
    }
    area
}

/// One record of the area's database.
#[derive(Debug, Clone)]
struct Record {
    state: String,
    status: String,
    comment: String,
    rundir: String,
    job: Option<String>,
}

/// Every record of run `runname`, by `test/item`.
fn records(area: &Area, runname: &str) -> BTreeMap<String, Record> {
    let path = area.path().join("megatest.db");
    if !path.exists() {
        return BTreeMap::new();
    }
    let db = Connection::open(path).unwrap();
    let Ok(mut stmt) = db.prepare(
        "SELECT t.testname || '/' || t.item_path, t.state, t.status, coalesce(t.comment,''),
                coalesce(t.rundir,''), j.job
         FROM tests t JOIN runs r ON r.id = t.run_id LEFT JOIN test_jobs j ON j.test_id = t.id
         WHERE r.runname = ?1",
    ) else {
        return BTreeMap::new();
    };
    stmt.query_map([runname], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Record {
                state: r.get(1)?,
                status: r.get(2)?,
                comment: r.get(3)?,
                rundir: r.get(4)?,
                job: r.get(5)?,
            },
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// Waits (at most `limit`) until `ready` holds of the run's records; returns them.
#[track_caller]
fn wait_for(
    area: &Area,
    runname: &str,
    limit: Duration,
    what: &str,
    ready: impl Fn(&BTreeMap<String, Record>) -> bool,
) -> BTreeMap<String, Record> {
    let started = Instant::now();
    loop {
        let now = records(area, runname);
        if ready(&now) {
            return now;
        }
        assert!(
            started.elapsed() < limit,
            "{what}: not within {limit:?}; records: {now:#?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether Slurm lets the job go within 10 s (its executor may still be finishing when the
/// record already says KILLED).
fn job_goes(job: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while job_is_queued(job) {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    true
}

/// Whether Slurm still has the job queued or running.
fn job_is_queued(job: &str) -> bool {
    let out = Command::new("squeue")
        .args(["-h", "-o", "%T", "-j", job])
        .output()
        .unwrap();
    !String::from_utf8_lossy(&out.stdout).trim().is_empty()
}

fn scancel(job: &str) {
    let status = Command::new("scancel").arg(job).status().unwrap();
    assert!(status.success(), "scancel {job}");
}

/// The Slurm output files in a run directory.
fn slurm_outputs(rundir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(Path::new(rundir))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("slurm-") && n.ends_with(".out"))
        .collect();
    names.sort();
    names
}

/// Stops a runner left running by a failed assertion.
struct Runner(std::process::Child);

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn every_test_goes_through_slurm_with_its_job_recorded() {
    let area = slurm_area(&[
        (
            "a",
            "[items]\nN 1 2 3\n[ezsteps]\nhello echo hello $N from $SLURM_JOB_ID\n",
        ),
        (
            "b",
            "[requirements]\nwaiton a\n[ezsteps]\nnext echo after a\n",
        ),
        ("c", "[ezsteps]\nfail exit 1\n"),
    ]);
    area.megatest(&["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
        .run()
        .success();
    let records = records(&area, "r1");
    let expect = [
        ("a/1", "PASS"),
        ("a/2", "PASS"),
        ("a/3", "PASS"),
        ("b/", "PASS"),
        ("c/", "FAIL"),
    ];
    for (name, status) in expect {
        let record = &records[name];
        assert_eq!(
            (record.state.as_str(), record.status.as_str()),
            ("COMPLETED", status),
            "{name}: {record:?}"
        );
        let job = record
            .job
            .as_deref()
            .expect("the record names its Slurm job");
        assert_eq!(
            slurm_outputs(&record.rundir),
            [format!("slurm-{job}.out")],
            "{name}: Slurm's output file is in the run directory"
        );
    }
    // The step ran inside the job that the record names.
    let log = std::fs::read_to_string(Path::new(&records["a/2"].rundir).join("hello.log")).unwrap();
    assert_eq!(
        log.trim(),
        format!("hello 2 from {}", records["a/2"].job.as_deref().unwrap())
    );
}

#[test]
fn a_job_cancelled_from_outside_ends_its_test_killed() {
    let area = slurm_area(&[("nap", "[ezsteps]\nnap sleep 120\n")]);
    let runner = Runner(
        area.megatest(&["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
            .spawn(),
    );
    let running = wait_for(&area, "r1", Duration::from_secs(30), "nap runs", |r| {
        r.get("nap/").is_some_and(|t| t.state == "RUNNING")
    });
    let job = running["nap/"].job.clone().unwrap();
    scancel(&job);
    let cancelled = Instant::now();
    // Ended within 10 s: by the runner (KILLED, or DEAD), or first by its executor, which
    // records the signal (INCOMPLETE/KILLED) before the runner restates it.
    wait_for(&area, "r1", Duration::from_secs(10), "nap ends", |r| {
        ["KILLED", "DEAD"].contains(&r["nap/"].status.as_str())
    });
    println!("ended {:?} after scancel", cancelled.elapsed());
    let ended = wait_for(
        &area,
        "r1",
        Duration::from_secs(10),
        "the runner's record",
        |r| r["nap/"].state == "KILLED" || r["nap/"].status == "DEAD",
    );
    assert!(ended["nap/"].comment.contains(&job), "{:?}", ended["nap/"]);
    let mut runner = runner;
    let status = runner.0.wait().unwrap();
    assert!(status.success(), "the runner: {status}");
    // Cancelled on purpose: the extra pass leaves it alone.
    let last = records(&area, "r1");
    assert_eq!(last["nap/"].job.as_deref(), Some(job.as_str()));
    assert_eq!(last["nap/"].state, "KILLED");
}

/// A run with two jobs: `later`, held by Slurm for five minutes (no executor of it ever
/// starts), and `nap`, whose executor runs; its runner, and the records once both are in.
fn a_waiting_and_a_running_job() -> (Area, Runner, BTreeMap<String, Record>) {
    let area = slurm_area(&[
        (
            "later",
            "[requirements]\nsbatch-options --begin=now+300\n[ezsteps]\nx true\n",
        ),
        ("nap", "[ezsteps]\nnap sleep 120\n"),
    ]);
    let runner = Runner(
        area.megatest(&["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
            .spawn(),
    );
    let started = wait_for(
        &area,
        "r1",
        Duration::from_secs(30),
        "both submitted",
        |r| {
            r.get("nap/").is_some_and(|t| t.state == "RUNNING")
                && r.get("later/").is_some_and(|t| t.job.is_some())
        },
    );
    (area, runner, started)
}

#[test]
fn kill_requests_cancel_waiting_and_running_jobs() {
    let (area, mut runner, started) = a_waiting_and_a_running_job();
    area.megatest(&[
        "-target",
        "linux",
        "-runname",
        "r1",
        "-testpatt",
        "%",
        "-set-state-status",
        "KILLREQ,n/a",
    ])
    .run()
    .success();
    let ended = wait_for(&area, "r1", Duration::from_secs(20), "both killed", |r| {
        r["nap/"].state == "KILLED" && r["later/"].state == "KILLED"
    });
    for name in ["nap/", "later/"] {
        assert_eq!(ended[name].status, "KILLED", "{name}: {:?}", ended[name]);
        let job = started[name].job.as_deref().unwrap();
        assert!(job_goes(job), "{name}: job {job} is gone from squeue");
    }
    assert!(runner.0.wait().unwrap().success());
}

#[test]
fn an_interrupted_runner_ends_its_jobs() {
    let (area, mut runner, started) = a_waiting_and_a_running_job();
    // Ctrl-C.
    let sent = Command::new("kill")
        .args(["-INT", &runner.0.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let ended = wait_for(&area, "r1", Duration::from_secs(20), "both killed", |r| {
        r["nap/"].state == "KILLED" && r["later/"].state == "KILLED"
    });
    for name in ["nap/", "later/"] {
        let job = started[name].job.as_deref().unwrap();
        assert!(
            job_goes(job),
            "{name}: job {job} is gone: {:?}",
            ended[name]
        );
    }
    let status = runner.0.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(130),
        "the runner says it was interrupted"
    );
}

#[test]
fn a_job_sbatch_refuses_ends_with_its_message() {
    let area = slurm_area(&[(
        "bad",
        "[requirements]\npartition nosuch\n[ezsteps]\nx true\n",
    )]);
    let out = area
        .megatest(&["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
        .run();
    assert!(
        out.stderr.contains("invalid partition"),
        "said once on stderr: {}",
        out.stderr
    );
    let record = &records(&area, "r1")["bad/"];
    assert_eq!(
        (record.state.as_str(), record.status.as_str()),
        ("INCOMPLETE", "FAIL")
    );
    assert!(
        record.comment.contains("sbatch refused the job")
            && record
                .comment
                .contains("invalid partition specified: nosuch"),
        "{record:?}"
    );
    assert!(record.job.is_none());
}

#[test]
fn a_runner_killed_and_started_again_follows_the_submitted_jobs() {
    let area = slurm_area(&[
        ("s", "[items]\nN 1 2 3 4\n[ezsteps]\nnap sleep 4\n"),
        ("t", "[requirements]\nwaiton s\n[ezsteps]\nx true\n"),
        // Held by Slurm: its job is cancelled before any executor starts.
        (
            "held",
            "[requirements]\nsbatch-options --begin=now+300\n[ezsteps]\nx true\n",
        ),
    ]);
    let mut first = area
        .megatest(&["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
        .spawn();
    let submitted = wait_for(&area, "r1", Duration::from_secs(30), "s submitted", |r| {
        (1..=4).all(|n| r.get(&format!("s/{n}")).is_some_and(|t| t.job.is_some()))
            && r.get("held/").is_some_and(|t| t.job.is_some())
    });
    first.kill().unwrap();
    first.wait().unwrap();
    // Jobs end while no runner follows them; the next runner must notice.
    scancel(submitted["s/4"].job.as_deref().unwrap());
    let held = submitted["held/"].job.clone().unwrap();
    scancel(&held);
    let mut second = Runner(
        area.megatest(&["-run", "-target", "linux", "-runname", "r1", "-run-wait"])
            .spawn(),
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = second.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the second runner did not finish: {:#?}",
            records(&area, "r1")
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "the second runner: {status}");
    let last = records(&area, "r1");
    for n in 1..=3 {
        let name = format!("s/{n}");
        assert_eq!(
            (last[&name].state.as_str(), last[&name].status.as_str()),
            ("COMPLETED", "PASS"),
            "{name}"
        );
        assert_eq!(
            last[&name].job, submitted[&name].job,
            "{name}: not submitted again"
        );
        assert_eq!(slurm_outputs(&last[&name].rundir).len(), 1, "{name}");
    }
    assert_eq!(
        (last["held/"].state.as_str(), last["held/"].job.as_deref()),
        ("KILLED", Some(held.as_str())),
        "{:?}",
        last["held/"]
    );
    assert!(last["held/"].comment.contains("cancelled"));
    assert_ne!(last["s/4"].state, "RUNNING");
}
