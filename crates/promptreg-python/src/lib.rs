//! The Python runtime: a thin layer over `promptreg-core`. Loading and
//! verifying a bundle, A/B arm assignment and rendering are the core's code,
//! so an application renders exactly what `promptreg render` prints
//! (docs/DESIGN.md §15). This file converts types and maps errors; it holds
//! no rule of its own.

use promptreg_core::bundle::{self, Problem};
use promptreg_core::digest::sha256_hex;
use promptreg_core::lockfile::Pin;
use promptreg_core::prompt::{self, Compiled, Kind, Rendered};
use promptreg_core::registry::Registry as Tree;
use promptreg_core::{scores, split};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

create_exception!(
    _promptreg,
    Error,
    PyException,
    "Base class of every error promptreg raises."
);
create_exception!(
    _promptreg,
    BundleError,
    Error,
    "A bundle or registry that cannot be served; nothing of it was loaded."
);
create_exception!(
    _promptreg,
    ManifestError,
    BundleError,
    "manifest.json is missing, unreadable, or contradicts itself."
);
create_exception!(
    _promptreg,
    UnsupportedFormatError,
    BundleError,
    "The manifest is of a format this promptreg does not read."
);
create_exception!(
    _promptreg,
    IntegrityError,
    BundleError,
    "A listed file is missing, has other bytes than its sha256, or its path leaves the bundle."
);
create_exception!(
    _promptreg,
    InvalidPromptError,
    BundleError,
    "A prompt file that is not valid, or carries another version than listed."
);
create_exception!(
    _promptreg,
    UnknownPromptError,
    Error,
    "The bundle deploys no prompt of that name."
);
create_exception!(
    _promptreg,
    KeyRequiredError,
    Error,
    "The prompt is an A/B split: get() needs the key that picks the arm."
);
create_exception!(
    _promptreg,
    RenderError,
    Error,
    "A render with a missing or unknown variable, or a template that fails."
);

/// One servable version: its facts and its parsed templates.
struct Entry {
    name: String,
    version: String,
    sha256: String,
    commit: Option<String>,
    blob: Option<String>,
    author: Option<String>,
    date: Option<String>,
    reason: Option<String>,
    environment: Option<String>,
    compiled: Compiled,
}

/// Everything one load produced. Swapped whole by `reload`, so a caller
/// holding a prompt keeps a consistent one.
struct Snapshot {
    path: PathBuf,
    /// `None` for a working tree (no pins, no history).
    environment: Option<String>,
    commit: Option<String>,
    pins: BTreeMap<String, Pin>,
    entries: BTreeMap<(String, String), Arc<Entry>>,
    from_bundle: bool,
}

fn raise_problems(py: Python<'_>, dir: &Path, problems: &[Problem]) -> PyErr {
    let first = &problems[0];
    let mut message = format!("cannot load the bundle {}: {first}", dir.display());
    if problems.len() > 1 {
        message.push_str(&format!(" (and {} more problem(s))", problems.len() - 1));
    }
    let err = match first {
        Problem::UnsupportedVersion { .. } => UnsupportedFormatError::new_err(message),
        Problem::Missing { .. } | Problem::Mismatch { .. } | Problem::UnsafePath { .. } => {
            IntegrityError::new_err(message)
        }
        Problem::Invalid { .. } => InvalidPromptError::new_err(message),
        Problem::Manifest(_) | Problem::Inconsistent(_) => ManifestError::new_err(message),
    };
    let value = err.value(py);
    let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let _ = value.setattr("path", first.path());
    let _ = value.setattr("problems", all);
    err
}

