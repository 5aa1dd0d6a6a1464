//! Composition (docs/DESIGN.md §16): the partials a prompt reaches through
//! `{% include %}`, resolved against a [`Source`] of versions, and the
//! composed interface they give it. Returns data and errors; never prints.
//!
//! The same resolution serves every place a prompt is rendered or pinned:
//! the working tree (one version of each partial, the file's), the
//! mainline's releases (`lock`: the highest release matching every
//! requirement), and a lockfile or bundle (exactly the pinned versions).

use crate::name::PromptName;
use crate::prompt::{Compiled, Prompt, RenderError, Rendered, Variable};
use indexmap::IndexMap;
use semver::{Version, VersionReq};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// How many partials deep an include may go below a prompt: a prompt
/// including a partial that includes another is two levels.
pub const MAX_DEPTH: usize = 5;

/// Where the versions of partials come from.
pub trait Source {
    /// The versions of `name` on offer, in any order; empty when there is
    /// no such file. `Err` says why they cannot be read.
    fn versions(&mut self, name: &str) -> Result<Vec<Version>, String>;
    /// The file of `name` at `version` (one [`Source::versions`] gave).
    fn load(&mut self, name: &str, version: &Version) -> Result<Prompt, String>;
}

/// A prompt with every partial it reaches, resolved.
#[derive(Debug, Clone)]
pub struct Composition {
    /// Every partial reached, transitively: name → the version resolved.
    pub partials: BTreeMap<String, Prompt>,
    /// For each partial, the first chain of includes that reaches it, from
    /// the prompt (its name first) to the partial (last).
    pub chains: BTreeMap<String, Vec<String>>,
    /// The composed interface: the prompt's variables, then those of its
    /// partials it does not declare itself, in the order reached.
    pub variables: IndexMap<String, Variable>,
}

impl Composition {
    /// The composition of a prompt without partials.
    pub fn alone(prompt: &Prompt) -> Composition {
        Composition {
            partials: BTreeMap::new(),
            chains: BTreeMap::new(),
            variables: prompt.file.variables.clone(),
        }
    }

    /// Each partial reached with its resolved version, by name.
    pub fn versions(&self) -> BTreeMap<String, String> {
        self.partials
            .iter()
            .map(|(name, p)| (name.clone(), p.version.to_string()))
            .collect()
    }

    /// `prompt` as the bump policy sees it: its own file with the composed
    /// variables, so that a partial's variables are part of its interface.
    pub fn interface(&self, prompt: &Prompt) -> Prompt {
        let mut composed = prompt.clone();
        composed.file.variables = self.variables.clone();
        composed
    }

    /// Renders `prompt` (the one composed) with `given` values.
    pub fn render(
        &self,
        prompt: &Prompt,
        given: &BTreeMap<String, serde_json::Value>,
    ) -> Result<Rendered, RenderError> {
        self.compile(prompt)?.render(given)
    }

    /// Parses `prompt`'s templates and its partials' once, for rendering
    /// many times (what a bundle keeps).
    pub fn compile(&self, prompt: &Prompt) -> Result<Compiled, RenderError> {
        prompt.compile_with(
            self.variables.clone(),
            self.partials
                .iter()
                .map(|(name, p)| (name.clone(), p.file.template.clone().unwrap_or_default()))
                .collect(),
        )
    }
}

