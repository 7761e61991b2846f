//! Rosters as schools have them, built in the tests: an xlsx with a hidden sheet, a merged
//! title row and a two-row merged header; a GBK CSV saved by Chinese Excel; a UTF-16 TSV.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rust_xlsxwriter::{Format, Workbook};
use xiaoyou_sheet::{Field, RowKind, SheetError, classify_row, find_header, read_table};

fn roster_xlsx() -> Vec<u8> {
    let mut workbook = Workbook::new();
    let hidden = workbook.add_worksheet();
    hidden.set_name("说明").unwrap();
    hidden.write_string(0, 0, "这张表被隐藏了").unwrap();
    hidden.set_hidden(true);
    let sheet = workbook.add_worksheet();
    sheet.set_name("2015届").unwrap();
    // Excel cannot hide the active sheet, so the roster is the active one.
    sheet.set_active(true);
    let merged = Format::new();
    sheet
        .merge_range(0, 0, 0, 5, "湖南城市学院2015届毕业生通讯录", &merged)
        .unwrap();
    sheet.write_string(1, 0, "序号").unwrap();
    sheet.write_string(1, 1, "姓名").unwrap();
    sheet.write_string(1, 2, "身份证号").unwrap();
    sheet.merge_range(1, 3, 1, 4, "联系方式", &merged).unwrap();
    sheet.write_string(1, 5, "毕业时间").unwrap();
    sheet.write_string(2, 3, "手机").unwrap();
    sheet.write_string(2, 4, "邮箱").unwrap();
    sheet.write_number(3, 0, 1.0).unwrap();
    sheet.write_string(3, 1, "王伟").unwrap();
    sheet.write_string(3, 2, "11010519491231002X").unwrap();
    sheet.write_number(3, 3, 13800001111.0).unwrap();
    sheet.write_string(3, 4, "wangwei@qq.com").unwrap();
    sheet.write_string(3, 5, "2015.7").unwrap();
    sheet.write_number(4, 0, 2.0).unwrap();
    sheet.write_string(4, 1, "鍾麗華").unwrap();
    sheet.write_number(4, 5, 42186.0).unwrap();
    sheet.write_string(6, 0, "合计：2人").unwrap();
    workbook.save_to_buffer().unwrap()
}

#[test]
fn xlsx_with_hidden_sheet_title_and_merged_header() {
    let table = read_table(&roster_xlsx()).unwrap();
    assert_eq!(
        table.sheet.as_deref(),
        Some("2015届"),
        "the hidden sheet is skipped"
    );
    let cells: Vec<Vec<String>> = table.rows.iter().map(|r| r.cells.clone()).collect();
    let header = find_header(&cells).unwrap();
    assert_eq!(header.header_row, 2);
    assert_eq!(header.column_of(Field::Mobile), Some(3));
    assert_eq!(header.column_of(Field::Email), Some(4));
    assert_eq!(header.column_of(Field::GraduationYear), Some(5));
    assert_eq!(header.column_of(Field::IdCard), Some(2));
    let data: Vec<_> = table.rows[header.header_row + 1..]
        .iter()
        .filter(|r| classify_row(&r.cells, &header) == RowKind::Data)
        .collect();
    assert_eq!(data.len(), 2, "blank and total rows are not data");
    assert_eq!(data[0].line, 4, "line numbers are those Excel shows");
    assert_eq!(
        data[0].cells[3], "13800001111",
        "a phone stored as a number keeps all digits"
    );
    assert_eq!(
        xiaoyou_sheet::values::parse_year(&data[1].cells[5]),
        Some(2015),
        "an Excel date serial"
    );
}

#[test]
fn gbk_csv_and_utf16_tsv() {
    let text = "湖南生物机电职业技术学院校友名册\n序号,姓名,手机号码,工作单位,届别\n1,刘洋,138 0000 1234,\"隆平高科,长沙\",2010届\n,,,,\n备注：手机号以最新登记为准\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let table = read_table(&gbk).unwrap();
    let cells: Vec<Vec<String>> = table.rows.iter().map(|r| r.cells.clone()).collect();
    let header = find_header(&cells).unwrap();
    assert_eq!(header.header_row, 1);
    assert_eq!(
        table.rows[2].cells[3], "隆平高科,长沙",
        "quoted commas stay in the cell"
    );
    assert_eq!(
        (table.rows.len(), table.rows[3].line),
        (4, 5),
        "the blank line 4 is left out; line numbers stay those of the file"
    );
    assert_eq!(classify_row(&table.rows[3].cells, &header), RowKind::Note);

    let tsv = "姓名\t性别\t毕业年份\n李娜\t女\t2012\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(tsv.encode_utf16().flat_map(u16::to_le_bytes));
    let table = read_table(&utf16).unwrap();
    assert_eq!(table.rows[1].cells, vec!["李娜", "女", "2012"]);
}

#[test]
fn files_that_are_not_rosters() {
    // An .xlsx name on a text file without any recognisable header.
    let table = read_table("just some notes\nnothing tabular here\n".as_bytes()).unwrap();
    let cells: Vec<Vec<String>> = table.rows.iter().map(|r| r.cells.clone()).collect();
    assert!(matches!(
        find_header(&cells),
        Err(SheetError::NoHeader { .. })
    ));
    // A truncated xlsx.
    let bytes = roster_xlsx();
    assert!(matches!(
        read_table(&bytes[..bytes.len() / 2]),
        Err(SheetError::Corrupt(_))
    ));
    // A workbook whose only sheet is empty.
    let mut workbook = Workbook::new();
    workbook.add_worksheet();
    let empty = workbook.save_to_buffer().unwrap();
    assert!(matches!(read_table(&empty), Err(SheetError::NoData)));
}
