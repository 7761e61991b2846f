//! Synthetic study records with a known truth, for measuring the engine: people at one to
//! three schools with consistent years, ID numbers on some records only, homophone and
//! look-alike typos, traditional characters, pinyin-only names, changed phones, employer
//! variants, re-import duplicates and a share of very common names.

pub use super::metrics::{Scores, score};
use super::{Record, ResolveStats, Settings, resolve};
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};
use std::time::Instant;
use xiaoyou_core::{Gender, StudyLevel};

/// SplitMix64: small, deterministic for ever (unlike library generators across versions).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }
    /// An index biased to the front (frequent surnames first).
    fn skewed(&mut self, n: usize) -> usize {
        let a = self.below(n);
        let b = self.below(n);
        a.min(b)
    }
}

const SURNAMES: [&str; 60] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈",
    "姚", "卢", "钟", "谭", "陆", "汪", "范", "金", "贺", "龙", "欧阳", "覃",
];

const GIVEN: [&str; 96] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "红", "建", "文", "辉", "鹏", "峰", "俊",
    "婷", "玲", "颖", "宇", "浩", "欣", "晨", "雪", "慧", "琳", "斌", "波", "萍", "亮", "梅", "琴",
    "云", "飞", "凯", "帆", "佳", "怡", "思", "雨", "子", "涵", "博", "睿", "诗", "梦", "晓", "志",
    "国", "海", "春", "冬", "兰", "嘉", "欢", "鑫", "阳", "蕾", "婧", "昊", "轩", "泽", "宁", "琪",
    "晴", "瑶", "倩", "然", "天", "悦", "航", "旭", "彬", "薇", "成", "新", "立", "松", "健", "林",
];

const COMMON_NAMES: [&str; 16] = [
    "王伟", "李娜", "张伟", "王芳", "刘洋", "李静", "张敏", "王静", "李伟", "张丽", "王磊", "刘伟",
    "张静", "李强", "王勇", "李军",
];

/// Characters read alike (same tone-less pinyin).
const HOMOPHONES: [&str; 24] = [
    "伟玮炜薇",
    "丽莉俐",
    "芳方舫",
    "敏民珉",
    "静婧靖",
    "军君钧",
    "杰洁捷",
    "洋阳扬",
    "娜纳",
    "涛韬",
    "明鸣铭",
    "华桦骅",
    "平萍苹",
    "红虹鸿宏",
    "刚钢",
    "艳燕雁",
    "辉晖徽",
    "斌彬滨",
    "峰锋枫丰",
    "婷亭霆",
    "颖莹盈",
    "宇雨羽禹",
    "浩昊皓",
    "欣新鑫馨",
];

/// Characters that look alike.
const LOOKALIKES: [(&str, &str); 10] = [
    ("晴", "睛"),
    ("候", "侯"),
    ("玉", "王"),
    ("天", "夭"),
    ("田", "由"),
    ("己", "已"),
    ("末", "未"),
    ("斌", "赋"),
    ("雪", "雷"),
    ("冬", "东"),
];

/// Simplified → traditional for the characters above.
const TRADITIONAL: [(&str, &str); 40] = [
    ("伟", "偉"),
    ("丽", "麗"),
    ("华", "華"),
    ("军", "軍"),
    ("红", "紅"),
    ("杰", "傑"),
    ("刚", "剛"),
    ("涛", "濤"),
    ("辉", "輝"),
    ("鹏", "鵬"),
    ("颖", "穎"),
    ("张", "張"),
    ("刘", "劉"),
    ("陈", "陳"),
    ("杨", "楊"),
    ("黄", "黃"),
    ("赵", "趙"),
    ("吴", "吳"),
    ("孙", "孫"),
    ("马", "馬"),
    ("罗", "羅"),
    ("郑", "鄭"),
    ("谢", "謝"),
    ("许", "許"),
    ("韩", "韓"),
    ("冯", "馮"),
    ("邓", "鄧"),
    ("蒋", "蔣"),
    ("叶", "葉"),
    ("苏", "蘇"),
    ("吕", "呂"),
    ("卢", "盧"),
    ("钟", "鍾"),
    ("谭", "譚"),
    ("陆", "陸"),
    ("贺", "賀"),
    ("龙", "龍"),
    ("静", "靜"),
    ("娟", "娟"),
    ("凯", "凱"),
];

