//! What one invocation works with: the parsed arguments and the area, read once when a
//! command first needs it.

use super::args::Args;
use crate::area::{Area, AreaOptions, Target};
use crate::environ;
use crate::error::Result;

/// One invocation's state.
pub struct Session {
    /// The command line.
    pub args: Args,
    area: Option<Area>,
}

impl Session {
    /// A session for these arguments.
    pub fn new(args: Args) -> Self {
        Session { args, area: None }
    }

    /// The target as given: (text, where from), from -reqtarg, -target or `$MT_TARGET`.
    pub fn target_text(&self) -> Option<(String, &'static str)> {
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

    /// The area, read on first use.
    pub fn area(&mut self) -> Result<&Area> {
        if self.area.is_none() {
            let opts = AreaOptions {
                config_file: self.args.value("-config").map(str::to_string),
                append_config: self.args.value("-append-config").map(str::to_string),
                target: self.target_text().map(|(t, _)| t),
            };
            self.area = Some(Area::load(&opts)?);
        }
        Ok(self.area.as_ref().expect("loaded above"))
    }

    /// The validated target, if one was given.
    pub fn target(&mut self) -> Result<Option<Target>> {
        let Some((text, from)) = self.target_text() else {
            return Ok(None);
        };
        self.area()?.target(&text, from).map(Some)
    }
}