/// Why a prompt's partials cannot be resolved. Every variant names the
/// chain of includes that leads to the problem, the prompt first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComposeError {
    /// A partial includes itself, directly or through others.
    #[error("include cycle: {}", show(.chain))]
    Cycle {
        /// The chain, ending with the name that closes the cycle.
        chain: Vec<String>,
    },
    /// Includes nested deeper than [`MAX_DEPTH`].
    #[error("includes nest deeper than {MAX_DEPTH} levels: {}", show(.chain))]
    TooDeep {
        /// The chain, ending with the partial one level too deep.
        chain: Vec<String>,
    },
    /// A declared partial has no file (or no release).
    #[error("{}: partial `{name}` does not exist{}", show(.chain), where_(.context))]
    Missing {
        /// The chain to the file declaring it.
        chain: Vec<String>,
        /// The partial.
        name: String,
        /// Where it was looked for (`in the working tree`, `on the mainline`).
        context: String,
    },
    /// No version on offer satisfies the requirements.
    #[error("{}: no version of partial `{name}`{} meets {} (there: {})", show(.chain), where_(.context), .requirements.join(" and "), listing(.available))]
    Unsatisfied {
        /// The chain to the file declaring it.
        chain: Vec<String>,
        /// The partial.
        name: String,
        /// Every requirement on it in the graph.
        requirements: Vec<String>,
        /// The versions on offer.
        available: Vec<String>,
        /// Where they were looked for.
        context: String,
    },
    /// A declared name is a prompt, not a partial.
    #[error("{}: `{name}` is a prompt, not a partial (a partial has `partial: true`)", show(.chain))]
    NotAPartial {
        /// The chain to the file declaring it.
        chain: Vec<String>,
        /// The name declared.
        name: String,
    },
    /// Two partials declare a variable differently, and the prompt does not
    /// settle it by declaring it itself.
    #[error("variable `{variable}` is declared differently by {} and by {}; declare it in the prompt to settle it", show(.first), show(.second))]
    VariableConflict {
        /// The variable.
        variable: String,
        /// The chain to the first partial declaring it.
        first: Vec<String>,
        /// The chain to the second.
        second: Vec<String>,
    },
    /// A partial's file cannot be read or is invalid.
    #[error("{}: partial `{name}` {version}: {message}", show(.chain))]
    Unreadable {
        /// The chain to the file declaring it.
        chain: Vec<String>,
        /// The partial.
        name: String,
        /// Its version.
        version: String,
        /// Why.
        message: String,
    },
}

impl ComposeError {
    /// The chain of includes the error is about, the prompt first.
    pub fn chain(&self) -> &[String] {
        match self {
            ComposeError::Cycle { chain }
            | ComposeError::TooDeep { chain }
            | ComposeError::Missing { chain, .. }
            | ComposeError::Unsatisfied { chain, .. }
            | ComposeError::NotAPartial { chain, .. }
            | ComposeError::Unreadable { chain, .. } => chain,
            ComposeError::VariableConflict { first, .. } => first,
        }
    }

    /// The partial the prompt declares that leads to the problem: where a
    /// finding points (its line under `partials:`).
    pub fn declaration(&self) -> Option<&str> {
        self.chain().get(1).map(String::as_str).or(self.partial())
    }

    /// The rule id of the finding `validate` and `check` report for it.
    pub fn rule(&self) -> &'static str {
        match self {
            ComposeError::Cycle { .. } => "partial-cycle",
            ComposeError::TooDeep { .. } => "partial-depth",
            ComposeError::Missing { .. } => "partial-missing",
            ComposeError::Unsatisfied { .. } => "partial-unsatisfied",
            ComposeError::NotAPartial { .. } => "partial-not-partial",
            ComposeError::VariableConflict { .. } => "partial-variable-conflict",
            ComposeError::Unreadable { .. } => "partial-unreadable",
        }
    }

    /// The partial the error is about, when there is one.
    pub fn partial(&self) -> Option<&str> {
        match self {
            ComposeError::Missing { name, .. }
            | ComposeError::Unsatisfied { name, .. }
            | ComposeError::NotAPartial { name, .. }
            | ComposeError::Unreadable { name, .. } => Some(name),
            ComposeError::Cycle { chain } | ComposeError::TooDeep { chain } => {
                chain.last().map(String::as_str)
            }
            ComposeError::VariableConflict { .. } => None,
        }
    }
}

fn show(chain: &[String]) -> String {
    chain.join(" → ")
}

fn where_(context: &str) -> String {
    if context.is_empty() {
        String::new()
    } else {
        format!(" {context}")
    }
}

fn listing(versions: &[String]) -> String {
    if versions.is_empty() {
        "no version".into()
    } else {
        versions.join(", ")
    }
}