fn load_bundle(py: Python<'_>, dir: &Path) -> PyResult<Snapshot> {
    let loaded = py
        .allow_threads(|| bundle::load(dir))
        .map_err(|problems| raise_problems(py, dir, &problems))?;
    let env = loaded.manifest.environment.clone();
    let mut entries = BTreeMap::new();
    for (key, file) in loaded.files {
        let e = &file.entry;
        let compiled = file.compiled;
        entries.insert(
            key,
            Arc::new(Entry {
                name: e.name.clone(),
                version: e.version.clone(),
                sha256: e.sha256.clone(),
                commit: Some(e.commit.clone()),
                blob: Some(e.blob.clone()),
                author: Some(e.author.clone()),
                date: Some(e.date.clone()),
                reason: Some(e.reason.clone()),
                environment: Some(env.clone()),
                compiled,
            }),
        );
    }
    Ok(Snapshot {
        path: dir.to_path_buf(),
        environment: Some(env),
        commit: Some(loaded.manifest.registry_commit),
        pins: loaded.manifest.prompts,
        entries,
        from_bundle: true,
    })
}

fn load_tree(py: Python<'_>, start: &Path) -> PyResult<Snapshot> {
    let fail = |e: anyhow::Error| BundleError::new_err(format!("{e:#}"));
    let tree = Tree::open(start).map_err(fail)?;
    let scan = tree.scan().map_err(fail)?;
    if let Some(problem) = scan.problems.first() {
        return Err(InvalidPromptError::new_err(problem.to_string()));
    }
    let mut pins = BTreeMap::new();
    let mut entries = BTreeMap::new();
    // One source for every prompt: a partial many include is read once.
    let mut partials = promptreg_core::registry::working_tree_partials(&tree);
    for name in &scan.prompts {
        let path = tree.relative_path(name);
        let bytes = tree.read_prompt(name).map_err(fail)?;
        let parsed = prompt::parse(&bytes).map_err(|findings| {
            let why: Vec<String> = findings
                .iter()
                .filter(|f| f.level == promptreg_core::finding::Level::Error)
                .map(ToString::to_string)
                .collect();
            let err = InvalidPromptError::new_err(format!(
                "{path}: not a valid prompt file: {}",
                why.join("; ")
            ));
            let _ = err.value(py).setattr("path", path.clone());
            err
        })?;
        // Partials are served through the prompts that include them
        // (docs/DESIGN.md §16), with the working tree's files.
        if parsed.file.partial {
            continue;
        }
        let version = parsed.version.to_string();
        let composition = promptreg_core::compose::compose(
            name.as_str(),
            &parsed,
            &mut partials,
            "in the working tree",
        )
        .map_err(|e| {
            let err = InvalidPromptError::new_err(format!("{path}: {e}"));
            let _ = err.value(py).setattr("path", path.clone());
            err
        })?;
        let compiled = composition.compile(&parsed).map_err(|e| {
            let err = InvalidPromptError::new_err(format!("{path}: {e}"));
            let _ = err.value(py).setattr("path", path.clone());
            err
        })?;
        pins.insert(name.to_string(), Pin::Version(version.clone()));
        entries.insert(
            (name.to_string(), version.clone()),
            Arc::new(Entry {
                name: name.to_string(),
                version,
                sha256: sha256_hex(&bytes),
                commit: None,
                blob: None,
                author: None,
                date: None,
                reason: None,
                environment: None,
                compiled,
            }),
        );
    }
    Ok(Snapshot {
        path: tree.root.clone(),
        environment: None,
        commit: None,
        pins,
        entries,
        from_bundle: false,
    })
}

/// Prompts to serve: a verified bundle (`load`) or a working tree
/// (`open_registry`).
#[pyclass(frozen, module = "promptreg._promptreg")]
struct Registry {
    current: RwLock<Arc<Snapshot>>,
}

impl Registry {
    fn snapshot(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(s) => Arc::clone(&s),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }
}

