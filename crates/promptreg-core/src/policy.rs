//! The bump policy (docs/DESIGN.md §6): compare the old and new prompt
//! *interface* and say which bump the change requires, rule by rule.

use crate::prompt::{Message, PromptFile};
use indexmap::IndexMap;
use semver::Version;
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// A bump level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BumpLevel {
    /// A change that keeps the interface: text, model parameter values,
    /// defaults, descriptions.
    Patch,
    /// A compatible interface change (e.g. an optional variable added).
    Minor,
    /// A breaking interface change (e.g. a required variable added).
    Major,
}

/// Every rule with its default level. `bump_policy:` in promptreg.yaml may
/// raise a rule's level, never lower it.
pub const RULES: &[(&str, BumpLevel, &str)] = &[
    (
        "variable-required-added",
        BumpLevel::Major,
        "required variable added",
    ),
    (
        "variable-removed",
        BumpLevel::Major,
        "variable removed or renamed",
    ),
    (
        "variable-made-required",
        BumpLevel::Major,
        "optional variable made required",
    ),
    (
        "output-format-changed",
        BumpLevel::Major,
        "output format changed",
    ),
    (
        "output-schema-narrowed",
        BumpLevel::Major,
        "output schema made stricter, or changed in a way that cannot be judged",
    ),
    (
        "model-provider-changed",
        BumpLevel::Major,
        "model provider changed",
    ),
    (
        "kind-changed",
        BumpLevel::Major,
        "text prompt became chat prompt or back",
    ),
    (
        "variable-optional-added",
        BumpLevel::Minor,
        "optional variable added",
    ),
    (
        "variable-default-added",
        BumpLevel::Minor,
        "required variable given a default",
    ),
    (
        "output-schema-extended",
        BumpLevel::Minor,
        "output schema extended compatibly",
    ),
    ("model-name-changed", BumpLevel::Minor, "model name changed"),
    ("message-added", BumpLevel::Minor, "message added"),
    ("message-removed", BumpLevel::Minor, "message removed"),
    (
        "message-role-changed",
        BumpLevel::Minor,
        "role of a message changed",
    ),
    ("message-reordered", BumpLevel::Minor, "messages reordered"),
    (
        "template-changed",
        BumpLevel::Patch,
        "template or message text changed",
    ),
    (
        "model-parameters-changed",
        BumpLevel::Patch,
        "model parameter values changed",
    ),
    (
        "variable-default-changed",
        BumpLevel::Patch,
        "a variable's default value changed",
    ),
    (
        "description-changed",
        BumpLevel::Patch,
        "description of the prompt, a variable or the output schema changed",
    ),
];

/// The default level of a rule.
pub fn default_level(rule: &str) -> Option<BumpLevel> {
    RULES
        .iter()
        .find(|(id, _, _)| *id == rule)
        .map(|(_, level, _)| *level)
}

/// One interface change, with the policy rule that fired and its level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The id of the rule that fired, one of `RULES`, e.g. `variable-removed`.
    pub rule: &'static str,
    /// The level the rule requires: its default, raised by `bump_policy`.
    pub level: BumpLevel,
    /// What changed, for a person to read, e.g. `model name changed from a to b`.
    pub message: String,
}

/// Compares two prompt files' interfaces. `overrides` raise rule levels.
pub fn compare(
    old: &PromptFile,
    new: &PromptFile,
    overrides: &IndexMap<String, BumpLevel>,
) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut fire = |rule: &'static str, message: String| {
        let base = default_level(rule).unwrap_or(BumpLevel::Major);
        let level = overrides.get(rule).copied().map_or(base, |o| o.max(base));
        changes.push(Change {
            rule,
            level,
            message,
        });
    };
    compare_variables(old, new, &mut fire);
    compare_body(old, new, &mut fire);
    compare_output(old, new, &mut fire);
    compare_model(old, new, &mut fire);
    if old.description != new.description {
        fire("description-changed", "description changed".into());
    }
    // Most serious first; detection order within a level.
    changes.sort_by_key(|c| std::cmp::Reverse(c.level));
    changes
}

type Fire<'a> = dyn FnMut(&'static str, String) + 'a;