/// Resolves the partials `prompt` (named `name`) reaches. Each partial
/// name resolves to one version for the whole graph: the highest one on
/// offer that satisfies every requirement on it (pre-releases only when a
/// requirement names one, as Cargo does). `context` says where versions
/// come from, for messages.
pub fn compose(
    name: &str,
    prompt: &Prompt,
    source: &mut dyn Source,
    context: &str,
) -> Result<Composition, ComposeError> {
    if prompt.file.partials.is_empty() {
        return Ok(Composition::alone(prompt));
    }
    // Requirements learned from a conflict: a partial reached twice with
    // requirements its first pick does not meet is resolved again against
    // all of them. They only grow, so this ends.
    let mut constraints: BTreeMap<String, Vec<VersionReq>> = BTreeMap::new();
    let mut offered: BTreeMap<String, Vec<Version>> = BTreeMap::new();
    let mut loaded: BTreeMap<(String, Version), Prompt> = BTreeMap::new();
    loop {
        let mut walk = Walk {
            source: &mut *source,
            context,
            constraints: &constraints,
            offered: &mut offered,
            loaded: &mut loaded,
            chosen: BTreeMap::new(),
            chains: BTreeMap::new(),
            requirements: BTreeMap::new(),
            conflict: None,
        };
        walk.visit(&[name.to_string()], prompt)?;
        if let Some(conflicted) = walk.conflict.take() {
            let reqs = walk.requirements.remove(&conflicted).unwrap_or_default();
            let chain = walk.chains.get(&conflicted).cloned();
            let known = constraints.entry(conflicted.clone()).or_default();
            let before = known.len();
            for req in reqs {
                if !known.contains(&req) {
                    known.push(req);
                }
            }
            if known.len() > before {
                continue;
            }
            // Nothing new was learned, so another walk would pick the same:
            // say which requirements meet no version (the pick met every
            // known one, so this is a guard against looping, not a path).
            let mut chain = chain.unwrap_or_else(|| vec![name.to_string()]);
            chain.pop();
            return Err(ComposeError::Unsatisfied {
                chain,
                requirements: known.iter().map(ToString::to_string).collect(),
                available: offered
                    .get(&conflicted)
                    .into_iter()
                    .flatten()
                    .map(Version::to_string)
                    .collect(),
                name: conflicted,
                context: context.to_string(),
            });
        }
        let Walk { chosen, chains, .. } = walk;
        let partials: BTreeMap<String, Prompt> = chosen
            .into_iter()
            .map(|(n, v)| {
                let p = loaded[&(n.clone(), v)].clone();
                (n, p)
            })
            .collect();
        let variables = composed_variables(prompt, &partials, &chains)?;
        return Ok(Composition {
            partials,
            chains,
            variables,
        });
    }
}

struct Walk<'a> {
    source: &'a mut dyn Source,
    context: &'a str,
    constraints: &'a BTreeMap<String, Vec<VersionReq>>,
    offered: &'a mut BTreeMap<String, Vec<Version>>,
    loaded: &'a mut BTreeMap<(String, Version), Prompt>,
    chosen: BTreeMap<String, Version>,
    chains: BTreeMap<String, Vec<String>>,
    requirements: BTreeMap<String, Vec<VersionReq>>,
    conflict: Option<String>,
}

