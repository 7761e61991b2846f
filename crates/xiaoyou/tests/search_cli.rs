//! `xiaoyou search reindex` and the index under `serve`, as a user runs them, on both
//! backends: a rebuild with progress; a damaged index rebuilt by `serve` with a log line, not
//! a failure to start.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use xiaoyou_testkit::{TestDb, backend_tests};

fn scratch_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "xiaoyou-search-cli-{label}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The binary on the test's database, with its own data directory for the index.
fn on(t: &TestDb, data: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xiaoyou"));
    command
        .env_remove("XIAOYOU_DATABASE_URL")
        .env("RUST_LOG", "info");
    match (t.sqlite_dir(), t.postgres_url()) {
        (Some(dir), _) => {
            command.arg("--data").arg(dir);
        }
        (None, Some(url)) => {
            command
                .env("XIAOYOU_DATABASE_URL", url)
                .arg("--data")
                .arg(data);
        }
        (None, None) => unreachable!(),
    }
    command
}

async fn reindex_and_serve_rebuild(t: &TestDb) {
    let data = scratch_dir("data");
    let data_dir = t.sqlite_dir().unwrap_or_else(|| data.clone());
    let output = on(t, &data)
        .args(["demo", "--no-serve", "--scale", "0.01"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let output = on(t, &data).args(["search", "reindex"]).output().unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    assert!(output.status.success(), "{err}");
    assert!(out.contains("检索索引已重建"), "{out}");
    // Without a terminal: a line per percent.
    assert!(err.contains("重建索引 100%"), "{err}");
    let index = data_dir.join("search");
    assert!(index.join("meta.json").exists());
    assert!(index.join("cursor.json").exists());

    // Damage the index; `serve` starts anyway, says so, and rebuilds it.
    std::fs::write(index.join("meta.json"), b"garbage").unwrap();
    let listen = format!(
        "127.0.0.1:{}",
        20_000 + (std::process::id() % 20_000) + u32::from(t.postgres_url().is_some())
    );
    let log = data.with_extension("log");
    let mut server = on(t, &data)
        .args(["serve", "--listen", &listen])
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut rebuilt = false;
    while Instant::now() < deadline {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("检索索引重建完成") {
            rebuilt = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = server.kill();
    let _ = server.wait();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(rebuilt, "the damaged index is rebuilt: {text}");
    assert!(text.contains("检索索引无法读取"), "{text}");
    let meta = std::fs::read_to_string(index.join("meta.json")).unwrap();
    assert!(
        meta.starts_with('{'),
        "a fresh index replaced the damaged one"
    );
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_file(&log);
}

backend_tests!(reindex_and_serve_rebuild);
