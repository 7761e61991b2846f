//! One roster row checked field by field. Every problem names the column and the reason in
//! Chinese; a row with any problem is not stored at all.

use chrono::{Datelike, NaiveDate};
use xiaoyou_core::{Email, Gender, IdCardNo, MobilePhone, PersonName, SchoolKind, StudyLevel};
use xiaoyou_sheet::values::{parse_date, parse_year};
use xiaoyou_sheet::{Field, HeaderMap};

/// A row that passed every check, in domain types.
#[derive(Debug, Clone)]
pub struct ValidRow {
    pub serial: Option<String>,
    pub name: PersonName,
    pub gender: Option<Gender>,
    pub id_card: Option<IdCardNo>,
    pub birth_date: Option<NaiveDate>,
    pub mobile: Option<MobilePhone>,
    pub email: Option<Email>,
    pub wechat: Option<String>,
    pub qq: Option<String>,
    pub student_no: Option<String>,
    pub college: Option<String>,
    pub major: Option<String>,
    pub class: Option<String>,
    pub level: StudyLevel,
    pub enrolment_year: Option<i32>,
    pub graduation_year: Option<i32>,
    pub employer: Option<String>,
    pub title: Option<String>,
    pub city: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The column's header as the file has it.
    pub column: String,
    pub reason: String,
}

fn text<'a>(header: &HeaderMap, cells: &'a [String], field: Field) -> Option<&'a str> {
    header
        .column_of(field)
        .and_then(|i| cells.get(i))
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
}

/// The text of a field's cell, taken out of the row; `None` when empty.
fn take_text(header: &HeaderMap, cells: &mut [String], field: Field) -> Option<String> {
    let cell = header.column_of(field).and_then(|i| cells.get_mut(i))?;
    let trimmed = cell.trim();
    if trimmed.is_empty() {
        None
    } else if trimmed.len() == cell.len() {
        Some(std::mem::take(cell))
    } else {
        Some(trimmed.to_owned())
    }
}

fn column_name(header: &HeaderMap, field: Field) -> String {
    header
        .column_of(field)
        .and_then(|i| header.headers.get(i).cloned())
        .unwrap_or_else(|| field.label().to_owned())
}

/// Checks a row. A valid row's texts are taken out of `cells`; a refused row's are left as
/// they were, for the error report.
pub fn validate(
    header: &HeaderMap,
    cells: &mut [String],
    school_kind: SchoolKind,
    current_year: i32,
) -> Result<ValidRow, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut problem = |field: Field, reason: String| {
        problems.push(Problem {
            column: column_name(header, field),
            reason,
        });
    };
    let name = match text(header, cells, Field::Name).map(PersonName::parse) {
        Some(Ok(name)) => Some(name),
        Some(Err(e)) => {
            problem(Field::Name, e.to_string());
            None
        }
        None => {
            problem(Field::Name, "不能为空".into());
            None
        }
    };
    let id_card = match text(header, cells, Field::IdCard).map(IdCardNo::parse) {
        Some(Ok(id)) => Some(id),
        Some(Err(e)) => {
            problem(Field::IdCard, e.to_string());
            None
        }
        None => None,
    };
    let gender = match text(header, cells, Field::Gender).map(Gender::parse) {
        Some(Ok(g)) => Some(g),
        Some(Err(_)) => {
            problem(Field::Gender, "应为“男”或“女”".into());
            None
        }
        None => None,
    };
    if let (Some(gender), Some(id)) = (gender, &id_card)
        && id.gender() != gender
    {
        problem(
            Field::Gender,
            format!("与身份证号不符（身份证号为{}性）", id.gender().label()),
        );
    }
    let birth_date = match text(header, cells, Field::BirthDate) {
        Some(raw) => match parse_date(raw) {
            Some(date) => {
                NaiveDate::from_ymd_opt(date.year, date.month.unwrap_or(1), date.day.unwrap_or(1))
            }
            None => {
                problem(Field::BirthDate, format!("无法识别的日期“{raw}”"));
                None
            }
        },
        None => None,
    };
    if let (Some(birth), Some(id)) = (birth_date, &id_card)
        && id.birth_date().is_some_and(|d| d.year() != birth.year())
    {
        problem(Field::BirthDate, "与身份证号中的出生日期不符".into());
    }
    let mobile = match text(header, cells, Field::Mobile).map(MobilePhone::parse) {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            problem(Field::Mobile, e.to_string());
            None
        }
        None => None,
    };
    let email = match text(header, cells, Field::Email).map(Email::parse) {
        Some(Ok(e)) => Some(e),
        Some(Err(e)) => {
            problem(Field::Email, e.to_string());
            None
        }
        None => None,
    };
    let mut year = |field: Field| match text(header, cells, field) {
        Some(raw) => match parse_year(raw) {
            Some(y) if (1900..=current_year + 8).contains(&y) => Some(y),
            _ => {
                problem(field, format!("无法识别的年份“{raw}”"));
                None
            }
        },
        None => None,
    };
    let enrolment_year = year(Field::EnrolmentYear);
    let graduation_year = year(Field::GraduationYear);
    if let (Some(from), Some(to)) = (enrolment_year, graduation_year)
        && from >= to
    {
        problem(Field::GraduationYear, "毕业年份应晚于入学年份".into());
    }
    let level = match text(header, cells, Field::Level).map(StudyLevel::parse) {
        Some(Ok(level)) => level,
        Some(Err(_)) => {
            problem(
                Field::Level,
                "应为 中学、中专、专科、本科、硕士 或 博士".into(),
            );
            school_kind.default_level()
        }
        None => school_kind.default_level(),
    };
    let born = id_card
        .as_ref()
        .and_then(IdCardNo::birth_date)
        .or(birth_date);
    if let (Some(born), Some(start)) = (
        born,
        enrolment_year.or(graduation_year.map(|y| y - level.usual_years())),
    ) && start - born.year() < 10
    {
        problem(
            Field::EnrolmentYear,
            format!("入学时年龄不足 10 岁（出生于{}年）", born.year()),
        );
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let Some(name) = name else {
        return Err(problems);
    };
    let mut owned = |field: Field| take_text(header, cells, field);
    Ok(ValidRow {
        serial: owned(Field::SerialNo),
        gender: gender.or(id_card.as_ref().map(IdCardNo::gender)),
        birth_date: id_card
            .as_ref()
            .and_then(IdCardNo::birth_date)
            .or(birth_date),
        name,
        id_card,
        mobile,
        email,
        wechat: owned(Field::WeChat),
        qq: owned(Field::QQ),
        student_no: owned(Field::StudentNo),
        college: owned(Field::College),
        major: owned(Field::Major),
        class: owned(Field::Class),
        level,
        enrolment_year,
        graduation_year,
        employer: owned(Field::Employer),
        title: owned(Field::Title),
        city: owned(Field::City),
    })
}
