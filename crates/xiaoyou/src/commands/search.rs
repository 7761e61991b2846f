//! `xiaoyou search reindex`: rebuilds this instance's search index from the database, with
//! progress. `xiaoyou bench search`: builds an index of N generated study records and measures
//! the build rate, the size on disk and query latency for a fixed mix of queries.

use crate::cli::SearchCommand;
use crate::config::Config;
use crate::memory;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use xiaoyou_app::demo::names::{NameGenerator, local_employer, mobile};
use xiaoyou_app::demo::{Catalog, DemoRng, Weighted};
use xiaoyou_core::{Gender, SchoolId, Scope, TalentCategory};
use xiaoyou_search::analysis::Folder;
use xiaoyou_search::{Cursor, Dim, SearchIndex, SearchRequest, WriterOptions};
use xiaoyou_store::search::RecordDoc;

/// Where an instance keeps its index: `DATA_DIR/search`.
pub fn index_dir(config: &Config) -> PathBuf {
    config.data_dir.join("search")
}

pub async fn run(config: &Config, command: SearchCommand) -> anyhow::Result<ExitCode> {
    match command {
        SearchCommand::Reindex => reindex(config).await,
    }
}

async fn reindex(config: &Config) -> anyhow::Result<ExitCode> {
    let db = super::open(config).await?;
    let dir = index_dir(config);
    // The server is not running (it would hold the index): build with the whole machine.
    let (index, _) = SearchIndex::open(&dir, WriterOptions::bulk(1024 * 1024 * 1024))
        .with_context(|| {
        format!(
            "无法打开检索索引 {}（如服务正在运行，请先停止服务；服务启动时会自动重建缺失或损坏的索引）",
            dir.display()
        )
    })?;
    let bar = ProgressBar::new(1000);
    bar.set_style(
        ProgressStyle::with_template("重建索引 [{bar:32}] {percent:>3}% · {msg} · 预计剩余 {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let reporter = bar.clone();
    let plain = !std::io::stderr().is_terminal();
    let mut last_percent = None;
    let started = Instant::now();
    let done = index
        .rebuild(&db, &mut move |done, total| {
            let fraction = if total == 0 {
                1.0
            } else {
                done as f64 / total as f64
            };
            let percent = (fraction * 100.0) as u32;
            let status = format!(
                "{done}/{total} 条学籍记录，{:.0} 条/秒",
                done as f64 / started.elapsed().as_secs_f64().max(0.001)
            );
            if plain {
                if last_percent != Some(percent) {
                    eprintln!("重建索引 {percent}%：{status}");
                    last_percent = Some(percent);
                }
            } else {
                reporter.set_position((fraction * 1000.0) as u64);
                reporter.set_message(status);
            }
        })
        .await?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "检索索引已重建：{done} 条学籍记录，用时 {seconds:.1} 秒（{:.0} 条/秒），位置 {}",
        done as f64 / seconds.max(0.001),
        dir.display()
    );
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

const HUNAN_CITIES: [&str; 14] = [
    "长沙",
    "株洲",
    "湘潭",
    "衡阳",
    "邵阳",
    "岳阳",
    "常德",
    "张家界",
    "益阳",
    "郴州",
    "永州",
    "怀化",
    "娄底",
    "湘西",
];

fn hunan_city(code: u32) -> &'static str {
    let index = match code / 100 {
        4301 => 0,
        4302 => 1,
        4303 => 2,
        4304 => 3,
        4305 => 4,
        4306 => 5,
        4307 => 6,
        4308 => 7,
        4309 => 8,
        4310 => 9,
        4311 => 10,
        4312 => 11,
        4313 => 12,
        _ => 13,
    };
    HUNAN_CITIES[index]
}

type CollegeEntry = (i64, String, Vec<(i64, String)>);

/// Study-record documents with the demo's catalogue (real schools, colleges, majors,
/// enterprises and titles; names drawn from surname and given-name frequencies).
struct Generator {
    catalog: Catalog,
    names: NameGenerator,
    titles: Weighted<String>,
    outside: Weighted<String>,
    /// Per school: its colleges (id, name, majors with ids).
    colleges: Vec<Vec<CollegeEntry>>,
    rng: DemoRng,
    next: i64,
}

impl Generator {
    fn new(seed: u64) -> anyhow::Result<Generator> {
        let catalog = Catalog::load()?;
        let names = NameGenerator::new(&catalog);
        let titles = Weighted::new(catalog.titles.iter().map(|t| (t.title.clone(), t.weight)));
        let outside = Weighted::new(catalog.cities_outside.iter().cloned());
        let mut college_id = 0;
        let mut major_id = 0;
        let colleges = catalog
            .schools
            .iter()
            .map(|school| {
                school
                    .colleges
                    .iter()
                    .map(|(college, majors)| {
                        college_id += 1;
                        let majors = majors
                            .iter()
                            .map(|m| {
                                major_id += 1;
                                (major_id, m.clone())
                            })
                            .collect();
                        (college_id, college.clone(), majors)
                    })
                    .collect()
            })
            .collect();
        Ok(Generator {
            catalog,
            names,
            titles,
            outside,
            colleges,
            rng: DemoRng::new(seed),
            next: 0,
        })
    }

    fn record(&mut self) -> RecordDoc {
        self.next += 1;
        let rng = &mut self.rng;
        let school_index = rng.below(self.catalog.schools.len() as u64) as usize;
        let school = &self.catalog.schools[school_index];
        let colleges = &self.colleges[school_index];
        let (college, college_name, majors) =
            &colleges[rng.below(colleges.len().max(1) as u64) as usize];
        let (major, major_name) = majors
            .get(rng.below(majors.len().max(1) as u64) as usize)
            .cloned()
            .unwrap_or((0, String::new()));
        // More recent years hold more alumni.
        let year = 2026 - (rng.below(45) as i32).min(rng.below(45) as i32);
        let class_number = 1 + rng.below(4) as i64;
        let gender = if rng.chance(0.5) {
            Gender::Male
        } else {
            Gender::Female
        };
        let name = self.names.name(rng, gender);
        let home = hunan_city(school.city_code);
        let (employer, industry, city) = if rng.chance(0.55) {
            let firm = &self.catalog.enterprises
                [rng.below(self.catalog.enterprises.len() as u64) as usize];
            let city = firm.city_code.map_or(home, hunan_city).to_owned();
            (firm.name.clone(), firm.chain.clone(), city)
        } else if rng.chance(0.3) {
            let city = self
                .outside
                .draw(rng)
                .cloned()
                .unwrap_or_else(|| "深圳".into());
            (local_employer(rng, &city), None, city)
        } else {
            (local_employer(rng, home), None, home.to_owned())
        };
        let talent = rng
            .chance(0.04)
            .then(|| TalentCategory::ALL[rng.below(TalentCategory::ALL.len() as u64) as usize])
            .map(|t| t.code().to_owned());
        RecordDoc {
            record: self.next,
            person: self.next,
            school: school_index as i64 + 1,
            college: Some(*college),
            major: Some(major),
            class: Some(major * 100 + i64::from(year - 1980) * 4 + class_number),
            level: "bachelor".into(),
            enrolment_year: Some(year - 4),
            graduation_year: Some(year),
            gender: Some(gender.code().to_owned()),
            school_name: school.name.clone(),
            college_name: Some(college_name.clone()),
            class_name: Some(format!("{}级{}{}班", year - 4, major_name, class_number)),
            major_name: Some(major_name),
            employer: Some(employer),
            title: self.titles.draw(rng).cloned(),
            city: Some(city),
            industry,
            talent,
            mobile: rng.chance(0.8).then(|| mobile(rng)),
            name,
        }
    }
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// One query of the fixed mix.
struct Probe {
    kind: &'static str,
    request: SearchRequest,
    scoped: bool,
}

fn probes(sample: &[RecordDoc], catalog: &Catalog, count: usize) -> Vec<Probe> {
    let mut out = Vec::new();
    let request = |text: String, filters: Vec<(Dim, String)>| SearchRequest {
        text,
        filters,
        limit: 20,
        facets: true,
        ..SearchRequest::default()
    };
    for (i, doc) in sample.iter().enumerate().take(count) {
        let scoped = i % 3 == 0;
        let chars: Vec<char> = doc.name.chars().collect();
        out.push(Probe {
            kind: "全名",
            request: request(doc.name.clone(), Vec::new()),
            scoped,
        });
        out.push(Probe {
            kind: "两字名",
            request: request(chars.iter().take(2).collect(), Vec::new()),
            scoped,
        });
        out.push(Probe {
            kind: "拼音",
            request: request(
                xiaoyou_text::name_pinyin(&doc.name)
                    .unwrap_or_default()
                    .replace(' ', ""),
                Vec::new(),
            ),
            scoped,
        });
        let firm = &catalog.enterprises[i % catalog.enterprises.len()];
        out.push(Probe {
            kind: "工作单位",
            request: request(firm.name.chars().take(4).collect(), Vec::new()),
            scoped,
        });
        out.push(Probe {
            kind: "仅筛选",
            request: request(
                String::new(),
                vec![
                    (Dim::School, format!("{}|{}", doc.school, doc.school_name)),
                    (Dim::Year, doc.graduation_year.unwrap_or(2010).to_string()),
                ],
            ),
            scoped,
        });
        let many = ["王", "长沙", "有限公司", "工程师", "李"][i % 5];
        out.push(Probe {
            kind: "大量命中",
            request: request(many.to_owned(), Vec::new()),
            scoped,
        });
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `xiaoyou bench search --records N`.
pub fn bench(records: u64, seed: u64, queries: usize, keep: Option<PathBuf>) -> anyhow::Result<()> {
    let dir = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("xiaoyou-bench-search-{}", std::process::id()))
    });
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "基准：检索索引，{records} 条生成的学籍记录（演示数据的学校、学院、专业、企业与姓名分布，种子 {seed}），索引目录 {}",
        dir.display()
    );
    let mut generator = Generator::new(seed)?;
    memory::reset_peak();
    let options = WriterOptions::bulk(2 * 1024 * 1024 * 1024);
    let (index, _) = SearchIndex::open(&dir, options)?;
    // Where the indexing work goes: terms per record of each field, over records drawn the
    // same way (before the timed build).
    let profiled = records.clamp(1, 20_000);
    let profile = {
        let mut sampler = Generator::new(seed)?;
        let docs: Vec<RecordDoc> = (0..profiled).map(|_| sampler.record()).collect();
        index.token_profile(&mut Folder::default(), &docs)?
    };
    let mut folder = Folder::default();
    let mut sample = Vec::new();
    let started = Instant::now();
    let mut done = 0u64;
    let mut batch = Vec::with_capacity(10_000);
    let plain = !std::io::stderr().is_terminal();
    let mut last_tenth = 0;
    while done < records {
        batch.clear();
        let n = (records - done).min(10_000);
        for _ in 0..n {
            batch.push(generator.record());
        }
        let step = (records / queries.max(1) as u64).max(1);
        for doc in &batch {
            if sample.len() < queries && (doc.record as u64).is_multiple_of(step) {
                sample.push(doc.clone());
            }
        }
        index.add_records(&mut folder, &batch)?;
        done += n;
        let tenth = done * 10 / records.max(1);
        if tenth != last_tenth {
            last_tenth = tenth;
            if plain || tenth > 0 {
                eprintln!(
                    "已加入 {done} 条（{:.0} 条/秒）",
                    done as f64 / started.elapsed().as_secs_f64().max(0.001)
                );
            }
        }
    }
    index.commit()?;
    let build = started.elapsed();
    let build_peak = memory::describe_peak();
    index.set_cursor(Cursor {
        schema: xiaoyou_search::schema::SCHEMA_VERSION,
        ..Cursor::default()
    })?;
    let merge_started = Instant::now();
    index.wait_merges()?;
    let merge = merge_started.elapsed();
    let size = dir_size(&dir);
    let (index, _) = SearchIndex::open(&dir, WriterOptions::default())?;
    let catalog = Catalog::load()?;
    let mix = probes(&sample, &catalog, queries);
    // One school in scope for a third of the queries (a school office's view).
    let school_scope = Scope {
        schools: [SchoolId(1)].into_iter().collect(),
        ..Scope::default()
    };
    let everything = Scope::everything();
    // Warm the page cache and the readers once.
    for probe in mix.iter().take(50) {
        index.search(&probe.request, &everything)?;
    }
    memory::reset_peak();
    let mut all = Vec::with_capacity(mix.len());
    let mut by_kind: Vec<(&'static str, Vec<Duration>, u64, usize)> = Vec::new();
    for probe in &mix {
        let scope = if probe.scoped {
            &school_scope
        } else {
            &everything
        };
        let t = Instant::now();
        let results = index.search(&probe.request, scope)?;
        let elapsed = t.elapsed();
        all.push(elapsed);
        let estimated = usize::from(results.total_is_estimate);
        match by_kind.iter_mut().find(|(k, ..)| *k == probe.kind) {
            Some((_, list, hits, estimates)) => {
                list.push(elapsed);
                *hits += results.total as u64;
                *estimates += estimated;
            }
            None => by_kind.push((probe.kind, vec![elapsed], results.total as u64, estimated)),
        }
    }
    all.sort();
    let seconds = build.as_secs_f64();
    println!("学籍记录        {:>12}", records);
    println!(
        "建索引用时      {:>11.1} 秒（另等待段合并 {:.1} 秒）",
        seconds,
        merge.as_secs_f64()
    );
    println!(
        "建索引速度      {:>12.0} 条/秒",
        records as f64 / seconds.max(0.001)
    );
    println!(
        "索引大小        {:>10.0} MiB（每条 {:.0} 字节）",
        size as f64 / 1024.0 / 1024.0,
        size as f64 / records.max(1) as f64
    );
    println!("建索引峰值内存  {:>12}", build_peak);
    let terms: u64 = profile.iter().map(|(_, n)| n).sum();
    println!(
        "每条记录的词项  {:>12.1}（前 {profiled} 条，按字段：{}）",
        terms as f64 / profiled as f64,
        profile
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(field, n)| format!("{field} {:.1}", *n as f64 / profiled as f64))
            .collect::<Vec<_>>()
            .join("，")
    );
    println!(
        "查询            {:>12} 次（六类各 {}，三分之一限定一所学校的范围；每次含前 20 条、总数与 7 个分面计数）",
        all.len(),
        mix.len() / 6
    );
    println!(
        "查询延迟        p50 {:.2} ms · p99 {:.2} ms · 最大 {:.2} ms",
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        ms(all.last().copied().unwrap_or_default())
    );
    for (kind, mut list, hits, estimates) in by_kind {
        list.sort();
        println!(
            "  {:<10} p50 {:>7.2} ms · p99 {:>7.2} ms · 平均命中 {:>9.0}（其中 {} 次为抽样估算）",
            kind,
            ms(percentile(&list, 0.5)),
            ms(percentile(&list, 0.99)),
            hits as f64 / list.len().max(1) as f64,
            estimates
        );
    }
    println!("查询峰值内存    {:>12}", memory::describe_peak());
    drop(index);
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// Opens this instance's index for `serve`: a missing or unreadable index is rebuilt in the
/// background (logged, never fatal; searches answer from what is indexed so far), then the
/// change feed is followed every second.
pub fn start(
    config: &Config,
    db: &xiaoyou_store::Db,
) -> anyhow::Result<(std::sync::Arc<SearchIndex>, tokio::task::JoinHandle<()>)> {
    let dir = index_dir(config);
    let (index, opened) = SearchIndex::open(&dir, WriterOptions::default())
        .with_context(|| format!("无法打开检索索引 {}", dir.display()))?;
    let index = std::sync::Arc::new(index);
    let (task_index, task_db) = (index.clone(), db.clone());
    let follower = tokio::spawn(async move {
        let reason = match opened {
            xiaoyou_search::Opened::Ready => None,
            xiaoyou_search::Opened::Missing => Some("检索索引不存在".to_owned()),
            xiaoyou_search::Opened::Unreadable(why) => Some(format!("检索索引无法读取（{why}）")),
        };
        if let Some(reason) = reason {
            tracing::warn!(dir = %dir.display(), "{reason}，正在后台从数据库重建");
            loop {
                match task_index.rebuild(&task_db, &mut |_, _| {}).await {
                    Ok(done) => {
                        tracing::info!(records = done, "检索索引重建完成");
                        break;
                    }
                    Err(error) => {
                        tracing::error!(%error, "检索索引重建失败，30 秒后重试");
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                }
            }
        }
        xiaoyou_search::follow::follow(task_index, task_db, Duration::from_secs(1)).await;
    });
    Ok((index, follower))
}
