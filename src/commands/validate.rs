use crate::cli::ValidateArgs;
use crate::context::Context;
use crate::output::{Format, Output};
use anyhow::Result;
use promptreg_core::config::{self, Config};
use promptreg_core::finding::{Finding, Level};
use promptreg_core::prompt;
use promptreg_core::registry::{self, Registry};
use serde::Serialize;

/// `validate --format json`.
#[derive(Debug, Serialize)]
pub struct Validation {
    pub files_checked: usize,
    pub errors: usize,
    pub warnings: usize,
    pub findings: Vec<Finding>,
}

pub fn run(args: &ValidateArgs, ctx: &Context) -> Result<Output> {
    let root = registry::find_root(&ctx.cwd)?;
    let mut findings = Vec::new();
    // An invalid config is a finding here; the default layout still lets
    // the prompts be checked.
    let config = match registry::read_config(&root)? {
        Ok(c) => c,
        Err(fs) => {
            findings.extend(fs);
            Config::default()
        }
    };
    let registry = Registry { root, config };
    let mut files_checked = 1;
    let names = if args.names.is_empty() {
        let scan = registry.scan()?;
        findings.extend(scan.problems);
        scan.prompts
    } else {
        args.names
            .iter()
            .map(|n| crate::commands::parse_name(n))
            .collect::<Result<_>>()?
    };
    // One source for every prompt: each partial is read and parsed once.
    let mut partials = promptreg_core::registry::working_tree_partials(&registry);
    for name in &names {
        let file = registry.relative_path(name);
        files_checked += 1;
        if !args.names.is_empty() && std::fs::symlink_metadata(registry.path_of(name)).is_err() {
            // A named prompt that does not exist is a usage error.
            registry.read_prompt(name)?;
        }
        match registry.read_prompt(name) {
            Ok(bytes) => {
                findings.extend(
                    prompt::check(&bytes)
                        .findings
                        .into_iter()
                        .map(|f| f.in_file(&file)),
                );
                // Its partials, as the working tree has them (docs/DESIGN.md §16).
                findings.extend(crate::partials::working_tree_problems(
                    &registry,
                    &mut partials,
                    name,
                    &bytes,
                ));
            }
            Err(e) => {
                findings.push(Finding::error("unreadable", None, format!("{e:#}")).in_file(&file))
            }
        }
    }
    let errors = findings.iter().filter(|f| f.level == Level::Error).count();
    let warnings = findings.len() - errors;
    let code = u8::from(errors > 0);
    let report = Validation {
        files_checked,
        errors,
        warnings,
        findings,
    };
    let out = match args.format {
        Format::Json => Output::json(&report)?,
        Format::Human => {
            let mut s: String = report.findings.iter().map(|f| format!("{f}\n")).collect();
            s.push_str(&format!(
                "{} file(s) checked ({} and {} prompt(s)): {} error(s), {} warning(s)\n",
                report.files_checked,
                config::FILE_NAME,
                report.files_checked - 1,
                report.errors,
                report.warnings
            ));
            Output::stdout(s)
        }
    };
    Ok(out.with_code(code))
}
