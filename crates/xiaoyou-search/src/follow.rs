//! Following the change feed. Each instance keeps its own index and its own cursor; they all
//! read the same feed.
//!
//! On PostgreSQL a sequence number is taken when a transaction writes, not when it commits, so
//! a lower number can become visible after a higher one. The follower remembers each number it
//! has seen skipped (a gap) and asks for it again on every round until it appears or has been
//! missing for [`GAP_PATIENCE`] (a rolled-back transaction leaves a permanent hole). Applying an
//! entry twice is harmless: it re-reads the person from the database.

use crate::error::SearchResult;
use crate::index::{Cursor, Gap, SearchIndex};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use xiaoyou_store::Db;
use xiaoyou_store::search as feed;

/// After a rebuild, the numbers just before its starting point are asked for again for a
/// while, for transactions that were still open when it started.
pub const TRAILING_WINDOW: i64 = 1_000;
/// How long a skipped number is waited for.
pub const GAP_PATIENCE: Duration = Duration::from_secs(15 * 60);
/// At most this many gap ranges are tracked; beyond it the oldest are given up.
const MAX_GAPS: usize = 64;
/// Feed entries applied per round.
const FEED_PAGE: i64 = 5_000;
/// The feed keeps this many newest sequence numbers; an index further behind is rebuilt.
pub const FEED_KEEP: i64 = 5_000_000;

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// What one catch-up did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatchUp {
    pub entries: usize,
    pub persons: usize,
    pub enterprises: usize,
    /// The index had fallen behind the kept feed and was rebuilt.
    pub rebuilt: bool,
}

/// Advances a cursor over a page of sequence numbers: numbers above the cursor move it (a
/// jump leaves a gap), numbers inside a gap close that part of it.
pub fn advance(cursor: &mut Cursor, seqs: &[i64], now: i64) {
    for &seq in seqs {
        if seq > cursor.seq {
            if seq > cursor.seq + 1 {
                cursor.gaps.push(Gap {
                    low: cursor.seq + 1,
                    high: seq - 1,
                    since: now,
                });
            }
            cursor.seq = seq;
        } else {
            let mut split = Vec::with_capacity(cursor.gaps.len() + 1);
            for gap in cursor.gaps.drain(..) {
                if seq < gap.low || seq > gap.high {
                    split.push(gap);
                    continue;
                }
                if gap.low < seq {
                    split.push(Gap {
                        high: seq - 1,
                        ..gap
                    });
                }
                if seq < gap.high {
                    split.push(Gap {
                        low: seq + 1,
                        ..gap
                    });
                }
            }
            cursor.gaps = split;
        }
    }
    let patience = i64::try_from(GAP_PATIENCE.as_secs()).unwrap_or(i64::MAX);
    cursor.gaps.retain(|g| now - g.since < patience);
    if cursor.gaps.len() > MAX_GAPS {
        let excess = cursor.gaps.len() - MAX_GAPS;
        cursor.gaps.drain(..excess);
    }
}