#[pymethods]
impl Registry {
    /// The prompt `name` as this registry serves it. For an A/B split,
    /// `key` (a user or session id) picks the arm exactly as
    /// `promptreg pick` does; otherwise `key` is ignored.
    #[pyo3(signature = (name, key=None))]
    fn get(&self, name: &str, key: Option<&str>) -> PyResult<Prompt> {
        let snap = self.snapshot();
        let pin = snap.pins.get(name).ok_or_else(|| {
            let known: Vec<&str> = snap.pins.keys().map(String::as_str).take(10).collect();
            UnknownPromptError::new_err(format!(
                "no prompt `{name}` in {} (it has: {}{})",
                snap.path.display(),
                known.join(", "),
                if snap.pins.len() > known.len() {
                    ", …"
                } else {
                    ""
                }
            ))
        })?;
        let env = snap.environment.as_deref().unwrap_or_default();
        let version = split::version_for(pin, name, env, key)
            .map_err(|e| ManifestError::new_err(format!("{name}: {e}")))?
            .ok_or_else(|| {
                KeyRequiredError::new_err(format!(
                    "{name} is an A/B split ({pin}): pass key= (a user or session id) to pick the arm"
                ))
            })?;
        let entry = snap
            .entries
            .get(&(name.to_string(), version.clone()))
            .ok_or_else(|| ManifestError::new_err(format!("{name} {version} has no file")))?;
        Ok(Prompt {
            entry: Arc::clone(entry),
        })
    }

    /// Loads the bundle again (or the one at `path`) and swaps to it only
    /// when it verifies completely; on any error the old one stays served.
    #[pyo3(signature = (path=None))]
    fn reload(&self, py: Python<'_>, path: Option<PathBuf>) -> PyResult<()> {
        let old = self.snapshot();
        let path = path.unwrap_or_else(|| old.path.clone());
        let next = if old.from_bundle {
            load_bundle(py, &path)?
        } else {
            load_tree(py, &path)?
        };
        match self.current.write() {
            Ok(mut s) => *s = Arc::new(next),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(next),
        }
        Ok(())
    }

    /// The names of the prompts served, sorted.
    fn names(&self) -> Vec<String> {
        self.snapshot().pins.keys().cloned().collect()
    }

    fn __contains__(&self, name: &str) -> bool {
        self.snapshot().pins.contains_key(name)
    }

    fn __len__(&self) -> usize {
        self.snapshot().pins.len()
    }

    /// The environment of the bundle (`None` for a working tree).
    #[getter]
    fn environment(&self) -> Option<String> {
        self.snapshot().environment.clone()
    }

    /// The registry commit the bundle was exported from (`None` for a
    /// working tree).
    #[getter]
    fn commit(&self) -> Option<String> {
        self.snapshot().commit.clone()
    }

    /// The bundle directory, or the registry root of a working tree.
    #[getter]
    fn path(&self) -> PathBuf {
        self.snapshot().path.clone()
    }

    fn __repr__(&self) -> String {
        let s = self.snapshot();
        match &s.environment {
            Some(env) => format!(
                "<promptreg.Registry bundle {} ({env}, {} prompts)>",
                s.path.display(),
                s.pins.len()
            ),
            None => format!(
                "<promptreg.Registry working tree {} ({} prompts)>",
                s.path.display(),
                s.pins.len()
            ),
        }
    }
}

/// One version of one prompt, ready to render.
#[pyclass(frozen, module = "promptreg._promptreg")]
struct Prompt {
    entry: Arc<Entry>,
}

fn to_py<'py, T: serde::Serialize + ?Sized>(py: Python<'py>, value: &T) -> PyResult<PyObject> {
    Ok(pythonize::pythonize(py, value)?.unbind())
}

#[pymethods]
impl Prompt {
    /// The prompt's name, e.g. `support/triage`.
    #[getter]
    fn name(&self) -> &str {
        &self.entry.name
    }

    /// The version served, e.g. `1.3.0`.
    #[getter]
    fn version(&self) -> &str {
        &self.entry.version
    }

    /// Lowercase hex SHA-256 of the prompt file's bytes.
    #[getter]
    fn sha256(&self) -> &str {
        &self.entry.sha256
    }

