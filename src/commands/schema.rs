use crate::cli::SchemaArgs;
use crate::context::Context;
use crate::output::Output;
use crate::schemas;
use anyhow::Result;

pub fn run(args: &SchemaArgs, _ctx: &Context) -> Result<Output> {
    Ok(Output::stdout(schemas::text(args.kind)))
}
