//! Errors raised when a value from outside (a form, a spreadsheet cell, an API field) does not
//! satisfy its type. The messages are shown to users, so they are in Simplified Chinese.

use thiserror::Error;

/// Why a raw value was refused. Each variant names the rule that failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValueError {
    #[error("不能为空")]
    Empty,
    #[error("身份证号应为18位（最后一位可为X），实际为{0}位")]
    IdCardLength(usize),
    #[error("身份证号含有非法字符")]
    IdCardCharacters,
    #[error("身份证号校验位不符（应为{expected}）")]
    IdCardCheckDigit { expected: char },
    #[error("身份证号中的出生日期无效")]
    IdCardBirthDate,
    #[error("身份证号中的地区码无效")]
    IdCardArea,
    #[error("手机号应为11位、以1开头的数字")]
    Phone,
    #[error("电子邮箱格式不正确")]
    Email,
    #[error("统一社会信用代码应为18位")]
    CreditCodeLength,
    #[error("统一社会信用代码含有非法字符“{0}”")]
    CreditCodeCharacter(char),
    #[error("统一社会信用代码校验位不符（应为{expected}）")]
    CreditCodeCheck { expected: char },
    #[error("金额格式不正确：{0}")]
    Money(String),
    #[error("金额超出范围")]
    MoneyOverflow,
    #[error("姓名过长（最多{max}个字）")]
    NameTooLong { max: usize },
    #[error("姓名含有数字或非法符号")]
    NameCharacters,
    #[error("行政区划代码应为6位数字")]
    RegionCode,
    #[error("未知的取值“{0}”")]
    UnknownVariant(String),
}
