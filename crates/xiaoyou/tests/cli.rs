//! The binary as a user runs it: clear Chinese messages, non-zero exits on bad input, and
//! nothing half-created.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use xiaoyou_testkit::{TestDb, backend_tests};

fn xiaoyou() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xiaoyou"));
    command
        .env_remove("XIAOYOU_DATABASE_URL")
        .env("RUST_LOG", "warn");
    command
}

/// The command pointed at the test's database (SQLite directory or PostgreSQL URL).
fn on(t: &TestDb) -> Command {
    let mut command = xiaoyou();
    match (t.sqlite_dir(), t.postgres_url()) {
        (Some(dir), _) => {
            command.arg("--data").arg(dir);
        }
        (None, Some(url)) => {
            command
                .env("XIAOYOU_DATABASE_URL", url)
                .arg("--data")
                .arg(scratch_dir("pg-data"));
        }
        (None, None) => unreachable!(),
    }
    command
}

fn scratch_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "xiaoyou-cli-{label}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn run(command: &mut Command) -> (bool, String, String) {
    let output = command.output().unwrap();
    let (out, err) = text(&output);
    (output.status.success(), out, err)
}

#[test]
fn prints_a_default_config_that_loads_back() {
    let (ok, out, _) = run(xiaoyou().args(["config", "print-default"]));
    assert!(ok);
    assert!(out.contains("data_dir = \"data\""));
    let dir = scratch_dir("config");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("xiaoyou.toml");
    std::fs::write(&file, out).unwrap();
    let (ok, _, err) = run(xiaoyou()
        .arg("--config")
        .arg(&file)
        .args(["config", "print-default"]));
    assert!(ok, "{err}");
}

#[test]
fn unknown_database_scheme_is_refused_and_nothing_created() {
    let dir = scratch_dir("scheme");
    let (ok, _, err) = run(xiaoyou()
        .env("XIAOYOU_DATABASE_URL", "mysql://root@localhost/x")
        .arg("--data")
        .arg(&dir)
        .arg("migrate"));
    assert!(!ok);
    assert!(err.contains("不支持的数据库地址“mysql”"), "{err}");
    assert!(!dir.exists(), "no data directory was created");
}

