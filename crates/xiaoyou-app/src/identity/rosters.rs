//! Generated records written as the rosters schools really send: one file per school, header
//! names that vary from school to school, a title row above the header in some, GBK in some,
//! dates in every common form, full-width digits and lower-case `x` in ID numbers, phones with
//! spaces or `+86`. The benchmark imports these files through the real import, so the engine
//! is measured on what the import makes of them, and scores through the exported source
//! references (`file#line`).

use super::Record;
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;
use xiaoyou_core::{Gender, IdCardNo, StudyLevel};

/// One school's roster and the true person behind each of its data lines.
#[derive(Debug, Clone)]
pub struct RosterFile {
    /// The generator's school number (see [`super::truth::generate`]).
    pub school: i64,
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// Line number in the file → true person.
    pub truth: HashMap<u32, i64>,
}

/// Header names per column; each school uses one of each list.
const HEADERS: [&[&str]; 13] = [
    &["序号", "编号", "序"],
    &["姓名", "名字", "校友姓名"],
    &["性别", "性 别"],
    &["出生日期", "出生年月", "生日"],
    &["身份证号", "身份证号码", "公民身份号码"],
    &["手机号码", "联系电话", "手机"],
    &["电子邮箱", "邮箱", "E-mail"],
    &["学历", "层次", "学历层次"],
    &["入学年份", "入学时间", "年级"],
    &["毕业年份", "届别", "毕业时间"],
    &["班级", "班级名称", "班别"],
    &["工作单位", "现工作单位", "单位名称"],
    &["所在城市", "现居住地", "工作城市"],
];

/// Mixes numbers into one deterministic value (SplitMix64's finaliser).
fn mix(values: &[u64]) -> u64 {
    let mut z = 0x9e37_79b9_7f4a_7c15_u64;
    for value in values {
        z = (z ^ value).wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
    }
    z
}

/// A valid ID number per true person, unique among them: the sequence's parity carries the
/// gender, as on real cards.
struct IdNumbers {
    issued: HashMap<(NaiveDate, bool), u32>,
    by_person: HashMap<i64, String>,
}

impl IdNumbers {
    fn of(&mut self, person: i64, birth: NaiveDate, gender: Gender) -> Option<String> {
        if let Some(found) = self.by_person.get(&person) {
            return Some(found.clone());
        }
        let male = gender == Gender::Male;
        let counter = self.issued.entry((birth, male)).or_insert(0);
        let n = *counter;
        *counter += 1;
        let sequence = (n % 500) * 2 + u32::from(male);
        // 500 numbers per area and birth date; the next area after that.
        let area = 430_102 + (n / 500) % 90;
        let number = IdCardNo::compose(area, birth, sequence).ok()?;
        let text = number.expose().to_owned();
        self.by_person.insert(person, text.clone());
        Some(text)
    }
}

fn date_text(date: NaiveDate, form: u64) -> String {
    let (y, m, d) = (date.year(), date.month(), date.day());
    match form % 6 {
        0 => format!("{y}-{m:02}-{d:02}"),
        1 => format!("{y}/{m}/{d}"),
        2 => format!("{y}年{m}月{d}日"),
        3 => format!("{y}{m:02}{d:02}"),
        4 => format!("{y}.{m:02}.{d:02}"),
        _ => format!("{y}.{m}.{d}"),
    }
}

fn full_width_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c),
            other => other,
        })
        .collect()
}

fn level_text(level: StudyLevel, variant: u64) -> &'static str {
    match (level, variant % 2) {
        (StudyLevel::MiddleSchool, 0) => "高中",
        (StudyLevel::MiddleSchool, _) => "中学",
        (StudyLevel::SecondaryVocational, _) => "中专",
        (StudyLevel::Associate, 0) => "专科",
        (StudyLevel::Associate, _) => "大专",
        (StudyLevel::Bachelor, _) => "本科",
        (StudyLevel::Master, 0) => "硕士",
        (StudyLevel::Master, _) => "硕士研究生",
        (StudyLevel::Doctorate, _) => "博士",
    }
}

