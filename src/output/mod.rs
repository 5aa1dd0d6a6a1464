//! Rendering for people (tables, colour on a terminal) and machines (JSON).

pub mod escape;
pub mod files;
pub mod progress;

use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, ContentArrangement, Table};
use serde::Serialize;
use std::io::IsTerminal;

/// `--format` of commands that print data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tables and text for people.
    Human,
    /// A stable JSON document for machines.
    Json,
}

/// What a command produced: text for stdout and stderr, and the exit code
/// (0 success, 1 the command ran and found problems).
#[derive(Debug, Default)]
pub struct Output {
    pub stdout: String,
    /// `stdout` is data (JSON, a prompt's bytes): written exactly, not
    /// escaped for the terminal as human text is (§13).
    pub data: bool,
    /// Written to stdout after `stdout`, as it is produced: for output that
    /// grows with the history, which need not be held in memory whole.
    pub stream: Option<Stream>,
    pub stderr: String,
    pub code: u8,
}

/// Writes output to a stream.
type WriteFn = dyn FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>;

/// Output written straight to a stream.
pub struct Stream(Box<WriteFn>);

impl Stream {
    pub fn write_to(self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        (self.0)(out)
    }
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stream")
    }
}

impl Output {
    pub fn stdout(text: impl Into<String>) -> Self {
        Output {
            stdout: text.into(),
            ..Output::default()
        }
    }

    /// Data written exactly as given: a prompt's bytes, a rendering.
    pub fn data(text: impl Into<String>) -> Self {
        Output {
            stdout: text.into(),
            data: true,
            ..Output::default()
        }
    }

    /// `value` as pretty JSON with a trailing newline.
    pub fn json<T: Serialize>(value: &T) -> anyhow::Result<Self> {
        Ok(Output::data(json(value)?))
    }

    /// Data written by `write` straight to stdout, so that it need not be
    /// held in memory whole (see [`write_json`]).
    pub fn streamed(
        write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()> + 'static,
    ) -> Self {
        Output {
            stream: Some(Stream(Box::new(write))),
            data: true,
            ..Output::default()
        }
    }

    pub fn with_code(mut self, code: u8) -> Self {
        self.code = code;
        self
    }

    pub fn with_stderr(mut self, text: impl Into<String>) -> Self {
        self.stderr = text.into();
        self
    }
}

/// Writes `value` as pretty JSON with a trailing newline, as [`json`] does.
pub fn write_json<T: Serialize>(out: &mut dyn std::io::Write, value: &T) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")
}

/// Pretty JSON with a trailing newline.
pub fn json<T: Serialize>(value: &T) -> anyhow::Result<String> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    Ok(s)
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless `NO_COLOR` is set; `CLICOLOR_FORCE`
    /// forces it off a terminal.
    Auto,
    Always,
    Never,
}

/// Whether to colour output. An explicit `--color always|never` wins; under
/// `auto`, a non-empty `NO_COLOR` turns colour off (no-color.org), then a
/// `CLICOLOR_FORCE` other than `0` turns it on, else only on a terminal.
pub fn use_color(choice: ColorChoice) -> bool {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("NO_COLOR").is_some() => false,
        ColorChoice::Auto if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") => true,
        ColorChoice::Auto => std::io::stdout().is_terminal(),
    }
}

/// True when stdout is a terminal (tables are drawn and fitted to it).
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// The width tables fit on a terminal when it reports none (0×0, as some
/// CI pseudo-terminals and serial consoles do).
const FALLBACK_WIDTH: u16 = 100;

/// The terminal's width in columns, or [`FALLBACK_WIDTH`] when it reports 0.
pub fn terminal_width() -> u16 {
    match terminal_size::terminal_size() {
        Some((terminal_size::Width(w), _)) if w > 0 => w,
        _ => FALLBACK_WIDTH,
    }
}

/// A table. On a terminal: the project's look, fitted to the terminal's
/// width. Elsewhere (a pipe, a file, CI logs): plain columns aligned with
/// spaces, nothing drawn and nothing truncated, so `grep` and `awk` work.
pub fn table<I, R, C>(header: &[&str], rows: I) -> String
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = C>,
    C: Into<Cell>,
{
    if !stdout_is_terminal() {
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .map(|r| r.into_iter().map(|c| cell_text(c.into())).collect())
            .collect();
        return plain_table(header, &rows);
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec())
        .set_width(terminal_width());
    for row in rows {
        // Escaped before layout, so that the columns fit what is shown.
        table.add_row(row.into_iter().map(|cell| {
            let cell: Cell = cell.into();
            Cell::new(escape::visible(&cell.content()))
        }));
    }
    format!("{table}\n")
}

/// A cell's text on one line.
fn cell_text(cell: Cell) -> String {
    cell.content().replace('\n', " ")
}

/// Columns separated by two spaces, each as wide as its widest cell; the
/// last column is not padded, so lines carry no trailing blanks.
pub fn plain_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let columns = header
        .len()
        .max(rows.iter().map(Vec::len).max().unwrap_or(0));
    let mut widths = vec![0; columns];
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            if i + 1 < row.len() {
                line.extend(std::iter::repeat_n(' ', widths[i] - cell.chars().count()));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// ANSI styling that does nothing when colour is off.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    pub enabled: bool,
}

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.enabled {
            format!(
                "{}{text}{}",
                escape::style_code(code),
                escape::style_code("0")
            )
        } else {
            text.to_string()
        }
    }
    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }
    pub fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }
    pub fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }
    pub fn yellow(self, text: &str) -> String {
        self.wrap("33", text)
    }
    pub fn cyan(self, text: &str) -> String {
        self.wrap("36", text)
    }
    pub fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }
    pub fn reverse_red(self, text: &str) -> String {
        self.wrap("1;41", text)
    }
    pub fn reverse_green(self, text: &str) -> String {
        self.wrap("1;42", text)
    }
}

#[cfg(test)]
mod tests {
    use super::plain_table;

    #[test]
    fn plain_tables_align_and_never_truncate() {
        let long = "x".repeat(300);
        let text = plain_table(
            &["name", "version"],
            &[
                vec!["a".into(), "1.0.0".into()],
                vec!["support/triage".into(), long.clone()],
            ],
        );
        assert_eq!(
            text,
            format!("name            version\na               1.0.0\nsupport/triage  {long}\n")
        );
    }
}
