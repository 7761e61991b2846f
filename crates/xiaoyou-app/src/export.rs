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
    let rows: Vec<Vec<String>> = people::class_register(db, class.id)
        .await?
        .into_iter()
        .map(|e| {
            vec![
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
    // The title line carries what a class register holds besides its rows: the years and
    // the head teacher or counsellor.
    let mut about = Vec::new();
    if let Some(year) = class.enrolment_year {
        about.push(format!("{year}级"));
    }
    if let Some(year) = class.graduation_year {
        about.push(format!("{year}届"));
    }
    if let Some(teacher) = &class.head_teacher {
        let role = class.head_teacher_role.as_deref().unwrap_or("班主任");
        about.push(format!("{role}：{teacher}"));
    }
    let title = if about.is_empty() {
        format!("{} 班级通讯录", class.name)
    } else {
        format!("{} 班级通讯录（{}）", class.name, about.join(" · "))
    };
    let table = ExportTable {
        title,
        headers: REGISTER_HEADERS.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    };
    let bytes = table.render(format)?;
    let mut tx = db.begin().await?;
    let event = Event {
        action: "export",
        target_kind: "class",
        target_id: Some(class.id.to_string()),
        school: Some(class.school),
        changes: Some(serde_json::json!({ "rows": table.rows.len(), "masked": true }).to_string()),
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

/// Any list as it is exported: a title line, headers, rows of text. Search results and
/// segments use the same writer as the class register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportTable {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl ExportTable {
    pub fn render(&self, format: ExportFormat) -> AppResult<Vec<u8>> {
        match format {
            ExportFormat::Xlsx => self.xlsx(),
            ExportFormat::Csv => Ok(self.csv()),
        }
    }

    /// Every cell written as text, so ID numbers and phones keep every digit.
    fn xlsx(&self) -> AppResult<Vec<u8>> {
        let fail =
            |e: rust_xlsxwriter::XlsxError| AppError::Background(format!("生成 Excel 失败：{e}"));
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        let bold = Format::new().set_bold();
        sheet
            .write_string_with_format(0, 0, &self.title, &bold)
            .map_err(fail)?;
        for (col, header) in self.headers.iter().enumerate() {
            sheet
                .write_string_with_format(1, col as u16, header, &bold)
                .map_err(fail)?;
        }
        for (i, row) in self.rows.iter().enumerate() {
            for (col, value) in row.iter().enumerate() {
                sheet
                    .write_string(i as u32 + 2, col as u16, value)
                    .map_err(fail)?;
            }
        }
        sheet.set_freeze_panes(2, 0).map_err(fail)?;
        workbook.save_to_buffer().map_err(fail)
    }

    /// UTF-8 with a byte-order mark and CRLF lines, as Excel expects. A cell that Excel would
    /// take for a formula (`=`, `+`, `-`, `@` first) is prefixed with `'` so that opening an
    /// export never runs what somebody typed into a roster.
    fn csv(&self) -> Vec<u8> {
        let mut out = vec![0xEF, 0xBB, 0xBF];
        let escape = |value: &str| {
            let value = if value.starts_with(['=', '+', '-', '@']) {
                format!("'{value}")
            } else {
                value.to_owned()
            };
            if value.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", value.replace('"', "\"\""))
            } else {
                value
            }
        };
        let lines = std::iter::once(&self.headers).chain(self.rows.iter());
        for line in lines {
            let cells: Vec<String> = line.iter().map(|v| escape(v)).collect();
            out.extend_from_slice(cells.join(",").as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let table = ExportTable {
            title: "t".into(),
            headers: vec!["姓名".into(), "单位".into()],
            rows: vec![
                vec!["王伟".into(), "中联重科,长沙".into()],
                vec!["=HYPERLINK(\"x\")".into(), "-1".into()],
            ],
        };
        let text = String::from_utf8(table.csv()).unwrap();
        assert_eq!(
            text,
            "\u{feff}姓名,单位\r\n王伟,\"中联重科,长沙\"\r\n\"'=HYPERLINK(\"\"x\"\")\",'-1\r\n"
        );
    }
}
