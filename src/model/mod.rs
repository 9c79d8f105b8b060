//! Pure types shared by every layer: states and statuses (spec §8), the toplevel rollup
//! (spec §6.3), item paths, and the names that become path components.

mod names;
mod rollup;
mod spelled;
mod state;
mod status;

pub use names::{
    ITEM_PATH_RULE, NAME_RULE, NameProblem, check_component, check_item_path, check_run_name,
    item_dir,
};
pub use rollup::{ItemState, rollup_toplevel};
pub use state::{State, full_test_name, sql_list};
pub use status::Status;
