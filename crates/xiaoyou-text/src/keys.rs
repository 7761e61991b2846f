//! Normalised keys: two spellings of the same name give the same key.

use crate::fold::{fold_char, is_invisible};
use crate::script::to_simplified;

/// Key for a person's name: width folded, spaces, dots and invisible characters removed,
/// traditional folded to simplified, Latin letters lower-cased.
pub fn name_key(name: &str) -> String {
    // Common CJK ideographs are neither spaces nor invisible, width-folded nor cased.
    if name.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        return to_simplified(name);
    }
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

/// Common short forms of institution names and what they stand for. Longer forms first, so
/// that `职院` does not pre-empt `职业技术学院` already written out.
const ABBREVIATIONS: [(&str, &str); 10] = [
    ("职业技术学院", "职业技术学院"),
    ("职院", "职业技术学院"),
    ("师大附中", "师范大学附属中学"),
    ("附中", "附属中学"),
    ("师大", "师范大学"),
    ("理工大", "理工大学"),
    ("科大", "科技大学"),
    ("农大", "农业大学"),
    ("市一中", "市第一中学"),
    ("市二中", "市第二中学"),
];

/// A looser key for institutions: [`org_name_key`] with common abbreviations expanded and a
/// leading province name dropped, so `湖南省长沙市一中` and `长沙市第一中学` meet.
pub fn org_alias_key(name: &str) -> String {
    let mut key = org_name_key(name);
    if let Some(index) = key.find('省') {
        let prefix_chars = key[..index].chars().count();
        if (2..=3).contains(&prefix_chars) && key[index + '省'.len_utf8()..].chars().count() >= 4 {
            key = key[index + '省'.len_utf8()..].to_owned();
        }
    }
    let mut expanded = String::with_capacity(key.len() + 16);
    let mut rest = key.as_str();
    'outer: while !rest.is_empty() {
        for (short, long) in ABBREVIATIONS {
            if let Some(after) = rest.strip_prefix(short) {
                // Do not double-expand a long form that is already present.
                if let Some(after_long) = rest.strip_prefix(long) {
                    expanded.push_str(long);
                    rest = after_long;
                } else {
                    expanded.push_str(long);
                    rest = after;
                }
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            expanded.push(c);
        }
        rest = chars.as_str();
    }
    expanded
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

    #[test]
    fn abbreviations_meet_their_full_names() {
        assert_eq!(org_alias_key("长沙市一中"), org_alias_key("长沙市第一中学"));
        assert_eq!(
            org_alias_key("湖南生物机电职院"),
            org_alias_key("湖南生物机电职业技术学院")
        );
        assert_eq!(
            org_alias_key("湖南师大附中"),
            org_alias_key("湖南师范大学附属中学")
        );
        assert_eq!(org_alias_key("湖南省长郡中学"), org_alias_key("长郡中学"));
        assert_eq!(org_alias_key("湖南师大"), org_alias_key("湖南师范大学"));
        assert_ne!(org_alias_key("湖南大学"), org_alias_key("湖南师范大学"));
        assert_ne!(org_alias_key("湖南农业大学"), org_alias_key("湖南大学"));
    }
}