impl Walk<'_> {
    fn visit(&mut self, chain: &[String], file: &Prompt) -> Result<(), ComposeError> {
        for (partial, requirement) in &file.file.partials {
            if self.conflict.is_some() {
                return Ok(());
            }
            let mut next = chain.to_vec();
            next.push(partial.clone());
            if chain.contains(partial) {
                return Err(ComposeError::Cycle { chain: next });
            }
            if chain.len() > MAX_DEPTH {
                return Err(ComposeError::TooDeep { chain: next });
            }
            // A file that passed validation has requirements that parse.
            let req = VersionReq::parse(&requirement.0).map_err(|e| ComposeError::Unreadable {
                chain: chain.to_vec(),
                name: partial.clone(),
                version: String::new(),
                message: format!("`{}` is not a SemVer requirement ({e})", requirement.0),
            })?;
            let reqs = self.requirements.entry(partial.clone()).or_default();
            if !reqs.contains(&req) {
                reqs.push(req.clone());
            }
            if let Some(version) = self.chosen.get(partial) {
                if !req.matches(version) {
                    self.conflict = Some(partial.clone());
                }
                // Reached before: its own includes were walked then.
                continue;
            }
            let version = self.pick(chain, partial, &req)?;
            let key = (partial.clone(), version.clone());
            if !self.loaded.contains_key(&key) {
                let loaded = self.source.load(partial, &version).map_err(|message| {
                    ComposeError::Unreadable {
                        chain: chain.to_vec(),
                        name: partial.clone(),
                        version: version.to_string(),
                        message,
                    }
                })?;
                self.loaded.insert(key.clone(), loaded);
            }
            let loaded = self.loaded[&key].clone();
            if !loaded.file.partial {
                return Err(ComposeError::NotAPartial {
                    chain: chain.to_vec(),
                    name: partial.clone(),
                });
            }
            self.chosen.insert(partial.clone(), version);
            self.chains.insert(partial.clone(), next.clone());
            self.visit(&next, &loaded)?;
        }
        Ok(())
    }

    fn pick(
        &mut self,
        chain: &[String],
        partial: &str,
        req: &VersionReq,
    ) -> Result<Version, ComposeError> {
        if !self.offered.contains_key(partial) {
            let mut versions =
                self.source
                    .versions(partial)
                    .map_err(|message| ComposeError::Unreadable {
                        chain: chain.to_vec(),
                        name: partial.to_string(),
                        version: String::new(),
                        message,
                    })?;
            versions.sort();
            versions.dedup();
            self.offered.insert(partial.to_string(), versions);
        }
        let versions = &self.offered[partial];
        if versions.is_empty() {
            return Err(ComposeError::Missing {
                chain: chain.to_vec(),
                name: partial.to_string(),
                context: self.context.to_string(),
            });
        }
        let mut all: Vec<&VersionReq> = vec![req];
        all.extend(self.constraints.get(partial).into_iter().flatten());
        versions
            .iter()
            .rev()
            .find(|v| all.iter().all(|r| r.matches(v)))
            .cloned()
            .ok_or_else(|| ComposeError::Unsatisfied {
                chain: chain.to_vec(),
                name: partial.to_string(),
                requirements: all
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                available: versions.iter().map(Version::to_string).collect(),
                context: self.context.to_string(),
            })
    }
}

/// The prompt's variables, then each partial's that the prompt does not
/// declare; two partials declaring one differently (required in one,
/// another default in the other) is an error the prompt settles by
/// declaring it.
fn composed_variables(
    prompt: &Prompt,
    partials: &BTreeMap<String, Prompt>,
    chains: &BTreeMap<String, Vec<String>>,
) -> Result<IndexMap<String, Variable>, ComposeError> {
    let mut out = prompt.file.variables.clone();
    let mut from: BTreeMap<String, &str> = BTreeMap::new();
    // In the order reached: shorter chains first, then by name.
    let mut order: Vec<&String> = partials.keys().collect();
    order.sort_by_key(|n| (chains[*n].len(), n.as_str()));
    for name in order {
        for (variable, declared) in &partials[name].file.variables {
            if prompt.file.variables.contains_key(variable) {
                continue;
            }
            match out.get(variable) {
                None => {
                    out.insert(variable.clone(), declared.clone());
                    from.insert(variable.clone(), name);
                }
                Some(first) if first.default == declared.default => {}
                Some(_) => {
                    return Err(ComposeError::VariableConflict {
                        variable: variable.clone(),
                        first: chains[from[variable]].clone(),
                        second: chains[name].clone(),
                    })
                }
            }
        }
    }
    Ok(out)
}

