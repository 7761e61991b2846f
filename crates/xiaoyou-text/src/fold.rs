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
}
