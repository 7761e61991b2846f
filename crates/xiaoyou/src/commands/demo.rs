//! `xiaoyou demo`: a realistic province, generated once and reused on later starts.

use crate::cli::DemoArgs;
use crate::config::Config;
use crate::memory;
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use xiaoyou_app::demo::{self, DemoOptions, DemoSummary};
use xiaoyou_core::{PersonalDataKey, SystemClock};
use xiaoyou_store::{DatabaseTarget, Db, db, migrate, settings, stats};

pub const KEY_FILE: &str = "data.key";

pub async fn run(config: &Config, args: &DemoArgs) -> anyhow::Result<()> {
    if !(args.scale > 0.0 && args.scale <= 500.0) {
        bail!("--scale 应大于 0 且不超过 500");
    }
    let records = (demo::DEFAULT_RECORDS as f64 * args.scale).round() as u64;
    let target = super::target(config)?;
    db::ensure_writable_dir(&config.data_dir)?;
    let key = demo_key(config)?;
    let mut db = Db::connect(&target).await?;
    migrate::migrate(&db).await?;

    if let Some(done) = settings::get(&db, demo::COMPLETED_KEY).await? {
        let totals = stats::totals(&db).await?;
        println!(
            "复用已有演示数据（{done}）：{} 所学校，{} 名校友，{} 条学籍记录",
            totals.schools, totals.persons, totals.study_records
        );
    } else {
        if settings::get(&db, demo::STARTED_KEY).await?.is_some() {
            db = restart_interrupted(db, &target).await?;
        } else if stats::totals(&db).await?.schools > 0 {
            bail!(
                "{} 中已有非演示数据，演示不会覆盖它。请用 --data 指定一个新的目录",
                target.describe()
            );
        }
        let summary = generate(&db, &key, args.seed, records).await?;
        print_summary(&summary);
    }
    let accounts =
        xiaoyou_app::demo::accounts::ensure(&db, &SystemClock, super::province(config)?).await?;
    println!(
        "演示账号（密码均为 {}）：",
        xiaoyou_app::demo::accounts::DEMO_PASSWORD
    );
    for account in &accounts {
        println!(
            "  {:<12} {:<8} {}",
            account.username, account.role, account.scope
        );
    }
    if args.no_serve {
        db.close().await;
        return Ok(());
    }
    let listen = args.listen.listen.unwrap_or(config.listen);
    super::serve::serve(db, config, key, listen).await
}

/// The personal-data key: configured, or created once in the data directory for the demo.
fn demo_key(config: &Config) -> anyhow::Result<PersonalDataKey> {
    if let Some(key) = &config.data_key {
        return PersonalDataKey::from_hex(key.expose()).context("配置项 data_key 无效");
    }
    let path = config.data_dir.join(KEY_FILE);
    if path.is_file() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("无法读取 {}", path.display()))?;
        return PersonalDataKey::from_hex(&text)
            .with_context(|| format!("{} 中的密钥无效", path.display()));
    }
    let hex = PersonalDataKey::generate_hex();
    write_private(&path, &hex)?;
    println!("已为演示生成个人信息加密密钥：{}", path.display());
    PersonalDataKey::from_hex(&hex).context("新生成的密钥无效")
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("无法写入 {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("无法设置 {} 的权限", path.display()))?;
    }
    Ok(())
}

/// A generation that was interrupted left partial data: start over from an empty database.
async fn restart_interrupted(db: Db, target: &DatabaseTarget) -> anyhow::Result<Db> {
    match target {
        DatabaseTarget::SqliteFile(path) => {
            println!("上次生成演示数据被中断，正在清空后重新生成……");
            db.close().await;
            for suffix in ["", "-wal", "-shm"] {
                let file = format!("{}{suffix}", path.display());
                if Path::new(&file).exists() {
                    std::fs::remove_file(&file).with_context(|| format!("无法删除 {file}"))?;
                }
            }
            let db = Db::connect(target).await?;
            migrate::migrate(&db).await?;
            Ok(db)
        }
        DatabaseTarget::Postgres(_) => bail!(
            "上次生成演示数据被中断，{} 中留有部分数据。请换一个空数据库后重试",
            target.describe()
        ),
    }
}

pub async fn generate(
    db: &Db,
    key: &PersonalDataKey,
    seed: u64,
    records: u64,
) -> anyhow::Result<DemoSummary> {
    let bar = ProgressBar::new(records);
    bar.set_style(
        ProgressStyle::with_template(
            "生成演示数据 [{bar:32}] {pos}/{len} 条学籍记录 · {per_sec} · 预计剩余 {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let options = DemoOptions {
        seed,
        records,
        ..DemoOptions::default()
    };
    let reporter = bar.clone();
    let summary = demo::generate(db, key, &options, &mut move |progress| {
        reporter.set_length(progress.target.max(progress.study_records));
        reporter.set_position(progress.study_records);
    })
    .await?;
    bar.finish_and_clear();
    Ok(summary)
}

fn print_summary(summary: &DemoSummary) {
    println!(
        "演示数据已生成：{} 所学校、{} 个二级学院、{} 个班级、{} 家企业；{} 名校友，{} 条学籍记录（其中 {} 人在两所及以上学校就读），{} 条联系方式，{} 条工作经历，{} 份人才档案。用时 {:.1} 秒，峰值内存 {}。",
        summary.schools,
        summary.colleges,
        summary.classes,
        summary.enterprises,
        summary.persons,
        summary.study_records,
        summary.multi_school_persons,
        summary.contacts,
        summary.employments,
        summary.talent_profiles,
        summary.elapsed.as_secs_f64(),
        memory::describe_peak(),
    );
}
