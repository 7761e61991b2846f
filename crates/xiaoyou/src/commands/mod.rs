//! One module per subcommand; this one dispatches and holds what they share.

mod bench;
mod bench_pages;
mod demo;
mod healthcheck;
mod identity;
mod import;
mod search;
mod serve;
mod users;

use crate::cli::{AuditCommand, Command, ConfigCommand, RegionCommand, SchoolCommand};
use crate::config::{self, Config};
use anyhow::Context;
use std::process::ExitCode;
use xiaoyou_app::schools::{self, SchoolRequest};
use xiaoyou_core::{RegionCode, SchoolKind};
use xiaoyou_store::{DatabaseTarget, Db, migrate, org, regions};

pub async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => {
            let key = data_key(&config)?.ok_or_else(|| {
                anyhow::anyhow!(
                    "未配置个人信息加密密钥：请用 `xiaoyou config generate-key` 生成后写入 xiaoyou.toml 的 data_key 或环境变量 XIAOYOU_DATA_KEY（演示模式 `xiaoyou demo` 会自动生成）"
                )
            })?;
            let db = open(&config).await?;
            serve::serve(db, &config, key, args.listen.unwrap_or(config.listen)).await?;
        }
        Command::Migrate => {
            let target = target(&config)?;
            let db = Db::connect(&target).await?;
            let applied = migrate::migrate(&db).await?;
            let version = migrate::current_version(&db).await?;
            if applied.is_empty() {
                println!(
                    "数据库结构已是最新（版本 {version}）：{}",
                    target.describe()
                );
            } else {
                println!(
                    "已升级数据库结构到版本 {version}（本次应用 {:?}）：{}",
                    applied,
                    target.describe()
                );
            }
        }
        Command::Demo(args) => demo::run(&config, &args).await?,
        Command::Config(ConfigCommand::PrintDefault) => print!("{}", config::default_toml()?),
        Command::Config(ConfigCommand::GenerateKey) => {
            println!("{}", xiaoyou_core::PersonalDataKey::generate_hex())
        }
        Command::User(command) => return users::run(&config, command).await,
        Command::Import(args) => return import::run(&config, &args).await,
        Command::Identity(command) => return identity::run(&config, command).await,
        Command::Search(command) => return search::run(&config, command).await,
        Command::Audit(AuditCommand::Verify) => {
            let db = open(&config).await?;
            let report = xiaoyou_store::audit::verify(&db).await?;
            match report.first_broken {
                None => println!("审计日志完整：共 {} 条记录，哈希链校验通过", report.rows),
                Some(id) => {
                    eprintln!(
                        "审计日志已被篡改：第一条不一致的记录编号为 {id}（已检查 {} 条）",
                        report.rows
                    );
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Healthcheck(args) => {
            return healthcheck::check(args.listen.unwrap_or(config.listen)).await;
        }
        Command::School(SchoolCommand::Add {
            name,
            kind,
            city,
            confirm_similar,
        }) => {
            let kind = SchoolKind::parse(&kind).map_err(|_| {
                anyhow::anyhow!(
                    "学校类型“{kind}”无效，可选：{}",
                    SchoolKind::ALL
                        .iter()
                        .map(|k| k.label())
                        .collect::<Vec<_>>()
                        .join("、")
                )
            })?;
            let db = open(&config).await?;
            let province = province(&config)?;
            if regions::get(&db, province).await?.is_none() {
                xiaoyou_app::reference::load_hunan(&db).await?;
            }
            let school = schools::add_school(
                &db,
                &xiaoyou_core::SystemClock,
                &xiaoyou_app::audit::AuditContext::system("xiaoyou school add"),
                province,
                &SchoolRequest {
                    name: &name,
                    kind,
                    city: &city,
                    allow_similar: confirm_similar,
                },
            )
            .await?;
            println!(
                "已添加学校“{}”（编号 {}，{}）",
                school.name,
                school.id,
                school.kind.label()
            );
        }
        Command::School(SchoolCommand::List) => {
            let db = open(&config).await?;
            for school in org::list_schools(&db).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    school.id,
                    school.name,
                    school.kind.label(),
                    school.city
                );
            }
        }
        Command::Region(RegionCommand::Load { file }) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("无法读取 {}", file.display()))?;
            let db = open(&config).await?;
            let count = xiaoyou_app::reference::load_regions(&db, &text)
                .await
                .with_context(|| format!("{} 导入失败，未写入任何数据", file.display()))?;
            println!("已导入 {count} 个行政区划：{}", file.display());
        }
        Command::Bench(command) => bench::run(&config, command).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The personal-data key: configured, or the one `xiaoyou demo` created in the data directory.
pub fn data_key(config: &Config) -> anyhow::Result<Option<xiaoyou_core::PersonalDataKey>> {
    if let Some(key) = &config.data_key {
        return Ok(Some(
            xiaoyou_core::PersonalDataKey::from_hex(key.expose())
                .context("配置项 data_key 无效")?,
        ));
    }
    let path = config.data_dir.join(demo::KEY_FILE);
    if path.is_file() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("无法读取 {}", path.display()))?;
        return Ok(Some(
            xiaoyou_core::PersonalDataKey::from_hex(&text)
                .with_context(|| format!("{} 中的密钥无效", path.display()))?,
        ));
    }
    Ok(None)
}

pub fn target(config: &Config) -> anyhow::Result<DatabaseTarget> {
    Ok(DatabaseTarget::resolve(
        config.database_url(),
        &config.data_dir,
    )?)
}

pub fn province(config: &Config) -> anyhow::Result<RegionCode> {
    RegionCode::new(config.province).map_err(|e| anyhow::anyhow!("配置项 province 无效：{e}"))
}

/// Connects and brings the schema up to date.
pub async fn open(config: &Config) -> anyhow::Result<Db> {
    let target = target(config)?;
    let db = Db::connect(&target).await?;
    migrate::migrate(&db).await?;
    Ok(db)
}
