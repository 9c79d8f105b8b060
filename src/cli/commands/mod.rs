//! One file per command.

pub mod db_maintenance;
pub mod env_capture;
pub mod help;
mod in_test;
pub mod list_db_targets;
pub mod list_disks;
pub mod list_runs;
pub mod list_targets;
pub mod load_test_data;
pub mod lock;
pub mod remove_keep;
pub mod remove_runs;
pub mod run_status;
pub mod runstep;
pub mod set_state_status;
pub mod setlog;
pub mod show_cmdinfo;
pub mod show_config;
pub mod show_keys;
pub mod show_runconfig;
pub mod step;
pub mod summarize_items;
pub mod test_paths;
pub mod test_status;
pub mod update_meta;
pub mod version;
