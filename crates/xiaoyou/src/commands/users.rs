//! `xiaoyou user …`: bootstrapping the first administrator and listing accounts.

use crate::cli::UserCommand;
use crate::config::Config;
use std::process::ExitCode;
use xiaoyou_app::audit::AuditContext;
use xiaoyou_app::auth::users::{self, NewAccount};
use xiaoyou_core::{Grant, OrgNode, Role, SystemClock};
use xiaoyou_store::accounts;

pub async fn run(config: &Config, command: UserCommand) -> anyhow::Result<ExitCode> {
    let db = super::open(config).await?;
    match command {
        UserCommand::CreateAdmin {
            username,
            display_name,
        } => {
            let province = super::province(config)?;
            if xiaoyou_store::regions::get(&db, province).await?.is_none() {
                xiaoyou_app::reference::load_hunan(&db).await?;
            }
            let grant = Grant {
                role: Role::ProvinceAdmin,
                node: OrgNode::Province(province),
            };
            let (id, password) = users::create(
                &db,
                &SystemClock,
                &AuditContext::system("xiaoyou user create-admin"),
                None,
                &NewAccount {
                    username: &username,
                    display_name: &display_name,
                    password: None,
                    grants: &[grant],
                },
            )
            .await?;
            println!("已创建省级专班管理员 {username}（编号 {id}）");
            println!("初始密码：{}", password.unwrap_or_default());
            println!("此密码只显示这一次；首次登录后须修改。");
        }
        UserCommand::List => {
            for user in accounts::list_users(&db).await? {
                let grants = accounts::grants_of(&db, user.id).await?;
                let grants: Vec<String> = grants
                    .iter()
                    .map(|g| format!("{}@{}:{}", g.role.label(), g.node.kind(), g.node.id()))
                    .collect();
                println!(
                    "{}\t{}\t{}\t{}",
                    user.id,
                    user.username,
                    user.display_name,
                    grants.join(",")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
