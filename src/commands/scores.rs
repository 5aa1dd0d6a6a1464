use crate::cli::ScoresArgs;
use crate::context::Context;
use crate::output::{self, Format, Output};
use crate::production::scores::{self, format_number};
use anyhow::Result;

pub fn run(args: &ScoresArgs, ctx: &Context) -> Result<Output> {
    let registry = ctx.registry()?;
    let name = crate::commands::parse_name(&args.name)?;
    let repo = ctx.repo(&registry)?;
    let history = ctx.history(&registry, &repo)?;
    let prompt =
        crate::production::deploy::released_prompt(&history, &name, ctx.mainline_rev(&registry))?;
    let table = scores::table(&repo, &name, prompt)?;
    if args.format == Format::Json {
        return Output::json(&table);
    }
    if table.metrics.is_empty() {
        return Ok(Output::stdout(format!(
            "{name} has no scores yet; record some with `promptreg score {name}@VERSION --metric accuracy=0.91`\n"
        )));
    }
    let mut header = vec!["version"];
    header.extend(table.metrics.iter().map(String::as_str));
    let rows = table.versions.iter().map(|row| {
        let mut cells = vec![row.version.clone()];
        for metric in &table.metrics {
            cells.push(match row.scores.get(metric) {
                Some(s) => match s.change {
                    Some(c) => format!(
                        "{} ({}{})",
                        format_number(s.value),
                        if c >= 0.0 { "+" } else { "" },
                        format_number(c)
                    ),
                    None => format_number(s.value),
                },
                None => "—".to_string(),
            });
        }
        cells
    });
    Ok(Output::stdout(format!(
        "{name}: latest score per version (change against the previous version with that metric)\n{}",
        output::table(&header, rows)
    )))
}