/// Each partial offers the one version its file has: the working tree,
/// a commit's tree, one side of `check`. `read` gives a file's bytes by
/// name, `Ok(None)` when there is no such file.
pub struct Files<F> {
    read: F,
    /// Each name read so far: its parsed file, `None` when there is none.
    /// Shared by every prompt composed with this source, so a partial many
    /// prompts include is read and parsed once.
    parsed: BTreeMap<String, Option<Prompt>>,
}

impl<F> Files<F>
where
    F: FnMut(&PromptName) -> Result<Option<Vec<u8>>, String>,
{
    /// The files `read` finds.
    pub fn new(read: F) -> Files<F> {
        Files {
            read,
            parsed: BTreeMap::new(),
        }
    }
}

impl<F> Source for Files<F>
where
    F: FnMut(&PromptName) -> Result<Option<Vec<u8>>, String>,
{
    fn versions(&mut self, name: &str) -> Result<Vec<Version>, String> {
        // A name that is not a prompt name is no file: it cannot leave the
        // prompts directory.
        let Ok(parsed) = PromptName::parse(name) else {
            return Ok(Vec::new());
        };
        if let Some(known) = self.parsed.get(name) {
            return Ok(known.iter().map(|p| p.version.clone()).collect());
        }
        let file = match (self.read)(&parsed)? {
            Some(bytes) => Some(crate::prompt::parse(&bytes).map_err(|f| invalid_file(&f))?),
            None => None,
        };
        let versions = file.iter().map(|p| p.version.clone()).collect();
        self.parsed.insert(name.to_string(), file);
        Ok(versions)
    }

    fn load(&mut self, name: &str, _: &Version) -> Result<Prompt, String> {
        self.parsed
            .get(name)
            .cloned()
            .flatten()
            .ok_or_else(|| format!("{name} has no file here"))
    }
}

/// Why a partial's file cannot be used: its first error.
pub fn invalid_file(findings: &[crate::finding::Finding]) -> String {
    let first = findings
        .iter()
        .find(|f| f.level == crate::finding::Level::Error)
        .map_or_else(String::new, |f| format!(" ({})", f.message));
    format!("the file is not valid{first}; `promptreg validate` lists every problem")
}

/// Exactly the versions pinned (a lockfile entry's or a bundle file's
/// `partials`), read by `load`.
pub struct Pinned<'a> {
    /// Partial name → pinned version.
    pub versions: &'a BTreeMap<String, String>,
    /// Reads a pinned partial.
    pub load: &'a mut dyn FnMut(&str, &str) -> Result<Prompt, String>,
}

impl Source for Pinned<'_> {
    fn versions(&mut self, name: &str) -> Result<Vec<Version>, String> {
        match self.versions.get(name) {
            None => Ok(Vec::new()),
            Some(v) => Version::parse(v)
                .map(|v| vec![v])
                .map_err(|e| format!("pinned version `{v}` is not SemVer ({e})")),
        }
    }

    fn load(&mut self, name: &str, version: &Version) -> Result<Prompt, String> {
        (self.load)(name, &version.to_string())
    }
}

impl fmt::Display for Composition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .partials
            .iter()
            .map(|(n, p)| format!("{n}@{}", p.version))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARTIAL: &str = "version: 1.2.0\npartial: true\ntemplate: |\n  Be brief.\nchangelog:\n  - version: 1.2.0\n    date: 2026-10-10T10:10:00Z\n    author: Grace Hopper <grace@example.com>\n    reason: Shorter.\n";

    #[test]
    fn files_read_and_parse_each_name_once() {
        let reads = std::cell::Cell::new(0);
        let mut files = Files::new(|name: &PromptName| {
            reads.set(reads.get() + 1);
            Ok((name.as_str() == "shared/a").then(|| PARTIAL.as_bytes().to_vec()))
        });
        let first = files.versions("shared/a").unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(files.versions("shared/a").unwrap(), first);
        assert!(files.versions("shared/none").unwrap().is_empty());
        assert!(files.versions("shared/none").unwrap().is_empty());
        assert_eq!(reads.get(), 2, "one read per name");
        assert_eq!(files.load("shared/a", &first[0]).unwrap().version, first[0]);
        assert!(files.load("shared/none", &first[0]).is_err());
    }
}
