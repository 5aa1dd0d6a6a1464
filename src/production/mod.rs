//! Running prompts in production (docs/DESIGN.md §9): pinning a version in
//! an environment (`promote`, `rollback`), the gates a version must pass
//! there, and the evaluation scores the gates read from Git notes.

pub mod deploy;
pub mod gates;
pub mod scores;
