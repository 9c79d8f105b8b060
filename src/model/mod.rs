//! Pure types shared by every layer: states and statuses (spec §8), the toplevel rollup
//! (spec §6.3), item paths, the names that become path components, and numbers as Megatest
//! reads and prints them.

mod ids;
mod names;
mod number;
mod rollup;
mod spelled;
mod state;
mod status;

pub use ids::{RunId, TestId};
pub use names::{
    ITEM_PATH_RULE, NAME_RULE, NameProblem, check_component, check_item_path, check_run_name,
    item_dir,
};
pub use number::{Number, format_flonum};
pub use rollup::{ItemState, rollup_toplevel};
pub use state::{State, full_test_name, sql_list};
pub use status::Status;
