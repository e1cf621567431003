//! Positions in a Dockerfile: the file's line table and the *logical line*, the text BuildKit
//! sees after joining continuation lines, with a map back to file offsets.
//!
//! Every offset in the parsed [`super::Dockerfile`] is a byte offset into the file text;
//! [`LineIndex::position`] turns one into a 1-based line and column only when a finding or an
//! error is reported.

/// A 1-based line and column (columns count Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// Line start offsets of a text, for offset → position lookups.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    /// Per line: true when it is pure ASCII, so a column is a byte difference (O(1) even on a
    /// hostile 100 MB line with many findings).
    ascii: Vec<bool>,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let ascii = starts
            .iter()
            .enumerate()
            .map(|(i, &start)| {
                let end = starts.get(i + 1).copied().unwrap_or(text.len());
                text.as_bytes()[start..end].is_ascii()
            })
            .collect();
        LineIndex { starts, ascii }
    }

    /// The position of byte `offset` in `text` (the text this index was built from).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let column = match (self.ascii[line], text.get(start..offset)) {
            (false, Some(prefix)) => prefix.chars().count(),
            _ => offset - start,
        };
        Position {
            line: to_u32(line + 1),
            column: to_u32(column + 1),
        }
    }

    /// The 1-based line of byte `offset`.
    pub fn line(&self, offset: usize) -> u32 {
        to_u32(self.starts.partition_point(|&s| s <= offset))
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A logical line: pieces of physical lines joined, each piece remembering its file offset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Logical {
    /// The joined text.
    pub text: String,
    /// `(offset in text, offset in file)` where each piece starts, ascending.
    segments: Vec<(usize, usize)>,
}

impl Logical {
    /// Appends a piece that starts at `file_offset` in the file.
    pub fn push(&mut self, piece: &str, file_offset: usize) {
        if piece.is_empty() {
            return;
        }
        self.segments.push((self.text.len(), file_offset));
        self.text.push_str(piece);
    }

    /// The file offset of byte `offset` of the logical text.
    pub fn file_offset(&self, offset: usize) -> usize {
        let at = self.segments.partition_point(|&(l, _)| l <= offset);
        match at.checked_sub(1).and_then(|i| self.segments.get(i)) {
            Some(&(logical, file)) => file + (offset - logical),
            None => self.segments.first().map_or(0, |&(_, f)| f),
        }
    }

    /// The logical line from byte `from` on, as its own logical line (ONBUILD's inner
    /// instruction).
    pub fn tail(&self, from: usize) -> Logical {
        let mut out = Logical::default();
        let from = from.min(self.text.len());
        for (i, &(start, file)) in self.segments.iter().enumerate() {
            let end = self.segments.get(i + 1).map_or(self.text.len(), |s| s.0);
            if end <= from {
                continue;
            }
            let piece_start = start.max(from);
            out.push(&self.text[piece_start..end], file + (piece_start - start));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_chars() {
        let text = "ab\nçd\n";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 0), Position { line: 1, column: 1 });
        assert_eq!(index.position(text, 3), Position { line: 2, column: 1 });
        assert_eq!(index.position(text, 5), Position { line: 2, column: 2 });
        assert_eq!(index.line(6), 2);
        assert_eq!(index.line(7), 3);
    }

    #[test]
    fn logical_maps_back_to_file_offsets() {
        let mut logical = Logical::default();
        logical.push("RUN a ", 10);
        logical.push("b", 30);
        assert_eq!(logical.text, "RUN a b");
        assert_eq!(logical.file_offset(0), 10);
        assert_eq!(logical.file_offset(4), 14);
        assert_eq!(logical.file_offset(6), 30);
        let tail = logical.tail(4);
        assert_eq!(tail.text, "a b");
        assert_eq!(tail.file_offset(0), 14);
        assert_eq!(tail.file_offset(2), 30);
    }
}
