//! `xiaoyou bench generate`: writes a province of N study records into an empty database and
//! reports rows per second and peak memory.

use crate::cli::BenchCommand;
use crate::config::Config;
use crate::memory;
use anyhow::bail;
use xiaoyou_core::PersonalDataKey;
use xiaoyou_store::{DatabaseTarget, Db, migrate, stats};

pub async fn run(config: &Config, command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Generate { records, seed } => generate(config, records, seed).await,
        BenchCommand::Import {
            rows,
            format,
            id_numbers,
        } => import(config, rows, &format, id_numbers).await,
        BenchCommand::Pages {
            user,
            password,
            concurrency,
            requests,
        } => {
            let options = super::bench_pages::Options {
                user,
                password,
                concurrency,
                requests,
            };
            super::bench_pages::run(config, options).await
        }
        BenchCommand::Identity {
            records,
            seed,
            explain: _,
            rosters: true,
        } => identity_from_rosters(config, records, seed).await,
        BenchCommand::Identity {
            records,
            seed,
            explain,
            rosters: false,
        } => {
            identity(records, seed, explain);
            Ok(())
        }
        BenchCommand::Search {
            records,
            seed,
            queries,
            keep,
        } => super::search::bench(records, seed, queries, keep),
    }
}

/// A fresh database for a benchmark: the configured PostgreSQL, or SQLite in a scratch dir.
async fn fresh_db(
    config: &Config,
    scratch: &std::path::Path,
) -> anyhow::Result<(Db, DatabaseTarget)> {
    let target = match config.database_url() {
        Some(url) => DatabaseTarget::resolve(Some(url), &config.data_dir)?,
        None => DatabaseTarget::resolve(None, scratch)?,
    };
    let db = Db::connect(&target).await?;
    migrate::migrate(&db).await?;
    if stats::totals(&db).await?.schools > 0 {
        bail!("基准测试需要空数据库，{} 中已有数据", target.describe());
    }
    Ok((db, target))
}

/// Writes a roster of `rows` lines with realistic column names and values, some of them
/// wrong, to `path`, without holding it in memory. With `id_numbers` every line also carries
/// a distinct valid ID number that agrees with its gender.
fn write_roster(
    path: &std::path::Path,
    rows: u64,
    format: &str,
    id_numbers: bool,
) -> anyhow::Result<()> {
    const SURNAMES: [&str; 12] = [
        "王", "李", "张", "刘", "陈", "杨", "黄", "周", "吴", "彭", "谭", "曾",
    ];
    const GIVEN: [&str; 12] = [
        "伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "勇", "艳", "杰", "涛",
    ];
    const COLLEGES: [&str; 4] = [
        "土木工程学院",
        "机械工程学院",
        "信息科学与工程学院",
        "商学院",
    ];
    let header = [
        "序号",
        "姓名",
        "性别",
        "手机号码",
        "学院",
        "专业",
        "班级",
        "入学年份",
        "毕业年份",
        "工作单位",
        "职务",
        "所在地",
    ];
    let header: Vec<&str> = if id_numbers {
        header.iter().copied().chain(["身份证号"]).collect()
    } else {
        header.to_vec()
    };
    let base_line = |i: u64| -> [String; 12] {
        let college = COLLEGES[(i % 4) as usize];
        let year = 1990 + (i % 30) as i32;
        [
            (i + 1).to_string(),
            format!(
                "{}{}{}",
                SURNAMES[(i % 12) as usize],
                GIVEN[(i / 12 % 12) as usize],
                GIVEN[(i / 144 % 12) as usize]
            ),
            if i.is_multiple_of(2) { "男" } else { "女" }.to_owned(),
            if i % 50 == 49 {
                "1380000".to_owned()
            } else {
                format!("1{}{:09}", 3 + i % 7, i)
            },
            college.to_owned(),
            format!("{}专业{}", &college[..6], i % 3),
            format!("{}{}级{}班", &college[..6], year, i % 4 + 1),
            year.to_string(),
            (year + 4).to_string(),
            format!("湖南示例企业{}有限公司", i % 997),
            "工程师".to_owned(),
            "长沙".to_owned(),
        ]
    };
    let line = |i: u64| -> anyhow::Result<Vec<String>> {
        let mut fields = base_line(i).to_vec();
        if id_numbers {
            fields.push(bench_id_number(i)?.expose().to_owned());
        }
        Ok(fields)
    };
    match format {
        "csv" => {
            use std::io::Write;
            let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
            writeln!(out, "{}", header.join(","))?;
            for i in 0..rows {
                writeln!(out, "{}", line(i)?.join(","))?;
            }
            out.flush()?;
            Ok(())
        }
        "xlsx" => {
            let mut workbook = rust_xlsxwriter::Workbook::new();
            let sheet = workbook.add_worksheet_with_constant_memory()?;
            for (col, text) in header.iter().enumerate() {
                sheet.write_string(0, col as u16, *text)?;
            }
            for i in 0..rows {
                for (col, text) in line(i)?.iter().enumerate() {
                    sheet.write_string(i as u32 + 1, col as u16, text)?;
                }
            }
            workbook.save(path)?;
            Ok(())
        }
        other => bail!("未知的名册格式“{other}”，可选 csv 或 xlsx"),
    }
}