#[test]
fn unreachable_postgres_is_named() {
    let started = Instant::now();
    let (ok, _, err) = run(xiaoyou()
        .env(
            "XIAOYOU_DATABASE_URL",
            "postgres://postgres:secret@127.0.0.1:1/nothing",
        )
        .arg("migrate"));
    assert!(!ok);
    assert!(err.contains("无法连接数据库 PostgreSQL"), "{err}");
    assert!(
        !err.contains("secret"),
        "passwords never appear in messages: {err}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn unwritable_data_directory_is_named() {
    let dir = scratch_dir("unwritable");
    std::fs::create_dir_all(&dir).unwrap();
    let blocker = dir.join("a-file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let (ok, _, err) = run(xiaoyou()
        .arg("--data")
        .arg(blocker.join("data"))
        .arg("migrate"));
    assert!(!ok);
    assert!(err.contains("数据目录") && err.contains("不可用"), "{err}");
}

#[test]
fn malformed_config_is_named() {
    let dir = scratch_dir("badconfig");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("xiaoyou.toml");
    std::fs::write(&file, "listen = \"not an address\"\nprovince = \n").unwrap();
    let (ok, _, err) = run(xiaoyou().arg("--config").arg(&file).arg("migrate"));
    assert!(!ok);
    assert!(err.contains("配置有误"), "{err}");
    std::fs::write(&file, "lisen = \"127.0.0.1:1\"\n").unwrap();
    let (ok, _, err) = run(xiaoyou().arg("--config").arg(&file).arg("migrate"));
    assert!(!ok);
    assert!(err.contains("lisen"), "an unknown key is named: {err}");
    let (ok, _, err) = run(xiaoyou()
        .arg("--config")
        .arg(dir.join("missing.toml"))
        .arg("migrate"));
    assert!(!ok);
    assert!(err.contains("不存在"), "{err}");
}

async fn schools_are_added_once_whatever_the_spelling(t: &TestDb) {
    let (ok, out, err) = run(on(t).args([
        "school",
        "add",
        "湖南城市学院",
        "--kind",
        "本科高校",
        "--city",
        "益阳",
    ]));
    assert!(ok, "{err}");
    assert!(out.contains("已添加学校“湖南城市学院”"), "{out}");

    let (ok, _, err) = run(on(t).args([
        "school",
        "add",
        "湖南城市學院",
        "--kind",
        "本科高校",
        "--city",
        "益阳市",
    ]));
    assert!(!ok);
    assert!(
        err.contains("已存在") && err.contains("湖南城市学院"),
        "{err}"
    );

    let (ok, _, err) = run(on(t).args([
        "school",
        "add",
        "长沙市第一中学",
        "--kind",
        "中学",
        "--city",
        "长沙",
    ]));
    assert!(ok, "{err}");
    let (ok, _, err) = run(on(t).args([
        "school",
        "add",
        "湖南省长沙市一中",
        "--kind",
        "中学",
        "--city",
        "长沙",
    ]));
    assert!(!ok);
    assert!(
        err.contains("已存在") && err.contains("长沙市第一中学"),
        "{err}"
    );

    let (ok, _, err) = run(on(t).args([
        "school",
        "add",
        "湖南城市学院 校友会",
        "--kind",
        "省外高校",
        "--city",
        "长沙",
    ]));
    assert!(!ok);
    assert!(
        err.contains("名称相近") && err.contains("湖南城市学院"),
        "{err}"
    );
    let (ok, _, err) = run(on(t).args([
        "school",
        "add",
        "湖南城市学院 校友会",
        "--kind",
        "省外高校",
        "--city",
        "430100",
        "--confirm-similar",
    ]));
    assert!(ok, "{err}");

    let (ok, _, err) = run(on(t).args([
        "school",
        "add",
        "长郡中学",
        "--kind",
        "幼儿园",
        "--city",
        "长沙",
    ]));
    assert!(!ok);
    assert!(
        err.contains("学校类型“幼儿园”无效") && err.contains("中职"),
        "{err}"
    );
    let (ok, _, err) = run(on(t).args([
        "school",
        "add",
        "长郡中学",
        "--kind",
        "中学",
        "--city",
        "火星",
    ]));
    assert!(!ok);
    assert!(err.contains("找不到市州“火星”"), "{err}");

    let (ok, out, _) = run(on(t).args(["school", "list"]));
    assert!(ok);
    assert_eq!(out.lines().count(), 3, "{out}");
}

async fn migrate_is_idempotent(t: &TestDb) {
    let (ok, out, err) = run(on(t).arg("migrate"));
    assert!(ok, "{err}");
    assert!(out.contains("已是最新"), "{out}");
}

async fn region_files_load_or_are_refused_whole(t: &TestDb) {
    let dir = scratch_dir("regions");
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("140000.csv");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reference/regions/140000.csv"),
        &good,
    )
    .unwrap();
    let (ok, out, err) = run(on(t).arg("region").arg("load").arg(&good));
    assert!(ok, "{err}");
    assert!(out.contains("已导入 129 个行政区划"), "{out}");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "code,name,level,parent_code\n450000,广西壮族自治区,province,\n450100,南宁市,city,450000\n450102,兴宁区,city,450100\n").unwrap();
    let (ok, _, err) = run(on(t).arg("region").arg("load").arg(&bad));
    assert!(!ok);
    assert!(err.contains("第4行"), "{err}");
    let stored = xiaoyou_store::regions::get(&t.db, xiaoyou_core::RegionCode::new(450000).unwrap())
        .await
        .unwrap();
    assert!(stored.is_none(), "nothing of a refused file is stored");
}