fn compare_variables(old: &PromptFile, new: &PromptFile, fire: &mut Fire<'_>) {
    for (name, var) in &old.variables {
        match new.variables.get(name) {
            None => fire("variable-removed", format!("variable '{name}' removed")),
            Some(now) => {
                match (var.is_required(), now.is_required()) {
                    (false, true) => fire(
                        "variable-made-required",
                        format!("variable '{name}' made required (default removed)"),
                    ),
                    (true, false) => fire(
                        "variable-default-added",
                        format!("required variable '{name}' given a default"),
                    ),
                    (false, false) if var.default != now.default => fire(
                        "variable-default-changed",
                        format!("default of variable '{name}' changed"),
                    ),
                    _ => {}
                }
                if var.description != now.description {
                    fire(
                        "description-changed",
                        format!("description of variable '{name}' changed"),
                    );
                }
            }
        }
    }
    for (name, var) in &new.variables {
        if !old.variables.contains_key(name) {
            if var.is_required() {
                fire(
                    "variable-required-added",
                    format!("required variable '{name}' added"),
                );
            } else {
                fire(
                    "variable-optional-added",
                    format!("optional variable '{name}' added"),
                );
            }
        }
    }
}

fn compare_body(old: &PromptFile, new: &PromptFile, fire: &mut Fire<'_>) {
    match (&old.template, &new.template, &old.messages, &new.messages) {
        (Some(a), Some(b), _, _) => {
            if a != b {
                fire("template-changed", "template text changed".into());
            }
        }
        (_, _, Some(a), Some(b)) => compare_messages(a, b, fire),
        _ => fire(
            "kind-changed",
            format!(
                "{} prompt became a {} prompt",
                if old.template.is_some() {
                    "text"
                } else {
                    "chat"
                },
                if new.template.is_some() {
                    "text"
                } else {
                    "chat"
                }
            ),
        ),
    }
}

/// Messages are matched by position and role; a pure permutation is
/// reported as a reordering, not as every message changed.
fn compare_messages(old: &[Message], new: &[Message], fire: &mut Fire<'_>) {
    if old == new {
        return;
    }
    let key = |m: &Message| format!("{}\u{0}{}", m.role.as_str(), m.content);
    let mut a: Vec<String> = old.iter().map(key).collect();
    let mut b: Vec<String> = new.iter().map(key).collect();
    a.sort();
    b.sort();
    if a == b {
        fire(
            "message-reordered",
            "messages reordered (same messages, another order)".into(),
        );
        return;
    }
    let old_keys: Vec<String> = old.iter().map(key).collect();
    let new_keys: Vec<String> = new.iter().map(key).collect();
    for op in similar::capture_diff_slices(similar::Algorithm::Myers, &old_keys, &new_keys) {
        let (o, n) = (op.old_range(), op.new_range());
        let paired = o.len().min(n.len());
        for k in 0..paired {
            let (x, y) = (&old[o.start + k], &new[n.start + k]);
            let at = n.start + k;
            if x.role != y.role {
                fire(
                    "message-role-changed",
                    format!(
                        "messages[{at}] role changed from {} to {}",
                        x.role.as_str(),
                        y.role.as_str()
                    ),
                );
            }
            if x.content != y.content {
                fire(
                    "template-changed",
                    format!("messages[{at}] ({}) text changed", y.role.as_str()),
                );
            }
        }
        for (i, m) in old.iter().enumerate().take(o.end).skip(o.start + paired) {
            fire(
                "message-removed",
                format!("messages[{i}] ({}) removed", m.role.as_str()),
            );
        }
        for (i, m) in new.iter().enumerate().take(n.end).skip(n.start + paired) {
            fire(
                "message-added",
                format!("messages[{i}] ({}) added", m.role.as_str()),
            );
        }
    }
}

fn compare_output(old: &PromptFile, new: &PromptFile, fire: &mut Fire<'_>) {
    let format = |f: &PromptFile| {
        f.output
            .as_ref()
            .map_or(crate::prompt::OutputFormat::Text, |o| o.format)
    };
    if format(old) != format(new) {
        let name = |f: &PromptFile| {
            if format(f) == crate::prompt::OutputFormat::Json {
                "json"
            } else {
                "text"
            }
        };
        fire(
            "output-format-changed",
            format!("output format changed from {} to {}", name(old), name(new)),
        );
    }
    let schema = |f: &PromptFile| {
        f.output
            .as_ref()
            .and_then(|o| o.schema.clone())
            .map(Value::Object)
    };
    match (schema(old), schema(new)) {
        (None, None) => {}
        (None, Some(_)) => fire(
            "output-schema-narrowed",
            "output schema added: outputs are now constrained".into(),
        ),
        (Some(_), None) => fire(
            "output-schema-narrowed",
            "output schema removed: the change cannot be judged compatible, counted as major"
                .into(),
        ),
        (Some(a), Some(b)) => compare_schema(&a, &b, "output.schema", fire),
    }
}