const BRANDS: [&str; 24] = [
    "星辰", "银河", "湘江", "麓山", "岳麓", "华鑫", "中联", "远大", "楚天", "三湘", "芙蓉", "潇湘",
    "金霞", "洞庭", "南岳", "橘洲", "天心", "开福", "雨花", "望城", "宁乡", "浏阳", "韶山", "衡岳",
];
const INDUSTRIES: [&str; 8] = [
    "科技", "电子", "建设", "医药", "机械", "软件", "物流", "食品",
];
const CITIES: [&str; 6] = ["长沙", "株洲", "湘潭", "衡阳", "岳阳", "常德"];
const DOMAINS: [&str; 4] = ["qq.com", "163.com", "126.com", "example.cn"];

/// One true person.
struct Person {
    name: String,
    gender: Gender,
    birth: NaiveDate,
    id_hash: Option<String>,
    phones: Vec<String>,
    email: Option<String>,
    employer: Option<(usize, usize)>,
    city: &'static str,
    studies: Vec<(StudyLevel, i64, i32)>,
}

fn person(rng: &mut Rng, index: usize) -> Person {
    let name = if rng.chance(0.05) {
        rng.pick(&COMMON_NAMES)
            .copied()
            .unwrap_or("王伟")
            .to_owned()
    } else {
        let surname = SURNAMES
            .get(rng.skewed(SURNAMES.len()))
            .copied()
            .unwrap_or("王");
        let given_len = if rng.chance(0.35) { 1 } else { 2 };
        let mut name = surname.to_owned();
        for _ in 0..given_len {
            name.push_str(rng.pick(&GIVEN).copied().unwrap_or("伟"));
        }
        name
    };
    let gender = if rng.chance(0.5) {
        Gender::Male
    } else {
        Gender::Female
    };
    let year = 1970 + rng.below(35) as i32;
    let birth = NaiveDate::from_yo_opt(year, 1 + rng.below(365) as u32).unwrap_or(NaiveDate::MIN);
    let id_hash = rng
        .chance(0.6)
        .then(|| format!("{:016x}", Rng(index as u64 ^ 0x5eed).next()));
    let mut phones = vec![phone(rng)];
    if rng.chance(0.35) {
        phones.push(phone(rng));
    }
    let email = rng.chance(0.5).then(|| {
        format!(
            "u{}{}@{}",
            index,
            rng.below(100),
            rng.pick(&DOMAINS).copied().unwrap_or("qq.com")
        )
    });
    let employer = rng
        .chance(0.5)
        .then(|| (rng.below(BRANDS.len()), rng.below(INDUSTRIES.len())));
    let city = rng.pick(&CITIES).copied().unwrap_or("长沙");
    let studies = studies(rng, year);
    Person {
        name,
        gender,
        birth,
        id_hash,
        phones,
        email,
        employer,
        city,
        studies,
    }
}

fn phone(rng: &mut Rng) -> String {
    format!("1{}{:09}", 3 + rng.below(7), rng.next() % 1_000_000_000)
}

