//! `xiaoyou identity run|export`: identity resolution over the province from the command line.

use crate::cli::IdentityCommand;
use crate::config::Config;
use anyhow::{Context, bail};
use std::io::IsTerminal;
use std::process::ExitCode;
use xiaoyou_app::audit::AuditContext;
use xiaoyou_app::identity::Settings;
use xiaoyou_app::identity::run::{self, RunStage};
use xiaoyou_core::SystemClock;

pub async fn run(config: &Config, command: IdentityCommand) -> anyhow::Result<ExitCode> {
    let db = super::open(config).await?;
    match command {
        IdentityCommand::Run => {
            let plain = !std::io::stderr().is_terminal();
            let mut last = String::new();
            let mut report = move |stage: RunStage| {
                let line = match stage {
                    RunStage::Reading { records } => format!("读取学籍记录：{records} 条"),
                    RunStage::Resolving { done, total } => {
                        let percent = (done * 100).checked_div(total).unwrap_or(100);
                        format!("比对中：{percent}%")
                    }
                    RunStage::Writing => "写入合并结果……".to_owned(),
                };
                if line != last {
                    if plain {
                        eprintln!("{line}");
                    } else {
                        eprint!("\r{line}\u{1b}[K");
                    }
                    last = line;
                }
            };
            let summary = run::run_full(
                &db,
                &SystemClock,
                &AuditContext::system("xiaoyou identity run"),
                &Settings::default(),
                &mut report,
            )
            .await?;
            eprintln!();
            println!(
                "身份识别完成：学籍记录 {}，自然人 {} → {}，合并 {} 次，待人工核对 {} 对，用时 {:.1} 秒",
                summary.records,
                summary.persons_before,
                summary.persons_after,
                summary.merges,
                summary.review_pairs,
                summary.seconds
            );
        }
        IdentityCommand::Export { format, output } => {
            if format != "csv" {
                bail!("不支持的导出格式“{format}”，目前可选 csv");
            }
            let written = match &output {
                Some(path) => {
                    let file = std::fs::File::create(path)
                        .with_context(|| format!("无法创建 {}", path.display()))?;
                    let mut out = std::io::BufWriter::new(file);
                    run::export_csv(&db, &mut out).await?
                }
                None => {
                    let mut out = std::io::BufWriter::new(std::io::stdout());
                    run::export_csv(&db, &mut out).await?
                }
            };
            eprintln!("已导出 {written} 条学籍记录的自然人对应");
        }
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}