/// Keywords that document a schema without constraining it.
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "examples",
    "$comment",
    "default",
    "$schema",
    "$id",
];
/// Keywords the structural comparison understands.
const JUDGED: &[&str] = &["type", "properties", "required", "enum", "items"];

fn types(schema: &serde_json::Map<String, Value>) -> Option<BTreeSet<String>> {
    match schema.get("type")? {
        Value::String(s) => Some(BTreeSet::from([s.clone()])),
        Value::Array(a) => Some(
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        ),
        _ => None,
    }
}

/// True when every type in `narrow` is allowed by `wide` (integer ⊂ number).
fn types_within(narrow: &BTreeSet<String>, wide: &BTreeSet<String>) -> bool {
    narrow
        .iter()
        .all(|t| wide.contains(t) || (t == "integer" && wide.contains("number")))
}

fn compare_schema(old: &Value, new: &Value, path: &str, fire: &mut Fire<'_>) {
    if old == new {
        return;
    }
    let (Value::Object(a), Value::Object(b)) = (old, new) else {
        fire(
            "output-schema-narrowed",
            format!("{path} changed in a way that cannot be judged; counted as major"),
        );
        return;
    };
    // type
    match (types(a), types(b)) {
        (Some(x), Some(y)) if x != y => {
            if types_within(&x, &y) {
                fire(
                    "output-schema-extended",
                    format!("{path} type widened from {} to {}", list(&x), list(&y)),
                );
            } else if types_within(&y, &x) {
                fire(
                    "output-schema-narrowed",
                    format!("{path} type narrowed from {} to {}", list(&x), list(&y)),
                );
            } else {
                fire(
                    "output-schema-narrowed",
                    format!("{path} type changed from {} to {}", list(&x), list(&y)),
                );
            }
        }
        (None, Some(y)) => fire(
            "output-schema-narrowed",
            format!("{path} restricted to type {}", list(&y)),
        ),
        (Some(x), None) => fire(
            "output-schema-extended",
            format!("{path} no longer restricted to type {}", list(&x)),
        ),
        _ => {}
    }
    // enum
    let values = |m: &serde_json::Map<String, Value>| {
        m.get("enum")
            .and_then(Value::as_array)
            .map(|v| v.iter().map(Value::to_string).collect::<BTreeSet<_>>())
    };
    match (values(a), values(b)) {
        (Some(x), Some(y)) => {
            let removed: Vec<&String> = x.difference(&y).collect();
            let added: Vec<&String> = y.difference(&x).collect();
            if !removed.is_empty() {
                fire(
                    "output-schema-narrowed",
                    format!("{path} enum value(s) removed: {}", join(&removed)),
                );
            }
            if !added.is_empty() {
                fire(
                    "output-schema-extended",
                    format!("{path} enum value(s) added: {}", join(&added)),
                );
            }
        }
        (None, Some(_)) => fire(
            "output-schema-narrowed",
            format!("{path} restricted to an enum"),
        ),
        (Some(_), None) => fire(
            "output-schema-extended",
            format!("{path} no longer restricted to an enum"),
        ),
        (None, None) => {}
    }
    // properties and required
    let props = |m: &serde_json::Map<String, Value>| {
        m.get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let required = |m: &serde_json::Map<String, Value>| {
        m.get("required")
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect::<BTreeSet<_>>()
            })
            .unwrap_or_default()
    };
    let (pa, pb, ra, rb) = (props(a), props(b), required(a), required(b));
    for (name, schema) in &pa {
        match pb.get(name) {
            None => fire(
                "output-schema-narrowed",
                format!("{path} property '{name}' removed"),
            ),
            Some(now) => compare_schema(schema, now, &format!("{path}.{name}"), fire),
        }
    }
    for name in pb.keys().filter(|n| !pa.contains_key(*n)) {
        if rb.contains(name) {
            fire(
                "output-schema-narrowed",
                format!("{path} required property '{name}' added"),
            );
        } else {
            fire(
                "output-schema-extended",
                format!("{path} optional property '{name}' added"),
            );
        }
    }
    for name in rb
        .difference(&ra)
        .filter(|n| pa.contains_key(*n) || !pb.contains_key(*n))
    {
        fire(
            "output-schema-narrowed",
            format!("{path} property '{name}' made required"),
        );
    }
    for name in ra.difference(&rb) {
        fire(
            "output-schema-extended",
            format!("{path} property '{name}' no longer required"),
        );
    }
    // items
    match (a.get("items"), b.get("items")) {
        (Some(x), Some(y)) => compare_schema(x, y, &format!("{path}[]"), fire),
        (None, Some(_)) => fire("output-schema-narrowed", format!("{path} items restricted")),
        (Some(_), None) => fire(
            "output-schema-extended",
            format!("{path} items no longer restricted"),
        ),
        (None, None) => {}
    }
    // Everything else: documentation, or a constraint we cannot judge.
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for key in keys {
        if JUDGED.contains(&key.as_str()) || a.get(key) == b.get(key) {
            continue;
        }
        if ANNOTATIONS.contains(&key.as_str()) {
            fire("description-changed", format!("{path} `{key}` changed"));
        } else {
            fire(
                "output-schema-narrowed",
                format!("{path} `{key}` changed: promptreg cannot judge whether that is compatible, counted as major"),
            );
        }
    }
}

