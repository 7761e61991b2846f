//! Imports as background jobs. An uploaded file is kept in the data directory while its
//! uploader confirms the columns; then a worker imports it, reporting progress that pages
//! poll (percent, rows per second, time left). The import is one transaction, so a process
//! killed mid-import leaves nothing applied; on restart its job is queued again and runs from
//! the start (rows already stored, if any, are recognised by their fingerprints).

use super::{ColumnChoices, ImportOptions, ImportProgress, import_file, saved_choices};
use crate::audit::AuditContext;
use crate::error::{AppError, AppResult};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use xiaoyou_core::{Clock, PersonalDataKey, SchoolId, UserId};
use xiaoyou_store::import_jobs::{self, ImportJob, JobStage};
use xiaoyou_store::{Backend, Db, accounts, org};

/// How often a running job tells other instances it is alive (PostgreSQL only: on SQLite the
/// import's write transaction holds the database, and one process owns the file).
const HEARTBEAT: Duration = Duration::from_secs(10);
/// A running job not heard from for this long belongs to a dead instance.
const ABANDONED_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(60);
/// How often an idle worker looks for queued jobs it was not told about.
const POLL: Duration = Duration::from_secs(5);

/// Progress of a running job as this instance sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveProgress {
    pub progress: ImportProgress,
    pub elapsed: Duration,
}

impl LiveProgress {
    pub fn percent(&self) -> u32 {
        (self.progress.fraction() * 100.0).floor() as u32
    }

    pub fn rows_per_second(&self) -> u64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds < 0.001 {
            0
        } else {
            (self.progress.rows_read as f64 / seconds) as u64
        }
    }

    /// Seconds left, from the pace so far; `None` until there is a pace.
    pub fn seconds_left(&self) -> Option<u64> {
        let fraction = self.progress.fraction();
        if fraction <= 0.0 || self.elapsed.as_secs_f64() < 0.5 {
            return None;
        }
        let total = self.elapsed.as_secs_f64() / fraction;
        Some((total - self.elapsed.as_secs_f64()).max(0.0).round() as u64)
    }
}

/// The import jobs of this instance: uploads kept, a worker that runs queued jobs, and the
/// progress of the running one.
#[derive(Clone)]
pub struct ImportJobs {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    key: PersonalDataKey,
    clock: Arc<dyn Clock>,
    directory: PathBuf,
    wake: Notify,
    live: Mutex<HashMap<i64, LiveProgress>>,
}

impl std::fmt::Debug for ImportJobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportJobs")
            .field("directory", &self.inner.directory)
            .finish_non_exhaustive()
    }
}