/// CSV quoting for a cell that may hold a comma (romanised names such as `WANG, Wei`).
fn cell(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Writes `records` (true persons in `truth`, birth dates in `births`, index = person − 1) as
/// one roster per school, in school order. Records of one school keep their generated order.
pub fn rosters(records: &[Record], truth: &[i64], births: &[NaiveDate]) -> Vec<RosterFile> {
    let mut by_school: std::collections::BTreeMap<i64, Vec<usize>> = Default::default();
    for (index, record) in records.iter().enumerate() {
        by_school.entry(record.school).or_default().push(index);
    }
    let mut ids = IdNumbers {
        issued: HashMap::new(),
        by_person: HashMap::new(),
    };
    let mut files = Vec::with_capacity(by_school.len());
    for (school, members) in by_school {
        let style = mix(&[school as u64]);
        let header: Vec<&str> = HEADERS
            .iter()
            .enumerate()
            .map(|(column, names)| names[(mix(&[style, column as u64]) as usize) % names.len()])
            .collect();
        let mut text = String::new();
        let mut line = 1u32;
        if style.is_multiple_of(3) {
            text.push_str(&format!("基准学校{school:04}校友通讯录\n"));
            line += 1;
        }
        text.push_str(&header.join(","));
        text.push('\n');
        let mut file_truth = HashMap::with_capacity(members.len());
        for (serial, index) in members.iter().enumerate() {
            let (Some(record), Some(person)) = (records.get(*index), truth.get(*index)) else {
                continue;
            };
            let noise = mix(&[style, *index as u64]);
            let birth = births.get((*person - 1) as usize).copied();
            let id_number = match (&record.id_card_hash, birth, record.gender) {
                (Some(_), Some(birth), Some(gender)) => ids.of(*person, birth, gender),
                _ => None,
            };
            let id_text = id_number.map(|id| {
                let id = if noise.is_multiple_of(17) {
                    id.to_lowercase()
                } else {
                    id
                };
                if noise.is_multiple_of(29) {
                    full_width_digits(&id)
                } else {
                    id
                }
            });
            let phone = record.phones.first().map(|phone| match noise % 11 {
                0 => format!("+86 {phone}"),
                1 => format!("{} {} {}", &phone[..3], &phone[3..7], &phone[7..]),
                _ => phone.clone(),
            });
            let gender = record.gender.map(|g| match g {
                Gender::Male => "男",
                Gender::Female => "女",
            });
            // The class as the school knows it: its true year and number.
            let class = record.class_key.as_ref().and_then(|key| {
                let mut parts = key.split('-').skip(1);
                let (year, number) = (parts.next()?, parts.next()?);
                Some(format!("{year}届{number}班"))
            });
            let cells = [
                (serial + 1).to_string(),
                cell(&record.name),
                gender.unwrap_or("").to_owned(),
                record
                    .birth_date
                    .map(|d| date_text(d, noise >> 8))
                    .unwrap_or_default(),
                id_text.unwrap_or_default(),
                phone.unwrap_or_default(),
                record.emails.first().cloned().unwrap_or_default(),
                level_text(record.level, noise >> 16).to_owned(),
                record
                    .enrolment_year
                    .map(|y| y.to_string())
                    .unwrap_or_default(),
                record
                    .graduation_year
                    .map(|y| y.to_string())
                    .unwrap_or_default(),
                class.unwrap_or_default(),
                record.employer.clone().unwrap_or_default(),
                record.city.clone().unwrap_or_default(),
            ];
            text.push_str(&cells.join(","));
            text.push('\n');
            line += 1;
            file_truth.insert(line, *person);
        }
        let gbk = style % 4 == 1;
        let bytes = if gbk {
            encoding_rs::GBK.encode(&text).0.into_owned()
        } else {
            text.into_bytes()
        };
        files.push(RosterFile {
            school,
            file_name: format!("school-{school:04}.csv"),
            bytes,
            truth: file_truth,
        });
    }
    files
}

/// The file name and line of an exported source reference (`file#line` or
/// `file#line 序号=…`).
pub fn source_line(source: &str) -> Option<(&str, u32)> {
    let (file, rest) = source.rsplit_once('#')?;
    let line = rest.split(' ').next()?.parse().ok()?;
    Some((file, line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::truth::generate_with_births;

    #[test]
    fn every_data_line_is_known_and_ids_are_valid_and_unique_per_person() {
        let (records, truth, births) = generate_with_births(400, 3);
        let files = rosters(&records, &truth, &births);
        let lines: usize = files.iter().map(|f| f.truth.len()).sum();
        assert_eq!(lines, records.len());
        let mut owner: HashMap<String, i64> = HashMap::new();
        for file in &files {
            let text = if file.bytes.is_ascii() || std::str::from_utf8(&file.bytes).is_ok() {
                String::from_utf8_lossy(&file.bytes).into_owned()
            } else {
                encoding_rs::GBK.decode(&file.bytes).0.into_owned()
            };
            for (number, row) in text.lines().enumerate() {
                let line = number as u32 + 1;
                let Some(person) = file.truth.get(&line) else {
                    continue;
                };
                for field in row.split(',') {
                    if let Ok(id) = IdCardNo::parse(field) {
                        let previous = owner.insert(id.expose().to_owned(), *person);
                        assert!(previous.is_none_or(|p| p == *person), "{row}");
                    }
                }
            }
        }
        assert!(owner.len() > 50, "a good share of records carry ID numbers");
    }

    #[test]
    fn source_references_give_file_and_line() {
        assert_eq!(
            source_line("school-0007.csv#12 序号=10"),
            Some(("school-0007.csv", 12))
        );
        assert_eq!(source_line("a#b.csv#3"), Some(("a#b.csv", 3)));
        assert_eq!(source_line("名册.csv"), None);
    }
}
