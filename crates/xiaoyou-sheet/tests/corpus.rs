#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The spreadsheets schools actually send, as acceptance criteria for [`read_table`]: whatever
//! reads the file (the whole-sheet reader or a streaming one), these must keep holding.
//!
//! The Excel 97-2003 (.xls) files are committed under `tests/fixtures/`, written by
//! `tests/fixtures/make_xls.py` (xlwt); the xlsx files are built here with rust_xlsxwriter.
//!
//! Only the public API is used: [`read_table`], [`find_header`], [`classify_row`],
//! [`HeaderMap::column_of`](xiaoyou_sheet::HeaderMap::column_of), [`Field`] and the
//! [`SheetError`] variants. Rows are found by their `line` (the row number Excel shows), not by
//! their index in `Table::rows`, and compared without trailing blank cells, so that a reader
//! may leave out blank rows or the padding of short rows without failing these tests; every
//! other cell is compared exactly. What a reader may not do is lay out every row of a used
//! range that reaches Excel's last row ([`assert_sparse`]).

use rust_xlsxwriter::{Color, Format as CellFormat, Formula, Workbook};
use std::path::Path;
use std::time::{Duration, Instant};
use xiaoyou_sheet::values::parse_date;
use xiaoyou_sheet::{
    Field, Format, RawRow, RowKind, SheetError, Table, classify_row, find_header, read_table,
};

/// The last row Excel has (1-based), as shown in its row headers.
const EXCEL_LAST_ROW: usize = 1_048_576;

/// A generous bound on reading a small workbook whose used range reaches Excel's last row: a
/// reader that visits only the cells in the file needs milliseconds.
const SPARSE_READ_LIMIT: Duration = Duration::from_secs(3);

/// More rows than any of the small workbooks here hold, far fewer than a sheet laid out row by
/// row down to Excel's last row (a dense grid of 1,048,576 rows takes some 250 MB).
const SPARSE_ROW_LIMIT: usize = 1_000;

/// The reader visited the cells in the file, not every row of the used range.
fn assert_sparse(table: &Table, elapsed: Duration) {
    assert!(
        table.rows.len() < SPARSE_ROW_LIMIT,
        "{} rows returned for {} rows with text: the blank rows up to row {EXCEL_LAST_ROW} \
         were laid out as a dense grid",
        table.rows.len(),
        non_blank(table).len()
    );
    assert!(elapsed < SPARSE_READ_LIMIT, "reading took {elapsed:?}");
}

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn grid(table: &Table) -> Vec<Vec<String>> {
    table.rows.iter().map(|r| r.cells.clone()).collect()
}

/// The cells of the row Excel shows as `line`, without trailing blank cells.
fn line(table: &Table, line: usize) -> Vec<&str> {
    let row = table
        .rows
        .iter()
        .find(|r| r.line == line)
        .unwrap_or_else(|| panic!("no row with line {line} in {:?}", lines(table)));
    texts(&row.cells)
}

fn texts(cells: &[String]) -> Vec<&str> {
    let mut texts: Vec<&str> = cells.iter().map(String::as_str).collect();
    while texts.last() == Some(&"") {
        texts.pop();
    }
    texts
}

fn non_blank(table: &Table) -> Vec<&RawRow> {
    table
        .rows
        .iter()
        .filter(|r| r.cells.iter().any(|c| !c.is_empty()))
        .collect()
}

/// The line numbers of the rows that hold something.
fn lines(table: &Table) -> Vec<usize> {
    non_blank(table).iter().map(|r| r.line).collect()
}

fn save(workbook: &mut Workbook) -> Vec<u8> {
    workbook.save_to_buffer().unwrap()
}

/// A small roster on the given sheet: header on row 1, `rows` alumni below it.
fn write_small_roster(sheet: &mut rust_xlsxwriter::Worksheet, rows: u32) {
    sheet
        .write_row(0, 0, ["姓名", "手机号码", "毕业年份"])
        .unwrap();
    for i in 1..=rows {
        sheet.write_string(i, 0, format!("校友{i}")).unwrap();
        sheet
            .write_number(i, 1, 13_800_000_000.0 + f64::from(i))
            .unwrap();
        sheet.write_number(i, 2, 2010.0 + f64::from(i)).unwrap();
    }
}

// 1. Excel 97-2003 --------------------------------------------------------------------------

