//! Making untrusted text safe for a terminal: control characters (ESC, CR, BEL, …), bidi
//! overrides and other invisible format characters are shown as `\u{…}` escapes, so a file name
//! or an instruction cannot rewrite the terminal or reorder what the reader sees (fd's
//! `sanitize.rs` does the same for paths). Only the text renderer needs it; JSON escapes
//! control characters itself.

use std::borrow::Cow;

/// True for characters that must not reach a terminal raw.
fn is_unsafe(ch: char) -> bool {
    ch.is_control()
        || matches!(ch,
            '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' |
            '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// `text` with every unsafe character replaced by an escape; borrowed when nothing changes.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        match ch {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls_and_bidi() {
        assert!(matches!(escape("plain ünïcode"), Cow::Borrowed(_)));
        assert_eq!(escape("a\x1b]0;pwn\x07b"), "a\\u{1b}]0;pwn\\u{7}b");
        assert_eq!(escape("x\u{202e}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(escape("l1\nl2\r"), "l1\\nl2\\r");
    }
}