/// One to three studies with consistent years: (level, school, graduation year).
fn studies(rng: &mut Rng, birth_year: i32) -> Vec<(StudyLevel, i64, i32)> {
    use StudyLevel::*;
    let path: &[StudyLevel] = match rng.below(100) {
        0..30 => &[MiddleSchool],
        30..55 => &[MiddleSchool, Bachelor],
        55..65 => &[Associate],
        65..80 => &[Bachelor],
        80..90 => &[MiddleSchool, Bachelor, Master],
        90..95 => &[Bachelor, Master],
        _ => &[Bachelor, Master, Doctorate],
    };
    let mut year = birth_year + 18 + rng.below(2) as i32;
    let mut out = Vec::new();
    for (i, level) in path.iter().enumerate() {
        year = match (i, level) {
            (0, MiddleSchool) => year,
            (0, Associate) => year + 3,
            (0, Bachelor) => year + 4,
            (_, Bachelor) => year + 4,
            (_, Master) => year + 3 + rng.below(2) as i32,
            (_, Doctorate) => year + 4,
            _ => year + level.usual_years(),
        };
        let school = match level {
            MiddleSchool | SecondaryVocational => 1 + rng.below(300) as i64,
            Associate | Bachelor => 1001 + rng.below(80) as i64,
            Master | Doctorate => 1001 + rng.below(30) as i64,
        };
        out.push((*level, school, year));
    }
    out
}

fn replace_char(
    name: &str,
    rng: &mut Rng,
    table: impl Fn(char, &mut Rng) -> Option<char>,
) -> String {
    let chars: Vec<char> = name.chars().collect();
    // Prefer the given name (after the first character).
    let mut order: Vec<usize> = (1..chars.len()).collect();
    order.push(0);
    for i in order {
        if let Some(c) = chars.get(i).copied()
            && let Some(replacement) = table(c, rng)
        {
            let mut out = chars.clone();
            out[i] = replacement;
            return out.into_iter().collect();
        }
    }
    name.to_owned()
}

fn homophone(c: char, rng: &mut Rng) -> Option<char> {
    let group = HOMOPHONES.iter().find(|g| g.contains(c))?;
    let others: Vec<char> = group.chars().filter(|x| *x != c).collect();
    rng.pick(&others).copied()
}

fn lookalike(c: char, _: &mut Rng) -> Option<char> {
    LOOKALIKES.iter().find_map(|(x, y)| {
        if x.starts_with(c) {
            y.chars().next()
        } else if y.starts_with(c) {
            x.chars().next()
        } else {
            None
        }
    })
}