/// The .xls roster: the merged title on line 1, the header on line 2, three alumni below.
fn assert_xls_roster(table: &Table) {
    assert_eq!(table.format, Format::Xls);
    let header = find_header(&grid(table)).unwrap();
    assert_eq!(
        table.rows[header.header_row].line, 2,
        "the header is on row 2, below the merged title"
    );
    for (field, col) in [
        (Field::SerialNo, 0),
        (Field::Name, 1),
        (Field::Gender, 2),
        (Field::IdCard, 3),
        (Field::Mobile, 4),
        (Field::GraduationYear, 5),
        (Field::Employer, 6),
    ] {
        assert_eq!(header.column_of(field), Some(col), "{field:?}");
    }
    assert_eq!(
        line(table, 1),
        ["湖南城市学院2015届毕业生通讯录"],
        "the merged title is one cell; the cells it covers are blank"
    );
    assert_eq!(
        line(table, 3),
        [
            "1",
            "王伟",
            "男",
            "43010219930101001X",
            "13812345678",
            "2015-07-01",
            "中联重科(长沙)",
        ],
        "a phone typed as a number keeps its digits; an Excel date reads as a date; \
         full-width brackets are folded"
    );
    assert_eq!(
        line(table, 4),
        [
            "2",
            "鍾麗華",
            "女",
            "430102199305052345",
            "13907312345",
            "2015.7",
            "长沙市 岳麓区人民政府",
        ],
        "full-width digits and the ideographic space are folded; text dates stay text"
    );
    assert_eq!(
        line(table, 5),
        [
            "3",
            "欧阳娜娜",
            "女",
            "430103199402022468",
            "",
            "2015",
            "三一重工"
        ],
        "a missing phone is a blank cell in its place"
    );
    let data: Vec<usize> = table
        .rows
        .iter()
        .skip(header.header_row + 1)
        .filter(|r| classify_row(&r.cells, &header) == RowKind::Data)
        .map(|r| r.line)
        .collect();
    assert_eq!(data, [3, 4, 5]);
    let graduated = parse_date(line(table, 3)[5]).unwrap();
    assert_eq!(
        (graduated.year, graduated.month, graduated.day),
        (2015, Some(7), Some(1))
    );
}

#[test]
fn xls_roster_with_merged_title_numeric_phone_and_date_cell() {
    let table = read_table(&fixture("roster_2015.xls")).unwrap();
    assert_eq!(
        table.sheet.as_deref(),
        Some("2015届毕业生"),
        "a Chinese sheet name"
    );
    assert_xls_roster(&table);
}

// 2. Hidden sheets in .xls -----------------------------------------------------------------

#[test]
fn xls_hidden_first_sheet_is_skipped() {
    let table = read_table(&fixture("hidden_first_sheet.xls")).unwrap();
    assert_eq!(
        table.sheet.as_deref(),
        Some("校友名册"),
        "the hidden 填表说明 sheet (which has a header of its own) is skipped"
    );
    assert_xls_roster(&table);
}

#[test]
fn truncated_xls_is_corrupt() {
    let bytes = fixture("roster_2015.xls");
    let result = read_table(&bytes[..bytes.len() / 2]);
    assert!(
        matches!(result, Err(SheetError::Corrupt(_))),
        "got {result:?}"
    );
}

// 3. Formulas ------------------------------------------------------------------------------

