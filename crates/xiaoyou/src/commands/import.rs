//! `xiaoyou import FILE --school …`: a roster into a school, with a progress bar, a summary,
//! and an error report for the rows that were refused.

use crate::cli::ImportArgs;
use crate::config::Config;
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use xiaoyou_app::audit::AuditContext;
use xiaoyou_app::import::{self, ImportOptions, report};
use xiaoyou_core::{SchoolId, SystemClock};
use xiaoyou_store::org;

pub async fn run(config: &Config, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("无法读取 {}", args.file.display()))?;
    let key = super::data_key(config)?.ok_or_else(|| {
        anyhow::anyhow!("未配置个人信息加密密钥（data_key / XIAOYOU_DATA_KEY），无法保存身份证号")
    })?;
    let db = super::open(config).await?;
    let school = match args.school.trim().parse::<i64>() {
        Ok(id) => org::get_school(&db, SchoolId(id)).await?,
        Err(_) => org::find_school_by_name(&db, &args.school).await?,
    };
    let Some(school) = school else {
        bail!(
            "找不到学校“{}”（可用 `xiaoyou school list` 查看名称与编号）",
            args.school
        );
    };
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "名册".to_owned());
    // Progress in thousandths of the file; rows and pace in the message.
    let bar = ProgressBar::new(1000);
    bar.set_style(
        ProgressStyle::with_template("导入 [{bar:32}] {percent:>3}% · {msg} · 预计剩余 {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let reporter = bar.clone();
    let started = std::time::Instant::now();
    // Without a terminal (logs, scripts) the bar is hidden: a line per percent instead.
    let plain = !std::io::stderr().is_terminal();
    let mut last_percent = None;
    let context = AuditContext::system("xiaoyou import");
    let options = ImportOptions {
        choices: import::saved_choices(&db, &school).await?,
        default_college: args.college.clone(),
    };
    let result = import::import_file(
        &db,
        &SystemClock,
        &key,
        &context,
        &school,
        &file_name,
        Box::new(file),
        options,
        &mut move |p| {
            let seconds = started.elapsed().as_secs_f64().max(0.001);
            let status = format!(
                "已读 {} 行，已写入 {} 行，{:.0} 行/秒",
                p.rows_read,
                p.rows_stored,
                p.rows_read as f64 / seconds
            );
            let percent = (p.fraction() * 100.0) as u32;
            if plain {
                if last_percent != Some(percent) && p.rows_read > 0 {
                    eprintln!("导入进度 {percent}%：{status}");
                    last_percent = Some(percent);
                }
            } else {
                reporter.set_position((p.fraction() * 1000.0) as u64);
                reporter.set_message(status);
            }
        },
    )
    .await;
    bar.finish_and_clear();
    let report = match result {
        Ok(report) => report,
        Err(error) => {
            eprintln!("错误：{} 未导入：{error}", args.file.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    println!(
        "{} → {}：数据行 {}，新导入 {}，已存在未变 {}，文件内重复 {}，有误未导入 {}",
        file_name,
        school.name,
        report.data_rows,
        report.imported,
        report.unchanged,
        report.duplicates,
        report.refused
    );
    let touched: Vec<i64> = report.touched_persons.iter().map(|p| p.get()).collect();
    match xiaoyou_app::identity::run::run_incremental(
        &db,
        &SystemClock,
        &AuditContext::system("xiaoyou import"),
        &xiaoyou_app::identity::Settings::default(),
        &touched,
    )
    .await
    {
        Ok(summary) if !touched.is_empty() => println!(
            "身份识别：比对 {} 条相关学籍记录，合并 {} 次，待人工核对 {} 对（{:.1} 秒）",
            summary.records, summary.merges, summary.review_pairs, summary.seconds
        ),
        Ok(_) => {}
        Err(error) => eprintln!(
            "警告：导入已完成，但身份识别失败：{error}（可稍后运行 xiaoyou identity run）"
        ),
    }
    if !report.unmapped.is_empty() {
        println!("未识别的列（未导入）：{}", report.unmapped.join("、"));
    }
    if !report.errors.is_empty() {
        let path = args.report.clone().unwrap_or_else(|| {
            let mut name = args.file.clone().into_os_string();
            name.push(".错误报告.xlsx");
            PathBuf::from(name)
        });
        let xlsx = report::error_report(&report.headers, &report.errors)?;
        std::fs::write(&path, xlsx)
            .with_context(|| format!("无法写入错误报告 {}", path.display()))?;
        println!(
            "有误的行已写入错误报告：{}（修改后可直接再次导入）",
            path.display()
        );
        if report.refused > report.errors.len() {
            println!(
                "有误的行较多，错误报告只列出前 {} 行，请先修正这些行的共性问题",
                report.errors.len()
            );
        }
        for error in report.errors.iter().take(5) {
            let reasons: Vec<String> = error
                .problems
                .iter()
                .map(|p| format!("{}：{}", p.column, p.reason))
                .collect();
            println!("  第 {} 行：{}", error.line, reasons.join("；"));
        }
    }
    Ok(ExitCode::SUCCESS)
}
