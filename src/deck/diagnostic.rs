use std::fmt;
use std::ops::Range;

use crate::text::sanitize_line;

/// One problem in a content file, located as `path:line:column`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub path: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
    /// Further problems this line stands for ("N more not shown"), so totals count them.
    pub unshown: usize,
}

impl Diagnostic {
    fn new(path: &str, (line, column): (usize, usize), message: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            line,
            column,
            message: message.into(),
            unshown: 0,
        }
    }

    /// How many problems this line reports: itself and those it summarises.
    pub fn count(&self) -> usize {
        1 + self.unshown
    }

    /// Locates the start of `span` (byte offsets into `source`).
    pub fn at(path: &str, source: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        Self::new(path, line_column(source, span.start), message)
    }

    /// Locates the start of `span` with an index built once per file: a file with many
    /// problems is located in O(problems x log lines), not O(problems x file).
    pub fn located(
        path: &str,
        lines: &LineIndex<'_>,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(path, lines.line_column(span.start), message)
    }

    /// A problem with a whole file (unreadable, say), reported at its start.
    pub fn file(path: &str, message: impl Into<String>) -> Self {
        Self::new(path, (1, 1), message)
    }
}

/// The one place a diagnostic becomes text: messages quote the input they complain about (an
/// unknown key, a card id, a formula), and paths are names from the disk, so both are
/// sanitised here, for `deck check`, `lab check`, config errors, "skipped:" lines and the TUI.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            sanitize_line(&self.path),
            self.line,
            self.column,
            sanitize_line(&self.message)
        )
    }
}

/// 1-based line and character column of a byte offset; offsets past the end or inside a
/// character are clamped rather than trusted.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Where each line of a source starts, for locating many offsets in one file.
pub struct LineIndex<'a> {
    source: &'a str,
    /// Byte offset of each line's first character; the first is 0.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(source: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self { source, starts }
    }

    /// The same answer as [`line_column`]: 1-based line and character column, clamped.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset);
        let line_start = self.starts[line - 1];
        let column = self.source[line_start..offset].chars().count() + 1;
        (line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one_in_characters() {
        let src = "a\nbé c\n";
        assert_eq!(line_column(src, 0), (1, 1));
        assert_eq!(line_column(src, 2), (2, 1));
        assert_eq!(line_column(src, 5), (2, 3)); // after 'b' and two-byte 'é'
        assert_eq!(line_column(src, 4), (2, 2)); // inside 'é': clamped back
        assert_eq!(line_column(src, 999), (3, 1));
    }

    proptest::proptest! {
        #[test]
        fn line_index_agrees_with_line_column(source in "(a|é|\n|\r){0,60}", offset in 0usize..80) {
            let index = LineIndex::new(&source);
            proptest::prop_assert_eq!(index.line_column(offset), line_column(&source, offset));
        }
    }
}