impl ImportJobs {
    /// Jobs keeping their files in `directory` (created when missing).
    pub fn new(
        db: Db,
        key: PersonalDataKey,
        clock: Arc<dyn Clock>,
        directory: PathBuf,
    ) -> AppResult<ImportJobs> {
        std::fs::create_dir_all(&directory).map_err(|e| {
            AppError::Background(format!("无法创建导入文件目录 {}：{e}", directory.display()))
        })?;
        Ok(ImportJobs {
            inner: Arc::new(Inner {
                db,
                key,
                clock,
                directory,
                wake: Notify::new(),
                live: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// A fresh path for an upload being received.
    pub fn upload_path(&self) -> PathBuf {
        let name = format!(
            "upload-{}-{:016x}.part",
            self.inner.clock.now().timestamp_millis(),
            rand::random::<u64>()
        );
        self.inner.directory.join(name)
    }

    /// Records a received upload as a job waiting for its mapping.
    pub async fn create(
        &self,
        school: SchoolId,
        user: Option<UserId>,
        file_name: &str,
        stored: &Path,
    ) -> AppResult<i64> {
        let stored_name = stored
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| AppError::Background("导入文件名无效".into()))?;
        Ok(import_jobs::create(
            &self.inner.db,
            school,
            user,
            file_name,
            stored_name,
            self.inner.clock.now(),
        )
        .await?)
    }

    /// The stored file of a job.
    pub fn file_of(&self, job: &ImportJob) -> PathBuf {
        self.inner.directory.join(&job.stored_file)
    }

    /// Opens a job's stored file for reading.
    pub fn open(&self, job: &ImportJob) -> AppResult<Box<dyn super::ReadSeek>> {
        let file = std::fs::File::open(self.file_of(job)).map_err(|e| AppError::Invalid {
            field: "文件",
            reason: format!("上传的文件已不在服务器上（{e}），请重新上传"),
        })?;
        Ok(Box::new(file))
    }

    /// Confirms a job's columns and queues it; saves the choices as the school's template when
    /// asked.
    pub async fn confirm(
        &self,
        job: &ImportJob,
        choices: &ColumnChoices,
        headers: &[String],
        save_as_template: bool,
    ) -> AppResult<()> {
        if save_as_template {
            let mappings: Vec<(String, String)> = choices
                .by_column
                .iter()
                .filter_map(|(column, field)| {
                    let header = headers.get(*column)?;
                    let key = xiaoyou_sheet::fields::header_key(header);
                    (!key.is_empty()).then(|| (key, field.map_or("", |f| f.code()).to_owned()))
                })
                .collect();
            import_jobs::save_mappings(
                &self.inner.db,
                job.school,
                &mappings,
                self.inner.clock.now(),
            )
            .await?;
        }
        if !import_jobs::queue(&self.inner.db, job.id, &choices.columns_to_json()).await? {
            return Err(AppError::Invalid {
                field: "导入任务",
                reason: "该任务已开始或已结束，不能再修改列对应".into(),
            });
        }
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Cancels a job that has not started and removes its file.
    pub async fn cancel(&self, job: &ImportJob) -> AppResult<bool> {
        let cancelled = import_jobs::cancel(&self.inner.db, job.id, self.inner.clock.now()).await?;
        if cancelled {
            self.remove_file(job);
        }
        Ok(cancelled)
    }

    /// Ends, before it ran, a job whose file cannot be imported at all, and removes the file.
    pub async fn refuse(&self, job: &ImportJob, reason: &str) -> AppResult<()> {
        import_jobs::finish(
            &self.inner.db,
            job.id,
            JobStage::Failed,
            None,
            Some(reason),
            self.inner.clock.now(),
        )
        .await?;
        self.remove_file(job);
        Ok(())
    }

    /// The progress of a job running in this instance.
    pub fn live(&self, job: i64) -> Option<LiveProgress> {
        self.inner
            .live
            .lock()
            .ok()
            .and_then(|live| live.get(&job).copied())
    }

    /// Queues again the jobs a dead process left running. On SQLite the database belongs to
    /// one process, so every running job is abandoned at start-up.
    pub async fn recover(&self) -> AppResult<Vec<i64>> {
        let now = self.inner.clock.now();
        let stale_before = match self.inner.db.backend() {
            Backend::Sqlite => now + chrono::TimeDelta::days(1),
            Backend::Postgres => now - ABANDONED_AFTER,
        };
        let requeued = import_jobs::requeue_abandoned(&self.inner.db, stale_before).await?;
        for job in &requeued {
            tracing::warn!(job, "导入任务在上次运行时中断，已回滚并重新排队");
        }
        Ok(requeued)
    }

    /// Runs queued jobs one after another until the process ends.
    pub fn spawn_worker(&self) -> tokio::task::JoinHandle<()> {
        let jobs = self.clone();
        tokio::spawn(async move {
            if let Err(e) = jobs.recover().await {
                tracing::error!(error = %e, "恢复中断的导入任务失败");
            }
            loop {
                match jobs.run_next().await {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(e) => tracing::error!(error = %e, "导入任务调度失败"),
                }
                let _ = tokio::time::timeout(POLL, jobs.inner.wake.notified()).await;
                if jobs.inner.db.backend() == Backend::Postgres
                    && let Err(e) = jobs.recover().await
                {
                    tracing::error!(error = %e, "检查中断的导入任务失败");
                }
            }
        })
    }

    /// Claims and runs the next queued job; false when there was none.
    pub async fn run_next(&self) -> AppResult<bool> {
        let Some(job) = import_jobs::claim_next(&self.inner.db, self.inner.clock.now()).await?
        else {
            return Ok(false);
        };
        let heartbeat = (self.inner.db.backend() == Backend::Postgres).then(|| {
            let db = self.inner.db.clone();
            let clock = Arc::clone(&self.inner.clock);
            let id = job.id;
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(HEARTBEAT).await;
                    if let Err(e) = import_jobs::heartbeat(&db, id, clock.now()).await {
                        tracing::warn!(error = %e, job = id, "导入任务心跳失败");
                    }
                }
            })
        });
        let outcome = self.run(&job).await;
        if let Some(heartbeat) = heartbeat {
            heartbeat.abort();
        }
        if let Ok(mut live) = self.inner.live.lock() {
            live.remove(&job.id);
        }
        let now = self.inner.clock.now();
        match outcome {
            Ok(run_id) => {
                import_jobs::finish(
                    &self.inner.db,
                    job.id,
                    JobStage::Done,
                    Some(run_id),
                    None,
                    now,
                )
                .await?;
                tracing::info!(job = job.id, run = run_id, "导入任务完成");
            }
            Err(e) => {
                let message = e.to_string();
                import_jobs::finish(
                    &self.inner.db,
                    job.id,
                    JobStage::Failed,
                    None,
                    Some(&message),
                    now,
                )
                .await?;
                tracing::warn!(job = job.id, error = %message, "导入任务失败，未写入任何数据");
            }
        }
        self.remove_file(&job);
        Ok(true)
    }

    async fn run(&self, job: &ImportJob) -> AppResult<i64> {
        let db = &self.inner.db;
        let school = org::get_school(db, job.school)
            .await?
            .ok_or(AppError::NotFound("学校"))?;
        let context = self.context_of(job).await?;
        let mut choices = saved_choices(db, &school).await?;
        if let Some(mapping) = &job.mapping {
            choices = choices.with_columns_json(mapping)?;
        }
        let source = self.open(job)?;
        let started = Instant::now();
        let inner = Arc::clone(&self.inner);
        let id = job.id;
        let mut report = move |progress: ImportProgress| {
            if let Ok(mut live) = inner.live.lock() {
                live.insert(
                    id,
                    LiveProgress {
                        progress,
                        elapsed: started.elapsed(),
                    },
                );
            }
        };
        report(ImportProgress::default());
        let outcome = import_file(
            db,
            self.inner.clock.as_ref(),
            &self.inner.key,
            &context,
            &school,
            &job.file_name,
            source,
            ImportOptions {
                choices,
                default_college: None,
            },
            &mut report,
        )
        .await?;
        // The import is committed; identity resolution of what it touched follows. Its
        // failure does not undo the import (a full run can always catch up).
        let touched: Vec<i64> = outcome.touched_persons.iter().map(|p| p.get()).collect();
        match crate::identity::run::run_incremental(
            db,
            self.inner.clock.as_ref(),
            &context,
            &crate::identity::Settings::default(),
            &touched,
        )
        .await
        {
            Ok(summary) => tracing::info!(
                job = job.id,
                merges = summary.merges,
                review_pairs = summary.review_pairs,
                "导入后身份识别完成"
            ),
            Err(e) => {
                tracing::warn!(job = job.id, error = %e, "导入后身份识别失败，可稍后运行 xiaoyou identity run")
            }
        }
        Ok(outcome.run_id)
    }

    /// The uploader, as the audit trail names them.
    async fn context_of(&self, job: &ImportJob) -> AppResult<AuditContext> {
        let Some(user) = job.user else {
            return Ok(AuditContext::system("导入任务"));
        };
        let name = accounts::get_user(&self.inner.db, user)
            .await?
            .map_or_else(|| format!("用户 {}", user.get()), |u| u.username);
        Ok(AuditContext {
            actor_user_id: Some(user.get()),
            actor_name: name,
            request_id: Some(format!("import-job-{}", job.id)),
            ..AuditContext::default()
        })
    }

    fn remove_file(&self, job: &ImportJob) {
        let path = self.file_of(job);
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, job = job.id, "删除已处理的导入文件失败");
        }
    }
}
