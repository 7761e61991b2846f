//! Email addresses, lower-cased, with a pragmatic shape check.

use crate::error::ValueError;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Email({})", self.masked())
    }
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let folded: String = raw
            .trim()
            .chars()
            .map(|c| match c {
                '＠' => '@',
                '．' | '。' => '.',
                other => other,
            })
            .collect::<String>()
            .to_lowercase();
        if folded.is_empty() {
            return Err(ValueError::Empty);
        }
        let (local, domain) = folded.split_once('@').ok_or(ValueError::Email)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c));
        if domain_ok && local_ok && folded.len() <= 254 {
            Ok(Email(folded))
        } else {
            Err(ValueError::Email)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The address in clear, taken out of its wrapper.
    pub fn into_exposed(self) -> String {
        self.0
    }

    /// `z***@qq.com`
    pub fn masked(&self) -> String {
        match self.0.split_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}***@{domain}")
            }
            None => "***".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_masks() -> Result<(), ValueError> {
        let email = Email::parse(" Zhang.Wei＠QQ.com ")?;
        assert_eq!(email.expose(), "zhang.wei@qq.com");
        assert_eq!(email.masked(), "z***@qq.com");
        assert!(Email::parse("zhangwei").is_err());
        assert!(Email::parse("a@b").is_err());
        assert!(Email::parse("张伟@qq.com").is_err());
        Ok(())
    }
}
