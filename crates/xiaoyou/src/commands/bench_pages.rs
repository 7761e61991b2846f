//! `xiaoyou bench pages`: serves the demo (or the data directory given) on a local port,
//! signs in through the login form, and fires a fixed mix of the school office's pages with
//! many requests in flight, then prints per-page p50/p99 latency and requests per second.
//!
//! The mix is [`PAGES`]: add a line there to measure another page. The client is a minimal
//! HTTP/1.1 one over keep-alive connections, one per request in flight, so what is measured is
//! the server.

use crate::cli::{DemoArgs, ListenArgs};
use crate::config::Config;
use anyhow::{Context, anyhow, bail};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use xiaoyou_core::{OrgNode, SchoolId};
use xiaoyou_store::dashboard::{self, Node};
use xiaoyou_store::{Db, accounts, org, people, settings, stats};
use xiaoyou_web::{AppState, router};

/// The pages measured, as (label, path). `{school}`, `{college}`, `{class}` and `{person}`
/// stand for the signed-in user's school, its largest college, that college's largest class
/// and someone in that class.
pub const PAGES: &[(&str, &str)] = &[
    ("首页/工作台", "/"),
    ("学校", "/schools/{school}"),
    ("二级学院", "/colleges/{college}"),
    ("学院简史", "/colleges/{college}/history"),
    ("班级通讯录", "/classes/{class}"),
    ("通讯录导出 CSV", "/classes/{class}/export.csv"),
    ("校友", "/persons/{person}"),
    ("新建班级表单", "/colleges/{college}/classes/new"),
    ("编辑班级表单", "/classes/{class}/edit"),
    ("校友名录", "/alumni?school={school}"),
    ("校友名录·按班级", "/alumni?class={class}"),
    ("添加校友表单", "/classes/{class}/alumni/new"),
    ("优秀校友", "/schools/{school}/outstanding"),
    ("分地区通讯录", "/schools/{school}/regions"),
];

pub struct Options {
    pub user: String,
    pub password: String,
    pub concurrency: usize,
    pub requests: usize,
}

pub async fn run(config: &Config, options: Options) -> anyhow::Result<()> {
    if options.concurrency == 0 || options.requests == 0 {
        bail!("--concurrency 与 --requests 都应大于 0");
    }
    let db = prepare(config).await?;
    let key = super::data_key(config)?.ok_or_else(|| anyhow!("数据目录中没有个人信息密钥"))?;
    let targets = targets(&db, &options.user).await?;
    let state = AppState::new(db.clone(), super::province(config)?).with_key(key);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let service = router(state).into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(listener, service).await;
    });
    let outcome = measure(addr, &targets, &options).await;
    server.abort();
    db.close().await;
    outcome
}

/// The demo data (generated once, as `xiaoyou demo --no-serve` does), or the data already in
/// the directory.
async fn prepare(config: &Config) -> anyhow::Result<Db> {
    let db = super::open(config).await?;
    // A demo that was interrupted is finished (regenerated) by `xiaoyou demo` too.
    let is_demo = settings::get(&db, xiaoyou_app::demo::COMPLETED_KEY)
        .await?
        .is_some()
        || settings::get(&db, xiaoyou_app::demo::STARTED_KEY)
            .await?
            .is_some();
    let empty = stats::totals(&db).await?.schools == 0;
    db.close().await;
    if is_demo || empty {
        let args = DemoArgs {
            listen: ListenArgs { listen: None },
            seed: 2026,
            scale: 1.0,
            no_serve: true,
        };
        super::demo::run(config, &args).await?;
    }
    super::open(config).await
}

