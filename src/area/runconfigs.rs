//! runconfigs.config for a target (spec §3.2): `default` and the target section, with the
//! wildcard and regex sections that match the target merged in; or every section.

use super::load::Area;
use super::target::Target;
use crate::config::{Config, ReadOptions, SystemPolicy, read_file_into};
use crate::environ;
use crate::error::Result;
use std::path::PathBuf;

impl Area {
    /// The path of runconfigs.config.
    pub fn runconfigs_path(&self) -> PathBuf {
        self.top.join("runconfigs.config")
    }

    fn runconfigs_options(&self, target: Option<&Target>) -> ReadOptions {
        let mut opts = ReadOptions::new(&self.top);
        opts.system = SystemPolicy::Allow;
        opts.toppath = Some(self.top.clone());
        opts.target = target.map(Target::to_string);
        opts
    }

    /// `default` then the target's section, as the runner and tests see them.
    pub fn runconfigs(&self, target: &Target) -> Result<Config> {
        environ::set("MT_RUN_AREA_HOME", &self.top.display().to_string());
        target.export(&self.keys);
        let name = target.to_string();
        let mut opts = self.runconfigs_options(Some(target));
        opts.sections = Some(vec!["default".into(), name.clone()]);
        let mut config = Config::new();
        config.ensure_section(&name);
        let mut config = read_file_into(&self.runconfigs_path(), config, &opts, None)?
            .unwrap_or(config_with(&name));
        config.move_to_front("default");
        Ok(config)
    }

    /// Every section of runconfigs.config, wildcard and regex sections applied and removed.
    /// `rget_target` is the target `#{rget}` looks up, if any.
    pub fn runconfigs_all(&self, rget_target: Option<&Target>) -> Result<Config> {
        environ::set("MT_RUN_AREA_HOME", &self.top.display().to_string());
        let opts = self.runconfigs_options(rget_target);
        Ok(
            read_file_into(&self.runconfigs_path(), Config::new(), &opts, None)?
                .unwrap_or_default(),
        )
    }
}

fn config_with(section: &str) -> Config {
    let mut config = Config::new();
    config.ensure_section(section);
    config
}
