//! The `promptreg` command line: arguments, Git, output. Formats and rules
//! live in the `promptreg_core` crate; this crate reads Git history, resolves
//! environments against it and runs the commands (docs/DESIGN.md §14).
//!
//! The library target exists for `main.rs` and the integration tests; it is
//! not a public API. Applications depend on `promptreg-core`.

pub mod check;
pub mod cli;
pub mod commands;
pub mod context;
pub mod history;
pub mod lockfile;
pub mod lookup;
pub mod output;
pub mod partials;
pub mod production;
pub mod schemas;