fn traditional(name: &str) -> String {
    name.chars()
        .map(|c| {
            TRADITIONAL
                .iter()
                .find(|(s, _)| s.starts_with(c))
                .and_then(|(_, t)| t.chars().next())
                .unwrap_or(c)
        })
        .collect()
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn romanised(name: &str, rng: &mut Rng) -> String {
    let Some(split) = xiaoyou_text::pinyin_name(name) else {
        return name.to_owned();
    };
    let (surname, given) = (capitalised(&split.surname), capitalised(&split.given));
    match rng.below(4) {
        0 => format!("{surname} {given}"),
        1 => format!("{} {given}", surname.to_uppercase()),
        2 => format!("{given} {surname}"),
        _ => format!("{}, {given}", surname.to_uppercase()),
    }
}

fn reported_name(person: &Person, level: StudyLevel, rng: &mut Rng) -> String {
    let overseas = matches!(level, StudyLevel::Master | StudyLevel::Doctorate) && rng.chance(0.15);
    if overseas || rng.chance(0.02) {
        return romanised(&person.name, rng);
    }
    let mut name = person.name.clone();
    if rng.chance(0.04) {
        name = replace_char(&name, rng, homophone);
    } else if rng.chance(0.015) {
        name = replace_char(&name, rng, lookalike);
    }
    if rng.chance(0.08) {
        name = traditional(&name);
    }
    name
}

fn employer_variant(brand: usize, industry: usize, rng: &mut Rng) -> String {
    let brand = BRANDS.get(brand).copied().unwrap_or("星辰");
    let industry = INDUSTRIES.get(industry).copied().unwrap_or("科技");
    match rng.below(5) {
        0 => format!("长沙{brand}{industry}有限公司"),
        1 => format!("湖南{brand}{industry}股份有限公司"),
        2 => format!("{brand}{industry}"),
        3 => format!("湖南省{brand}{industry}集团有限公司"),
        _ => format!("长沙市{brand}{industry}有限责任公司"),
    }
}

/// Generates records of `persons` people, deterministic per `seed`, with the true person of
/// each record (same order). Each record starts as its own person (`person == record`).
pub fn generate(persons: usize, seed: u64) -> (Vec<Record>, Vec<i64>) {
    let (records, truth, _) = generate_with_births(persons, seed);
    (records, truth)
}

/// As [`generate`], with each true person's birth date as well (index = true person − 1),
/// which rosters need to write valid ID numbers.
pub fn generate_with_births(persons: usize, seed: u64) -> (Vec<Record>, Vec<i64>, Vec<NaiveDate>) {
    let mut rng = Rng(seed ^ 0x1d_e47_1e5);
    let mut records = Vec::with_capacity(persons * 17 / 10);
    let mut truth = Vec::with_capacity(persons * 17 / 10);
    let mut births = Vec::with_capacity(persons);
    for index in 0..persons {
        let p = person(&mut rng, index);
        births.push(p.birth);
        for (nth, (level, school, graduation)) in p.studies.iter().enumerate() {
            let copies = if rng.chance(0.04) { 2 } else { 1 };
            let base = study_record(&p, nth, *level, *school, *graduation, &mut rng);
            for copy in 0..copies {
                let id = records.len() as i64 + 1;
                let mut record = base.clone();
                record.record = id;
                record.person = id;
                if copy > 0 && rng.chance(0.5) {
                    record.phones.clear();
                }
                records.push(record);
                truth.push(index as i64 + 1);
            }
        }
    }
    (records, truth, births)
}

fn study_record(
    p: &Person,
    nth: usize,
    level: StudyLevel,
    school: i64,
    graduation: i32,
    rng: &mut Rng,
) -> Record {
    let graduation_year = if rng.chance(0.02) {
        graduation + if rng.chance(0.5) { 1 } else { -1 }
    } else {
        graduation
    };
    let mut birth_date = rng.chance(0.85).then_some(p.birth);
    if rng.chance(0.003) {
        birth_date = p.birth.succ_opt();
    }
    let phone = if nth > 0 && p.phones.len() > 1 && rng.chance(0.7) {
        p.phones.get(1)
    } else {
        p.phones.first()
    };
    Record {
        record: 0,
        person: 0,
        name: reported_name(p, level, rng),
        id_card_hash: p.id_hash.clone().filter(|_| rng.chance(0.5)),
        birth_date,
        gender: rng.chance(0.9).then_some(p.gender),
        phones: phone
            .filter(|_| rng.chance(0.7))
            .cloned()
            .into_iter()
            .collect(),
        emails: p
            .email
            .clone()
            .filter(|_| rng.chance(0.4))
            .into_iter()
            .collect(),
        school,
        level,
        enrolment_year: rng
            .chance(0.8)
            .then_some(graduation_year - level.usual_years()),
        graduation_year: rng.chance(0.97).then_some(graduation_year),
        class_key: rng
            .chance(0.6)
            .then(|| format!("{}-{}-{}", school, graduation, 1 + rng.below(12))),
        employer: p
            .employer
            .filter(|_| rng.chance(0.4))
            .map(|(b, i)| employer_variant(b, i, rng)),
        city: rng.chance(0.5).then(|| p.city.to_owned()),
    }
}

/// What one benchmark run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    pub records: usize,
    pub persons: usize,
    pub generate_seconds: f64,
    pub resolve_seconds: f64,
    /// The process's peak resident memory (VmHWM) after resolving, where the OS tells it.
    pub peak_memory_bytes: Option<u64>,
    pub review_pairs: usize,
    pub scores: Scores,
    pub stats: ResolveStats,
    /// The most frequent mistakes, when asked for.
    pub mistakes: Vec<MistakeKind>,
}

