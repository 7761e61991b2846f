//! Pinyin of personal names, for blocking and name comparison in identity resolution and
//! search.
//!
//! Readings come from the `pinyin` crate (MIT; its tables are the pinyin-data project, MIT).
//! Pinyin is tone-less and lower-case, `ü` written `v` (吕 → `lv`). A surname with a special
//! reading as a surname (单 shan, 曾 zeng, 仇 qiu …) uses that reading.
//!
//! Pinyin equality is a blocking key and a weak signal: 王伟, 王玮 and 汪伟 all read `wang wei`.

use crate::fold::{fold_char, is_invisible};
use crate::script::to_simplified;
use pinyin::ToPinyin;

/// Two-character surnames, recognised at the start of names longer than two characters.
const COMPOUND_SURNAMES: [&str; 22] = [
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "夏侯", "轩辕",
    "令狐", "宇文", "司徒", "司空", "端木", "呼延", "南宫", "独孤", "万俟", "澹台",
];

/// Surnames whose reading as a surname differs from the character's common reading.
const SURNAME_READINGS: [(&str, &str); 17] = [
    ("单", "shan"),
    ("曾", "zeng"),
    ("仇", "qiu"),
    ("区", "ou"),
    ("查", "zha"),
    ("解", "xie"),
    ("朴", "piao"),
    ("乐", "yue"),
    ("盖", "ge"),
    ("种", "chong"),
    ("覃", "qin"),
    ("缪", "miao"),
    ("尉迟", "yuchi"),
    ("万俟", "moqi"),
    ("长孙", "zhangsun"),
    ("澹台", "tantai"),
    ("员", "yun"),
];

/// Pinyin of surnames common enough to tell a romanised surname from a given name
/// (`Wei Wang`: `wang` is a surname, `wei` is not in this list).
const COMMON_SURNAME_PINYIN: [&str; 60] = [
    "wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma",
    "zhu", "hu", "guo", "he", "lin", "luo", "gao", "zheng", "liang", "xie", "song", "tang", "han",
    "feng", "deng", "cao", "peng", "zeng", "xiao", "tian", "dong", "yuan", "pan", "jiang", "cai",
    "yu", "du", "ye", "cheng", "su", "lv", "ding", "ren", "shen", "yao", "lu", "cui", "zhong",
    "tan", "fan", "jin", "shi", "liao", "jia", "xia", "ouyang", "qian",
];

/// A name split into the pinyin of its surname and of its given name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinyinName {
    /// `wang`, `ouyang`.
    pub surname: String,
    /// The given name's syllables run together: `xiaoming`.
    pub given: String,
}

/// The tone-less pinyin of one Han character (`v` for `ü`), `None` if it has no reading.
pub fn char_pinyin(c: char) -> Option<String> {
    c.to_pinyin().map(|p| plain_ascii(p.plain()))
}

/// The pinyin of a Han name, syllables separated by single spaces (`王偉` → `wang wei`),
/// surname readings applied. `None` if the name has no Han character or a character without
/// a reading.
pub fn name_pinyin(name: &str) -> Option<String> {
    let (surname, given) = han_syllables(name)?;
    let mut out = surname.join(" ");
    for syllable in given {
        out.push(' ');
        out.push_str(&syllable);
    }
    Some(out)
}

/// The initials of a Han name's pinyin (`王伟` → `ww`, `欧阳娜娜` → `oynn`).
pub fn name_pinyin_initials(name: &str) -> Option<String> {
    let (surname, given) = han_syllables(name)?;
    Some(
        surname
            .iter()
            .chain(given.iter())
            .filter_map(|s| s.chars().next())
            .collect(),
    )
}

/// Splits a name into surname and given-name pinyin: Han names by their characters
/// (compound surnames recognised), romanised names (`Wang Wei`, `WANG Wei`, `Wei Wang`,
/// `WANG, Wei`, `Xiao-Ming Wang`) by convention: the part before a comma, else a word in
/// capitals, else a common surname at either end, else the first word.
pub fn pinyin_name(name: &str) -> Option<PinyinName> {
    if let Some((surname, given)) = han_syllables(name) {
        return Some(PinyinName {
            surname: surname.concat(),
            given: given.concat(),
        });
    }
    romanised_name(name)
}

/// An order-insensitive pinyin key for a name: surname and given-name pinyin sorted and
/// joined with one space, so `王伟`, `王偉`, `汪伟`, `Wang Wei`, `WANG, Wei` and `Wei Wang` all
/// give `wang wei`. A romanised name written as one word gives that word.
pub fn pinyin_name_key(name: &str) -> Option<String> {
    let PinyinName { surname, given } = pinyin_name(name)?;
    if given.is_empty() {
        return Some(surname);
    }
    if surname.is_empty() {
        return Some(given);
    }
    let (first, second) = if surname <= given {
        (surname, given)
    } else {
        (given, surname)
    };
    Some(format!("{first} {second}"))
}

/// Syllables of a Han name's surname and given name.
fn han_syllables(name: &str) -> Option<(Vec<String>, Vec<String>)> {
    let chars: String = name
        .chars()
        .filter(|c| !is_invisible(*c))
        .map(fold_char)
        .filter(|c| !c.is_whitespace() && !matches!(c, '·' | '.' | '-' | '•'))
        .collect();
    if chars.is_empty() || !chars.chars().all(is_han) {
        return None;
    }
    let simplified = to_simplified(&chars);
    let count = simplified.chars().count();
    let surname_len = match COMPOUND_SURNAMES
        .iter()
        .find(|s| simplified.starts_with(**s))
    {
        Some(compound) if count > 2 => compound.len(),
        _ => simplified.chars().next().map(char::len_utf8)?,
    };
    let (surname, given) = simplified.split_at(surname_len);
    let surname_syllables = match SURNAME_READINGS.iter().find(|(s, _)| *s == surname) {
        Some((_, reading)) => vec![(*reading).to_owned()],
        None => surname
            .chars()
            .map(char_pinyin)
            .collect::<Option<Vec<_>>>()?,
    };
    let given_syllables = given.chars().map(char_pinyin).collect::<Option<Vec<_>>>()?;
    Some((surname_syllables, given_syllables))
}

