//! promptreg: a Git repository as a prompt registry.
//!
//! Core modules return data and never print; `commands` turn arguments into
//! calls on them and `output` renders the results.

pub mod blob_facts;
pub mod bump;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod config_edit;
pub mod context;
pub mod deploy;
pub mod diff;
pub mod error;
pub mod fast_read;
pub mod finding;
pub mod fsutil;
pub mod gates;
pub mod git;
pub mod history;
pub mod history_cache;
pub mod lock_history;
pub mod lock_memo;
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
pub mod scores;
pub mod split;
pub mod template;
pub mod yaml;
