//! The error report a school downloads: the rows that were not imported, as they were, with
//! the file's line number and the reasons, ready to fix and import again.

use super::RowError;
use crate::error::{AppError, AppResult};
use rust_xlsxwriter::{Format, Workbook};

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