/// The ids that fill the page paths, from what the user administers.
async fn targets(db: &Db, username: &str) -> anyhow::Result<Vec<(String, String)>> {
    let user = accounts::find_user(db, username)
        .await?
        .ok_or_else(|| anyhow!("没有账号“{username}”：请用 --user 指定一个已有账号"))?;
    let grants = accounts::grants_of(db, user.id).await?;
    let mut school: Option<SchoolId> = None;
    let mut college = None;
    for grant in &grants {
        if let OrgNode::College(id) = grant.node {
            college = Some(id);
        }
        if let Some(id) = accounts::school_of_node(db, &grant.node).await? {
            school.get_or_insert(id);
        }
    }
    let school = match school {
        Some(school) => school,
        None => stats::records_per_school(db)
            .await?
            .into_iter()
            .max_by_key(|(_, n)| *n)
            .map(|(id, _)| id)
            .context("数据库中没有学校")?,
    };
    let college = match college {
        Some(college) => college,
        None => dashboard::dashboard(db, Node::School(school), 1)
            .await?
            .by_college
            .into_iter()
            .max_by_key(|(_, n)| *n)
            .map(|(id, _)| id)
            .or(org::list_colleges(db, school).await?.first().map(|c| c.id))
            .context("该学校没有二级学院")?,
    };
    let class = stats::class_sizes(db, college)
        .await?
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(id, _)| id)
        .context("该学院没有班级")?;
    let person = people::class_register(db, class)
        .await?
        .first()
        .map(|e| e.person)
        .context("该班级没有校友")?;
    let fill = |path: &str| {
        path.replace("{school}", &school.to_string())
            .replace("{college}", &college.to_string())
            .replace("{class}", &class.to_string())
            .replace("{person}", &person.to_string())
    };
    Ok(PAGES
        .iter()
        .map(|(label, path)| ((*label).to_owned(), fill(path)))
        .collect())
}

async fn measure(
    addr: SocketAddr,
    targets: &[(String, String)],
    options: &Options,
) -> anyhow::Result<()> {
    let cookie = sign_in(addr, &options.user, &options.password).await?;
    // Warm up: every page once, each must answer 200.
    let mut connection = Connection::open(addr).await?;
    for (label, path) in targets {
        let (status, _) = connection.get(path, &cookie).await?;
        if status != 200 {
            bail!("{label}（{path}）返回 {status}，应为 200");
        }
    }
    let total = targets.len() * options.requests;
    println!(
        "页面基准：{} 个页面 × 每页 {} 次请求，同时 {} 个请求，共 {total} 次",
        targets.len(),
        options.requests,
        options.concurrency
    );
    let next = Arc::new(AtomicUsize::new(0));
    let targets: Arc<Vec<(String, String)>> = Arc::new(targets.to_vec());
    let cookie = Arc::new(cookie);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..options.concurrency {
        let (next, targets, cookie) = (next.clone(), targets.clone(), cookie.clone());
        workers.push(tokio::spawn(async move {
            let mut samples: Vec<(usize, Duration, usize)> = Vec::new();
            let mut connection = Connection::open(addr).await?;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let page = i % targets.len();
                let begun = Instant::now();
                let (status, bytes) = connection.get(&targets[page].1, &cookie).await?;
                let took = begun.elapsed();
                if status != 200 {
                    bail!("{} 返回 {status}", targets[page].1);
                }
                samples.push((page, took, bytes));
            }
            anyhow::Ok(samples)
        }));
    }
    let mut per_page: Vec<Vec<Duration>> = vec![Vec::new(); targets.len()];
    let mut sizes = vec![0usize; targets.len()];
    for worker in workers {
        for (page, took, bytes) in worker.await.context("基准任务异常")?? {
            per_page[page].push(took);
            sizes[page] = bytes;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{:<14} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "页面", "请求数", "p50 毫秒", "p99 毫秒", "最大毫秒", "HTML KB"
    );
    let mut worst_p99 = Duration::ZERO;
    for (page, samples) in per_page.iter_mut().enumerate() {
        samples.sort();
        let p50 = percentile(samples, 0.50);
        let p99 = percentile(samples, 0.99);
        worst_p99 = worst_p99.max(p99);
        println!(
            "{:<14} {:>8} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            targets[page].0,
            samples.len(),
            ms(p50),
            ms(p99),
            ms(samples.last().copied().unwrap_or_default()),
            sizes[page] as f64 / 1024.0
        );
    }
    println!(
        "合计 {total} 次请求，用时 {elapsed:.1} 秒，{:.0} 次/秒；各页面 p99 最高 {:.1} 毫秒；峰值内存 {}",
        total as f64 / elapsed,
        ms(worst_p99),
        crate::memory::describe_peak()
    );
    Ok(())
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64) * q).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Signs in through the login form, as a browser does; returns the session cookie.
async fn sign_in(addr: SocketAddr, user: &str, password: &str) -> anyhow::Result<String> {
    let mut connection = Connection::open(addr).await?;
    let form = connection.request("GET", "/login", "", None).await?;
    let login_cookie = form
        .cookie(xiaoyou_web::session::LOGIN_CSRF_COOKIE)
        .context("登录页没有设置表单令牌")?;
    let body = format!(
        "csrf={}&next=%2F&username={}&password={}",
        encode(&login_cookie),
        encode(user),
        encode(password)
    );
    let cookie = format!("{}={login_cookie}", xiaoyou_web::session::LOGIN_CSRF_COOKIE);
    let answer = connection
        .request("POST", "/login", &cookie, Some(&body))
        .await?;
    let session = answer
        .cookie(xiaoyou_web::session::SESSION_COOKIE)
        .ok_or_else(|| anyhow!("账号“{user}”登录失败（状态 {}）", answer.status))?;
    Ok(format!(
        "{}={session}",
        xiaoyou_web::session::SESSION_COOKIE
    ))
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

struct Answer {
    status: u16,
    set_cookies: Vec<String>,
    body_len: usize,
}

impl Answer {
    fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies.iter().find_map(|line| {
            let pair = line.split(';').next()?;
            let (key, value) = pair.split_once('=')?;
            (key.trim() == name && !value.is_empty()).then(|| value.to_owned())
        })
    }
}

