//! Placeholders and rendering, through the template engine itself
//! (minijinja), never a regular expression.

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use std::collections::{BTreeMap, BTreeSet};

/// Names the engine provides itself; using them is not a placeholder.
const ENGINE_GLOBALS: &[&str] = &[
    "range",
    "dict",
    "namespace",
    "debug",
    "loop",
    "self",
    "super",
];

/// A template that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    /// The engine's message: the error kind, then its detail when it has one.
    pub message: String,
    /// 1-based line inside the template text.
    pub line: Option<usize>,
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    // Prompts are text: keep the trailing newline the author wrote.
    env.set_keep_trailing_newline(true);
    env
}

fn template_error(e: minijinja::Error) -> TemplateError {
    let mut message = e
        .detail()
        .map_or_else(|| e.kind().to_string(), str::to_string);
    if let Some(detail) = e.detail() {
        if !detail.is_empty() {
            message = format!("{}: {detail}", e.kind());
        }
    }
    TemplateError {
        message,
        line: e.line(),
    }
}

/// The top-level variables a template reads.
pub fn placeholders(source: &str) -> Result<BTreeSet<String>, TemplateError> {
    let env = environment();
    let template = env.template_from_str(source).map_err(template_error)?;
    Ok(template
        .undeclared_variables(false)
        .into_iter()
        .filter(|v| !ENGINE_GLOBALS.contains(&v.as_str()))
        .collect())
}

/// Renders `source` with `vars`; a variable the template reads but `vars`
/// lacks is an error (strict mode).
pub fn render(
    source: &str,
    vars: &BTreeMap<String, serde_json::Value>,
) -> Result<String, TemplateError> {
    let env = environment();
    let template = env.template_from_str(source).map_err(template_error)?;
    template.render(vars).map_err(template_error)
}

/// Templates parsed once, each under a name (`template`,
/// `messages.0.content`), rendered exactly as [`render`] renders them.
#[derive(Debug, Clone)]
pub struct Compiled {
    env: Environment<'static>,
}

impl Compiled {
    /// Parses every `(name, source)`; the error names the template that
    /// does not parse.
    pub fn new(
        templates: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Compiled, (String, TemplateError)> {
        let mut env = environment();
        for (name, source) in templates {
            env.add_template_owned(name.clone(), source)
                .map_err(|e| (name, template_error(e)))?;
        }
        Ok(Compiled { env })
    }

    /// Renders the template `name` with `vars` (strict, as [`render`]).
    pub fn render(
        &self,
        name: &str,
        vars: &BTreeMap<String, serde_json::Value>,
    ) -> Result<String, TemplateError> {
        let template = self.env.get_template(name).map_err(template_error)?;
        template.render(vars).map_err(template_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_placeholders_but_not_loop_variables() {
        let found = placeholders(
            "{% for t in tickets %}{{ t }} {{ loop.index }}{% endfor %}{{ tone | upper }}",
        )
        .unwrap();
        assert_eq!(
            found,
            BTreeSet::from(["tickets".to_string(), "tone".to_string()])
        );
    }

    #[test]
    fn reports_syntax_errors_with_a_line() {
        let err = placeholders("ok\n{{ broken").unwrap_err();
        assert_eq!(err.line, Some(2));
    }

    #[test]
    fn renders_strictly() {
        let mut vars = BTreeMap::new();
        vars.insert("a".to_string(), serde_json::json!("x"));
        assert_eq!(render("{{ a }}!\n", &vars).unwrap(), "x!\n");
        assert!(render("{{ b }}", &vars).is_err());
    }
}
