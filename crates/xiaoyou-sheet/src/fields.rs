//! The canonical columns of an alumni roster and the many ways Chinese spreadsheets name them.

use xiaoyou_text::fold::fold_char;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// 序号: the file's own record number, kept as part of the source reference.
    SerialNo,
    Name,
    Gender,
    IdCard,
    BirthDate,
    Mobile,
    Email,
    WeChat,
    QQ,
    Address,
    StudentNo,
    College,
    Major,
    Class,
    Level,
    EnrolmentYear,
    GraduationYear,
    Employer,
    Title,
    City,
    NativePlace,
    Note,
}

impl Field {
    pub const ALL: [Field; 22] = [
        Field::SerialNo,
        Field::Name,
        Field::Gender,
        Field::IdCard,
        Field::BirthDate,
        Field::Mobile,
        Field::Email,
        Field::WeChat,
        Field::QQ,
        Field::Address,
        Field::StudentNo,
        Field::College,
        Field::Major,
        Field::Class,
        Field::Level,
        Field::EnrolmentYear,
        Field::GraduationYear,
        Field::Employer,
        Field::Title,
        Field::City,
        Field::NativePlace,
        Field::Note,
    ];

    /// A stable code for saved mappings and forms.
    pub fn code(self) -> &'static str {
        match self {
            Field::SerialNo => "serial_no",
            Field::Name => "name",
            Field::Gender => "gender",
            Field::IdCard => "id_card",
            Field::BirthDate => "birth_date",
            Field::Mobile => "mobile",
            Field::Email => "email",
            Field::WeChat => "wechat",
            Field::QQ => "qq",
            Field::Address => "address",
            Field::StudentNo => "student_no",
            Field::College => "college",
            Field::Major => "major",
            Field::Class => "class",
            Field::Level => "level",
            Field::EnrolmentYear => "enrolment_year",
            Field::GraduationYear => "graduation_year",
            Field::Employer => "employer",
            Field::Title => "title",
            Field::City => "city",
            Field::NativePlace => "native_place",
            Field::Note => "note",
        }
    }

    pub fn from_code(code: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.code() == code)
    }

    /// The Chinese label shown in mapping screens and templates.
    pub fn label(self) -> &'static str {
        self.synonyms()[0]
    }

    /// Header texts that mean this field, the canonical label first. Compared after width
    /// folding and with spaces, brackets and asterisks removed.
    pub fn synonyms(self) -> &'static [&'static str] {
        match self {
            Field::SerialNo => &["序号", "编号", "No", "NO.", "序"],
            Field::Name => &["姓名", "名字", "校友姓名", "学生姓名", "姓 名", "name"],
            Field::Gender => &["性别", "性 别"],
            Field::IdCard => &[
                "身份证号",
                "身份证号码",
                "证件号码",
                "身份证",
                "公民身份号码",
                "身份证件号",
            ],
            Field::BirthDate => &["出生日期", "出生年月", "生日", "出生年月日"],
            Field::Mobile => &[
                "手机",
                "手机号",
                "手机号码",
                "联系电话",
                "电话",
                "移动电话",
                "联系方式",
                "电话号码",
            ],
            Field::Email => &["电子邮箱", "邮箱", "电子邮件", "Email", "E-mail", "邮件"],
            Field::WeChat => &["微信", "微信号"],
            Field::QQ => &["QQ", "QQ号", "QQ号码"],
            Field::Address => &["通讯地址", "联系地址", "地址", "家庭住址", "家庭地址"],
            Field::StudentNo => &["学号", "学籍号", "学生编号"],
            Field::College => &["学院", "二级学院", "院系", "系别", "所在学院", "系部"],
            Field::Major => &["专业", "所学专业", "专业名称", "专业方向"],
            Field::Class => &["班级", "班级名称", "所在班级", "班别"],
            Field::Level => &["学历", "层次", "学历层次", "培养层次"],
            Field::EnrolmentYear => &["入学年份", "入学时间", "入学年月", "年级", "入学日期"],
            Field::GraduationYear => &[
                "毕业时间",
                "毕业年份",
                "届别",
                "毕业年月",
                "毕业届别",
                "届",
                "毕业日期",
            ],
            Field::Employer => &[
                "工作单位",
                "单位名称",
                "现工作单位",
                "单位",
                "工作单位名称",
                "就业单位",
                "所在单位",
            ],
            Field::Title => &["职务", "职称", "职务职称", "职位", "现任职务"],
            Field::City => &[
                "所在地",
                "现居住地",
                "工作城市",
                "所在城市",
                "现居地",
                "工作地",
                "所在地区",
            ],
            Field::NativePlace => &["籍贯", "生源地", "户籍所在地"],
            Field::Note => &["备注", "说明"],
        }
    }

    /// Recognises a header cell.
    pub fn from_header(text: &str) -> Option<Field> {
        let key = header_key(text);
        if key.is_empty() {
            return None;
        }
        Field::ALL
            .into_iter()
            .find(|field| field.synonyms().iter().any(|s| header_key(s) == key))
    }
}

/// A header cell compared loosely: width folded, lower case, without spaces, brackets,
/// asterisks (required-field marks) and colons.
pub fn header_key(text: &str) -> String {
    header_key_chars(text).collect()
}

/// The characters of [`header_key`], one by one.
pub(crate) fn header_key_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars()
        .map(fold_char)
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(c, '*' | '(' | ')' | '（' | '）' | ':' | '：' | '★' | '#')
        })
        .flat_map(char::to_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for field in Field::ALL {
            assert_eq!(Field::from_code(field.code()), Some(field));
        }
        assert_eq!(Field::from_code("nonsense"), None);
    }

    #[test]
    fn recognises_header_spellings() {
        assert_eq!(Field::from_header("姓  名"), Some(Field::Name));
        assert_eq!(Field::from_header("*身份证号码"), Some(Field::IdCard));
        assert_eq!(
            Field::from_header("手机号码（必填）"),
            None,
            "extra words are not guessed"
        );
        assert_eq!(Field::from_header("联系电话"), Some(Field::Mobile));
        assert_eq!(Field::from_header("届别"), Some(Field::GraduationYear));
        assert_eq!(Field::from_header("现工作单位"), Some(Field::Employer));
        assert_eq!(Field::from_header("ＱＱ"), Some(Field::QQ));
        assert_eq!(Field::from_header("E-MAIL"), Some(Field::Email));
        assert_eq!(Field::from_header("爱好"), None);
        assert_eq!(Field::Name.label(), "姓名");
    }
}