fn list(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join("|")
}

fn join(values: &[&String]) -> String {
    values
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn compare_model(old: &PromptFile, new: &PromptFile, fire: &mut Fire<'_>) {
    match (&old.model, &new.model) {
        (None, None) => {}
        (None, Some(m)) => fire(
            "model-provider-changed",
            format!("model {}/{} specified (there was none)", m.provider, m.name),
        ),
        (Some(m), None) => fire(
            "model-provider-changed",
            format!("model {}/{} no longer specified", m.provider, m.name),
        ),
        (Some(a), Some(b)) => {
            if a.provider != b.provider {
                fire(
                    "model-provider-changed",
                    format!(
                        "model provider changed from {} to {}",
                        a.provider, b.provider
                    ),
                );
            }
            if a.name != b.name {
                fire(
                    "model-name-changed",
                    format!("model name changed from {} to {}", a.name, b.name),
                );
            }
            if a.parameters != b.parameters {
                let keys: BTreeSet<&String> =
                    a.parameters.keys().chain(b.parameters.keys()).collect();
                let changed: Vec<&str> = keys
                    .into_iter()
                    .filter(|k| a.parameters.get(*k) != b.parameters.get(*k))
                    .map(String::as_str)
                    .collect();
                fire(
                    "model-parameters-changed",
                    format!("model parameters changed: {}", changed.join(", ")),
                );
            }
        }
    }
}

/// The bump a set of changes requires: the highest level, `None` when
/// nothing of the interface or the text changed.
pub fn required(changes: &[Change]) -> Option<BumpLevel> {
    changes.iter().map(|c| c.level).max()
}

/// How a version moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActualBump {
    /// Same version.
    None,
    /// Only z of x.y.z went up, from an x of 1 or more.
    Patch,
    /// y went up from an x of 1 or more, or z went up from 0.y.z (y ≥ 1).
    Minor,
    /// x went up, y went up from 0.y.z, or anything went up from 0.0.z.
    Major,
    /// Between pre-releases of one version, or from a pre-release to its
    /// release: pre-releases promise nothing, so this satisfies any bump.
    Prerelease,
    /// The new version is lower.
    Downgrade,
}

/// The bump from `old` to `new`, read the Cargo way: at 0.y.z a change of y
/// is major and a change of z is minor; at 0.0.z every change is major.
pub fn actual_bump(old: &Version, new: &Version) -> ActualBump {
    use std::cmp::Ordering::*;
    match new.cmp_precedence(old) {
        Equal => return ActualBump::None,
        Less => return ActualBump::Downgrade,
        Greater => {}
    }
    let triple = |v: &Version| (v.major, v.minor, v.patch);
    if triple(new) == triple(old) {
        return ActualBump::Prerelease;
    }
    // The level of the first component that moved, shifted for 0.y.z.
    let moved: usize = if new.major != old.major {
        0
    } else if new.minor != old.minor {
        1
    } else {
        2
    };
    let shift = if old.major > 0 {
        0
    } else if old.minor > 0 {
        1
    } else {
        2
    };
    let level = if moved == 0 {
        0
    } else {
        moved.saturating_sub(shift)
    };
    // A pre-release of a higher version (1.2.0 → 2.0.0-rc.1) still counts by
    // the component that moved.
    match level {
        0 => ActualBump::Major,
        1 => ActualBump::Minor,
        _ => ActualBump::Patch,
    }
}

/// The verdict on a change: does the actual bump cover the required one?
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// The bump covers what the change requires.
    Ok,
    /// The version did not move, but the change requires a bump.
    NotBumped {
        /// The bump the change requires.
        needs: BumpLevel,
    },
    /// The version moved by less than the change requires.
    TooSmall {
        /// The bump the change requires.
        needs: BumpLevel,
        /// The bump the version made.
        got: BumpLevel,
    },
    /// The new version is lower than the old one.
    NotGreater,
}

