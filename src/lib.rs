//! promptreg: a Git repository as a prompt registry.
//!
//! Core modules return data and never print; `commands` turn arguments into
//! calls on them and `output` renders the results.

pub mod bump;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod context;
pub mod diff;
pub mod error;
pub mod finding;
pub mod fsutil;
pub mod git;
pub mod history;
pub mod history_cache;
pub mod lockfile;
pub mod lookup;
pub mod name;
pub mod output;
pub mod policy;
pub mod progress;
pub mod prompt;
pub mod reference;
pub mod registry;
pub mod schemas;
pub mod template;
pub mod yaml;