async fn demo_generates_once_then_reuses(t: &TestDb) {
    let (ok, out, err) = run(on(t).args(["demo", "--no-serve", "--scale", "0.02"]));
    assert!(ok, "{err}");
    assert!(out.contains("演示数据已生成"), "{out}");
    for account in [
        "province",
        "school",
        "college",
        "liaison",
        "alumnus",
        "specialist",
        "city",
        "department",
    ] {
        assert!(
            out.contains(&format!("  {account}")),
            "demo account {account} is printed: {out}"
        );
    }
    assert!(out.contains("xiaoyou-demo-2026"));
    let (ok, out, err) = run(on(t).args(["demo", "--no-serve", "--scale", "0.02"]));
    assert!(ok, "{err}");
    assert!(out.contains("复用已有演示数据"), "{out}");
}

async fn first_admin_and_audit_verification(t: &TestDb) {
    let (ok, out, err) = run(on(t).args(["user", "create-admin", "--username", "zhuanban"]));
    assert!(ok, "{err}");
    assert!(out.contains("初始密码："), "{out}");
    let (ok, _, err) = run(on(t).args(["user", "create-admin", "--username", "zhuanban"]));
    assert!(!ok);
    assert!(err.contains("已存在"), "{err}");
    let (ok, out, _) = run(on(t).args(["user", "list"]));
    assert!(ok);
    assert!(
        out.contains("zhuanban") && out.contains("省级专班管理员@province:430000"),
        "{out}"
    );
    let (ok, _, err) = run(on(t).args([
        "school",
        "add",
        "长郡中学",
        "--kind",
        "中学",
        "--city",
        "长沙",
    ]));
    assert!(ok, "{err}");

    let (ok, out, err) = run(on(t).args(["audit", "verify"]));
    assert!(ok, "{err}");
    assert!(out.contains("哈希链校验通过"), "{out}");
    // Someone edits a row directly in the database: the chain names it.
    let first: i64 = match &t.db {
        xiaoyou_store::Db::Sqlite(pool) => {
            sqlx::query("UPDATE audit_log SET actor_name = 'someone-else' WHERE id = (SELECT MIN(id) FROM audit_log)")
                .execute(pool)
                .await
                .unwrap();
            sqlx::query_scalar("SELECT MIN(id) FROM audit_log")
                .fetch_one(pool)
                .await
                .unwrap()
        }
        xiaoyou_store::Db::Postgres(pool) => {
            sqlx::query("UPDATE audit_log SET actor_name = 'someone-else' WHERE id = (SELECT MIN(id) FROM audit_log)")
                .execute(pool)
                .await
                .unwrap();
            sqlx::query_scalar("SELECT MIN(id) FROM audit_log")
                .fetch_one(pool)
                .await
                .unwrap()
        }
    };
    let (ok, _, err) = run(on(t).args(["audit", "verify"]));
    assert!(!ok);
    assert!(
        err.contains(&format!("第一条不一致的记录编号为 {first}")),
        "{err}"
    );
}