impl SearchIndex {
    /// Applies every feed entry not yet applied. Safe to call from several tasks: rounds are
    /// serialised.
    pub async fn catch_up(&self, db: &Db) -> SearchResult<CatchUp> {
        let guard = self.apply_lock.lock().await;
        let mut outcome = CatchUp::default();
        let mut cursor = self.cursor();
        if let Some((low, _)) = feed::change_bounds(db).await?
            && cursor.seq + 1 < low
            && cursor.seq > 0
        {
            drop(guard);
            tracing::warn!(
                cursor = cursor.seq,
                oldest = low,
                "检索索引落后于保留的变更记录，重建索引"
            );
            self.rebuild(db, &mut |_, _| {}).await?;
            outcome.rebuilt = true;
            return Ok(outcome);
        }
        loop {
            let ranges: Vec<(i64, i64)> = cursor.gaps.iter().map(|g| (g.low, g.high)).collect();
            let changes = feed::changes_since(db, cursor.seq, &ranges, FEED_PAGE).await?;
            if changes.is_empty() {
                // Expire gaps even when nothing arrives.
                let before = cursor.gaps.len();
                advance(&mut cursor, &[], now_secs());
                if cursor.gaps.len() != before {
                    self.set_cursor(cursor.clone())?;
                }
                break;
            }
            let mut persons = BTreeSet::new();
            let mut enterprises = BTreeSet::new();
            let mut nodes: Vec<(String, i64)> = Vec::new();
            for change in &changes {
                match change.entity.as_str() {
                    "person" => {
                        persons.insert(change.entity_id);
                    }
                    "enterprise" => {
                        enterprises.insert(change.entity_id);
                        nodes.push((change.entity.clone(), change.entity_id));
                    }
                    _ => nodes.push((change.entity.clone(), change.entity_id)),
                }
            }
            for entity in ["school", "college", "major", "class", "enterprise"] {
                let ids: Vec<i64> = nodes
                    .iter()
                    .filter(|(e, _)| e == entity)
                    .map(|(_, id)| *id)
                    .collect();
                if !ids.is_empty() {
                    persons.extend(feed::persons_of(db, entity, &ids).await?);
                }
            }
            let persons: Vec<i64> = persons.into_iter().collect();
            let enterprises: Vec<i64> = enterprises.into_iter().collect();
            self.refresh(db, &persons, &enterprises).await?;
            self.commit()?;
            let seqs: Vec<i64> = changes.iter().map(|c| c.seq).collect();
            advance(&mut cursor, &seqs, now_secs());
            self.set_cursor(cursor.clone())?;
            outcome.entries += changes.len();
            outcome.persons += persons.len();
            outcome.enterprises += enterprises.len();
            if (changes.len() as i64) < FEED_PAGE {
                break;
            }
        }
        Ok(outcome)
    }
}

/// Follows the feed forever: a round every `every`, and now and then trims the feed to
/// [`FEED_KEEP`] entries. Errors are logged and retried; they never stop the server.
pub async fn follow(index: Arc<SearchIndex>, db: Db, every: Duration) {
    let mut rounds: u64 = 0;
    loop {
        match index.catch_up(&db).await {
            Ok(outcome) if outcome.entries > 0 => tracing::debug!(
                entries = outcome.entries,
                persons = outcome.persons,
                "检索索引已跟进变更"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "检索索引跟进变更失败，稍后重试"),
        }
        rounds += 1;
        if rounds % 600 == 1
            && let Err(error) = feed::prune_changes(&db, FEED_KEEP).await
        {
            tracing::warn!(%error, "清理变更记录失败");
        }
        tokio::time::sleep(every).await;
    }
}

/// Opens the index under `dir`; when it is missing or unreadable it is rebuilt (logged, never
/// fatal). Returns the index ready to search and follow.
pub async fn open_or_rebuild(dir: &std::path::Path, db: &Db) -> SearchResult<Arc<SearchIndex>> {
    let (index, opened) = SearchIndex::open(dir, crate::WriterOptions::default())?;
    let index = Arc::new(index);
    match opened {
        crate::Opened::Ready => {}
        crate::Opened::Missing => {
            tracing::info!(dir = %dir.display(), "检索索引不存在，正在从数据库重建");
            let done = index.rebuild(db, &mut |_, _| {}).await?;
            tracing::info!(records = done, "检索索引重建完成");
        }
        crate::Opened::Unreadable(reason) => {
            tracing::warn!(dir = %dir.display(), %reason, "检索索引无法读取，已清空并从数据库重建");
            let done = index.rebuild(db, &mut |_, _| {}).await?;
            tracing::info!(records = done, "检索索引重建完成");
        }
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_tracks_and_closes_gaps() {
        let mut cursor = Cursor::default();
        advance(&mut cursor, &[1, 2, 5, 6], 100);
        assert_eq!(cursor.seq, 6);
        assert_eq!(
            cursor.gaps,
            vec![Gap {
                low: 3,
                high: 4,
                since: 100
            }]
        );
        // 4 commits late: the gap shrinks to 3.
        advance(&mut cursor, &[4], 110);
        assert_eq!(
            cursor.gaps,
            vec![Gap {
                low: 3,
                high: 3,
                since: 100
            }]
        );
        advance(&mut cursor, &[3, 7], 120);
        assert!(cursor.gaps.is_empty());
        assert_eq!(cursor.seq, 7);
        // A hole that never fills is given up after a while.
        advance(&mut cursor, &[9], 200);
        assert_eq!(cursor.gaps.len(), 1);
        advance(&mut cursor, &[], 200 + GAP_PATIENCE.as_secs() as i64);
        assert!(cursor.gaps.is_empty());
    }
}
