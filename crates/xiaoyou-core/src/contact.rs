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
