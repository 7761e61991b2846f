//! Exports of lists, masked, within scope, audited. CSV files start with a UTF-8 byte-order
//! mark so that Excel opens them with Chinese intact.

use crate::access;
use crate::audit::{self, AuditContext, Event};
use crate::error::{AppError, AppResult};
use rust_xlsxwriter::{Format, Workbook};
use xiaoyou_core::{Action, Actor, ClassId, Clock, ContactKind};
use xiaoyou_store::{Db, people};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    Csv,
}

/// A finished export: file name and bytes.
#[derive(Debug, Clone)]
pub struct ExportFile {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

const REGISTER_HEADERS: [&str; 7] = [
    "学号",
    "姓名",
    "性别",
    "手机",
    "工作单位",
    "职务",
    "所在城市",
];

/// The class register (班级通讯录), phones masked.
pub async fn class_register(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    actor: &Actor,
    class: ClassId,
    format: ExportFormat,
) -> AppResult<ExportFile> {
    let class = access::visible_class(db, actor, class).await?;
    if !actor
        .scope(Action::Export)
        .covers_class(class.school, class.college, class.id)
    {
        return Err(AppError::Forbidden);
    }
    let rows: Vec<[String; 7]> = people::class_register(db, class.id)
        .await?
        .into_iter()
        .map(|e| {
            [
                e.student_no.unwrap_or_default(),
                e.name,
                e.gender.map_or("", |g| g.label()).to_owned(),
                e.mobile
                    .as_deref()
                    .map(|m| ContactKind::Mobile.mask(m))
                    .unwrap_or_default(),
                e.employer.unwrap_or_default(),
                e.title.unwrap_or_default(),
                e.city.unwrap_or_default(),
            ]
        })
        .collect();
    let bytes = match format {
        ExportFormat::Xlsx => xlsx(&class.name, &rows)?,
        ExportFormat::Csv => csv(&rows),
    };
    let mut tx = db.begin().await?;
    let event = Event {
        action: "export",
        target_kind: "class",
        target_id: Some(class.id.to_string()),
        school: Some(class.school),
        changes: Some(serde_json::json!({ "rows": rows.len(), "masked": true }).to_string()),
    };
    audit::write(&mut tx, context, event, clock.now()).await?;
    tx.commit().await?;
    let extension = match format {
        ExportFormat::Xlsx => "xlsx",
        ExportFormat::Csv => "csv",
    };
    Ok(ExportFile {
        file_name: format!("{}班级通讯录.{extension}", class.name),
        bytes,
    })
}

fn xlsx(title: &str, rows: &[[String; 7]]) -> AppResult<Vec<u8>> {
    let fail =
        |e: rust_xlsxwriter::XlsxError| AppError::Background(format!("生成 Excel 失败：{e}"));
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let bold = Format::new().set_bold();
    sheet
        .write_string_with_format(0, 0, format!("{title} 班级通讯录"), &bold)
        .map_err(fail)?;
    for (col, header) in REGISTER_HEADERS.iter().enumerate() {
        sheet
            .write_string_with_format(1, col as u16, *header, &bold)
            .map_err(fail)?;
    }
    for (i, row) in rows.iter().enumerate() {
        for (col, value) in row.iter().enumerate() {
            sheet
                .write_string(i as u32 + 2, col as u16, value)
                .map_err(fail)?;
        }
    }
    workbook.save_to_buffer().map_err(fail)
}

fn csv(rows: &[[String; 7]]) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    let escape = |value: &str| {
        if value.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", value.replace('"', "\"\""))
        } else {
            value.to_owned()
        }
    };
    let mut push = |cells: &mut dyn Iterator<Item = String>| {
        let line: Vec<String> = cells.collect();
        out.extend_from_slice(line.join(",").as_bytes());
        out.extend_from_slice(b"\r\n");
    };
    push(&mut REGISTER_HEADERS.iter().map(|h| (*h).to_owned()));
    for row in rows {
        push(&mut row.iter().map(|v| escape(v)));
    }
    out
}
