//! Where a prompt's partials come from (docs/DESIGN.md §16): the working
//! tree for the working tree, a commit's tree for a revision, the
//! lockfile's pins for a pinned version, the mainline's releases otherwise.
//! The resolution itself is the core's `compose`.

use crate::context::Context;
use crate::history::git::Repo;
use crate::history::History;
use crate::lookup::{Loaded, Origin};
use anyhow::Result;
use promptreg_core::compose::{self, ComposeError, Composition, Source};
use promptreg_core::error::fail;
use promptreg_core::lockfile::{Existing, Lockfile};
use promptreg_core::name::PromptName;
use promptreg_core::prompt::{self, Prompt};
use promptreg_core::registry::Registry;
use semver::Version;
use std::collections::BTreeMap;

/// The partials of one commit's tree (`rev:` references, `diff --base`):
/// each name offers the one version its file has there.
pub fn at_commit<'a>(
    repo: &'a Repo,
    registry: &'a Registry,
    commit: &'a str,
) -> compose::Files<impl FnMut(&PromptName) -> Result<Option<Vec<u8>>, String> + 'a> {
    compose::Files::new(move |name: &PromptName| {
        repo.read_file_at(commit, &registry.relative_path(name))
            .map(|found| found.map(|(_, bytes)| bytes))
            .map_err(|e| format!("{e:#}"))
    })
}

/// The mainline's released versions: what `lock` resolves against.
pub struct Releases<'a> {
    pub repo: &'a Repo,
    pub history: &'a History,
}

impl Source for Releases<'_> {
    fn versions(&mut self, name: &str) -> Result<Vec<Version>, String> {
        let Ok(parsed) = PromptName::parse(name) else {
            return Ok(Vec::new());
        };
        Ok(self
            .history
            .get(&parsed)
            .map(|h| h.versions.iter().map(|r| r.version.clone()).collect())
            .unwrap_or_default())
    }

    fn load(&mut self, name: &str, version: &Version) -> Result<Prompt, String> {
        let parsed = PromptName::parse(name).map_err(|e| e.to_string())?;
        let release = self
            .history
            .get(&parsed)
            .and_then(|h| h.exact(version))
            .ok_or_else(|| format!("{name} {version} is not released"))?;
        let bytes = self
            .repo
            .read_blob(&release.blob)
            .map_err(|e| format!("{e:#}"))?;
        prompt::parse(&bytes).map_err(|f| compose::invalid_file(&f))
    }
}

/// Reads a pinned partial of `lock` from Git.
pub fn pinned_loader<'a>(
    repo: &'a Repo,
    lock: &'a Lockfile,
) -> impl FnMut(&str, &str) -> Result<Prompt, String> + 'a {
    move |name, version| {
        let entry = lock
            .partial_entry(name, version)
            .ok_or_else(|| format!("{name} {version} has no entry under `partials:`"))?;
        let bytes = repo.read_blob(&entry.blob).map_err(|e| format!("{e:#}"))?;
        prompt::parse(&bytes).map_err(|f| compose::invalid_file(&f))
    }
}

/// The error of a composition that failed, for a command that needs it.
pub fn failure(name: &str, e: &ComposeError) -> anyhow::Error {
    fail(format!("cannot compose {name}: {e}"))
        .hint(
            "`promptreg validate` checks every prompt's partials; `promptreg show NAME` lists them",
        )
        .into()
}

