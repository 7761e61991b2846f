//! Normalised keys: two spellings of the same name give the same key.

use crate::fold::{fold_char, is_invisible};
use crate::script::to_simplified;

/// Key for a person's name: width folded, spaces, dots and invisible characters removed,
/// traditional folded to simplified, Latin letters lower-cased.
pub fn name_key(name: &str) -> String {
    let compact: String = name
        .chars()
        .filter(|c| !is_invisible(*c))
        .map(fold_char)
        .filter(|c| !c.is_whitespace() && !matches!(c, '·' | '.' | '-' | '\'' | '•'))
        .flat_map(char::to_lowercase)
        .collect();
    to_simplified(&compact)
}

/// Key for the name of a school, college or enterprise: like [`name_key`], and brackets of
/// either width are unified, so `湖南大学（本部）` and `湖南大學(本部)` are one key.
pub fn org_name_key(name: &str) -> String {
    let compact: String = name
        .chars()
        .filter(|c| !is_invisible(*c))
        .map(fold_char)
        .map(|c| match c {
            '【' | '[' | '〔' => '(',
            '】' | ']' | '〕' => ')',
            other => other,
        })
        .filter(|c| !c.is_whitespace() && !matches!(c, '·' | '"' | '“' | '”' | '\''))
        .flat_map(char::to_lowercase)
        .collect();
    to_simplified(&compact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_share_a_key() {
        assert_eq!(name_key(" 王 偉 "), name_key("王伟"));
        assert_eq!(name_key("Zhang Wei"), "zhangwei");
        assert_eq!(
            org_name_key("湖南大學（本部）"),
            org_name_key("湖南大学(本部)")
        );
        assert_eq!(org_name_key("湖南 城市 学院"), "湖南城市学院");
    }
}
