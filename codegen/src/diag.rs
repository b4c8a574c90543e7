//! Diagnostics: every problem found in one run, each with a `path:line:col` position, so a
//! build reports all of them at once instead of stopping at the first.

use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a diagnostic is: errors fail the build, warnings only show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A position in a source file, 1-based like compilers print them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    pub const START: Position = Position { line: 1, column: 1 };

    /// The position of byte `offset` in `text`.
    pub fn of_offset(text: &str, offset: usize) -> Position {
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() as u32 + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() as u32 + 1;
        Position { line, column }
    }
}

/// One problem with a shader or the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub path: PathBuf,
    pub position: Position,
    pub message: String,
}

impl Diagnostic {
    pub fn error(path: impl AsRef<Path>, position: Position, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, path, position, message)
    }

    pub fn warning(path: impl AsRef<Path>, position: Position, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, path, position, message)
    }

    fn new(
        severity: Severity,
        path: impl AsRef<Path>,
        position: Position,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity,
            path: path.as_ref().to_path_buf(),
            position,
            message: message.into(),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {kind}: {}",
            self.path.display(),
            self.position.line,
            self.position.column,
            self.message
        )
    }
}

/// The diagnostics of a failed run; `Display` prints one per line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| !d.is_error())
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.0 {
            writeln!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_one_based_lines_and_columns() {
        let text = "ab\ncde\nf";
        assert_eq!(
            Position::of_offset(text, 0),
            Position { line: 1, column: 1 }
        );
        assert_eq!(
            Position::of_offset(text, 4),
            Position { line: 2, column: 2 }
        );
        assert_eq!(
            Position::of_offset(text, 7),
            Position { line: 3, column: 1 }
        );
    }

    #[test]
    fn display_is_path_line_col() {
        let d = Diagnostic::error("a/b.frag", Position { line: 3, column: 7 }, "boom");
        assert_eq!(d.to_string(), "a/b.frag:3:7: error: boom");
    }
}