/// Reads a romanised name; `None` if it has no Latin letters or has Han characters.
fn romanised_name(name: &str) -> Option<PinyinName> {
    let folded: String = name
        .chars()
        .filter(|c| !is_invisible(*c))
        .map(fold_char)
        .collect();
    if folded.chars().any(is_han) || !folded.chars().any(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    if let Some((before, after)) = folded.split_once(',') {
        let surname = romanised_word(before);
        let given = romanised_word(after);
        return Some(PinyinName { surname, given });
    }
    let words: Vec<&str> = folded
        .split(|c: char| c.is_whitespace() || c == '.')
        .filter(|w| w.chars().any(|c| c.is_alphabetic()))
        .collect();
    let surname_at = surname_position(&words);
    let surname = words.get(surname_at).map(|w| romanised_word(w));
    let given: String = words
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != surname_at)
        .map(|(_, w)| romanised_word(w))
        .collect();
    Some(PinyinName {
        surname: surname.unwrap_or_default(),
        given,
    })
}

/// Which word of a romanised name is the surname.
fn surname_position(words: &[&str]) -> usize {
    let last = words.len().saturating_sub(1);
    if words.len() < 2 {
        return 0;
    }
    let capitals: Vec<usize> = words
        .iter()
        .enumerate()
        .filter(|(_, w)| {
            w.chars().filter(|c| c.is_alphabetic()).count() > 1
                && w.chars()
                    .filter(|c| c.is_alphabetic())
                    .all(char::is_uppercase)
        })
        .map(|(i, _)| i)
        .collect();
    if capitals.len() == 1 {
        return capitals[0];
    }
    let is_surname = |w: &str| COMMON_SURNAME_PINYIN.contains(&romanised_word(w).as_str());
    if !is_surname(words[0]) && is_surname(words[last]) {
        last
    } else {
        0
    }
}

/// One romanised word in key form: lower-case ASCII letters, `ü`/`yu` after l and n as `v`.
fn romanised_word(word: &str) -> String {
    let plain = plain_ascii(&word.to_lowercase());
    let letters: String = plain.chars().filter(char::is_ascii_alphabetic).collect();
    match letters.as_str() {
        "lyu" => "lv".to_owned(),
        "nyu" => "nv".to_owned(),
        _ => letters,
    }
}

/// Strips tone marks and writes `ü` as `v`.
fn plain_ascii(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'ü' | 'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' => 'v',
            'ā' | 'á' | 'ǎ' | 'à' => 'a',
            'ē' | 'é' | 'ě' | 'è' => 'e',
            'ī' | 'í' | 'ǐ' | 'ì' => 'i',
            'ō' | 'ó' | 'ǒ' | 'ò' => 'o',
            'ū' | 'ú' | 'ǔ' | 'ù' => 'u',
            other => other,
        })
        .collect()
}

/// CJK Unified Ideographs and their common extensions.
fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xf900..=0xfaff | 0x20000..=0x3134f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn han_names_read_as_pinyin() {
        assert_eq!(name_pinyin("王伟").as_deref(), Some("wang wei"));
        assert_eq!(name_pinyin("王偉").as_deref(), Some("wang wei"));
        assert_eq!(name_pinyin("欧阳娜娜").as_deref(), Some("ou yang na na"));
        assert_eq!(name_pinyin("单田芳").as_deref(), Some("shan tian fang"));
        assert_eq!(name_pinyin("曾国藩").as_deref(), Some("zeng guo fan"));
        assert_eq!(name_pinyin("吕布").as_deref(), Some("lv bu"));
        assert_eq!(name_pinyin("Wang Wei"), None);
        assert_eq!(name_pinyin_initials("王小明").as_deref(), Some("wxm"));
        assert_eq!(name_pinyin_initials("欧阳娜娜").as_deref(), Some("oynn"));
    }

    #[test]
    fn homophones_share_a_key() {
        let key = pinyin_name_key("王伟");
        assert_eq!(key.as_deref(), Some("wang wei"));
        assert_eq!(pinyin_name_key("王玮"), key);
        assert_eq!(pinyin_name_key("汪伟"), key);
        assert_eq!(pinyin_name_key("王偉"), key);
        assert_ne!(pinyin_name_key("王刚"), key);
    }

    #[test]
    fn romanised_names_meet_han_names() {
        let key = pinyin_name_key("王伟");
        for spelling in [
            "Wang Wei",
            "WANG Wei",
            "Wei Wang",
            "WANG, Wei",
            "wang  wei",
            "Wei WANG",
        ] {
            assert_eq!(pinyin_name_key(spelling), key, "{spelling}");
        }
        let key = pinyin_name_key("王小明");
        for spelling in [
            "Xiaoming Wang",
            "Wang Xiaoming",
            "Xiao-Ming Wang",
            "WANG Xiao Ming",
        ] {
            assert_eq!(pinyin_name_key(spelling), key, "{spelling}");
        }
        assert_eq!(pinyin_name_key("LYU Bu"), pinyin_name_key("吕布"));
        assert_eq!(
            pinyin_name("Ouyang Nana"),
            Some(PinyinName {
                surname: "ouyang".into(),
                given: "nana".into()
            })
        );
        assert_eq!(pinyin_name_key("  "), None);
    }
}