/// The ID number of bench roster line `i`: distinct for the first 500 million lines (the
/// sequence runs through a thousand lines, the birth date moves on every thousand and comes
/// round after ten million, when the area moves on), with a sequence whose parity gives the
/// line's gender (even lines are 男).
fn bench_id_number(i: u64) -> anyhow::Result<xiaoyou_core::IdCardNo> {
    let first_birthday = chrono::NaiveDate::from_ymd_opt(1968, 1, 1)
        .ok_or_else(|| anyhow::anyhow!("无效的起始出生日期"))?;
    let birth = first_birthday + chrono::Days::new(i / 1000 % 10_000);
    let area = 430_102 + 2 * (i / 10_000_000 % 50) as u32;
    let sequence = ((i + 1) % 1000) as u32;
    Ok(xiaoyou_core::IdCardNo::compose(area, birth, sequence)?)
}

async fn import(config: &Config, rows: u64, format: &str, id_numbers: bool) -> anyhow::Result<()> {
    let scratch = std::env::temp_dir().join(format!("xiaoyou-bench-import-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let file = scratch.join(format!("bench.{format}"));
    eprintln!("生成 {rows} 行 {format} 名册……");
    write_roster(&file, rows, format, id_numbers)?;
    let size = std::fs::metadata(&file)?.len();
    let (db, target) = fresh_db(config, &scratch).await?;
    xiaoyou_app::reference::load_hunan(&db).await?;
    let mut tx = db.begin().await?;
    let school = xiaoyou_store::org::insert_school(
        &mut tx,
        &xiaoyou_store::org::NewSchool {
            name: "湖南城市学院",
            kind: xiaoyou_core::SchoolKind::University,
            city: xiaoyou_core::RegionCode::new(430_900)?,
            department: None,
        },
    )
    .await?;
    tx.commit().await?;
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex())?;
    println!(
        "基准：导入 {rows} 行 {format} 名册（{:.1} MiB）到 {}",
        size as f64 / 1048576.0,
        target.describe()
    );
    // The peak reported is the import's own, not the generator's.
    memory::reset_peak();
    let started = std::time::Instant::now();
    let report = xiaoyou_app::import::import_file(
        &db,
        &xiaoyou_core::SystemClock,
        &key,
        &xiaoyou_app::audit::AuditContext::system("xiaoyou bench import"),
        &school,
        &format!("bench.{format}"),
        Box::new(std::fs::File::open(&file)?),
        xiaoyou_app::import::ImportOptions::default(),
        &mut |_| {},
    )
    .await?;
    let seconds = started.elapsed().as_secs_f64().max(f64::EPSILON);
    println!("数据行          {:>12}", report.data_rows);
    println!("新导入          {:>12}", report.imported);
    println!("有误未导入      {:>12}", report.refused);
    println!("用时            {:>11.1} 秒", seconds);
    println!(
        "行/秒           {:>12.0}",
        report.data_rows as f64 / seconds
    );
    println!("峰值内存        {:>12}", memory::describe_peak());
    // The import's checkpoint runs on after it returns; let it finish before the file goes.
    db.checkpoint_now().await?;
    db.close().await;
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// The identity engine on generated records with known truth: quality and speed.
fn identity(records: usize, seed: u64, explain: usize) {
    println!("基准：身份识别引擎，约 {records} 条带真实答案的学籍记录（种子 {seed}）");
    let report = xiaoyou_app::identity::truth::bench(records, seed, explain);
    let scores = &report.scores;
    println!("学籍记录        {:>12}", report.records);
    println!("真实自然人      {:>12}", report.persons);
    println!("生成用时        {:>11.1} 秒", report.generate_seconds);
    println!("识别用时        {:>11.1} 秒", report.resolve_seconds);
    println!(
        "识别速度        {:>12.0} 条/秒",
        report.records as f64 / report.resolve_seconds.max(f64::EPSILON)
    );
    println!("比较次数        {:>12}", report.stats.comparisons);
    println!("最大分块        {:>12}", report.stats.largest_block);
    println!("待人工核对      {:>12} 对", report.review_pairs);
    println!(
        "成对指标        准确率 {:.4}  召回率 {:.4}  F1 {:.4}",
        scores.pairwise_precision, scores.pairwise_recall, scores.pairwise_f1
    );
    println!(
        "B-cubed         准确率 {:.4}  召回率 {:.4}  F1 {:.4}",
        scores.bcubed_precision, scores.bcubed_recall, scores.bcubed_f1
    );
    println!("峰值内存        {:>12}", memory::describe_peak());
    if !report.mistakes.is_empty() {
        println!("最常见的错误（对数，证据，示例）：");
    }
    for mistake in &report.mistakes {
        let (a, b, score) = &mistake.example;
        println!(
            "  {} {:>7}  {}  例：{a} / {b}（得分 {score:.2}）",
            if mistake.missed {
                "漏合并"
            } else {
                "误合并"
            },
            mistake.pairs,
            mistake.evidence
        );
    }
}

async fn generate(config: &Config, records: u64, seed: u64) -> anyhow::Result<()> {
    let scratch = std::env::temp_dir().join(format!("xiaoyou-bench-{}", std::process::id()));
    let target = match config.database_url() {
        Some(url) => DatabaseTarget::resolve(Some(url), &config.data_dir)?,
        None => DatabaseTarget::resolve(None, &scratch)?,
    };
    let db = Db::connect(&target).await?;
    migrate::migrate(&db).await?;
    if stats::totals(&db).await?.schools > 0 {
        bail!("基准测试需要空数据库，{} 中已有数据", target.describe());
    }
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex())?;
    println!("基准：生成 {records} 条学籍记录到 {}", target.describe());
    let summary = super::demo::generate(&db, &key, seed, records).await?;
    let seconds = summary.elapsed.as_secs_f64().max(f64::EPSILON);
    println!("学籍记录        {:>12}", summary.study_records);
    println!("校友（自然人）  {:>12}", summary.persons);
    println!("写入行数合计    {:>12}", summary.rows_written);
    println!("用时            {:>11.1} 秒", seconds);
    println!(
        "学籍记录/秒     {:>12.0}",
        summary.study_records as f64 / seconds
    );
    println!(
        "写入行/秒       {:>12.0}",
        summary.rows_written as f64 / seconds
    );
    println!("峰值内存        {:>12}", memory::describe_peak());
    db.close().await;
    if config.database_url().is_none() {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    Ok(())
}

/// The identity engine measured the way it runs for real: generated records with known truth
/// written as one roster per school (varied headers, title rows, GBK, date forms), imported
/// through the import into the configured database, resolved by a full `identity run`, and
/// scored through the exported source references.
async fn identity_from_rosters(config: &Config, records: usize, seed: u64) -> anyhow::Result<()> {
    use std::collections::HashMap;
    use xiaoyou_app::identity::{Settings, rosters, run, truth};
    println!(
        "基准：身份识别（经名册文件导入），约 {records} 条带真实答案的学籍记录（种子 {seed}）"
    );
    let started = std::time::Instant::now();
    let (mut generated, mut people, births) =
        truth::generate_with_births(records * 10 / 16 + 1, seed);
    generated.truncate(records);
    people.truncate(records);
    let files = rosters::rosters(&generated, &people, &births);
    drop(generated);
    let roster_bytes: usize = files.iter().map(|f| f.bytes.len()).sum();
    println!(
        "名册文件        {:>12} 个（{:.1} MiB，生成 {:.1} 秒）",
        files.len(),
        roster_bytes as f64 / 1048576.0,
        started.elapsed().as_secs_f64()
    );

    let scratch =
        std::env::temp_dir().join(format!("xiaoyou-bench-rosters-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let (db, target) = fresh_db(config, &scratch).await?;
    println!("数据库          {}", target.describe());
    xiaoyou_app::reference::load_hunan(&db).await?;
    const CITIES: [u32; 13] = [
        430_100, 430_200, 430_300, 430_400, 430_500, 430_600, 430_700, 430_800, 430_900, 431_000,
        431_100, 431_200, 431_300,
    ];
    let mut schools = Vec::with_capacity(files.len());
    let mut tx = db.begin().await?;
    for file in &files {
        let (name, kind) = if file.school < 1000 {
            (
                format!("基准中学{:04}", file.school),
                xiaoyou_core::SchoolKind::MiddleSchool,
            )
        } else {
            (
                format!("基准大学{:04}", file.school),
                xiaoyou_core::SchoolKind::University,
            )
        };
        let city = CITIES[file.school.unsigned_abs() as usize % CITIES.len()];
        let school = xiaoyou_store::org::insert_school(
            &mut tx,
            &xiaoyou_store::org::NewSchool {
                name: &name,
                kind,
                city: xiaoyou_core::RegionCode::new(city)?,
                department: None,
            },
        )
        .await?;
        schools.push(school);
    }
    tx.commit().await?;

    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex())?;
    let context = xiaoyou_app::audit::AuditContext::system("xiaoyou bench identity");
    memory::reset_peak();
    let started = std::time::Instant::now();
    let (mut rows, mut imported, mut refused, mut duplicates) = (0, 0, 0, 0);
    let mut reasons: HashMap<String, usize> = HashMap::new();
    for (done, (file, school)) in files.iter().zip(&schools).enumerate() {
        let report = xiaoyou_app::import::import_file(
            &db,
            &xiaoyou_core::SystemClock,
            &key,
            &context,
            school,
            &file.file_name,
            Box::new(std::io::Cursor::new(file.bytes.clone())),
            xiaoyou_app::import::ImportOptions::default(),
            &mut |_| {},
        )
        .await?;
        rows += report.data_rows;
        imported += report.imported;
        refused += report.refused;
        duplicates += report.duplicates;
        for error in &report.errors {
            for problem in &error.problems {
                *reasons
                    .entry(format!("{}：{}", problem.column, problem.reason))
                    .or_default() += 1;
            }
        }
        if (done + 1) % (files.len() / 10).max(1) == 0 {
            eprintln!("已导入 {}/{} 个名册", done + 1, files.len());
        }
    }
    let import_seconds = started.elapsed().as_secs_f64().max(f64::EPSILON);
    println!("名册数据行      {:>12}", rows);
    println!("导入学籍记录    {:>12}", imported);
    println!("名册内重复      {:>12}", duplicates);
    println!("有误未导入      {:>12}", refused);
    let mut reasons: Vec<(String, usize)> = reasons.into_iter().collect();
    reasons.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    for (reason, count) in reasons.iter().take(5) {
        println!("  {count:>8}  {reason}");
    }
    println!(
        "导入用时        {:>11.1} 秒（{:.0} 行/秒）",
        import_seconds,
        rows as f64 / import_seconds
    );

    let summary = run::run_full(
        &db,
        &xiaoyou_core::SystemClock,
        &context,
        &Settings::default(),
        &mut |_| {},
    )
    .await?;
    println!(
        "身份识别用时    {:>11.1} 秒（{} 条学籍记录，{:.0} 条/秒）",
        summary.seconds,
        summary.records,
        summary.records as f64 / summary.seconds.max(f64::EPSILON)
    );
    println!("自动合并        {:>12}", summary.merges);
    println!("待人工核对      {:>12} 对", summary.review_pairs);

    // Score through the export, as anyone outside would.
    let truth_of: HashMap<(&str, u32), i64> = files
        .iter()
        .flat_map(|f| {
            f.truth
                .iter()
                .map(|(line, p)| ((f.file_name.as_str(), *line), *p))
        })
        .collect();
    let mut record_truth = HashMap::new();
    let mut groups: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut after = 0;
    loop {
        let page = xiaoyou_store::identity::export_page(&db, after, 50_000).await?;
        let Some(last) = page.last() else { break };
        after = last.1;
        for (source, record, person) in page {
            let known = source
                .as_deref()
                .and_then(rosters::source_line)
                .and_then(|key| truth_of.get(&key));
            if let Some(true_person) = known {
                record_truth.insert(record, *true_person);
            }
            groups.entry(person).or_default().push(record);
        }
    }
    let groups: Vec<Vec<i64>> = groups.into_values().collect();
    let scores = xiaoyou_app::identity::score_groups(&groups, &record_truth);
    println!(
        "成对指标        准确率 {:.4}  召回率 {:.4}  F1 {:.4}",
        scores.pairwise_precision, scores.pairwise_recall, scores.pairwise_f1
    );
    println!(
        "B-cubed         准确率 {:.4}  召回率 {:.4}  F1 {:.4}",
        scores.bcubed_precision, scores.bcubed_recall, scores.bcubed_f1
    );
    println!(
        "峰值内存        {:>12}（导入与识别）",
        memory::describe_peak()
    );
    db.close().await;
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::bench_id_number;
    use std::collections::HashSet;
    use xiaoyou_core::Gender;

    #[test]
    fn bench_id_numbers_are_valid_distinct_and_agree_with_the_gender_column() {
        let mut seen = HashSet::new();
        for i in (0..2_000_000).step_by(97) {
            let id = bench_id_number(i).expect("a valid number");
            let expected = if i % 2 == 0 {
                Gender::Male
            } else {
                Gender::Female
            };
            assert_eq!(id.gender(), expected, "line {i}");
            assert!(
                seen.insert(id.expose().to_owned()),
                "line {i} repeats a number"
            );
        }
    }
}
