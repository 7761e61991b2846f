//! Ways to reach a person.

use crate::org::coded_enum;

coded_enum! {
    /// The kind of a contact point; each is stored with its source and date.
    ContactKind {
        Mobile => ("mobile", "手机", "手机号", "电话"),
        Email => ("email", "电子邮箱", "邮箱", "Email"),
        WeChat => ("wechat", "微信", "微信号"),
        QQ => ("qq", "QQ"),
        Address => ("address", "通讯地址", "地址"),
    }
}

impl ContactKind {
    /// Whether the value is personal data that leaves the system masked by default.
    pub fn is_masked_by_default(self) -> bool {
        matches!(
            self,
            ContactKind::Mobile | ContactKind::Email | ContactKind::Address
        )
    }
}

impl ContactKind {
    /// The value as it may leave the system without an unmasking: phones `138****1234`,
    /// emails `z***@qq.com`, addresses cut after six characters; a malformed phone or email
    /// is hidden entirely. WeChat and QQ ids are shown as given.
    pub fn mask(self, value: &str) -> String {
        match self {
            ContactKind::Mobile => crate::MobilePhone::parse(value)
                .map(|m| m.masked())
                .unwrap_or_else(|_| "***".to_owned()),
            ContactKind::Email => crate::Email::parse(value)
                .map(|e| e.masked())
                .unwrap_or_else(|_| "***".to_owned()),
            ContactKind::Address => format!("{}***", value.chars().take(6).collect::<String>()),
            ContactKind::WeChat | ContactKind::QQ => value.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_by_kind() {
        assert_eq!(ContactKind::Mobile.mask("13800001234"), "138****1234");
        assert_eq!(ContactKind::Mobile.mask("0731-8888"), "***");
        assert_eq!(ContactKind::Email.mask("zhang@qq.com"), "z***@qq.com");
        assert_eq!(
            ContactKind::Address.mask("湖南省长沙市岳麓区麓山南路"),
            "湖南省长沙市***"
        );
    }
}
