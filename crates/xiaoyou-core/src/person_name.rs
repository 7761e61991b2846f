//! Personal names: Han names are written surname first with no space (`欧阳娜娜`);
//! overseas records may carry a pinyin or Latin name (`Zhang Wei`), kept with single spaces.

use crate::error::ValueError;

const MAX_CHARS: usize = 40;
const COMPOUND_SURNAMES: [&str; 20] = [
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "夏侯", "轩辕",
    "令狐", "宇文", "司徒", "司空", "端木", "呼延", "南宫", "独孤",
];

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

/// A Latin name as written: `Wang Wei`, or surname first with a comma as in passports and
/// overseas registers (`WANG, Wei`, kept as `WANG, Wei`). One comma at most, with words on
/// both sides.
fn latin_name(joined: &str) -> Result<String, ValueError> {
    match joined.split_once(',') {
        None => Ok(joined.to_owned()),
        Some((surname, given)) => {
            let (surname, given) = (surname.trim(), given.trim());
            if surname.is_empty() || given.is_empty() || given.contains(',') {
                return Err(ValueError::NameCharacters);
            }
            Ok(format!("{surname}, {given}"))
        }
    }
}

impl PersonName {
    /// Cleans a name as rosters write it: trims, drops spaces between Han characters
    /// (`张  伟` → `张伟`), folds full-width Latin letters and the middle dot variants.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let folded: String = raw
            .chars()
            .map(|c| match c {
                '\u{ff21}'..='\u{ff3a}' | '\u{ff41}'..='\u{ff5a}' => {
                    char::from_u32(c as u32 - 0xfee0).unwrap_or(c)
                }
                '\u{3000}' | '\u{a0}' | '\t' => ' ',
                '•' | '・' | '．' | '∙' => '·',
                other => other,
            })
            .filter(|c| !matches!(c, '\u{200b}' | '\u{feff}'))
            .collect();
        let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
        if words.is_empty() {
            return Err(ValueError::Empty);
        }
        let has_han = words.iter().any(|w| w.chars().any(is_han));
        let name = if has_han {
            words.concat()
        } else {
            latin_name(&words.join(" "))?
        };
        if name.chars().count() > MAX_CHARS {
            return Err(ValueError::NameTooLong { max: MAX_CHARS });
        }
        let allowed = |c: char| {
            is_han(c)
                || c.is_alphabetic()
                || matches!(c, '·' | ' ' | '-' | '\'' | '.')
                || (c == ',' && !has_han)
        };
        if !name.chars().all(allowed) {
            return Err(ValueError::NameCharacters);
        }
        Ok(PersonName(name))
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_han(&self) -> bool {
        self.0.chars().any(is_han)
    }

    /// The surname of a Han name (compound surnames recognised); `None` for Latin names,
    /// whose order cannot be known from the text alone.
    pub fn surname(&self) -> Option<&str> {
        if !self.is_han() {
            return None;
        }
        if let Some(compound) = COMPOUND_SURNAMES.iter().find(|s| self.0.starts_with(**s))
            && self.0.chars().count() > 2
        {
            return Some(compound);
        }
        self.0.char_indices().nth(1).map(|(end, _)| &self.0[..end])
    }

    pub fn given_name(&self) -> Option<&str> {
        self.surname().map(|s| &self.0[s.len()..])
    }

    /// `张*` / `欧阳**`: surname kept, given name hidden (for public listings).
    pub fn masked(&self) -> String {
        match (self.surname(), self.given_name()) {
            (Some(surname), Some(given)) => {
                format!("{surname}{}", "*".repeat(given.chars().count().max(1)))
            }
            _ => {
                let first: String = self.0.chars().take(1).collect();
                format!("{first}***")
            }
        }
    }
}

impl std::fmt::Display for PersonName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// CJK Unified Ideographs and their common extensions.
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xf900..=0xfaff | 0x20000..=0x3134f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_roster_spellings() -> Result<(), ValueError> {
        assert_eq!(PersonName::parse(" 张  伟 ")?.as_str(), "张伟");
        assert_eq!(PersonName::parse("张\u{3000}伟")?.as_str(), "张伟");
        assert_eq!(PersonName::parse("Zhang   Wei")?.as_str(), "Zhang Wei");
        assert_eq!(
            PersonName::parse("阿依古丽•买买提")?.as_str(),
            "阿依古丽·买买提"
        );
        assert_eq!(PersonName::parse(""), Err(ValueError::Empty));
        assert_eq!(PersonName::parse("张伟2"), Err(ValueError::NameCharacters));
        Ok(())
    }

    #[test]
    fn latin_names_may_put_the_surname_first_with_a_comma() -> Result<(), ValueError> {
        assert_eq!(PersonName::parse("WANG,Wei")?.as_str(), "WANG, Wei");
        assert_eq!(
            PersonName::parse("OUYANG ,  Nana")?.as_str(),
            "OUYANG, Nana"
        );
        for bad in ["王,伟", "WANG,", ",Wei", "WANG, Wei, Jr"] {
            assert_eq!(
                PersonName::parse(bad),
                Err(ValueError::NameCharacters),
                "{bad}"
            );
        }
        Ok(())
    }

    #[test]
    fn splits_surnames() -> Result<(), ValueError> {
        let name = PersonName::parse("欧阳娜娜")?;
        assert_eq!(name.surname(), Some("欧阳"));
        assert_eq!(name.given_name(), Some("娜娜"));
        assert_eq!(name.masked(), "欧阳**");
        let short = PersonName::parse("欧阳")?;
        assert_eq!(short.surname(), Some("欧"));
        assert_eq!(PersonName::parse("王伟")?.masked(), "王*");
        assert_eq!(PersonName::parse("Zhang Wei")?.surname(), None);
        Ok(())
    }
}
