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

/// Whether to colour output: only on a terminal, never with `NO_COLOR`.
pub fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// A table with the project's look; fits the terminal width when there is one.
pub fn table<I, R, C>(header: &[&str], rows: I) -> String
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = C>,
    C: Into<Cell>,
{
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    if !std::io::stdout().is_terminal() {
        table.set_width(120);
    }
    for row in rows {
        // Escaped before layout, so that the columns fit what is shown.
        table.add_row(row.into_iter().map(|cell| {
            let cell: Cell = cell.into();
            Cell::new(escape::visible(&cell.content()))
        }));
    }
    format!("{table}\n")
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
