//! Fictional people: names, contacts and employers drawn from the catalogue's statistics.

use super::catalog::Catalog;
use super::rng::{DemoRng, Weighted};
use xiaoyou_core::Gender;

pub struct NameGenerator {
    surnames: Weighted<String>,
    male: Weighted<char>,
    female: Weighted<char>,
}

impl NameGenerator {
    pub fn new(catalog: &Catalog) -> Self {
        let chars_for = |gender: Gender| {
            Weighted::new(
                catalog
                    .given_chars
                    .iter()
                    .filter(|(_, g, _)| g.is_none_or(|g| g == gender))
                    .map(|(c, _, w)| (*c, *w)),
            )
        };
        NameGenerator {
            surnames: Weighted::new(catalog.surnames.iter().cloned()),
            male: chars_for(Gender::Male),
            female: chars_for(Gender::Female),
        }
    }

    /// A surname and one or two given-name characters (about 70% have two).
    pub fn name(&self, rng: &mut DemoRng, gender: Gender) -> String {
        let mut name = self
            .surnames
            .draw(rng)
            .cloned()
            .unwrap_or_else(|| "王".to_owned());
        let pool = match gender {
            Gender::Male => &self.male,
            Gender::Female => &self.female,
        };
        let given = if rng.chance(0.7) { 2 } else { 1 };
        let mut previous = None;
        for _ in 0..given {
            let mut c = pool.draw(rng).copied().unwrap_or('明');
            if Some(c) == previous && rng.chance(0.8) {
                c = pool.draw(rng).copied().unwrap_or('华');
            }
            name.push(c);
            previous = Some(c);
        }
        name
    }
}

const MOBILE_PREFIXES: [&str; 24] = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "173", "177", "180", "186", "188", "199",
];

pub fn mobile(rng: &mut DemoRng) -> String {
    let prefix = rng.pick(&MOBILE_PREFIXES).copied().unwrap_or("138");
    format!("{prefix}{:08}", rng.below(100_000_000))
}

const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

pub fn email(rng: &mut DemoRng) -> String {
    match rng.below(4) {
        0 | 1 => format!("{}@qq.com", rng.between(10_000_000, 3_999_999_999)),
        2 => {
            let letters: String = (0..rng.between(4, 8))
                .map(|_| LETTERS[rng.below(LETTERS.len() as u64) as usize] as char)
                .collect();
            format!("{letters}{}@163.com", rng.below(10_000))
        }
        _ => {
            let letters: String = (0..rng.between(5, 9))
                .map(|_| LETTERS[rng.below(LETTERS.len() as u64) as usize] as char)
                .collect();
            format!("{letters}{}@126.com", rng.below(1000))
        }
    }
}

pub fn wechat(rng: &mut DemoRng) -> String {
    let letters: String = (0..10)
        .map(|_| LETTERS[rng.below(LETTERS.len() as u64) as usize] as char)
        .collect();
    format!("wxid_{letters}")
}

/// Employers that are not in the enterprise catalogue: hospitals, schools, banks' branches,
/// government offices of a city.
pub fn local_employer(rng: &mut DemoRng, city: &str) -> String {
    let city = city.trim_end_matches('市');
    match rng.below(10) {
        0 => format!(
            "{city}市第{}人民医院",
            ["一", "二", "三", "四"][rng.below(4) as usize]
        ),
        1 => format!("{city}市教育局"),
        2 => format!(
            "{city}市第{}中学",
            ["一", "二", "三", "五", "七", "八"][rng.below(6) as usize]
        ),
        3 => format!("中国建设银行股份有限公司{city}分行"),
        4 => format!("中国工商银行股份有限公司{city}分行"),
        5 => format!("{city}市城市建设投资集团有限公司"),
        6 => format!("{city}市人民政府办公室"),
        7 => format!("{city}市自然资源和规划局"),
        8 => format!("中国移动通信集团{city}有限公司"),
        _ => format!("{city}市市场监督管理局"),
    }
}