/// One keep-alive HTTP/1.1 connection.
struct Connection {
    addr: SocketAddr,
    stream: BufReader<TcpStream>,
}

impl Connection {
    async fn open(addr: SocketAddr) -> anyhow::Result<Connection> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            addr,
            stream: BufReader::new(stream),
        })
    }

    async fn get(&mut self, path: &str, cookie: &str) -> anyhow::Result<(u16, usize)> {
        let answer = self.request("GET", path, cookie, None).await?;
        Ok((answer.status, answer.body_len))
    }

    async fn request(
        &mut self,
        method: &str,
        path: &str,
        cookie: &str,
        form: Option<&str>,
    ) -> anyhow::Result<Answer> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: keep-alive\r\n",
            self.addr
        );
        if !cookie.is_empty() {
            head.push_str(&format!("Cookie: {cookie}\r\n"));
        }
        if let Some(form) = form {
            head.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                form.len()
            ));
        }
        head.push_str("\r\n");
        head.push_str(form.unwrap_or(""));
        self.stream.get_mut().write_all(head.as_bytes()).await?;

        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow!("服务器的回答无法识别：{line:?}"))?;
        let mut length = None;
        let mut chunked = false;
        let mut close = false;
        let mut set_cookies = Vec::new();
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                bail!("连接在回答头部中途关闭");
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse::<usize>().ok(),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                "set-cookie" => set_cookies.push(value.to_owned()),
                _ => {}
            }
        }
        let body_len = if chunked {
            let mut total = 0;
            loop {
                line.clear();
                self.stream.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| anyhow!("分块长度无法识别：{line:?}"))?;
                let mut rest = vec![0u8; size + 2];
                self.stream.read_exact(&mut rest).await?;
                if size == 0 {
                    break;
                }
                total += size;
            }
            total
        } else {
            let size = length.unwrap_or(0);
            let mut body = vec![0u8; size];
            self.stream.read_exact(&mut body).await?;
            size
        };
        if close {
            *self = Connection::open(self.addr).await?;
        }
        Ok(Answer {
            status,
            set_cookies,
            body_len,
        })
    }
}
