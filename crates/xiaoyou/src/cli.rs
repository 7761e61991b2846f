//! The command line: one binary, one subcommand per task.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "xiaoyou",
    version,
    about = "校友经济大数据平台：省级平台、学校校友办、校友之家与数据共享接口"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// 数据目录（SQLite 数据库文件与本地索引所在位置），默认 ./data
    #[arg(long = "data", global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// 配置文件路径，默认读取当前目录下的 xiaoyou.toml（如存在）
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ListenArgs {
    /// 监听地址，默认 127.0.0.1:8080
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 启动网页与接口服务
    Serve(ListenArgs),
    /// 升级数据库结构到本程序的版本
    Migrate,
    /// 生成（或复用）演示省份数据并启动服务
    Demo(DemoArgs),
    /// 配置相关
    #[command(subcommand)]
    Config(ConfigCommand),
    /// 检查正在运行的服务是否健康（用于容器与负载均衡）
    Healthcheck(ListenArgs),
    /// 学校管理
    #[command(subcommand)]
    School(SchoolCommand),
    /// 行政区划参考数据
    #[command(subcommand)]
    Region(RegionCommand),
    /// 导入学校名册（xlsx、xls、csv、tsv；自动识别编码、标题行与合并表头）
    Import(ImportArgs),
    /// 账号管理
    #[command(subcommand)]
    User(UserCommand),
    /// 审计日志
    #[command(subcommand)]
    Audit(AuditCommand),
    /// 身份识别：把同一自然人在各校、各次导入中的学籍记录归为一人
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// 性能基准
    #[command(subcommand)]
    Bench(BenchCommand),
    /// 检索索引（本实例在数据目录下的 search/）
    #[command(subcommand)]
    Search(SearchCommand),
}

#[derive(Debug, Subcommand)]
pub enum SearchCommand {
    /// 从数据库重建本实例的检索索引（显示进度）；运行中的服务会自动跟进数据变更，无需手动重建
    Reindex,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// 创建第一个省级专班管理员（生成初始密码并显示一次，首次登录须修改）
    CreateAdmin {
        /// 用户名（字母、数字或 . _ -）
        #[arg(long)]
        username: String,
        /// 姓名或单位
        #[arg(long, default_value = "省级专班管理员")]
        display_name: String,
    },
    /// 列出账号与授权
    List,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// 校验审计日志的哈希链，报告第一条被篡改的记录
    Verify,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub listen: ListenArgs,
    /// 随机种子：同一种子生成完全相同的数据
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// 规模倍数：1 约为 20 万条学籍记录，10 约为 200 万条
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// 只生成数据，不启动服务
    #[arg(long)]
    pub no_serve: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// 打印带说明的默认配置（可保存为 xiaoyou.toml 后修改）
    PrintDefault,
    /// 生成一个新的个人信息加密密钥（填入 data_key 或 XIAOYOU_DATA_KEY）
    GenerateKey,
}

#[derive(Debug, Subcommand)]
pub enum SchoolCommand {
    /// 添加学校；名称与已有学校相同（含繁简、全半角等不同写法）时拒绝
    Add {
        /// 学校名称
        name: String,
        /// 学校类型：本科高校、高职、中职、中学、省外高校
        #[arg(long)]
        kind: String,
        /// 所在市州名称或行政区划代码，如 长沙、益阳市、430900
        #[arg(long)]
        city: String,
        /// 确认与名称相近的已有学校不是同一所
        #[arg(long)]
        confirm_similar: bool,
    },
    /// 列出全部学校
    List,
}

#[derive(Debug, Subcommand)]
pub enum RegionCommand {
    /// 导入行政区划 CSV（表头 code,name,level,parent_code），可重复导入
    Load {
        /// CSV 文件路径
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// 对全部学籍记录运行身份识别：确定的合并，不确定的进入待核对队列
    Run,
    /// 导出每条学籍记录的来源、学籍记录编号与自然人编号，供对照核查
    Export {
        /// 导出格式（目前为 csv）
        #[arg(long, default_value = "csv")]
        format: String,
        /// 输出文件，默认写到标准输出
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// 生成学籍记录并报告写入速度与峰值内存
    Generate {
        /// 学籍记录条数
        #[arg(long, default_value_t = 1_000_000)]
        records: u64,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// 生成一份名册文件并导入，报告每秒导入行数与峰值内存
    Import {
        /// 名册行数
        #[arg(long, default_value_t = 100_000)]
        rows: u64,
        /// 名册格式：csv 或 xlsx
        #[arg(long, default_value = "csv")]
        format: String,
        /// 名册带身份证号列（每行一个有效号码，导入时校验、加密并按号码归并校友）
        #[arg(long)]
        id_numbers: bool,
    },
    /// 在演示数据（或 --data 指定的数据）上启动服务、登录，并发请求校友办各页面，报告每页 p50/p99 延迟与每秒请求数
    Pages {
        /// 登录所用账号（默认演示学校管理员 school）
        #[arg(long, default_value = "school")]
        user: String,
        /// 登录密码（默认演示密码）
        #[arg(long, default_value = "xiaoyou-demo-2026")]
        password: String,
        /// 同时进行的请求数
        #[arg(long, default_value_t = 12)]
        concurrency: usize,
        /// 每个页面的请求次数
        #[arg(long, default_value_t = 300)]
        requests: usize,
    },
    /// 生成带真实答案的学籍记录，运行身份识别引擎，报告准确率、召回率、F1、速度与峰值内存
    Identity {
        /// 学籍记录条数（约数）
        #[arg(long, default_value_t = 200_000)]
        records: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// 另列出最常见的若干类错误（按证据分组），供调整权重时查看
        #[arg(long, default_value_t = 0)]
        explain: usize,
        /// 先把记录写成各校名册文件（表头、编码、日期写法各异），经导入写入数据库，再运行完整识别并按导出的来源评分
        #[arg(long)]
        rosters: bool,
    },
    /// 生成学籍记录建检索索引，报告建索引速度、索引大小与固定查询组合的 p50/p99 延迟
    Search {
        /// 学籍记录条数
        #[arg(long, default_value_t = 1_000_000)]
        records: u64,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// 每类查询的次数（共六类）
        #[arg(long, default_value_t = 200)]
        queries: usize,
        /// 保留索引的目录（默认用临时目录，结束后删除）
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// 名册文件
    pub file: PathBuf,
    /// 学校名称或编号
    #[arg(long)]
    pub school: String,
    /// 名册没有“学院”列（或该列为空）时，校友所属的学院
    #[arg(long)]
    pub college: Option<String>,
    /// 错误报告的保存位置，默认与名册同目录的“文件名.错误报告.xlsx”
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}