/// The composition of a prompt as `lookup::load` found it: the working
/// tree's partials for the working tree, a commit's for a revision, and
/// for a released version the lockfile's pins when it pins that version,
/// else the releases resolved as `lock` would.
pub fn of_loaded(
    ctx: &Context,
    registry: &Registry,
    name: &PromptName,
    loaded: &Loaded,
) -> Result<Composition> {
    let prompt = &loaded.prompt;
    if prompt.file.partials.is_empty() {
        return Ok(Composition::alone(prompt));
    }
    let result = match &loaded.origin {
        Origin::WorkingTree => compose::compose(
            name.as_str(),
            prompt,
            &mut promptreg_core::registry::working_tree_partials(registry),
            "in the working tree",
        ),
        Origin::Revision { commit, .. } => {
            let repo = ctx.repo(registry)?;
            let mut source = at_commit(&repo, registry, commit);
            let composed = compose::compose(
                name.as_str(),
                prompt,
                &mut source,
                &format!("at {}", crate::history::short(commit)),
            );
            composed
        }
        Origin::Released(release) => {
            let repo = ctx.repo(registry)?;
            let lock = match promptreg_core::lockfile::read(
                &registry.root.join(promptreg_core::lockfile::FILE_NAME),
            )? {
                Existing::Valid { lockfile, .. } => Some(lockfile),
                _ => None,
            };
            let version = release.version.to_string();
            match lock
                .as_ref()
                .and_then(|l| l.entry(name.as_str(), &version).map(|e| (l, e)))
            {
                Some((lock, entry)) if entry.blob == release.blob => {
                    let mut load = pinned_loader(&repo, lock);
                    compose::compose(
                        name.as_str(),
                        prompt,
                        &mut compose::Pinned {
                            versions: &entry.partials,
                            load: &mut load,
                        },
                        "in prompts.lock",
                    )
                }
                _ => {
                    let history = ctx.history(registry, &repo)?;
                    compose::compose(
                        name.as_str(),
                        prompt,
                        &mut Releases {
                            repo: &repo,
                            history: &history,
                        },
                        "on the mainline",
                    )
                }
            }
        }
    };
    result.map_err(|e| failure(name.as_str(), &e))
}

/// The finding `validate` and `check` report for a prompt whose partials do
/// not compose, at the declaration that leads to the problem.
pub fn finding(e: &ComposeError, text: &str, file: &str) -> promptreg_core::finding::Finding {
    let at = e
        .declaration()
        .and_then(|d| promptreg_core::yaml::locate(text, &["partials", d]));
    promptreg_core::finding::Finding::error(e.rule(), at, e.to_string()).in_file(file)
}

/// A working-tree prompt's composition problem, for `validate`, with
/// `partials` shared by every prompt it checks.
pub fn working_tree_problems(
    registry: &Registry,
    partials: &mut dyn Source,
    name: &PromptName,
    bytes: &[u8],
) -> Option<promptreg_core::finding::Finding> {
    let prompt = prompt::parse(bytes).ok()?;
    if prompt.file.partials.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(bytes);
    compose::compose(name.as_str(), &prompt, partials, "in the working tree")
        .err()
        .map(|e| finding(&e, &text, &registry.relative_path(name)))
}

/// Who includes whom in the working tree (docs/DESIGN.md §16): for `list`,
/// `show` and `doctor`.
#[derive(Debug, Default)]
pub struct Graph {
    /// File name → the partials it declares, with their requirements.
    pub declares: BTreeMap<String, Vec<(String, String)>>,
    /// The names whose file is a partial.
    pub partials: std::collections::BTreeSet<String>,
}

impl Graph {
    /// Reads every valid prompt file of the working tree.
    pub fn of_working_tree(registry: &Registry) -> Result<Graph> {
        let mut graph = Graph::default();
        for name in registry.scan()?.prompts {
            let Ok(bytes) = registry.read_prompt(&name) else {
                continue;
            };
            if !bytes.windows(7).any(|w| w == b"partial") {
                continue;
            }
            let Ok(file) = prompt::parse(&bytes) else {
                continue;
            };
            if file.file.partial {
                graph.partials.insert(name.to_string());
            }
            if !file.file.partials.is_empty() {
                graph.declares.insert(
                    name.to_string(),
                    file.file
                        .partials
                        .iter()
                        .map(|(n, r)| (n.clone(), r.0.clone()))
                        .collect(),
                );
            }
        }
        Ok(graph)
    }

    /// True when the registry has partials or includes.
    pub fn is_empty(&self) -> bool {
        self.partials.is_empty() && self.declares.is_empty()
    }

    /// The files that declare `name`, sorted.
    pub fn users(&self, name: &str) -> Vec<String> {
        self.declares
            .iter()
            .filter(|(_, d)| d.iter().any(|(n, _)| n == name))
            .map(|(user, _)| user.clone())
            .collect()
    }

    /// The partials no prompt reaches, directly or through other partials.
    pub fn unused(&self) -> Vec<String> {
        let mut reached = std::collections::BTreeSet::new();
        let mut stack: Vec<&str> = self
            .declares
            .keys()
            .filter(|n| !self.partials.contains(*n))
            .map(String::as_str)
            .collect();
        while let Some(next) = stack.pop() {
            for (partial, _) in self.declares.get(next).into_iter().flatten() {
                if reached.insert(partial.clone()) {
                    stack.push(partial);
                }
            }
        }
        self.partials
            .iter()
            .filter(|p| !reached.contains(*p))
            .cloned()
            .collect()
    }
}