impl Verdict {
    /// True for `Verdict::Ok`.
    pub fn is_ok(&self) -> bool {
        matches!(self, Verdict::Ok)
    }

    /// The verdict in words, e.g. `bump too small: needs major, got minor`.
    pub fn describe(&self) -> String {
        match self {
            Verdict::Ok => "ok".into(),
            Verdict::NotBumped { needs } => format!("not bumped: needs {}", level_name(*needs)),
            Verdict::TooSmall { needs, got } => {
                format!(
                    "bump too small: needs {}, got {}",
                    level_name(*needs),
                    level_name(*got)
                )
            }
            Verdict::NotGreater => "version not greater than the old one".into(),
        }
    }
}

/// The level as `promptreg.yaml` and the output write it: `major`, `minor`
/// or `patch`.
pub fn level_name(level: BumpLevel) -> &'static str {
    match level {
        BumpLevel::Major => "major",
        BumpLevel::Minor => "minor",
        BumpLevel::Patch => "patch",
    }
}

/// Judges the move from `old` to `new` against the required bump.
pub fn verdict(required: Option<BumpLevel>, old: &Version, new: &Version) -> Verdict {
    let actual = actual_bump(old, new);
    let got = match actual {
        ActualBump::Downgrade => return Verdict::NotGreater,
        ActualBump::None => {
            return match required {
                Some(needs) => Verdict::NotBumped { needs },
                None => Verdict::Ok,
            }
        }
        ActualBump::Prerelease | ActualBump::Major => BumpLevel::Major,
        ActualBump::Minor => BumpLevel::Minor,
        ActualBump::Patch => BumpLevel::Patch,
    };
    match required {
        Some(needs) if got < needs => Verdict::TooSmall { needs, got },
        _ => Verdict::Ok,
    }
}

/// The `bump` level that satisfies `required` from `base` (0.y.z: a major
/// change bumps y).
pub fn level_for(required: BumpLevel, base: &Version) -> crate::bump::Level {
    use crate::bump::Level;
    let shift = if base.major > 0 || !base.pre.is_empty() {
        0
    } else if base.minor > 0 {
        1
    } else {
        2
    };
    let rank = match required {
        BumpLevel::Major => 0usize,
        BumpLevel::Minor => 1,
        BumpLevel::Patch => 2,
    };
    match (rank + shift).min(2) {
        0 => Level::Major,
        1 => Level::Minor,
        _ => Level::Patch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn actual_bumps_follow_cargo() {
        assert_eq!(actual_bump(&v("1.2.3"), &v("2.0.0")), ActualBump::Major);
        assert_eq!(actual_bump(&v("1.2.3"), &v("1.3.0")), ActualBump::Minor);
        assert_eq!(actual_bump(&v("1.2.3"), &v("1.2.4")), ActualBump::Patch);
        assert_eq!(actual_bump(&v("0.2.3"), &v("0.3.0")), ActualBump::Major);
        assert_eq!(actual_bump(&v("0.2.3"), &v("0.2.4")), ActualBump::Minor);
        assert_eq!(actual_bump(&v("0.0.3"), &v("0.0.4")), ActualBump::Major);
        assert_eq!(actual_bump(&v("0.9.0"), &v("1.0.0")), ActualBump::Major);
        assert_eq!(
            actual_bump(&v("2.0.0-rc.1"), &v("2.0.0")),
            ActualBump::Prerelease
        );
        assert_eq!(
            actual_bump(&v("1.2.0"), &v("2.0.0-rc.1")),
            ActualBump::Major
        );
        assert_eq!(actual_bump(&v("1.2.0"), &v("1.1.0")), ActualBump::Downgrade);
        assert_eq!(actual_bump(&v("1.2.0"), &v("1.2.0")), ActualBump::None);
    }

    #[test]
    fn levels_for_required_bumps() {
        use crate::bump::Level;
        assert_eq!(level_for(BumpLevel::Major, &v("1.2.3")), Level::Major);
        assert_eq!(level_for(BumpLevel::Patch, &v("1.2.3")), Level::Patch);
        assert_eq!(level_for(BumpLevel::Major, &v("0.2.3")), Level::Minor);
        assert_eq!(level_for(BumpLevel::Minor, &v("0.2.3")), Level::Patch);
        assert_eq!(level_for(BumpLevel::Major, &v("0.0.3")), Level::Patch);
        assert_eq!(level_for(BumpLevel::Major, &v("2.0.0-rc.1")), Level::Major);
    }
}
