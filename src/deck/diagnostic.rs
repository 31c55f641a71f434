use std::fmt;
use std::ops::Range;

/// One problem in a content file, located as `path:line:column`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub path: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
}

impl Diagnostic {
    /// Locates the start of `span` (byte offsets into `source`).
    pub fn at(path: &str, source: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        let (line, column) = line_column(source, span.start);
        Self {
            path: path.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }

    /// A problem with a whole file (unreadable, say), reported at its start.
    pub fn file(path: &str, message: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            line: 1,
            column: 1,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path, self.line, self.column, self.message
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
}
