//! Nothing personal in logs: run the demo and a server at the most verbose log level, sign in,
//! open registers and person pages, unmask one, and search everything the processes printed
//! for the demo's ID numbers and phone numbers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use xiaoyou_core::PersonalDataKey;

fn xiaoyou(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xiaoyou"));
    command
        .env_remove("XIAOYOU_DATABASE_URL")
        .env("RUST_LOG", "trace")
        .arg("--data")
        .arg(dir);
    command
}

/// A minimal HTTP/1.1 exchange; returns the status line, headers and body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    cookie: &str,
    form: Option<&str>,
) -> (String, Vec<String>, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let body = form.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().unwrap_or("").to_owned();
    let headers: Vec<String> = lines.map(str::to_owned).collect();
    let chunked = headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("transfer-encoding: chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, headers, body)
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

fn cookie_from(headers: &[String], name: &str) -> String {
    headers
        .iter()
        .filter_map(|h| {
            h.strip_prefix("set-cookie: ")
                .or_else(|| h.strip_prefix("Set-Cookie: "))
        })
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .unwrap_or_default()
}

fn between<'a>(text: &'a str, before: &str, after: &str) -> Option<&'a str> {
    text.split(before)
        .nth(1)
        .and_then(|rest| rest.split(after).next())
}

#[tokio::test]
async fn logs_never_contain_id_numbers_or_phones() {
    let dir = std::env::temp_dir().join(format!("xiaoyou-logscan-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let demo = xiaoyou(&dir)
        .args(["demo", "--no-serve", "--scale", "0.02"])
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let mut printed = String::from_utf8_lossy(&demo.stdout).into_owned();
    printed.push_str(&String::from_utf8_lossy(&demo.stderr));

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let log_file = dir.join("server.log");
    let log = std::fs::File::create(&log_file).unwrap();
    let mut server = xiaoyou(&dir)
        .args(["serve", "--listen", &addr])
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }

    // Sign in as the demo's school admin and walk to a register and a person, then unmask.
    let (_, headers, page) = http(&addr, "GET", "/login", "", None);
    let login_cookie = cookie_from(&headers, "xy_login");
    let csrf = between(&page, "name=\"csrf\" value=\"", "\"")
        .unwrap()
        .to_owned();
    let form = format!("csrf={csrf}&username=school&password=xiaoyou-demo-2026&next=%2F");
    let (status, headers, _) = http(&addr, "POST", "/login", &login_cookie, Some(&form));
    assert!(status.contains("303"), "{status}");
    let session = cookie_from(&headers, "xy_session");
    let (home_status, _, home) = http(&addr, "GET", "/", &session, None);
    assert!(
        home.contains("/schools/"),
        "{home_status}: the school admin's start page lists the school"
    );
    let school_path = format!(
        "/schools/{}",
        between(&home, "href=\"/schools/", "\"").unwrap()
    );
    let (_, _, school) = http(&addr, "GET", &school_path, &session, None);
    let mut class_path = None;
    for link in school.split("href=\"/colleges/").skip(1) {
        let college_path = format!("/colleges/{}", link.split('"').next().unwrap());
        let (_, _, college) = http(&addr, "GET", &college_path, &session, None);
        if let Some(class) = between(&college, "href=\"/classes/", "\"") {
            class_path = Some(format!("/classes/{class}"));
            break;
        }
    }
    let class_path = class_path.expect("a college with classes");
    let (status, _, register) = http(&addr, "GET", &class_path, &session, None);
    assert!(status.contains("200"), "{status}");
    let person = between(&register, "href=\"/persons/", "\"")
        .unwrap()
        .to_owned();
    let (_, _, person_page) = http(&addr, "GET", &format!("/persons/{person}"), &session, None);
    let session_csrf = between(&person_page, "name=\"csrf\" value=\"", "\"")
        .unwrap()
        .to_owned();
    let (status, _, unmasked) = http(
        &addr,
        "POST",
        &format!("/persons/{person}/unmask"),
        &session,
        Some(&format!("csrf={session_csrf}")),
    );
    assert!(status.contains("200"), "{status}");
    assert!(unmasked.contains("已记入审计日志"));
    let _ = server.kill();
    let _ = server.wait();
    printed.push_str(&std::fs::read_to_string(&log_file).unwrap());
    assert!(
        printed.contains("TRACE") || printed.contains("DEBUG"),
        "the logs were verbose"
    );

    // Everything personal the demo holds.
    let key =
        PersonalDataKey::from_hex(&std::fs::read_to_string(dir.join("data.key")).unwrap()).unwrap();
    let target = xiaoyou_store::DatabaseTarget::resolve(None, &dir).unwrap();
    let db = xiaoyou_store::Db::connect(&target).await.unwrap();
    let xiaoyou_store::Db::Sqlite(pool) = &db else {
        panic!()
    };
    let ciphers: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT id_card_cipher FROM persons WHERE id_card_cipher IS NOT NULL")
            .fetch_all(pool)
            .await
            .unwrap();
    let phones: Vec<String> =
        sqlx::query_scalar("SELECT value FROM contact_points WHERE kind = 'mobile'")
            .fetch_all(pool)
            .await
            .unwrap();
    assert!(ciphers.len() > 100 && phones.len() > 100);
    let mut leaks = Vec::new();
    for cipher in &ciphers {
        let id = key.open(cipher).unwrap();
        if printed.contains(&id) {
            leaks.push("an ID number".to_owned());
        }
    }
    for phone in &phones {
        if printed.contains(phone.as_str()) {
            leaks.push("a phone number".to_owned());
        }
    }
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        leaks.is_empty(),
        "personal data in the logs: {} occurrences",
        leaks.len()
    );
}
