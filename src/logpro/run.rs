//! One logpro run: `RULES [HTML [WAIVERS]] < log`, as the `logpro` command and Megatest's
//! executor perform it. Returns logpro's exit code (0 PASS, 1 FAIL, 2 WARN, 3 CHECK,
//! 4 WAIVED, 5 ABORT, 6 SKIP).

use super::dat;
use super::html::{Html, STYLESHEET};
use super::input::LineInput;
use super::loader::{LoadFailure, LoadMode, load};
use super::output::Outputs;
use super::scan::Scan;
use super::text;
use super::verdict::decide;
use chrono::NaiveDateTime;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// What to run.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The rule file.
    pub rules: PathBuf,
    /// The HTML report (its `.dat` goes beside it).
    pub html: Option<PathBuf>,
    /// A rule file loaded before `rules`, when it exists.
    pub waivers: Option<PathBuf>,
}

/// "Now", for `expires:`: `LOGPRO_NOW` (`YYYY-MM-DD HH:MM:SS`) when set, else the local time.
pub fn now() -> NaiveDateTime {
    crate::environ::var("LOGPRO_NOW")
        .and_then(|s| NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S").ok())
        .unwrap_or_else(|| chrono::Local::now().naive_local())
}

fn load_mode() -> LoadMode {
    match crate::environ::var("LOGPRO_FORCE_SCHEME").as_deref() {
        Some("1" | "yes" | "true") => LoadMode::Scheme,
        _ => LoadMode::Auto,
    }
}

/// The stylesheet logpro would use, first match wins (spec §1.2).
fn stylesheet(html: Option<&Path>, tool_home: &Path, bin_home: &Path) -> Option<PathBuf> {
    if let Some(css) = crate::environ::var("LOGPRO_CSS") {
        return Some(PathBuf::from(css));
    }
    let report_dir = html
        .and_then(Path::parent)
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    [
        report_dir.join("logpro_style.css"),
        tool_home.join("share/css/logpro_style.css"),
        bin_home.join("logpro_style.css"),
    ]
    .into_iter()
    .find(|p| p.exists())
}

/// Runs logpro; the annotated log and summary go to `out`.
pub fn run(inv: &Invocation, input: &mut dyn Read, out: Box<dyn Write + '_>) -> io::Result<i32> {
    let mut outputs = Outputs::new(out, None);
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("logpro"));
    let bin_home = exe
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let tool_home = bin_home
        .parent()
        .map_or_else(|| bin_home.clone(), Path::to_path_buf);
    let css = stylesheet(inv.html.as_deref(), &tool_home, &bin_home);
    let text_out = &mut outputs.text;
    writeln!(text_out)?;
    writeln!(
        text_out,
        "bin-file: {}",
        std::env::args_os()
            .next()
            .unwrap_or_default()
            .to_string_lossy()
    )?;
    writeln!(text_out, "bin-home: {}", bin_home.display())?;
    writeln!(
        text_out,
        "css-dir:  {}",
        tool_home.join("share/css").display()
    )?;
    writeln!(
        text_out,
        "cssfile: {}",
        css.as_ref()
            .map_or("#f".to_string(), |c| c.display().to_string())
    )?;
    writeln!(text_out, "tool-home: {}", tool_home.display())?;

    if !inv.rules.is_file() {
        writeln!(
            outputs.text,
            "ERROR: command file {} not found",
            inv.rules.display()
        )?;
        outputs.text.flush()?;
        return Ok(1);
    }
    let dat_path = match &inv.html {
        Some(h) => h.with_extension("dat"),
        None => PathBuf::from("summary.dat"),
    };
    // Created (empty) before the rules load, as logpro does; a read-only place is fine.
    let _ = std::fs::write(&dat_path, "");
    if let Some(html_path) = &inv.html {
        let file = match std::fs::File::create(html_path) {
            Ok(f) => f,
            Err(e) => {
                writeln!(
                    outputs.text,
                    "ERROR: cannot write the report {}: {}",
                    html_path.display(),
                    crate::sys::io_reason(&e)
                )?;
                outputs.text.flush()?;
                return Ok(1);
            }
        };
        let beside = html_path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join("logpro_style.css");
        if !beside.exists() {
            let linked = css
                .as_ref()
                .is_some_and(|c| c.exists() && std::os::unix::fs::symlink(c, &beside).is_ok());
            if !linked {
                let _ = std::fs::write(&beside, STYLESHEET);
            }
        }
        outputs.html = Some(Html::new(file, beside.exists()));
    }

    let mut files = Vec::new();
    if let Some(w) = inv.waivers.as_ref().filter(|w| w.is_file()) {
        files.push(w.clone());
    }
    files.push(inv.rules.clone());
    let loaded = load(&files, now, load_mode());
    outputs.text.write_all(loaded.output.as_bytes())?;
    crate::debug!(
        2,
        "logpro rules loaded {} the Scheme engine",
        if loaded.used_scheme {
            "with"
        } else {
            "without"
        }
    );
    let rules = match loaded.result {
        Ok(rules) => rules,
        Err(failure) => {
            let block = load_error_block(&failure);
            outputs.text.write_all(block.as_bytes())?;
            if let Some(html) = &mut outputs.html {
                html.text_block(&block)?;
            }
            outputs.text.flush()?;
            return Ok(1);
        }
    };
    if let Some(html) = &mut outputs.html {
        html.header()?;
    }
    let mut scan = Scan::new(&rules).map_err(io::Error::other)?;
    let mut lines = LineInput::new(input);
    while let Some(region) = lines.next_region()? {
        scan.region(region, &mut outputs)?;
    }
    let verdict = decide(&rules, &scan);
    let triggers = text::trigger_lines(&rules, &scan);
    text::write_summary(&mut outputs, &scan, &triggers, &verdict)?;
    if let Some(html) = &mut outputs.html {
        html.summary(&rules, &scan, &triggers, &verdict)?;
    }
    let _ = std::fs::write(&dat_path, dat::render(&scan, &verdict));
    outputs.text.flush()?;
    Ok(verdict.exit_code)
}

/// logpro's "Syntax error" block, with where the error is.
fn load_error_block(f: &LoadFailure) -> String {
    let mut block = format!(
        "\nERROR: Syntax error in your command file!\n\n =>  {}\n",
        f.message
    );
    if let Some(detail) = &f.detail {
        block.push_str(&format!("     {detail}\n"));
    }
    if let Some((file, line, col)) = &f.location {
        block.push_str(&format!("     --> {}:{line}:{col}\n", file.display()));
    }
    block
}
