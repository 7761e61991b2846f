//! `xiaoyou healthcheck`: asks a running server's `/healthz` and exits 0 only on "ok".

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub async fn check(listen: SocketAddr) -> anyhow::Result<ExitCode> {
    let probe = async {
        let mut stream = tokio::net::TcpStream::connect(listen).await?;
        stream
            .write_all(
                format!("GET /healthz HTTP/1.1\r\nHost: {listen}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&response).into_owned())
    };
    match tokio::time::timeout(Duration::from_secs(5), probe).await {
        Ok(Ok(response)) if response.starts_with("HTTP/1.1 200") && response.ends_with("ok") => {
            println!("健康：{listen}");
            Ok(ExitCode::SUCCESS)
        }
        Ok(Ok(response)) => {
            let status = response.lines().next().unwrap_or("");
            eprintln!("不健康：{listen} 返回 {status}");
            Ok(ExitCode::FAILURE)
        }
        Ok(Err(error)) => {
            eprintln!("不健康：无法连接 {listen}：{error}");
            Ok(ExitCode::FAILURE)
        }
        Err(_) => {
            eprintln!("不健康：{listen} 5 秒内无响应");
            Ok(ExitCode::FAILURE)
        }
    }
}
