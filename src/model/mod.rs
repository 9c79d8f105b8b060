//! Pure types shared by every layer: states and statuses (spec §8), the toplevel rollup
//! (spec §6.3), item paths.

mod rollup;
mod state;

pub use rollup::{ItemState, rollup_toplevel};
pub use state::{
    RUNNING_STATES, STATES, STATUSES, full_test_name, is_known_state, state_rank, status_rank,
};
