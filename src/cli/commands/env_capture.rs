//! `-env2file NAME`, `-envcap CONTEXT [DB]` and `-envdelta A-B [DB]` (spec §15.7, §17.4).

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::db::EnvDat;
use crate::environ::env_file::{csh_quote, sh_quote, write_env_files};
use crate::error::{Error, Result};
use crate::output::stdout;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

/// Writes NAME.sh and NAME.csh of the current environment.
pub(crate) fn env2file(session: &mut Session) -> Result<Flow> {
    let name = session.args.value("-env2file").unwrap_or_default();
    write_env_files(&PathBuf::from(name), &crate::environ::vars())
        .map_err(|e| Error::new(format!("cannot write {name}.sh and {name}.csh: {e}")))?;
    Ok(Flow::Continue)
}

fn envdat_path(session: &Session) -> PathBuf {
    PathBuf::from(
        session
            .args
            .leftovers
            .first()
            .map_or("envdat.db", String::as_str),
    )
}

/// Saves the environment as a context.
pub(crate) fn envcap(session: &mut Session) -> Result<Flow> {
    let context = session
        .args
        .value("-envcap")
        .unwrap_or_default()
        .to_string();
    let path = envdat_path(session);
    let mut db = EnvDat::open(&path)?;
    db.save(&context, &crate::environ::vars())
        .map_err(|e| Error::new(format!("environment database `{}`: {e}", path.display())))?;
    Ok(Flow::Continue)
}

/// Prints what changed from context A to context B.
pub(crate) fn envdelta(session: &mut Session) -> Result<Flow> {
    let spec = session
        .args
        .value("-envdelta")
        .unwrap_or_default()
        .to_string();
    let Some((a, b)) = spec.split_once('-') else {
        return Err(Error::usage(format!(
            "-envdelta needs CONTEXT_A-CONTEXT_B, got `{spec}`"
        )));
    };
    let path = envdat_path(session);
    let db = EnvDat::open(&path)?;
    let load = |name: &str| -> Result<BTreeMap<String, String>> {
        db.context(name)
            .map_err(|e| Error::new(format!("environment database `{}`: {e}", path.display())))?
            .ok_or_else(|| {
                Error::new(format!("no context `{name}` in `{}`", path.display()))
                    .note("save one with -envcap NAME")
            })
    };
    let (old, new) = (load(a)?, load(b)?);
    let added: Vec<(&String, &String)> =
        new.iter().filter(|(k, _)| !old.contains_key(*k)).collect();
    let removed: Vec<&String> = old.keys().filter(|k| !new.contains_key(*k)).collect();
    let changed: Vec<(&String, &String)> = new
        .iter()
        .filter(|(k, v)| old.get(*k).is_some_and(|o| o != *v))
        .collect();
    let mode = session
        .args
        .value("-dumpmode")
        .unwrap_or("bash")
        .to_string();
    let mut text = String::new();
    let set_line = |k: &str, v: &str| match mode.as_str() {
        "csh" => format!("setenv {k} {}", csh_quote(v)),
        "config" | "ini" if k == "PATH" => {
            format!("PATH #{{scheme (env:min-path \"{v}\" \"#{{getenv PATH}}\")}}")
        }
        "config" | "ini" => format!("{k} {v}"),
        _ => format!("export {k}={}", sh_quote(v)),
    };
    if !matches!(mode.as_str(), "bash" | "csh" | "config" | "ini") {
        return Err(Error::usage(format!(
            "-dumpmode `{mode}` is not one of bash, csh, config, ini for -envdelta"
        )));
    }
    if !added.is_empty() {
        text.push_str("# Added vars\n");
        for (k, v) in &added {
            let _ = writeln!(text, "{}", set_line(k, v));
        }
    }
    if !removed.is_empty() {
        text.push_str("# Removed vars\n");
        for k in &removed {
            let _ = writeln!(
                text,
                "{}",
                match mode.as_str() {
                    "csh" => format!("unsetenv {k}"),
                    "config" | "ini" => format!("#{{scheme (unsetenv \"{k}\")}}"),
                    _ => format!("unset {k}"),
                }
            );
        }
    }
    if !changed.is_empty() {
        text.push_str("# Changed vars\n");
        for (k, v) in &changed {
            let _ = writeln!(text, "{}", set_line(k, v));
        }
    }
    match session.args.value("-o") {
        Some(file) => std::fs::write(file, text)
            .map_err(|e| Error::new(format!("cannot write `{file}`: {e}")))?,
        None => {
            stdout::print(&text);
        }
    }
    Ok(Flow::Continue)
}
