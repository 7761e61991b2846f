//! Reading a file into rows of cell text, whatever its format, as a stream: rows are handed
//! to a visitor one at a time, so memory does not grow with the file (xlsx cells are read
//! straight from the zip, text is decoded as it is read). Only `.xls` files, which Excel caps
//! at 65,536 rows, are read whole.

use crate::decode::{SAMPLE_LEN, decode, detect};
use crate::error::SheetError;
use crate::values::excel_serial_to_date;
use calamine::{Data, DataRef, Reader, SheetVisible, Xls, Xlsx};
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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

/// What a stream read: the format and the worksheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetInfo {
    pub format: Format,
    pub sheet: Option<String>,
}

/// How far through the file a stream is, in units of the format's choosing (bytes of text,
/// rows of a worksheet's used range); `total` is 0 when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub done: u64,
    pub total: u64,
}

/// The visitor of [`stream_rows`]: `Break` stops reading early.
pub type Visit<'a> = dyn FnMut(RawRow, Position) -> ControlFlow<()> + 'a;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Reads a whole spreadsheet or delimited text file held in memory; rows without any text are
/// left out. See [`stream_rows`] for files of any size.
pub fn read_table(bytes: &[u8]) -> Result<Table, SheetError> {
    let mut rows = Vec::new();
    let info = stream_rows(Cursor::new(bytes), &mut |row, _| {
        rows.push(row);
        ControlFlow::Continue(())
    })?;
    Ok(Table {
        format: info.format,
        sheet: info.sheet,
        rows,
    })
}

/// Streams the rows of a spreadsheet or delimited text file that hold any text, in order. The
/// first visible worksheet that holds data is read; hidden sheets are skipped. Cells of every
/// type come back as cleaned text: numbers without a spurious `.0`, dates as `YYYY-MM-DD`,
/// formulas as their last computed value.
pub fn stream_rows<R: Read + Seek>(
    mut input: R,
    visit: &mut Visit<'_>,
) -> Result<SheetInfo, SheetError> {
    match container_of(&mut input)? {
        Container::Zip => stream_xlsx(input, visit),
        Container::Ole => stream_xls(input, visit),
        Container::Text => stream_delimited(input, visit),
    }
}

/// How a file is packed, as its first bytes tell: an xlsx workbook is a zip archive, an xls
/// workbook an OLE compound file, anything else is read as delimited text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Zip,
    Ole,
    Text,
}

/// The container of the file `input` holds; leaves `input` at the file's start.
pub fn container_of<R: Read + Seek>(input: &mut R) -> Result<Container, SheetError> {
    let mut magic = [0u8; 8];
    let read = read_up_to(input, &mut magic).map_err(io_error)?;
    if read == 0 {
        return Err(SheetError::Empty);
    }
    input.seek(SeekFrom::Start(0)).map_err(io_error)?;
    let magic = &magic[..read];
    Ok(if magic.starts_with(ZIP_MAGIC) {
        Container::Zip
    } else if magic.starts_with(OLE_MAGIC) {
        Container::Ole
    } else {
        Container::Text
    })
}

fn read_up_to(input: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

fn io_error(error: std::io::Error) -> SheetError {
    SheetError::Corrupt(format!("读取文件失败：{error}"))
}

fn corrupt(error: impl std::fmt::Display) -> SheetError {
    let text = error.to_string();
    let lower = text.to_lowercase();
    if lower.contains("zip") || lower.contains("eof") || lower.contains("end of central") {
        SheetError::Corrupt("压缩包结构不完整（文件可能只上传了一部分）".to_owned())
    } else {
        SheetError::Corrupt(text)
    }
}

/// Collects the cells of one row as they arrive and hands the row on when the next begins.
struct RowAssembler {
    line: Option<usize>,
    cells: Vec<String>,
}

impl RowAssembler {
    fn new() -> Self {
        Self {
            line: None,
            cells: Vec::new(),
        }
    }

    /// Adds a cell; returns the previous row when this cell starts a new one.
    fn push(&mut self, line: usize, column: usize, text: String) -> Option<RawRow> {
        let finished = if self.line == Some(line) {
            None
        } else {
            self.take()
        };
        self.line = Some(line);
        if !text.is_empty() {
            if self.cells.len() <= column {
                self.cells.resize(column + 1, String::new());
            }
            self.cells[column] = text;
        }
        finished
    }

    /// The row being collected, if it holds any text.
    fn take(&mut self) -> Option<RawRow> {
        let line = self.line.take()?;
        let cells = std::mem::take(&mut self.cells);
        (!cells.is_empty()).then_some(RawRow { line, cells })
    }
}

fn stream_xlsx<R: Read + Seek>(input: R, visit: &mut Visit<'_>) -> Result<SheetInfo, SheetError> {
    let mut workbook = Xlsx::new(BufReader::new(input)).map_err(corrupt)?;
    let visible: Vec<String> = workbook
        .sheets_metadata()
        .iter()
        .filter(|s| s.visible == SheetVisible::Visible)
        .map(|s| s.name.clone())
        .collect();
    for name in visible {
        let mut cells = workbook
            .worksheet_cells_reader(&name)
            .map_err(|e| SheetError::Corrupt(format!("工作表“{name}”：{e}")))?;
        let total = u64::from(cells.dimensions().end.0) + 1;
        let mut row = RowAssembler::new();
        let mut any = false;
        let mut stopped = false;
        while let Some(cell) = cells
            .next_cell()
            .map_err(|e| SheetError::Corrupt(format!("工作表“{name}”：{e}")))?
        {
            let (line, column) = cell.get_position();
            let text = cell_ref_text(cell.get_value());
            if let Some(done) = row.push(line as usize + 1, column as usize, text) {
                any = true;
                let position = Position {
                    done: done.line as u64,
                    total,
                };
                if visit(done, position).is_break() {
                    stopped = true;
                    break;
                }
            }
        }
        if !stopped && let Some(last) = row.take() {
            any = true;
            let position = Position { done: total, total };
            let _ = visit(last, position);
        }
        if any {
            return Ok(SheetInfo {
                format: Format::Xlsx,
                sheet: Some(name),
            });
        }
    }
    Err(SheetError::NoData)
}

fn stream_xls<R: Read + Seek>(input: R, visit: &mut Visit<'_>) -> Result<SheetInfo, SheetError> {
    let mut workbook = Xls::new(BufReader::new(input)).map_err(corrupt)?;
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
        let Some((first_row, first_col)) = range.start() else {
            continue;
        };
        let total = range.height() as u64;
        let rows = range.rows().enumerate().filter_map(|(i, cells)| {
            let texts: Vec<String> = cells.iter().map(cell_text).collect();
            texts.iter().any(|t| !t.is_empty()).then(|| {
                let mut padded = vec![String::new(); first_col as usize];
                padded.extend(texts);
                (
                    i,
                    RawRow {
                        line: first_row as usize + i + 1,
                        cells: padded,
                    },
                )
            })
        });
        let mut any = false;
        for (i, row) in rows {
            any = true;
            let position = Position {
                done: i as u64 + 1,
                total,
            };
            if visit(row, position).is_break() {
                break;
            }
        }
        if any {
            return Ok(SheetInfo {
                format: Format::Xls,
                sheet: Some(name),
            });
        }
    }
    Err(SheetError::NoData)
}

