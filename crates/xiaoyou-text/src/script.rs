//! Traditional → simplified folding for matching and search. Text is stored as written; only
//! keys are folded.

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;
use std::sync::OnceLock;

fn converter() -> Option<&'static OpenCC> {
    static CONVERTER: OnceLock<Option<OpenCC>> = OnceLock::new();
    CONVERTER
        .get_or_init(|| OpenCC::from_config(BuiltinConfig::T2s).ok())
        .as_ref()
}

/// Surnames that OpenCC would rewrite into another, unrelated surname.
const PROTECTED_SURNAMES: [char; 2] = ['於', '乾'];

/// Folds traditional characters to simplified. Converts the text as one phrase, so
/// multi-character entries of the tables apply; a protected surname at the start is kept.
pub fn to_simplified(text: &str) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    let Some(opencc) = converter() else {
        return text.to_owned();
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if PROTECTED_SURNAMES.contains(&first) => {
            let rest = chars.as_str();
            let mut out = String::with_capacity(text.len());
            out.push(first);
            out.push_str(&opencc.convert(rest));
            out
        }
        _ => opencc.convert(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_names_and_places() {
        assert_eq!(to_simplified("王偉"), "王伟");
        assert_eq!(to_simplified("鍾麗華"), "钟丽华");
        assert_eq!(to_simplified("湖南城市學院"), "湖南城市学院");
        assert_eq!(to_simplified("於曉明"), "於晓明");
        assert_eq!(to_simplified("abc"), "abc");
    }
}
