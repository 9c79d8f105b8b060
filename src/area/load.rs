//! Reading an area's megatest.config (spec §2.1): `[env-override]` evaluated and exported,
//! the `[fields]` keys of the target exported as soon as `[fields]` ends.

use super::locate::locate;
use super::target::Target;
use crate::config::{Config, ReadOptions, SystemPolicy, read_file_into};
use crate::environ;
use crate::error::{Error, Result};
use regex::Regex;
use std::path::{Path, PathBuf};

/// What the command line says about the area.
#[derive(Debug, Clone, Default)]
pub struct AreaOptions {
    /// `-config FILE`.
    pub config_file: Option<String>,
    /// `-append-config FILE`.
    pub append_config: Option<String>,
    /// The target text (`-reqtarg`, `-target` or `$MT_TARGET`), whose key values configs see.
    pub target: Option<String>,
}

/// A loaded area.
#[derive(Debug, Clone)]
pub struct Area {
    /// The directory holding megatest.config (`$MT_RUN_AREA_HOME`).
    pub top: PathBuf,
    /// The config file read.
    pub config_path: PathBuf,
    /// megatest.config after processing.
    pub config: Config,
    /// The `[fields]` keys, in order.
    pub keys: Vec<String>,
}

fn field_keys(config: &Config) -> Vec<String> {
    config
        .section("fields")
        .map(|s| s.keys().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Exports the target's key values when the text fits the keys; commands that need a
/// valid target check it themselves (list commands take patterns here).
fn export_target(keys: &[String], target: Option<&str>) {
    if let Some(t) = target.and_then(|t| Target::parse(t, keys, "").ok()) {
        t.export(keys);
    }
}

impl Area {
    /// Finds and reads the area from the current directory.
    pub fn load(opts: &AreaOptions) -> Result<Area> {
        let cwd = std::env::current_dir()
            .map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?;
        let (top, config_path) = locate(opts.config_file.as_deref(), &cwd)?;
        environ::set("MT_RUN_AREA_HOME", &top.display().to_string());
        crate::debug!(2, "reading {}", config_path.display());
        let read_opts = Area::read_options(&top, opts.target.clone());
        let target = opts.target.clone();
        let mut hook = |leaving: &str, config: &Config| {
            if leaving == "fields" {
                export_target(&field_keys(config), target.as_deref());
            }
            Ok(())
        };
        let config = read_file_into(&config_path, Config::new(), &read_opts, Some(&mut hook))?
            .ok_or_else(|| Error::new(format!("cannot read `{}`", config_path.display())))?;
        let config = match &opts.append_config {
            Some(extra) => {
                let path = cwd.join(extra);
                if !path.is_file() {
                    return Err(Error::new(format!(
                        "the file `{extra}` given with -append-config does not exist"
                    )));
                }
                read_file_into(&path, config, &read_opts, None)?.unwrap_or_default()
            }
            None => config,
        };
        crate::config::warn_unread(&config, crate::config::ConfigKind::Megatest);
        let keys = field_keys(&config);
        export_target(&keys, opts.target.as_deref());
        Ok(Area {
            top,
            config_path,
            config,
            keys,
        })
    }

    /// How the area's config files are read: everything allowed, commands run at the top.
    fn read_options(top: &Path, target: Option<String>) -> ReadOptions {
        let mut opts = ReadOptions::new(top);
        opts.system = SystemPolicy::Allow;
        opts.environ_patt = Some(Regex::new("env-override").expect("literal regex"));
        opts.toppath = Some(top.to_path_buf());
        opts.target = target;
        opts
    }

    /// Parses a target for this area's keys.
    pub fn target(&self, text: &str, given_with: &str) -> Result<Target> {
        super::target::validate_key_names(&self.config)?;
        Target::parse(text, &self.keys, given_with)
    }

    /// `[disks]` as (name, path) pairs.
    pub fn disks(&self) -> Vec<(String, String)> {
        self.config.pairs("disks")
    }
}