/// Generates about `records_target` records (seed `seed`), resolves them with the default
/// settings and scores the result against the truth; with `explain > 0`, also lists that many
/// kinds of mistakes.
pub fn bench(records_target: usize, seed: u64, explain: usize) -> BenchReport {
    let started = Instant::now();
    let persons = records_target * 10 / 16 + 1;
    let (mut records, mut truth) = generate(persons, seed);
    records.truncate(records_target);
    truth.truncate(records_target);
    let generate_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let resolution = resolve(
        &records,
        &Settings::default(),
        &HashSet::new(),
        &mut |_, _| {},
    );
    let resolve_seconds = started.elapsed().as_secs_f64();
    let truth_map: HashMap<i64, i64> = records
        .iter()
        .zip(truth.iter())
        .map(|(r, t)| (r.record, *t))
        .collect();
    let distinct: HashSet<i64> = truth.iter().copied().collect();
    BenchReport {
        records: records.len(),
        persons: distinct.len(),
        generate_seconds,
        resolve_seconds,
        peak_memory_bytes: peak_memory(),
        review_pairs: resolution.review.len(),
        scores: score(&resolution.groups, &truth_map),
        mistakes: if explain > 0 {
            mistakes(&records, &truth, &resolution.groups, explain)
        } else {
            Vec::new()
        },
        stats: resolution.stats,
    }
}

/// VmHWM from /proc/self/status (Linux), in bytes.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// One kind of mistake, by the evidence the pairwise score saw.
#[derive(Debug, Clone, PartialEq)]
pub struct MistakeKind {
    /// `true`: two records of one person left apart; `false`: two people joined.
    pub missed: bool,
    /// The reasons as a reviewer would read them, joined with `；`.
    pub evidence: String,
    pub pairs: u64,
    /// One example: the two names and the pair's score.
    pub example: (String, String, f64),
}

/// The engine's mistakes on generated data grouped by evidence, most frequent first: what to
/// look at when tuning weights. Counts every wrong pair (pairs per person are few).
pub fn mistakes(
    records: &[Record],
    truth: &[i64],
    groups: &[Vec<i64>],
    limit: usize,
) -> Vec<MistakeKind> {
    let prepared = super::prepare::prepare(records);
    let index_of: HashMap<i64, usize> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.record, i))
        .collect();
    let mut group_of = vec![0usize; records.len()];
    for (g, group) in groups.iter().enumerate() {
        for record in group {
            if let Some(i) = index_of.get(record) {
                group_of[*i] = g;
            }
        }
    }
    let mut kinds: HashMap<(bool, String), MistakeKind> = HashMap::new();
    let mut note = |a: usize, b: usize, missed: bool| {
        let (Some(fa), Some(fb)) = (prepared.features.get(a), prepared.features.get(b)) else {
            return;
        };
        let comparison = super::score::compare(&prepared, fa, fb);
        let (na, nb) = (&records[a].name, &records[b].name);
        let evidence = super::score::reasons(comparison.flags, ("甲", "乙"))
            .into_iter()
            .map(|r| r.replace("（甲/乙）", "").replace("（甲）", ""))
            .collect::<Vec<_>>()
            .join("；");
        let entry = kinds
            .entry((missed, evidence.clone()))
            .or_insert_with(|| MistakeKind {
                missed,
                evidence,
                pairs: 0,
                example: (na.clone(), nb.clone(), comparison.score),
            });
        entry.pairs += 1;
    };
    // Missed: records of one true person in different groups.
    let mut by_person: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, person) in truth.iter().enumerate().take(records.len()) {
        by_person.entry(*person).or_default().push(i);
    }
    for members in by_person.values() {
        for (x, a) in members.iter().enumerate() {
            for b in &members[x + 1..] {
                if group_of[*a] != group_of[*b] {
                    note(*a, *b, true);
                }
            }
        }
    }
    // Wrongly joined: records of different true persons in one group.
    for group in groups {
        let members: Vec<usize> = group
            .iter()
            .filter_map(|r| index_of.get(r).copied())
            .collect();
        for (x, a) in members.iter().enumerate() {
            for b in &members[x + 1..] {
                if truth.get(*a) != truth.get(*b) {
                    note(*a, *b, false);
                }
            }
        }
    }
    let mut out: Vec<MistakeKind> = kinds.into_values().collect();
    out.sort_by(|x, y| y.pairs.cmp(&x.pairs).then(x.evidence.cmp(&y.evidence)));
    out.truncate(limit);
    out
}
