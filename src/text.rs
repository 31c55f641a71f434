//! Text from decks is untrusted: it may come from strangers. Everything a deck says passes
//! through [`sanitize`] before the app keeps it, so no escape sequence or control character can
//! reach the terminal, in the TUI or in plain mode.

/// Removes terminal escape sequences (CSI, OSC, DCS and friends, in 7-bit and 8-bit forms) and
/// every control character except newline. Tabs become four spaces and `\r\n` becomes `\n`, so
/// layout survives.
pub fn sanitize(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push_str("    "),
            '\u{1b}' => skip_escape_sequence(&mut chars),
            // 8-bit CSI, DCS, OSC, PM, APC, SOS: their payload runs to a terminator too.
            '\u{9b}' => skip_csi_body(&mut chars),
            '\u{90}' | '\u{9d}' | '\u{9e}' | '\u{9f}' | '\u{98}' => skip_string_body(&mut chars),
            c if c.is_control() => {}
            // Bidirectional overrides can make text display differently from what it says.
            c if is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

fn skip_escape_sequence(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek().copied() {
        Some('[') => {
            chars.next();
            skip_csi_body(chars);
        }
        Some(']' | 'P' | '^' | '_' | 'X') => {
            chars.next();
            skip_string_body(chars);
        }
        // Two-character escapes such as ESC c (reset) or ESC 7: drop the final byte as well,
        // unless it is something we would keep on its own line.
        Some(c) if !c.is_control() && c != '\n' => {
            chars.next();
        }
        _ => {}
    }
}

/// CSI: parameter and intermediate bytes, then one final byte in `@`..=`~`.
fn skip_csi_body(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('@'..='~').contains(&c) {
            return;
        }
        if !(' '..='?').contains(&c) {
            // Malformed sequence: stop here; the character is dropped with it.
            return;
        }
    }
}

/// OSC/DCS-style strings end with BEL, ST (ESC \) or the 8-bit ST.
fn skip_string_body(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

/// One line of a diagnostic that quotes untrusted input: every control character (the ESC
/// of an escape sequence, BEL, C1 controls) and bidirectional override is shown as a visible
/// `\u{1b}`, a newline as `\n` and a tab as `\t`, so the quote is safe on a terminal, cannot
/// forge a line of its own (a fake "no problems"), and still shows the writer what to fix.
pub fn sanitize_line(input: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_bidi_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// True when `text` would be changed by [`sanitize`].
pub fn needs_sanitizing(text: &str) -> bool {
    sanitize(text) != text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_plain_text_and_newlines() {
        assert_eq!(
            sanitize("acks=all\nmin.insync.replicas=2"),
            "acks=all\nmin.insync.replicas=2"
        );
        assert_eq!(sanitize("Kafka → Kinesis ✓"), "Kafka → Kinesis ✓");
    }

    #[test]
    fn strips_csi_osc_and_controls() {
        assert_eq!(sanitize("a\u{1b}[31mred\u{1b}[0m b"), "ared b");
        assert_eq!(sanitize("x\u{1b}]0;pwned title\u{7}y"), "xy");
        assert_eq!(
            sanitize("x\u{1b}]8;;http://e\u{1b}\\link\u{1b}]8;;\u{1b}\\y"),
            "xlinky"
        );
        assert_eq!(sanitize("bell\u{7}back\u{8}cr\r"), "bellbackcr");
        assert_eq!(sanitize("8bit\u{9b}2Jcsi"), "8bitcsi");
        assert_eq!(sanitize("reset\u{1b}cdone"), "resetdone");
        assert_eq!(sanitize("tab\there"), "tab    here");
        assert_eq!(sanitize("crlf\r\nnext"), "crlf\nnext");
        assert_eq!(sanitize("bidi\u{202e}txt"), "biditxt");
    }

    #[test]
    fn unterminated_sequences_do_not_swallow_or_panic() {
        assert_eq!(sanitize("\u{1b}"), "");
        assert_eq!(sanitize("\u{1b}["), "");
        assert_eq!(sanitize("a\u{1b}]unterminated"), "a");
    }

    #[test]
    fn one_line_diagnostics_show_newlines() {
        assert_eq!(
            sanitize_line("a\nb\u{1b}]0;t\u{7}c\u{9b}\u{202e}"),
            "a\\nb\\u{1b}]0;t\\u{7}c\\u{9b}\\u{202e}"
        );
    }

    proptest::proptest! {
        #[test]
        fn output_never_contains_controls_other_than_newline(s in ".*") {
            let clean = sanitize(&s);
            proptest::prop_assert!(clean.chars().all(|c| c == '\n' || !c.is_control()));
            proptest::prop_assert_eq!(sanitize(&clean), clean.clone());
            let line = sanitize_line(&s);
            proptest::prop_assert!(line.chars().all(|c| !c.is_control() && !is_bidi_control(c)));
        }
    }
}