#[test]
fn xlsx_formulas_read_as_their_cached_results() {
    let mut workbook = Workbook::new();
    let date = CellFormat::new().set_num_format("yyyy-mm-dd");
    let sheet = workbook.add_worksheet();
    sheet.set_name("2015届").unwrap();
    sheet
        .write_row(
            0,
            0,
            [
                "序号",
                "姓",
                "名",
                "姓名",
                "入学年份",
                "毕业时间",
                "手机",
                "备注",
            ],
        )
        .unwrap();
    // Row 2: numbers, text, a date, a text phone and a boolean, all computed.
    sheet
        .write_formula(1, 0, Formula::new("=ROW()-1").set_result("1"))
        .unwrap();
    sheet.write_string(1, 1, "王").unwrap();
    sheet.write_string(1, 2, "伟").unwrap();
    sheet
        .write_formula(1, 3, Formula::new("=B2&C2").set_result("王伟"))
        .unwrap();
    sheet.write_number(1, 4, 2011.0).unwrap();
    sheet
        .write_formula_with_format(
            1,
            5,
            Formula::new("=DATE(E2+4,7,1)").set_result("42186"),
            &date,
        )
        .unwrap();
    sheet
        .write_formula(
            1,
            6,
            Formula::new(r#"="138"&"12345678""#).set_result("13812345678"),
        )
        .unwrap();
    sheet
        .write_formula(1, 7, Formula::new("=E2>2010").set_result("TRUE"))
        .unwrap();
    // Row 3: a large number computed, and an error result.
    sheet
        .write_formula(2, 0, Formula::new("=ROW()-1").set_result("2"))
        .unwrap();
    sheet.write_string(2, 1, "欧阳").unwrap();
    sheet.write_string(2, 2, "娜娜").unwrap();
    sheet
        .write_formula(2, 3, Formula::new("=B3&C3").set_result("欧阳娜娜"))
        .unwrap();
    sheet.write_number(2, 4, 2012.0).unwrap();
    sheet
        .write_formula_with_format(
            2,
            5,
            Formula::new("=DATE(E3+4,7,1)").set_result("42552"),
            &date,
        )
        .unwrap();
    sheet
        .write_formula(
            2,
            6,
            Formula::new("=13900000000+2222").set_result("13900002222"),
        )
        .unwrap();
    sheet
        .write_formula(2, 7, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();

    let table = read_table(&save(&mut workbook)).unwrap();
    assert_eq!(table.format, Format::Xlsx);
    let header = find_header(&grid(&table)).unwrap();
    assert_eq!(table.rows[header.header_row].line, 1);
    assert_eq!(header.column_of(Field::SerialNo), Some(0));
    assert_eq!(header.column_of(Field::Name), Some(3));
    assert_eq!(header.column_of(Field::EnrolmentYear), Some(4));
    assert_eq!(header.column_of(Field::GraduationYear), Some(5));
    assert_eq!(header.column_of(Field::Mobile), Some(6));
    assert_eq!(header.column_of(Field::Note), Some(7));
    assert_eq!(
        line(&table, 2),
        [
            "1",
            "王",
            "伟",
            "王伟",
            "2011",
            "2015-07-01",
            "13812345678",
            "是"
        ],
        "cached results: number, text, date (formatted as a date), text, boolean"
    );
    assert_eq!(
        line(&table, 3),
        [
            "2",
            "欧阳",
            "娜娜",
            "欧阳娜娜",
            "2012",
            "2016-07-01",
            "13900002222"
        ],
        "a computed number keeps all its digits; an error result (#DIV/0!) reads as blank"
    );
    assert_eq!(lines(&table), [1, 2, 3]);
}

#[test]
fn formula_without_cached_value_reads_as_empty_and_is_not_evaluated() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    // As files from programs that leave the computing to Excel: `<f>` with an empty `<v>`.
    sheet.set_formula_result_default("");
    sheet.write_row(0, 0, ["姓", "名", "姓名", "序号"]).unwrap();
    sheet.write_row(1, 0, ["王", "伟"]).unwrap();
    sheet.write_formula(1, 2, "=A2&B2").unwrap();
    sheet.write_formula(1, 3, "=1+1").unwrap();
    let table = read_table(&save(&mut workbook)).unwrap();
    assert_eq!(line(&table, 1), ["姓", "名", "姓名", "序号"]);
    assert_eq!(
        line(&table, 2),
        ["王", "伟"],
        "formulas without a computed value are blank, neither evaluated nor shown as formulas"
    );
    assert_eq!(lines(&table), [1, 2]);
}

// 4. Hidden sheets in xlsx -----------------------------------------------------------------

#[test]
fn xlsx_hidden_and_very_hidden_sheets_are_skipped() {
    let mut workbook = Workbook::new();
    let notes = workbook.add_worksheet();
    notes.set_name("填表说明").unwrap();
    notes.write_row(0, 0, ["姓名", "手机号码"]).unwrap();
    notes.write_row(1, 0, ["示例", "13800000000"]).unwrap();
    notes.set_hidden(true);
    // Templates keep the lists behind their drop-downs on a "very hidden" sheet.
    let lists = workbook.add_worksheet();
    lists.set_name("字典").unwrap();
    lists.write_row(0, 0, ["性别", "学历"]).unwrap();
    lists.write_row(1, 0, ["男", "本科"]).unwrap();
    lists.write_row(2, 0, ["女", "专科"]).unwrap();
    lists.set_very_hidden(true);
    let roster = workbook.add_worksheet();
    roster.set_name("校友名册").unwrap();
    roster.set_active(true);
    write_small_roster(roster, 2);

    let table = read_table(&save(&mut workbook)).unwrap();
    assert_eq!(table.sheet.as_deref(), Some("校友名册"));
    assert_eq!(line(&table, 1), ["姓名", "手机号码", "毕业年份"]);
    assert_eq!(line(&table, 3), ["校友2", "13800000002", "2012"]);
    assert_eq!(lines(&table), [1, 2, 3]);
}

#[test]
fn xlsx_whose_only_data_is_on_hidden_sheets_has_no_data() {
    let mut workbook = Workbook::new();
    let visible = workbook.add_worksheet();
    visible.set_name("Sheet1").unwrap();
    visible.set_active(true);
    let hidden = workbook.add_worksheet();
    write_small_roster(hidden, 3);
    hidden.set_hidden(true);
    let very_hidden = workbook.add_worksheet();
    write_small_roster(very_hidden, 3);
    very_hidden.set_very_hidden(true);
    let result = read_table(&save(&mut workbook));
    assert!(matches!(result, Err(SheetError::NoData)), "got {result:?}");
}

// 5. Used range reaching Excel's last row --------------------------------------------------

/// Five alumni on rows 2–6 below a header; row 1,048,576 carries something that is not data.
fn roster_reaching_last_row(last_row: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    write_small_roster(sheet, 5);
    last_row(sheet);
    save(&mut workbook)
}

fn assert_five_alumni_read_quickly(bytes: &[u8]) {
    let started = Instant::now();
    let table = read_table(bytes).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(
        non_blank(&table).len(),
        6,
        "the header and five alumni, nothing else"
    );
    assert_eq!(lines(&table), [1, 2, 3, 4, 5, 6]);
    assert_eq!(line(&table, 6), ["校友5", "13800000005", "2015"]);
    let header = find_header(&grid(&table)).unwrap();
    assert_eq!(table.rows[header.header_row].line, 1);
    assert_eq!(header.column_of(Field::Mobile), Some(1));
    assert_sparse(&table, elapsed);
}

#[test]
fn used_range_to_last_excel_row_by_a_formatted_blank_cell_reads_only_the_data() {
    let bytes = roster_reaching_last_row(|sheet| {
        let bordered = CellFormat::new()
            .set_border(rust_xlsxwriter::FormatBorder::Thin)
            .set_background_color(Color::Yellow);
        for col in 0..3 {
            sheet
                .write_blank((EXCEL_LAST_ROW - 1) as u32, col, &bordered)
                .unwrap();
        }
    });
    assert_five_alumni_read_quickly(&bytes);
}

#[test]
fn used_range_to_last_excel_row_by_a_lone_space_reads_only_the_data() {
    // A space typed to "clear" a cell: blank once cleaned, but a value in the file.
    let bytes = roster_reaching_last_row(|sheet| {
        sheet
            .write_string((EXCEL_LAST_ROW - 1) as u32, 2, " ")
            .unwrap();
    });
    assert_five_alumni_read_quickly(&bytes);
}

#[test]
fn data_row_on_the_last_excel_row_keeps_its_line_number() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    write_small_roster(sheet, 2);
    // Someone pressed Ctrl+↓ and typed one more alumnus at the very bottom.
    sheet
        .write_row(
            (EXCEL_LAST_ROW - 1) as u32,
            0,
            ["刘洋", "13900001234", "2010"],
        )
        .unwrap();
    let bytes = save(&mut workbook);
    let started = Instant::now();
    let table = read_table(&bytes).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(lines(&table), [1, 2, 3, EXCEL_LAST_ROW]);
    assert_eq!(
        line(&table, EXCEL_LAST_ROW),
        ["刘洋", "13900001234", "2010"]
    );
    assert_sparse(&table, elapsed);
}

