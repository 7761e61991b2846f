//! `xiaoyou serve`: the web UI and API until interrupted.

use crate::config::Config;
use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use xiaoyou_app::import::jobs::ImportJobs;
use xiaoyou_core::{PersonalDataKey, SystemClock};
use xiaoyou_store::Db;
use xiaoyou_web::{AppState, router};

pub async fn serve(
    db: Db,
    config: &Config,
    key: PersonalDataKey,
    listen: SocketAddr,
) -> anyhow::Result<()> {
    let province = super::province(config)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("无法监听 {listen}（端口可能已被占用，可用 --listen 换一个）"))?;
    println!("服务已启动：请在浏览器打开 http://{listen}/ （按 Ctrl+C 停止）");
    let jobs = ImportJobs::new(
        db.clone(),
        key.clone(),
        Arc::new(SystemClock),
        config.data_dir.join("imports"),
    )?;
    let worker = jobs.spawn_worker();
    let (search, follower) = super::search::start(config, &db)?;
    let state = AppState::new(db.clone(), province)
        .with_key(key)
        .with_jobs(jobs)
        .with_search(search);
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("服务异常退出")?;
    // A job cut off here was rolled back with its transaction; it runs again on the next start.
    worker.abort();
    follower.abort();
    db.close().await;
    println!("服务已停止");
    Ok(())
}
