//! One file per command.

pub mod help;
pub mod list_disks;
pub mod list_targets;
pub mod show_config;
pub mod show_keys;
pub mod show_runconfig;
pub mod version;
