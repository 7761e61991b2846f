//! Typed configuration: defaults ← `xiaoyou.toml` ← `XIAOYOU_*` environment ← command-line
//! flags. Secrets are redacted in `Debug`.

use crate::cli::GlobalArgs;
use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

const DEFAULT_FILE: &str = "xiaoyou.toml";

/// A value that must not appear in logs or `Debug` output.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the SQLite file and local indexes live.
    pub data_dir: PathBuf,
    /// `postgres://…` to run on PostgreSQL; empty for the embedded SQLite file.
    pub database_url: Option<Secret>,
    pub listen: SocketAddr,
    /// 64 hex characters; encrypts ID numbers at rest. The demo creates one in the data dir.
    pub data_key: Option<Secret>,
    /// GB/T 2260 code of the province this instance serves.
    pub province: u32,
    /// Log filter (tracing `EnvFilter` syntax); `RUST_LOG` overrides it.
    pub log: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("data"),
            database_url: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_key: None,
            province: 430_000,
            log: "info".to_owned(),
        }
    }
}

impl Config {
    pub fn load(args: &GlobalArgs) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match &args.config {
            Some(path) => {
                if !path.is_file() {
                    bail!("配置文件 {} 不存在", path.display());
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None => {
                if std::path::Path::new(DEFAULT_FILE).is_file() {
                    figment = figment.merge(Toml::file_exact(DEFAULT_FILE));
                }
            }
        }
        figment = figment.merge(Env::prefixed("XIAOYOU_").only(&[
            "data_dir",
            "database_url",
            "listen",
            "data_key",
            "province",
            "log",
        ]));
        let mut config: Config = figment.extract().map_err(|error| {
            anyhow::anyhow!("配置有误：{}", error.to_string().replace("\n", "；"))
        })?;
        if let Some(dir) = &args.data_dir {
            config.data_dir = dir.clone();
        }
        if config
            .database_url
            .as_ref()
            .is_some_and(|url| url.expose().trim().is_empty())
        {
            config.database_url = None;
        }
        Ok(config)
    }

    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_ref().map(Secret::expose)
    }
}

/// The default configuration as a commented TOML file.
pub fn default_toml() -> anyhow::Result<String> {
    let defaults = Config::default();
    let body = format!(
        r#"# xiaoyou 配置文件。优先级：默认值 < 本文件 < 环境变量 XIAOYOU_* < 命令行参数。

# 数据目录：SQLite 数据库文件与本地索引所在位置（环境变量 XIAOYOU_DATA_DIR，参数 --data）
data_dir = "{data_dir}"

# 使用 PostgreSQL 时填写，如 "postgres://user:password@127.0.0.1:5432/xiaoyou"
# （环境变量 XIAOYOU_DATABASE_URL）；留空则使用数据目录中的 SQLite 文件
# database_url = ""

# 网页与接口的监听地址（环境变量 XIAOYOU_LISTEN，参数 --listen）
listen = "{listen}"

# 个人信息加密密钥：64 位十六进制字符（环境变量 XIAOYOU_DATA_KEY）。
# 身份证号以 AES-256-GCM 加密保存；请妥善备份，丢失后已加密的数据无法恢复。
# data_key = ""

# 本实例服务的省份（GB/T 2260 代码）
province = {province}

# 日志级别（环境变量 RUST_LOG 优先）
log = "{log}"
"#,
        data_dir = defaults.data_dir.display(),
        listen = defaults.listen,
        province = defaults.province,
        log = defaults.log,
    );
    // The printed file must load back as the defaults.
    let parsed: Config = toml::from_str(&body).context("默认配置无法解析")?;
    if parsed.listen != defaults.listen || parsed.province != defaults.province {
        bail!("默认配置与程序不一致");
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_round_trips_and_secrets_are_redacted() -> anyhow::Result<()> {
        let text = default_toml()?;
        let parsed: Config = toml::from_str(&text)?;
        assert_eq!(parsed.data_dir, PathBuf::from("data"));
        let config = Config {
            database_url: Some(Secret("postgres://u:pw@h/db".into())),
            ..Config::default()
        };
        assert!(!format!("{config:?}").contains("pw"));
        Ok(())
    }
}