    /// The release commit of this version (`None` in a working tree).
    #[getter]
    fn commit(&self) -> Option<&str> {
        self.entry.commit.as_deref()
    }

    /// The Git blob id of the file (`None` in a working tree).
    #[getter]
    fn blob(&self) -> Option<&str> {
        self.entry.blob.as_deref()
    }

    /// Who released this version, `Name <email>` (`None` in a working tree).
    #[getter]
    fn author(&self) -> Option<&str> {
        self.entry.author.as_deref()
    }

    /// When this version was released, RFC 3339 UTC.
    #[getter]
    fn date(&self) -> Option<&str> {
        self.entry.date.as_deref()
    }

    /// Why this version was released.
    #[getter]
    fn reason(&self) -> Option<&str> {
        self.entry.reason.as_deref()
    }

    /// The environment it is served in (`None` in a working tree).
    #[getter]
    fn environment(&self) -> Option<&str> {
        self.entry.environment.as_deref()
    }

    /// `"text"` or `"chat"`.
    #[getter]
    fn kind(&self) -> &'static str {
        match self.entry.compiled.prompt.kind() {
            Kind::Text => "text",
            Kind::Chat => "chat",
        }
    }

    /// `{"provider", "name", "parameters"}`, or `None`.
    #[getter]
    fn model(&self, py: Python<'_>) -> PyResult<PyObject> {
        to_py(py, &self.entry.compiled.prompt.file.model)
    }

    /// Declared variables: name → `{"description", "default", "required"}`.
    #[getter]
    fn variables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        for (name, var) in &self.entry.compiled.variables {
            let d = PyDict::new(py);
            d.set_item("description", &var.description)?;
            d.set_item("default", to_py(py, &var.default)?)?;
            d.set_item("required", var.is_required())?;
            out.set_item(name, d)?;
        }
        Ok(out)
    }

    /// The structured-output contract `{"format", "schema"}`, or `None`.
    #[getter]
    fn output(&self, py: Python<'_>) -> PyResult<PyObject> {
        to_py(py, &self.entry.compiled.prompt.file.output)
    }

    /// Renders in strict mode: a missing required variable or an unknown
    /// one raises `RenderError` naming it; declared defaults apply. A text
    /// prompt gives a `str`, a chat prompt a list of `{"role", "content"}`
    /// dicts, byte for byte what `promptreg render --format json` prints.
    #[pyo3(signature = (**variables))]
    fn render(&self, py: Python<'_>, variables: Option<&Bound<'_, PyDict>>) -> PyResult<PyObject> {
        let mut given = BTreeMap::new();
        if let Some(vars) = variables {
            for (k, v) in vars.iter() {
                let key: String = k.extract()?;
                let value: serde_json::Value = pythonize::depythonize(&v).map_err(|e| {
                    RenderError::new_err(format!(
                        "cannot render {} {}: variable {key}: {e}",
                        self.entry.name, self.entry.version
                    ))
                })?;
                given.insert(key, value);
            }
        }
        let compiled = &self.entry.compiled;
        let rendered = py.allow_threads(|| compiled.render(&given)).map_err(|e| {
            RenderError::new_err(format!(
                "cannot render {} {}: {e}",
                self.entry.name, self.entry.version
            ))
        })?;
        Ok(match rendered {
            Rendered::Text(text) => PyString::new(py, &text).into_any().unbind(),
            Rendered::Chat(messages) => {
                let list = PyList::empty(py);
                for m in messages {
                    let d = PyDict::new(py);
                    d.set_item("role", m.role)?;
                    d.set_item("content", m.content)?;
                    list.append(d)?;
                }
                list.into_any().unbind()
            }
        })
    }

    /// OpenTelemetry attributes for the model call made with this prompt.
    fn attributes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let e = &self.entry;
        let d = PyDict::new(py);
        d.set_item("gen_ai.prompt.name", &e.name)?;
        if let Some(model) = &e.compiled.prompt.file.model {
            d.set_item("gen_ai.provider.name", &model.provider)?;
            d.set_item("gen_ai.request.model", &model.name)?;
        }
        d.set_item("promptreg.prompt.version", &e.version)?;
        d.set_item("promptreg.prompt.sha256", &e.sha256)?;
        if let Some(commit) = &e.commit {
            d.set_item("promptreg.prompt.commit", commit)?;
        }
        if let Some(env) = &e.environment {
            d.set_item("promptreg.environment", env)?;
        }
        Ok(d)
    }

    /// A score record for the application to log, one JSON object a line;
    /// `promptreg score --from FILE.jsonl` aggregates and records them.
    fn outcome<'py>(
        &self,
        py: Python<'py>,
        metric: &str,
        value: f64,
    ) -> PyResult<Bound<'py, PyDict>> {
        if !scores::is_metric_name(metric) {
            return Err(PyValueError::new_err(format!(
                "`{metric}` is not a metric name: use letters, digits, `_`, `.` and `-`, starting with a letter or digit"
            )));
        }
        if !value.is_finite() {
            return Err(PyValueError::new_err(format!(
                "metric {metric}: {value} is not a finite number"
            )));
        }
        let e = &self.entry;
        let d = PyDict::new(py);
        d.set_item("prompt", &e.name)?;
        d.set_item("version", &e.version)?;
        d.set_item("metric", metric)?;
        d.set_item("value", value)?;
        d.set_item("sha256", &e.sha256)?;
        d.set_item("commit", &e.commit)?;
        d.set_item("environment", &e.environment)?;
        d.set_item(
            "timestamp",
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        )?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "<promptreg.Prompt {} {} ({})>",
            self.entry.name,
            self.entry.version,
            self.kind()
        )
    }
}

