//! Width folding and cleaning of text as it arrives from spreadsheets and forms.

/// Full-width ASCII forms (U+FF01–U+FF5E) become their ASCII counterparts and the
/// ideographic space becomes a space; everything else is kept.
pub fn fold_width(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

pub fn fold_char(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        '\u{3000}' | '\u{a0}' => ' ',
        other => other,
    }
}

/// Characters that are invisible yet end up in cells copied from web pages and chats.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
    ) || (c.is_control() && c != '\n' && c != '\t')
}

/// Cleans a cell: invisible characters out, width folded, runs of whitespace collapsed to one
/// space, trimmed.
pub fn clean_cell(text: &str) -> String {
    if is_clean(text) {
        text.to_owned()
    } else {
        clean_every_character(text)
    }
}

/// [`clean_cell`] the long way, character by character.
fn clean_every_character(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars().filter(|c| !is_invisible(*c)).map(fold_char) {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Whether `text` is certainly what [`clean_cell`] would make of it, judged from its bytes
/// alone: visible ASCII without spaces, and characters whose UTF-8 form starts with none of
/// the bytes that begin a space, an invisible or control character or a full-width form
/// (`C2` for U+0080–U+00BF, `E1`–`E3` for U+1000–U+3FFF, `EF` for U+F000–U+FFFF). Most
/// Chinese text qualifies (U+4E00–U+9FFF begins with `E4`–`E9`); anything else takes the
/// long way.
fn is_clean(text: &str) -> bool {
    text.bytes()
        .all(|b| matches!(b, 0x21..=0x7e | 0x80..=0xc1 | 0xc3..=0xe0 | 0xe4..=0xee | 0xf0..))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_cleans() {
        assert_eq!(fold_width("ＡＢＣ１２３（）"), "ABC123()");
        assert_eq!(
            clean_cell("\u{feff}  湖南\u{200b}大学\u{3000}\u{3000}长沙 "),
            "湖南大学 长沙"
        );
        assert_eq!(clean_cell("\t\n"), "");
    }

    /// The shortcut for text that needs no cleaning agrees with the long way on every
    /// character of the Basic Multilingual Plane, alone and between others.
    #[test]
    fn the_shortcut_agrees_with_the_long_way() {
        for c in (0..=0xffff_u32).filter_map(char::from_u32) {
            for text in [c.to_string(), format!("湖{c}南"), format!("a{c}")] {
                assert_eq!(
                    clean_cell(&text),
                    clean_every_character(&text),
                    "U+{:04X}",
                    c as u32
                );
            }
        }
        assert!(is_clean("王伟国"));
        assert!(is_clean("13800000000"));
        assert!(!is_clean("湖南 长沙"));
        assert!(!is_clean("ＡＢＣ"));
    }
}