#[test]
fn only_row_is_the_last_excel_row() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet
        .write_row((EXCEL_LAST_ROW - 1) as u32, 0, ["姓名", "手机号码"])
        .unwrap();
    let table = read_table(&save(&mut workbook)).unwrap();
    assert_eq!(lines(&table), [EXCEL_LAST_ROW]);
    assert_eq!(line(&table, EXCEL_LAST_ROW), ["姓名", "手机号码"]);
}

// 6. Empty sheets --------------------------------------------------------------------------

#[test]
fn empty_first_sheet_then_data_on_the_second() {
    let mut workbook = Workbook::new();
    let first = workbook.add_worksheet();
    first.set_name("Sheet1").unwrap();
    // Formatted but never filled in.
    first
        .write_blank(0, 0, &CellFormat::new().set_bold())
        .unwrap();
    first.set_column_width(0, 20).unwrap();
    let second = workbook.add_worksheet();
    second.set_name("名单").unwrap();
    write_small_roster(second, 1);
    let table = read_table(&save(&mut workbook)).unwrap();
    assert_eq!(table.sheet.as_deref(), Some("名单"));
    assert_eq!(line(&table, 2), ["校友1", "13800000001", "2011"]);
    assert_eq!(lines(&table), [1, 2]);
}

#[test]
fn xlsx_with_only_an_empty_sheet_has_no_data() {
    let mut workbook = Workbook::new();
    workbook.add_worksheet();
    let result = read_table(&save(&mut workbook));
    assert!(matches!(result, Err(SheetError::NoData)), "got {result:?}");

    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet
        .write_blank(3, 3, &CellFormat::new().set_bold())
        .unwrap();
    sheet.write_string(5, 1, "　").unwrap();
    let result = read_table(&save(&mut workbook));
    assert!(
        matches!(result, Err(SheetError::NoData)),
        "a formatted blank and an ideographic space are no data: got {result:?}"
    );
}

