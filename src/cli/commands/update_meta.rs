//! `-update-meta`: copies every testconfig's `[test_meta]` into the `test_meta` table.

use crate::cli::dispatch::Flow;
use crate::cli::session::Session;
use crate::config::{ReadOptions, read_file};
use crate::db::META_FIELDS;
use crate::error::Result;
use crate::output::stdout;

/// Refreshes test metadata.
pub(crate) fn run(session: &mut Session) -> Result<Flow> {
    let (area, store) = session.area_and_store()?;
    let mut text = String::new();
    for (name, dir) in area.tests() {
        let mut opts = ReadOptions::new(&dir);
        opts.toppath = Some(area.top.clone());
        let Some(config) = read_file(&dir.join("testconfig"), &opts)? else {
            continue;
        };
        let values: Vec<(&str, String)> = META_FIELDS
            .iter()
            .filter_map(|f| config.get("test_meta", f).map(|v| (*f, v.to_string())))
            .collect();
        for (field, value) in store.update_test_meta(&name, &values)? {
            text.push_str(&format!("Updating {name} {field} to {value}\n"));
        }
    }
    stdout::print(&text);
    Ok(Flow::Continue)
}
