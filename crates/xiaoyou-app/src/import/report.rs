//! The error report a school downloads: the rows that were not imported, as they were, with
//! the file's line number and the reasons, ready to fix and import again.

use super::{ImportReport, RowError};
use crate::error::{AppError, AppResult};
use rust_xlsxwriter::{Format, Workbook};
use tokio::task::JoinHandle;

/// An error report being written on a blocking thread while the import finishes storing (its
/// indexes are rebuilt on one core; the report of 20,000 refused rows takes 0.15 s).
pub struct PendingReport(Option<JoinHandle<Written>>);

/// The refused rows handed back, and the report written from them.
type Written = (Vec<RowError>, AppResult<Vec<u8>>);

impl PendingReport {
    /// Starts writing the report of `report`'s refused rows, which are lent to it until
    /// [`PendingReport::wait`] hands them back. Without refused rows there is no report.
    pub fn start(report: &mut ImportReport) -> PendingReport {
        if report.errors.is_empty() {
            return PendingReport(None);
        }
        let errors = std::mem::take(&mut report.errors);
        let headers = report.headers.clone();
        PendingReport(Some(tokio::task::spawn_blocking(move || {
            let bytes = error_report(&headers, &errors);
            (errors, bytes)
        })))
    }

    /// The finished report, if there are refused rows; they go back into `report`.
    pub async fn wait(self, report: &mut ImportReport) -> AppResult<Option<Vec<u8>>> {
        let Some(writing) = self.0 else {
            return Ok(None);
        };
        let (errors, bytes) = writing
            .await
            .map_err(|e| AppError::Background(format!("生成错误报告的线程异常结束：{e}")))?;
        report.errors = errors;
        bytes.map(Some)
    }
}

/// An xlsx with the original header, then `原行号` and `错误原因`, and one line per refused row.
pub fn error_report(headers: &[String], errors: &[RowError]) -> AppResult<Vec<u8>> {
    let fail =
        |e: rust_xlsxwriter::XlsxError| AppError::Background(format!("生成错误报告失败：{e}"));
    let width = headers.len();
    let mut workbook = Workbook::new();
    // Rows go to a temporary file as they are written: a report of tens of thousands of rows
    // would otherwise hold every cell, and its strings, in memory until it is saved.
    let sheet = workbook
        .add_worksheet_with_constant_memory()
        .map_err(fail)?;
    sheet.set_name("错误报告").map_err(fail)?;
    // The reasons column is wide; widths are set before rows are streamed out.
    sheet.set_column_width(width as u16 + 1, 60).map_err(fail)?;
    let bold = Format::new().set_bold();
    for (col, header) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, header, &bold)
            .map_err(fail)?;
    }
    sheet
        .write_string_with_format(0, width as u16, "原行号", &bold)
        .map_err(fail)?;
    sheet
        .write_string_with_format(0, width as u16 + 1, "错误原因", &bold)
        .map_err(fail)?;
    for (i, error) in errors.iter().enumerate() {
        let row = i as u32 + 1;
        for (col, cell) in error
            .cells
            .iter()
            .enumerate()
            .take(width.max(error.cells.len()))
        {
            // Written as text so that ID and phone numbers keep every digit.
            sheet.write_string(row, col as u16, cell).map_err(fail)?;
        }
        sheet
            .write_number(row, width as u16, error.line as f64)
            .map_err(fail)?;
        let reasons = error
            .problems
            .iter()
            .map(|p| format!("{}：{}", p.column, p.reason))
            .collect::<Vec<_>>()
            .join("；");
        sheet
            .write_string(row, width as u16 + 1, &reasons)
            .map_err(fail)?;
    }
    workbook.save_to_buffer().map_err(fail)
}
