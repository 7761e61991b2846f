//! Where records come from: an import file, a self-registration, the demo generator, a form.

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use xiaoyou_core::{SchoolId, SourceId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Import,
    Registration,
    Manual,
    Demo,
}

impl SourceKind {
    pub fn code(self) -> &'static str {
        match self {
            SourceKind::Import => "import",
            SourceKind::Registration => "registration",
            SourceKind::Manual => "manual",
            SourceKind::Demo => "demo",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Import => "表格导入",
            SourceKind::Registration => "校友自助登记",
            SourceKind::Manual => "手工录入",
            SourceKind::Demo => "演示数据",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        [Self::Import, Self::Registration, Self::Manual, Self::Demo]
            .into_iter()
            .find(|kind| kind.code() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub id: SourceId,
    pub kind: SourceKind,
    pub label: String,
    pub school: Option<SchoolId>,
    pub received_at: DateTime<Utc>,
}

pub async fn insert(
    tx: &mut Tx,
    kind: SourceKind,
    label: &str,
    school: Option<SchoolId>,
) -> StoreResult<Source> {
    let received_at = Utc::now();
    let id: i64 = on_tx!(tx, |conn| {
        sqlx::query_scalar(
        "INSERT INTO sources (kind, label, school_id, received_at) VALUES ($1, $2, $3, $4) RETURNING id"
    )
    .bind(kind.code())
    .bind(label)
    .bind(school.map(SchoolId::get))
    .bind(received_at)
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("登记数据来源", "学校"))?
    });
    Ok(Source {
        id: SourceId(id),
        kind,
        label: label.to_owned(),
        school,
        received_at,
    })
}

type SourceRow = (i64, String, String, Option<i64>, DateTime<Utc>);

pub async fn get(db: &Db, id: SourceId) -> StoreResult<Option<Source>> {
    let row: Option<SourceRow> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, kind, label, school_id, received_at FROM sources WHERE id = $1"
    )
    .bind(id.get())
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取数据来源", "数据来源"))?);
    row.map(|(id, kind, label, school, received_at)| {
        Ok(Source {
            id: SourceId(id),
            kind: SourceKind::parse(&kind).ok_or_else(|| StoreError::Corrupt {
                table: "sources",
                id,
                detail: format!("未知来源类型 {kind}"),
            })?,
            label,
            school: school.map(SchoolId),
            received_at,
        })
    })
    .transpose()
}
