//! The roster template schools download: Chinese headers the importer recognises, drop-down
//! lists where values are fixed, a note per column, and one example row.

use crate::error::{AppError, AppResult};
use rust_xlsxwriter::{DataValidation, Format, Note, Workbook, XlsxError};
use xiaoyou_core::StudyLevel;
use xiaoyou_sheet::Field;

/// The template's columns: field, example value, note.
pub const COLUMNS: [(Field, &str, &str); 16] = [
    (Field::SerialNo, "1", "可选，原表序号，用于追溯"),
    (Field::Name, "王伟", "必填，姓在前，不加空格"),
    (Field::Gender, "男", "男 或 女"),
    (
        Field::IdCard,
        "110105194912310038",
        "可选；18 位，末位 X 可大写或小写",
    ),
    (Field::BirthDate, "1949-12-31", "如 1990-05 或 1990年5月"),
    (Field::Mobile, "13800001111", "11 位手机号，可带 +86"),
    (Field::Email, "wangwei@example.com", ""),
    (Field::College, "土木工程学院", "二级学院全称"),
    (Field::Major, "土木工程", ""),
    (Field::Class, "土木1101班", ""),
    (Field::Level, "本科", "中学、中专、专科、本科、硕士、博士"),
    (Field::EnrolmentYear, "2011", "如 2011 或 2011级"),
    (Field::GraduationYear, "2015", "如 2015、2015届 或 2015.7"),
    (Field::Employer, "中联重科股份有限公司", "现工作单位全称"),
    (Field::Title, "高级工程师", "职务或职称"),
    (Field::City, "长沙", "现所在城市"),
];

pub fn roster_template() -> AppResult<Vec<u8>> {
    build().map_err(|e| AppError::Background(format!("生成导入模板失败：{e}")))
}

fn build() -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("校友名册")?;
    let header = Format::new().set_bold().set_background_color("#FDECEA");
    let text = Format::new().set_num_format("@");
    for (col, (field, example, note)) in COLUMNS.iter().enumerate() {
        let col = col as u16;
        sheet.write_string_with_format(0, col, field.label(), &header)?;
        // Text cells so that ID and phone numbers keep every digit.
        sheet.set_column_format(col, &text)?;
        sheet.write_string(1, col, *example)?;
        sheet.set_column_width(col, if *field == Field::IdCard { 22 } else { 14 })?;
        if !note.is_empty() {
            sheet.insert_note(0, col, &Note::new(*note).set_author("xiaoyou"))?;
        }
    }
    let position = |field: Field| {
        COLUMNS
            .iter()
            .position(|(f, _, _)| *f == field)
            .unwrap_or(0) as u16
    };
    let gender = DataValidation::new()
        .allow_list_strings(&["男", "女"])?
        .set_error_message("请选择 男 或 女")?;
    sheet.add_data_validation(
        1,
        position(Field::Gender),
        100_000,
        position(Field::Gender),
        &gender,
    )?;
    let levels: Vec<&str> = StudyLevel::ALL.iter().map(|l| l.label()).collect();
    let level = DataValidation::new()
        .allow_list_strings(&levels)?
        .set_error_message("请选择学历层次")?;
    sheet.add_data_validation(
        1,
        position(Field::Level),
        100_000,
        position(Field::Level),
        &level,
    )?;
    sheet.set_freeze_panes(1, 0)?;
    workbook.save_to_buffer()
}
