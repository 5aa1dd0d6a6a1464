//! Gate conditions on evaluation metrics: `>= 0.85`, `< 1200`
//! (docs/DESIGN.md §9).

use crate::scores::format_number;
use std::fmt;

/// A comparison of a gate condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `>=`: at least the threshold.
    Ge,
    /// `>`: above the threshold.
    Gt,
    /// `<=`: at most the threshold.
    Le,
    /// `<`: below the threshold.
    Lt,
    /// `==`: exactly the threshold.
    Eq,
}

impl Op {
    /// The operator as written: `>=`, `<`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Eq => "==",
        }
    }
}

/// A gate condition: `>= 0.85`, `< 1200`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// How a score is compared with `value`.
    pub op: Op,
    /// The number the score is compared with (finite).
    pub value: f64,
}

impl Threshold {
    /// Parses `OP NUMBER`, OP one of `>=`, `>`, `<=`, `<`, `==`.
    pub fn parse(text: &str) -> Result<Threshold, String> {
        let t = text.trim();
        let (op, rest) = [
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("==", Op::Eq),
            (">", Op::Gt),
            ("<", Op::Lt),
        ]
        .iter()
        .find_map(|(s, op)| t.strip_prefix(s).map(|rest| (*op, rest)))
        .ok_or_else(|| {
            format!("`{text}` is not a condition: write an operator (>=, >, <=, <, ==) and a number, e.g. \">= 0.85\"")
        })?;
        let number = rest.trim();
        let plain = !number.is_empty()
            && number
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
        match number.parse::<f64>() {
            Ok(value) if plain && value.is_finite() => Ok(Threshold { op, value }),
            _ => Err(format!(
                "`{text}`: `{number}` is not a number; write e.g. \"{} 0.85\"",
                op.as_str()
            )),
        }
    }

    /// True when the score `value` meets the condition (`value OP threshold`).
    pub fn passes(&self, value: f64) -> bool {
        match self.op {
            Op::Ge => value >= self.value,
            Op::Gt => value > self.value,
            Op::Le => value <= self.value,
            Op::Lt => value < self.value,
            Op::Eq => value == self.value,
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.op.as_str(), format_number(self.value))
    }
}
