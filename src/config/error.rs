//! Configuration errors that locate the problem (file:line:col, key) and say how to fix it.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Where a bad value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A position in the config file.
    File {
        path: PathBuf,
        line: usize,
        col: usize,
        /// The offending source line, for the caret display.
        snippet: String,
    },
    /// The file as a whole (it could not be read).
    Path(PathBuf),
    /// An environment variable.
    Env(&'static str),
    /// A command-line flag.
    Flag(&'static str),
}

/// A bad configuration: what, where, what was expected, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// Boxed to keep `Result<_, ConfigError>` small.
    pub origin: Box<Origin>,
    /// Dotted key path, e.g. `gateway.mode`; empty when the whole file is at fault.
    pub key: String,
    pub problem: String,
    pub expected: Option<String>,
    pub hint: Option<String>,
}

impl ConfigError {
    pub fn new(origin: Origin, key: impl Into<String>, problem: impl Into<String>) -> Self {
        ConfigError {
            origin: Box::new(origin),
            key: key.into(),
            problem: problem.into(),
            expected: None,
            hint: None,
        }
    }

    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// `file:line:col` (or the env var / flag) for the first line of the message.
    pub fn location(&self) -> String {
        match &*self.origin {
            Origin::File {
                path, line, col, ..
            } => format!("{}:{line}:{col}", path.display()),
            Origin::Path(path) => path.display().to_string(),
            Origin::Env(var) => format!("environment variable {var}"),
            Origin::Flag(flag) => format!("command-line flag {flag}"),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.location())?;
        if self.key.is_empty() {
            writeln!(f, "{}", self.problem)?;
        } else {
            writeln!(f, "`{}`: {}", self.key, self.problem)?;
        }
        if let Origin::File {
            line, col, snippet, ..
        } = &*self.origin
        {
            let gutter = line.to_string().len();
            writeln!(f, "{:gutter$} |", "")?;
            writeln!(f, "{line} | {snippet}")?;
            writeln!(f, "{:gutter$} | {:>col$}", "", "^")?;
        }
        if let Some(expected) = &self.expected {
            writeln!(f, "  expected: {expected}")?;
        }
        if let Some(hint) = &self.hint {
            writeln!(f, "  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Turns byte spans of one source text into `Origin`s.
pub struct Source<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl Source<'_> {
    pub fn origin(&self, span: Range<usize>) -> Origin {
        let start = span.start.min(self.text.len());
        let before = &self.text[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = self.text[line_start..start].chars().count() + 1;
        let snippet = self.text[line_start..]
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        Origin::File {
            path: self.path.to_path_buf(),
            line,
            col,
            snippet,
        }
    }

    /// The `[table]` or `[[array]]` header in force at `offset`, as a dotted prefix.
    pub fn table_at(&self, offset: usize) -> String {
        let before = &self.text[..offset.min(self.text.len())];
        before
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| l.starts_with('['))
            .map(|l| {
                l.trim_start_matches('[')
                    .split(']')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string()
            })
            .unwrap_or_default()
    }

    /// Converts a serde/toml parse error into a located `ConfigError`, with
    /// "did you mean" for unknown keys.
    pub fn locate_toml_error(&self, err: &toml::de::Error) -> ConfigError {
        let span = err.span().unwrap_or(0..0);
        let origin = self.origin(span.clone());
        let message = err.message().trim().to_string();
        if let Some((field, expected)) = parse_unknown_field(&message) {
            let table = self.table_at(span.start);
            let key = join_key(&table, &field);
            let mut e = ConfigError::new(origin, key, format!("unknown key `{field}`"));
            if !expected.is_empty() {
                e = e.expected(format!(
                    "one of {}",
                    expected
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            return match did_you_mean(&field, expected.iter().map(String::as_str)) {
                Some(best) => e.hint(format!("did you mean `{best}`?")),
                None => {
                    e.hint("remove it; `litevite-gw init` writes a commented example of every key")
                }
            };
        }
        let table = self.table_at(span.start);
        let key_here = key_name_at(self.text, span.start);
        let key = match key_here {
            Some(k) => join_key(&table, &k),
            None => table,
        };
        ConfigError::new(origin, key, message)
    }
}

fn join_key(table: &str, key: &str) -> String {
    if table.is_empty() {
        key.to_string()
    } else {
        format!("{table}.{key}")
    }
}

/// The `key` of a `key = value` line containing `offset`, if any.
fn key_name_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_string())
}

/// Extracts the field and the expected names from serde's
/// "unknown field `x`, expected one of `a`, `b`" / "expected `a`" / "there are no fields".
fn parse_unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((field.to_string(), expected))
}

/// The closest candidate to `input`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&input.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(d, c)| *d <= (c.len().max(input.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn parses_serde_unknown_field_message() {
        let (f, exp) =
            parse_unknown_field("unknown field `lisen`, expected one of `listen`, `mode`").unwrap();
        assert_eq!(f, "lisen");
        assert_eq!(exp, vec!["listen", "mode"]);
        let (f, exp) = parse_unknown_field("unknown field `x`, expected `listen`").unwrap();
        assert_eq!((f.as_str(), exp), ("x", vec!["listen".to_string()]));
        let (_, exp) = parse_unknown_field("unknown field `x`, there are no fields").unwrap();
        assert!(exp.is_empty());
    }

    #[test]
    fn did_you_mean_picks_nearest_and_rejects_far() {
        assert_eq!(did_you_mean("lisen", ["listen", "mode"]), Some("listen"));
        assert_eq!(did_you_mean("proxi", ["proxy", "direct"]), Some("proxy"));
        assert_eq!(did_you_mean("zzzzzz", ["listen", "mode"]), None);
    }

    #[test]
    fn origin_counts_lines_and_columns() {
        let text = "a = 1\n[gateway]\nmode = \"x\"\n";
        let src = Source {
            path: Path::new("f.toml"),
            text,
        };
        let off = text.find("\"x\"").unwrap();
        match src.origin(off..off + 3) {
            Origin::File {
                line, col, snippet, ..
            } => assert_eq!((line, col, snippet.as_str()), (3, 8, "mode = \"x\"")),
            other => panic!("{other:?}"),
        }
        assert_eq!(src.table_at(off), "gateway");
    }
}