async fn import_from_the_command_line(t: &TestDb) {
    let dir = scratch_dir("import");
    std::fs::create_dir_all(&dir).unwrap();
    let (_, key, _) = run(xiaoyou().args(["config", "generate-key"]));
    let with_key = |command: &mut Command| {
        command.env("XIAOYOU_DATA_KEY", key.trim());
    };
    let (ok, _, err) = run(on(t).args([
        "school",
        "add",
        "湖南城市学院",
        "--kind",
        "本科高校",
        "--city",
        "益阳",
    ]));
    assert!(ok, "{err}");
    let roster = dir.join("2015届.csv");
    std::fs::write(&roster, "湖南城市学院2015届毕业生通讯录\n姓名,手机号码,毕业年份\n王伟,13800001111,2015\n李娜,1380000,2015\n").unwrap();
    let mut command = on(t);
    with_key(&mut command);
    let (ok, out, err) = run(command
        .arg("import")
        .arg(&roster)
        .args(["--school", "湖南城市學院"]));
    assert!(ok, "{err}");
    assert!(
        out.contains("新导入 1") && out.contains("有误未导入 1"),
        "{out}"
    );
    assert!(out.contains("第 4 行：手机号码"), "{out}");
    let report = dir.join("2015届.csv.错误报告.xlsx");
    assert!(report.is_file(), "the error report is written");
    let mut command = on(t);
    with_key(&mut command);
    let (ok, out, _) = run(command
        .arg("import")
        .arg(&roster)
        .args(["--school", "湖南城市学院"]));
    assert!(ok);
    assert!(out.contains("新导入 0，已存在未变 1"), "{out}");
    let junk = dir.join("不是表格.xlsx");
    std::fs::write(&junk, "hello").unwrap();
    let mut command = on(t);
    with_key(&mut command);
    let (ok, _, err) = run(command
        .arg("import")
        .arg(&junk)
        .args(["--school", "湖南城市学院"]));
    assert!(!ok, "a refused file exits non-zero");
    assert!(
        err.contains("未导入") && err.contains("找不到表头"),
        "{err}"
    );
    let mut command = on(t);
    with_key(&mut command);
    let (ok, _, err) = run(command
        .arg("import")
        .arg(&roster)
        .args(["--school", "不存在的学校"]));
    assert!(!ok);
    assert!(err.contains("找不到学校"), "{err}");
}

