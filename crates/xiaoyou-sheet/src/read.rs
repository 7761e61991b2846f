//! Reading a file into rows of cell text, whatever its format.

use crate::decode::decode;
use crate::error::SheetError;
use crate::values::excel_serial_to_date;
use calamine::{Data, Reader, SheetVisible, open_workbook_auto_from_rs};
use std::io::Cursor;
use xiaoyou_text::clean_cell;

/// What the file turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xls,
    Delimited {
        delimiter: char,
        encoding: &'static str,
    },
}

/// One row as it stands in the file: `line` is the row number a person sees in Excel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    pub line: usize,
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub format: Format,
    /// The worksheet read (spreadsheets only).
    pub sheet: Option<String>,
    pub rows: Vec<RawRow>,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Reads a spreadsheet or delimited text file. The first visible worksheet that holds data is
/// read; hidden sheets are skipped. Cells of every type come back as cleaned text: numbers
/// without a spurious `.0`, dates as `YYYY-MM-DD`, formulas as their last computed value.
pub fn read_table(bytes: &[u8]) -> Result<Table, SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::Empty);
    }
    if bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(OLE_MAGIC) {
        return read_workbook(bytes);
    }
    read_delimited(bytes)
}

fn read_workbook(bytes: &[u8]) -> Result<Table, SheetError> {
    let format = if bytes.starts_with(ZIP_MAGIC) {
        Format::Xlsx
    } else {
        Format::Xls
    };
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        let text = e.to_string();
        if text.to_lowercase().contains("zip") || text.contains("EOF") || text.contains("eof") {
            SheetError::Corrupt("压缩包结构不完整（文件可能只上传了一部分）".to_owned())
        } else {
            SheetError::Corrupt(text)
        }
    })?;
    let visible: Vec<String> = workbook
        .sheets_metadata()
        .iter()
        .filter(|s| s.visible == SheetVisible::Visible)
        .map(|s| s.name.clone())
        .collect();
    for name in visible {
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| SheetError::Corrupt(format!("工作表“{name}”：{e}")))?;
        if range.is_empty() {
            continue;
        }
        let first_row = range.start().map_or(0, |(row, _)| row as usize);
        let first_col = range.start().map_or(0, |(_, col)| col as usize);
        let rows: Vec<RawRow> = range
            .rows()
            .enumerate()
            .map(|(i, cells)| {
                let mut texts: Vec<String> = vec![String::new(); first_col];
                texts.extend(cells.iter().map(cell_text));
                RawRow {
                    line: first_row + i + 1,
                    cells: texts,
                }
            })
            .collect();
        if rows.iter().any(|r| r.cells.iter().any(|c| !c.is_empty())) {
            return Ok(Table {
                format,
                sheet: Some(name),
                rows,
            });
        }
    }
    Err(SheetError::NoData)
}

/// A cell as text.
pub fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(text) => clean_cell(text),
        Data::Int(n) => n.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        Data::DateTime(value) => {
            let serial = value.as_f64();
            if value.is_duration() {
                float_text(serial)
            } else {
                excel_serial_to_date(serial)
                    .map_or_else(|| float_text(serial), |d| d.format("%Y-%m-%d").to_string())
            }
        }
        Data::DateTimeIso(text) | Data::DurationIso(text) => clean_cell(text),
    }
}

/// Whole numbers without `.0` (phones and student numbers are often stored as numbers).
fn float_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        let text = format!("{value}");
        text
    }
}

fn read_delimited(bytes: &[u8]) -> Result<Table, SheetError> {
    let (text, detected) = decode(bytes)?;
    if text.contains('\0') {
        return Err(SheetError::NotASpreadsheet);
    }
    let delimiter = guess_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter as u8)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| SheetError::Line {
            line: index + 1,
            reason: e.to_string(),
        })?;
        let line = record.position().map_or(index + 1, |p| p.line() as usize);
        rows.push(RawRow {
            line,
            cells: record.iter().map(clean_cell).collect(),
        });
    }
    if !rows.iter().any(|r| r.cells.iter().any(|c| !c.is_empty())) {
        return Err(SheetError::NoData);
    }
    Ok(Table {
        format: Format::Delimited {
            delimiter,
            encoding: detected.encoding.name(),
        },
        sheet: None,
        rows,
    })
}

/// The delimiter that splits the first lines most consistently into more than one column.
fn guess_delimiter(text: &str) -> char {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    let mut best = (',', 0usize);
    for delimiter in [',', '\t', ';', '|'] {
        let counts: Vec<usize> = lines.iter().map(|l| l.matches(delimiter).count()).collect();
        let max = counts.iter().copied().max().unwrap_or(0);
        // Lines that agree with the most common count; title lines have none.
        let agreeing = counts.iter().filter(|c| **c == max && max > 0).count();
        if agreeing * max > best.1 {
            best = (delimiter, agreeing * max);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dates_read_as_people_wrote_them() {
        assert_eq!(cell_text(&Data::Float(13800001111.0)), "13800001111");
        assert_eq!(cell_text(&Data::Float(2015.5)), "2015.5");
        assert_eq!(cell_text(&Data::String(" 王　伟 ".into())), "王 伟");
        assert_eq!(cell_text(&Data::Bool(true)), "是");
    }

    #[test]
    fn guesses_delimiters_past_title_lines() {
        assert_eq!(
            guess_delimiter("湖南城市学院通讯录\n姓名\t手机\t单位\n王伟\t138\t中联,重科\n"),
            '\t'
        );
        assert_eq!(guess_delimiter("姓名,手机\n王伟,138\n"), ',');
    }

    #[test]
    fn refuses_what_is_not_a_table() {
        assert!(matches!(read_table(b""), Err(SheetError::Empty)));
        let mut truncated = ZIP_MAGIC.to_vec();
        truncated.extend_from_slice(&[0u8; 40]);
        assert!(matches!(
            read_table(&truncated),
            Err(SheetError::Corrupt(_))
        ));
        assert!(matches!(read_table(b"\n\n , ,\n"), Err(SheetError::NoData)));
        let binary: Vec<u8> = (0u8..=255).cycle().take(4000).collect();
        assert!(read_table(&binary).is_err());
    }
}
