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

/// The budget of one rendering, in minijinja's fuel: about one unit per
/// instruction executed. A prompt's loops stay far below it; two nested
/// `range(100000)` loops (ten billion steps) stop at once instead of running
/// for minutes (docs/DESIGN.md §2, "Rendering budget").
pub const RENDER_FUEL: u64 = 5_000_000;

/// The most bytes one template may render to (4 MiB): the output is
/// refused as soon as it grows past this, not held whole first.
pub const MAX_RENDER_BYTES: usize = 4 * 1024 * 1024;

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(RENDER_FUEL));
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

/// Renders `template` within the budget: [`RENDER_FUEL`] and
/// [`MAX_RENDER_BYTES`].
fn render_bounded(
    template: &minijinja::Template<'_, '_>,
    vars: &BTreeMap<String, serde_json::Value>,
) -> Result<String, TemplateError> {
    let mut out = Capped::default();
    let result = template.render_captured_to(vars, &mut out);
    if out.over {
        return Err(TemplateError {
            message: format!(
                "the rendering is larger than the limit of {MAX_RENDER_BYTES} bytes (4 MiB)"
            ),
            line: None,
        });
    }
    match result {
        Ok(_) => String::from_utf8(out.bytes).map_err(|_| TemplateError {
            message: "the rendering is not UTF-8".into(),
            line: None,
        }),
        Err(e) if e.kind() == minijinja::ErrorKind::OutOfFuel => Err(TemplateError {
            message: format!(
                "the rendering ran out of its budget of {RENDER_FUEL} steps (a loop too long?)"
            ),
            line: e.line(),
        }),
        Err(e) => Err(template_error(e)),
    }
}

/// Collects output and refuses it past [`MAX_RENDER_BYTES`].
#[derive(Default)]
struct Capped {
    bytes: Vec<u8>,
    over: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_RENDER_BYTES {
            self.over = true;
            return Err(std::io::Error::other("rendering over its size limit"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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

/// A `{% include "NAME" %}` of a partial, or a statement that reads
/// another template in a way promptreg does not allow (docs/DESIGN.md §16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The partial's name, for an include of a quoted name.
    pub name: Option<String>,
    /// Why the statement is refused, when it is.
    pub refused: Option<String>,
    /// 1-based line inside the template text.
    pub line: usize,
}

/// Every statement of `source` that reads another template, found by the
/// engine's own tokenizer (so text in `{% raw %}` blocks, comments and
/// strings is never mistaken for one). Only `{% include "NAME" %}` with a
/// quoted name is allowed: `import`, `from` and `extends`, an include of an
/// expression, a list or `ignore missing` are refused, because the partials
/// a prompt renders with must be known without rendering it.
///
/// A text without `{%` has no statement and is not tokenized: it yields no
/// reference, even when its `{{ … }}` would not tokenize (compiling it
/// reports that).
pub fn references(source: &str) -> Result<Vec<Reference>, TemplateError> {
    use minijinja::machinery::{tokenize, Token, WhitespaceConfig};
    if memchr::memmem::find(source.as_bytes(), b"{%").is_none() {
        return Ok(Vec::new());
    }
    let tokens: Vec<(Token<'_>, usize)> = tokenize(
        source,
        false,
        Default::default(),
        WhitespaceConfig::default(),
    )
    .map(|t| t.map(|(token, span)| (token, usize::from(span.start_line))))
    .collect::<Result<_, _>>()
    .map_err(template_error)?;
    let mut out = Vec::new();
    for (i, (token, line)) in tokens.iter().enumerate() {
        if !matches!(token, Token::BlockStart) {
            continue;
        }
        let Some((Token::Ident(keyword), _)) = tokens.get(i + 1) else {
            continue;
        };
        let line = *line;
        match *keyword {
            "include" => {
                let name = match tokens.get(i + 2) {
                    Some((Token::Str(s), _)) => Some((*s).to_string()),
                    Some((Token::String(s), _)) => Some(s.to_string()),
                    _ => None,
                };
                let closed = matches!(tokens.get(i + 3), Some((Token::BlockEnd, _)));
                match name {
                    Some(name) if closed => out.push(Reference {
                        name: Some(name),
                        refused: None,
                        line,
                    }),
                    _ => out.push(Reference {
                        name,
                        refused: Some(
                            "an include names one partial in quotes, `{% include \"NAME\" %}`, with nothing else".into(),
                        ),
                        line,
                    }),
                }
            }
            "import" | "from" | "extends" => out.push(Reference {
                name: None,
                refused: Some(format!(
                    "`{{% {keyword} %}}` is not supported; share text as a partial and `{{% include \"NAME\" %}}` it"
                )),
                line,
            }),
            _ => {}
        }
    }
    Ok(out)
}

/// Renders `source` with `vars`; a variable the template reads but `vars`
/// lacks is an error (strict mode).
pub fn render(
    source: &str,
    vars: &BTreeMap<String, serde_json::Value>,
) -> Result<String, TemplateError> {
    let env = environment();
    let template = env.template_from_str(source).map_err(template_error)?;
    render_bounded(&template, vars)
}

/// Templates parsed once, each under a name (`template`,
/// `messages.0.content`), rendered exactly as [`render`] renders them.
#[derive(Debug, Clone)]
pub struct Compiled {
    env: Environment<'static>,
}

impl Compiled {
    /// Parses every `(name, source)`; the error names the template that
    /// does not parse. An `{% include "NAME" %}` renders the template of
    /// that name, so partials are added under their own names.
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
        render_bounded(&template, vars)
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
    fn rendering_has_a_budget() {
        let vars = BTreeMap::new();
        let slow =
            "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}";
        let err = render(slow, &vars).unwrap_err();
        assert!(err.message.contains("budget of 5000000 steps"), "{err}");
        let big = "{% for a in range(1000) %}{{ 'x' * 10000 }}{% endfor %}";
        let err = render(big, &vars).unwrap_err();
        assert!(err.message.contains("larger than the limit"), "{err}");
        assert_eq!(render("{{ 'x' * 1000 }}", &vars).unwrap().len(), 1000);
    }

    #[test]
    fn renders_strictly() {
        let mut vars = BTreeMap::new();
        vars.insert("a".to_string(), serde_json::json!("x"));
        assert_eq!(render("{{ a }}!\n", &vars).unwrap(), "x!\n");
        assert!(render("{{ b }}", &vars).is_err());
    }
}