/// Loads the bundle `promptreg export` wrote in `path`. Every listed file
/// is verified against its sha256 and parsed before anything is served;
/// any problem raises a subclass of `BundleError` naming the file.
#[pyfunction]
fn load(py: Python<'_>, path: PathBuf) -> PyResult<Registry> {
    let snap = load_bundle(py, &path)?;
    Ok(Registry {
        current: RwLock::new(Arc::new(snap)),
    })
}

/// Serves the working tree's prompt files of the registry around `path`,
/// for development: no pins, no history, each prompt at its file's version.
#[pyfunction]
#[pyo3(signature = (path=PathBuf::from(".")))]
fn open_registry(py: Python<'_>, path: PathBuf) -> PyResult<Registry> {
    let snap = load_tree(py, &path)?;
    Ok(Registry {
        current: RwLock::new(Arc::new(snap)),
    })
}

/// The bucket (0..10,000) and version `key` gets of a split, as
/// `promptreg pick` computes them; for tests and tooling.
#[pyfunction]
fn bucket(name: &str, environment: &str, key: &str) -> u64 {
    split::bucket(name, environment, key)
}

#[pymodule]
fn _promptreg(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(open_registry, m)?)?;
    m.add_function(wrap_pyfunction!(bucket, m)?)?;
    m.add_class::<Registry>()?;
    m.add_class::<Prompt>()?;
    m.add("Error", py.get_type::<Error>())?;
    m.add("BundleError", py.get_type::<BundleError>())?;
    m.add("ManifestError", py.get_type::<ManifestError>())?;
    m.add(
        "UnsupportedFormatError",
        py.get_type::<UnsupportedFormatError>(),
    )?;
    m.add("IntegrityError", py.get_type::<IntegrityError>())?;
    m.add("InvalidPromptError", py.get_type::<InvalidPromptError>())?;
    m.add("UnknownPromptError", py.get_type::<UnknownPromptError>())?;
    m.add("KeyRequiredError", py.get_type::<KeyRequiredError>())?;
    m.add("RenderError", py.get_type::<RenderError>())?;
    Ok(())
}
