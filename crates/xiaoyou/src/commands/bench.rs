//! `xiaoyou bench generate`: writes a province of N study records into an empty database and
//! reports rows per second and peak memory.

use crate::cli::BenchCommand;
use crate::config::Config;
use crate::memory;
use anyhow::bail;
use xiaoyou_core::PersonalDataKey;
use xiaoyou_store::{DatabaseTarget, Db, migrate, stats};

pub async fn run(config: &Config, command: BenchCommand) -> anyhow::Result<()> {
    let BenchCommand::Generate { records, seed } = command;
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