// 7. Files that are not spreadsheets -------------------------------------------------------

#[test]
fn png_named_xlsx_is_not_a_spreadsheet() {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x01\0\0\0\x01\0\x08\x06\0\0\0".to_vec();
    png.extend((0u8..=255).cycle().take(2000));
    let result = read_table(&png);
    assert!(
        matches!(result, Err(SheetError::NotASpreadsheet)),
        "got {result:?}"
    );
}

#[test]
fn text_with_nul_bytes_is_not_a_spreadsheet() {
    let mut bytes = "姓名,手机\n王伟,13800001111\n".as_bytes().to_vec();
    bytes.extend_from_slice(b"\0\0\0\x01\x02garbage\0\xff\xfe\0");
    let result = read_table(&bytes);
    assert!(
        matches!(result, Err(SheetError::NotASpreadsheet)),
        "got {result:?}"
    );
}

#[test]
fn truncated_xlsx_is_corrupt() {
    let mut workbook = Workbook::new();
    write_small_roster(workbook.add_worksheet(), 20);
    let bytes = save(&mut workbook);
    let result = read_table(&bytes[..bytes.len() / 2]);
    assert!(
        matches!(result, Err(SheetError::Corrupt(_))),
        "got {result:?}"
    );
}

#[test]
fn zero_byte_file_is_empty() {
    let result = read_table(&[]);
    assert!(matches!(result, Err(SheetError::Empty)), "got {result:?}");
}

// 8. Duplicates ----------------------------------------------------------------------------

#[test]
fn duplicate_rows_are_both_returned() {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_row(0, 0, ["姓名", "手机号码"]).unwrap();
    sheet.write_row(1, 0, ["王伟", "13800001111"]).unwrap();
    sheet.write_row(2, 0, ["王伟", "13800001111"]).unwrap();
    let table = read_table(&save(&mut workbook)).unwrap();
    assert_eq!(
        line(&table, 2),
        line(&table, 3),
        "deduplication is the importer's"
    );
    assert_eq!(lines(&table), [1, 2, 3]);
}

// 9. Invalid values ------------------------------------------------------------------------

#[test]
fn invalid_id_numbers_are_read_as_written() {
    let ids = [
        "123",
        "43010219930101001",
        "4301021993010100XX",
        "43010219931301001x",
        "身份证遗失",
        "430102-1993-0101-001X",
    ];
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_row(0, 0, ["姓名", "身份证号码"]).unwrap();
    for (i, id) in ids.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, format!("校友{row}")).unwrap();
        sheet.write_string(row, 1, *id).unwrap();
    }
    let table = read_table(&save(&mut workbook)).unwrap();
    let header = find_header(&grid(&table)).unwrap();
    let col = header.column_of(Field::IdCard).unwrap();
    assert_eq!(col, 1);
    let read: Vec<&str> = table
        .rows
        .iter()
        .skip(header.header_row + 1)
        .map(|r| r.cells[col].as_str())
        .collect();
    assert_eq!(read, ids, "validation is the importer's");
}