/// An import killed mid-way leaves nothing behind (one transaction); run again, it imports
/// everything. Rows without a college column go to the college named on the command line.
async fn killed_import_leaves_nothing_and_runs_again(t: &TestDb) {
    use std::io::{BufRead, BufReader, Write};
    let dir = scratch_dir("killed-import");
    std::fs::create_dir_all(&dir).unwrap();
    let (_, key, _) = run(xiaoyou().args(["config", "generate-key"]));
    let (ok, _, err) = run(on(t).args([
        "school",
        "add",
        "湖南城市学院",
        "--kind",
        "本科高校",
        "--city",
        "益阳",
    ]));
    assert!(ok, "{err}");
    let roster = dir.join("大名册.csv");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&roster).unwrap());
    writeln!(file, "姓名,手机号码,专业,毕业年份").unwrap();
    let rows = 30_000;
    let surnames = ["王", "李", "张", "刘", "陈", "杨", "黄", "周"];
    let given = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "勇", "艳"];
    for i in 0..rows {
        let name = format!(
            "{}{}{}",
            surnames[i % 8],
            given[i / 8 % 10],
            given[i / 80 % 10]
        );
        writeln!(
            file,
            "{name},1{}{:09},土木工程,{}",
            3 + i % 7,
            i,
            2000 + i % 20
        )
        .unwrap();
    }
    file.flush().unwrap();
    drop(file);

    let mut child = on(t)
        .env("XIAOYOU_DATA_KEY", key.trim())
        .arg("import")
        .arg(&roster)
        .args(["--school", "湖南城市学院", "--college", "土木工程学院"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        seen.push(line.clone());
        // Rows are stored (inside the transaction) and the file is far from done: kill it.
        if line.starts_with("导入进度") && !line.contains("已写入 0 行") && !line.contains("100%")
        {
            child.kill().unwrap();
            break;
        }
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed mid-import: {seen:?}");
    assert_eq!(
        xiaoyou_store::stats::totals(&t.db)
            .await
            .unwrap()
            .study_records,
        0,
        "nothing of a killed import remains"
    );

    let (ok, out, err) = run(on(t)
        .env("XIAOYOU_DATA_KEY", key.trim())
        .arg("import")
        .arg(&roster)
        .args(["--school", "湖南城市学院", "--college", "土木工程学院"]));
    assert!(ok, "{err}");
    assert!(out.contains(&format!("新导入 {rows}")), "{out}");
    assert!(
        err.contains("导入进度 100%"),
        "progress is printed without a terminal: {err}"
    );
    let totals = xiaoyou_store::stats::totals(&t.db).await.unwrap();
    assert_eq!(totals.study_records, rows as i64);
    assert_eq!(totals.colleges, 1, "the college from --college");
}

/// The same person in a middle school's roster and a university's: linked after import,
/// and `identity export` shows it line by line with each row's source; `identity run` runs
/// over everything and changes nothing more.
async fn identity_links_and_exports(t: &TestDb) {
    let dir = scratch_dir("identity");
    std::fs::create_dir_all(&dir).unwrap();
    let (_, key, _) = run(xiaoyou().args(["config", "generate-key"]));
    for (name, kind, city) in [
        ("长沙市第一中学", "中学", "长沙"),
        ("湖南大学", "本科高校", "长沙"),
    ] {
        let (ok, _, err) = run(on(t).args(["school", "add", name, "--kind", kind, "--city", city]));
        assert!(ok, "{err}");
    }
    let middle = dir.join("一中2008届.csv");
    std::fs::write(
        &middle,
        "序号,姓名,性别,出生日期,手机号码,毕业年份\n1,欧阳娜娜,女,1990-03-15,13812345678,2008\n2,刘洋,男,1990-07-01,13700001111,2008\n",
    )
    .unwrap();
    let university = dir.join("湖大2012届.csv");
    std::fs::write(
        &university,
        "序号,姓名,性别,出生日期,手机号码,毕业年份,学历\n7,歐陽娜娜,女,1990-03-15,13812345678,2012,本科\n8,刘洋,男,1991-11-20,13900002222,2012,本科\n",
    )
    .unwrap();
    for (file, school) in [(&middle, "长沙市第一中学"), (&university, "湖南大学")] {
        let (ok, out, err) = run(on(t)
            .env("XIAOYOU_DATA_KEY", key.trim())
            .arg("import")
            .arg(file)
            .args(["--school", school]));
        assert!(ok, "{err}");
        assert!(out.contains("身份识别"), "{out}");
    }
    let (ok, out, err) = run(on(t).args(["identity", "run"]));
    assert!(ok, "{err}");
    assert!(out.contains("身份识别完成：学籍记录 4"), "{out}");
    let export = dir.join("对应.csv");
    let (ok, _, err) = run(on(t)
        .args(["identity", "export", "--format", "csv", "--output"])
        .arg(&export));
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(&export).unwrap();
    let lines: Vec<Vec<&str>> = text
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(lines.len(), 4, "{text}");
    let person_of = |source: &str| {
        lines
            .iter()
            .find(|l| l[0] == source)
            .unwrap_or_else(|| panic!("{source} in {text}"))[2]
    };
    assert_eq!(
        person_of("一中2008届.csv#2 序号=1"),
        person_of("湖大2012届.csv#2 序号=7"),
        "欧阳娜娜 and 歐陽娜娜 with the same birth date and phone are one person: {text}"
    );
    assert_ne!(
        person_of("一中2008届.csv#3 序号=2"),
        person_of("湖大2012届.csv#3 序号=8"),
        "two 刘洋 born apart are two persons: {text}"
    );
    let (ok, _, err) = run(on(t).args(["identity", "export", "--format", "xml"]));
    assert!(!ok && err.contains("不支持的导出格式"), "{err}");
}

async fn bench_pages_measures_every_page(t: &TestDb) {
    let (ok, _, err) = run(on(t).args(["demo", "--no-serve", "--scale", "0.01"]));
    assert!(ok, "{err}");
    let (ok, out, err) =
        run(on(t).args(["bench", "pages", "--requests", "4", "--concurrency", "3"]));
    assert!(ok, "{err}");
    assert!(out.contains("同时 3 个请求"), "{out}");
    for page in [
        "首页/工作台",
        "学校",
        "二级学院",
        "学院简史",
        "班级通讯录",
        "通讯录导出 CSV",
        "校友",
        "新建班级表单",
        "编辑班级表单",
    ] {
        let line = out
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{page} ")))
            .unwrap_or_else(|| panic!("a line for {page}: {out}"));
        assert_eq!(line.split_whitespace().next(), Some("4"), "{page}: {line}");
    }
    assert!(out.contains("次/秒") && out.contains("p99 最高"), "{out}");
    let (ok, _, err) = run(on(t).args(["bench", "pages", "--user", "nobody"]));
    assert!(!ok);
    assert!(err.contains("没有账号“nobody”"), "{err}");
}

async fn bench_import_reads_back_every_good_row(t: &TestDb) {
    let (ok, out, err) = run(on(t).args(["bench", "import", "--rows", "1500", "--id-numbers"]));
    assert!(ok, "{err}");
    let figure = |label: &str| {
        out.lines()
            .find_map(|line| line.strip_prefix(label))
            .map(str::trim)
            .unwrap_or_else(|| panic!("a line for {label}: {out}"))
            .to_owned()
    };
    assert_eq!(figure("数据行"), "1500", "{out}");
    assert_eq!(
        figure("新导入"),
        "1470",
        "every row with its valid ID number goes in: {out}"
    );
    assert_eq!(
        figure("有误未导入"),
        "30",
        "one phone in fifty is short: {out}"
    );
    assert!(out.contains("行/秒") && out.contains("峰值内存"), "{out}");
}

backend_tests!(
    bench_pages_measures_every_page,
    bench_import_reads_back_every_good_row,
    identity_links_and_exports,
    killed_import_leaves_nothing_and_runs_again,
    import_from_the_command_line,
    first_admin_and_audit_verification,
    schools_are_added_once_whatever_the_spelling,
    migrate_is_idempotent,
    region_files_load_or_are_refused_whole,
    demo_generates_once_then_reuses,
);

#[test]
fn demo_refuses_a_directory_with_other_data() {
    let dir = scratch_dir("other-data");
    let (ok, _, err) = run(xiaoyou().arg("--data").arg(&dir).args([
        "school",
        "add",
        "长郡中学",
        "--kind",
        "中学",
        "--city",
        "长沙",
    ]));
    assert!(ok, "{err}");
    let (ok, _, err) =
        run(xiaoyou()
            .arg("--data")
            .arg(&dir)
            .args(["demo", "--no-serve", "--scale", "0.01"]));
    assert!(!ok);
    assert!(err.contains("非演示数据"), "{err}");
}

#[test]
fn serve_answers_health_checks() {
    let dir = scratch_dir("serve");
    let port = {
        let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        socket.local_addr().unwrap().port()
    };
    let listen = format!("127.0.0.1:{port}");
    let (ok, _, err) = run(xiaoyou().args(["healthcheck", "--listen", &listen]));
    assert!(!ok, "nothing listens yet");
    assert!(err.contains("不健康"), "{err}");
    let (ok, _, err) = run(xiaoyou()
        .arg("--data")
        .arg(&dir)
        .args(["serve", "--listen", &listen]));
    assert!(!ok, "serving without a personal-data key is refused");
    assert!(err.contains("未配置个人信息加密密钥"), "{err}");
    let (ok, key, _) = run(xiaoyou().args(["config", "generate-key"]));
    assert!(ok);
    let mut server = xiaoyou()
        .env("XIAOYOU_DATA_KEY", key.trim())
        .arg("--data")
        .arg(&dir)
        .args(["serve", "--listen", &listen])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut healthy = false;
    while Instant::now() < deadline {
        if run(xiaoyou().args(["healthcheck", "--listen", &listen])).0 {
            healthy = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(healthy, "the server became healthy");
}