/// A streamed cell as text (shared strings are borrowed, not copied, until cleaned).
fn cell_ref_text(cell: &DataRef<'_>) -> String {
    match cell {
        DataRef::SharedString(text) => clean_cell(text),
        DataRef::String(text) => clean_cell(text),
        DataRef::Empty | DataRef::Error(_) => String::new(),
        other => cell_text(&Data::from(other.clone())),
    }
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

/// A reader that counts the bytes read through it, for progress.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn stream_delimited<R: Read + Seek>(
    mut input: R,
    visit: &mut Visit<'_>,
) -> Result<SheetInfo, SheetError> {
    let total = input.seek(SeekFrom::End(0)).map_err(io_error)?;
    input.seek(SeekFrom::Start(0)).map_err(io_error)?;
    let mut sample = vec![0u8; SAMPLE_LEN];
    let sampled = read_up_to(&mut input, &mut sample).map_err(io_error)?;
    sample.truncate(sampled);
    let complete = (sampled as u64) >= total;
    let detected = detect(&sample, complete)?;
    // The delimiter and the NUL check are judged on the decoded start of the file.
    let (head, _) = if complete {
        decode(&sample)?
    } else {
        let cut = sample.len().saturating_sub(4);
        let (text, _, _) = detected.encoding.decode(&sample[..cut]);
        (text.into_owned(), detected)
    };
    if head.contains('\0') {
        return Err(SheetError::NotASpreadsheet);
    }
    let delimiter = guess_delimiter(&head);
    drop(head);
    drop(sample);
    input.seek(SeekFrom::Start(0)).map_err(io_error)?;

    let count = Arc::new(AtomicU64::new(0));
    let counted = Counting {
        inner: BufReader::with_capacity(256 * 1024, input),
        count: Arc::clone(&count),
    };
    let text = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(detected.encoding))
        .bom_override(true)
        .build(counted);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter as u8)
        .buffer_capacity(256 * 1024)
        .from_reader(text);
    let mut record = csv::StringRecord::new();
    let mut index = 0usize;
    let mut any = false;
    loop {
        index += 1;
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(SheetError::Line {
                    line: index,
                    reason: e.to_string(),
                });
            }
        }
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cells: Vec<String> = record.iter().map(clean_cell).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        any = true;
        let line = record.position().map_or(index, |p| p.line() as usize);
        let position = Position {
            done: count.load(Ordering::Relaxed),
            total,
        };
        if visit(RawRow { line, cells }, position).is_break() {
            break;
        }
    }
    if !any {
        return Err(SheetError::NoData);
    }
    Ok(SheetInfo {
        format: Format::Delimited {
            delimiter,
            encoding: detected.encoding.name(),
        },
        sheet: None,
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
    fn tells_the_container_and_rewinds() {
        let mut zip = Cursor::new([ZIP_MAGIC, b"rest of the archive"].concat());
        assert_eq!(container_of(&mut zip).ok(), Some(Container::Zip));
        assert_eq!(zip.position(), 0);
        let mut ole = Cursor::new(OLE_MAGIC.to_vec());
        assert_eq!(container_of(&mut ole).ok(), Some(Container::Ole));
        let mut text = Cursor::new("姓名,手机\n王伟,138\n".as_bytes().to_vec());
        assert_eq!(container_of(&mut text).ok(), Some(Container::Text));
        assert_eq!(text.position(), 0);
        let mut short = Cursor::new(b"PK".to_vec());
        assert_eq!(container_of(&mut short).ok(), Some(Container::Text));
        assert!(matches!(
            container_of(&mut Cursor::new(Vec::new())),
            Err(SheetError::Empty)
        ));
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
