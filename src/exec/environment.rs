//! The environment a test runs in (spec §10.1, §10.3), later sources winning: what the
//! runner exported, runconfigs values evaluated by the shell, `-setvars`, the `MT_*`
//! variables, `[env-override]`, the target keys, and the item variables.

use crate::environ;
use crate::error::{Error, Result};
use crate::launch::JobFile;
use crate::testdef::item_info;
use std::path::Path;

/// Exports the test's environment into this process's overlay.
pub(super) fn prepare(file: &JobFile, megatest: &Path) -> Result<()> {
    let job = &file.job;
    environ::restore(&file.environment);
    let work = &job.work_area;
    let raw: Vec<&str> = file.runconfig.iter().map(|(_, v)| v.as_str()).collect();
    let values = crate::sys::shell::echo_eval_many(&raw, work)
        .map_err(|e| Error::new(format!("cannot evaluate the runconfigs values: {e}")))?;
    for ((name, _), value) in file.runconfig.iter().zip(values) {
        environ::set(name, &value);
    }
    for (name, value) in &file.setvars {
        environ::set(name, value);
    }
    let text = |p: &Path| p.display().to_string();
    let core = [
        ("MT_CMDINFO", job.encode()),
        ("MT_TEST_RUN_DIR", text(work)),
        ("MT_TEST_NAME", job.test_name.clone()),
        ("MT_ITEM_INFO", item_info(&job.itemdat)),
        ("MT_ITEMPATH", job.item_path.clone()),
        ("MT_RUNNAME", job.runname.clone()),
        ("MT_MEGATEST", text(megatest)),
        ("MT_TARGET", job.target.clone()),
        ("MT_LINKTREE", text(&file.linktree)),
        ("MT_TESTSUITENAME", file.area_name.clone()),
        ("MT_RUN_AREA_HOME", text(&job.toppath)),
        ("PWD", text(work)),
    ];
    for (name, value) in &core {
        environ::set(name, value);
    }
    if let Some(debug) = &file.debug {
        environ::set("MT_DEBUG_MODE", debug);
    }
    for (name, value) in &file.env_override {
        environ::set(name, value);
    }
    let key_values = job.target.split('/');
    for ((key, _), value) in file.job.keys.iter().zip(key_values) {
        environ::set(key, value);
    }
    for (name, value) in &job.itemdat {
        environ::set(name, value);
    }
    if let Some(bindir) = megatest.parent() {
        let path = environ::var("PATH").unwrap_or_default();
        environ::set("PATH", &format!("{path}:{}", bindir.display()));
    }
    Ok(())
}

/// Writes `megatest.sh` and `megatest.csh` with the test's environment into `dir`.
pub(super) fn write_env_files(dir: &Path) -> Result<()> {
    crate::environ::env_file::write_env_files(&dir.join("megatest"), &environ::vars()).map_err(
        |e| {
            Error::new(format!(
                "cannot write megatest.sh in `{}`: {e}",
                dir.display()
            ))
        },
    )
}
