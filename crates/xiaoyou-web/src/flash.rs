//! One-time messages shown on the page after a form was handled ("已保存", "已删除班级…").
//!
//! A handler that changes something answers with [`redirect`]: a 303 to the page to show next
//! and a short-lived cookie carrying the message. The next page signed in reads it into its
//! [`crate::session::Nav`], the base template shows it once, and [`clear_after_display`] expires
//! the cookie on that page's response.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

pub const FLASH_COOKIE: &str = "xiaoyou_flash";

/// How a message reads: a success, or something the user should look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashKind {
    Success,
    Warning,
}

impl FlashKind {
    fn code(self) -> char {
        match self {
            FlashKind::Success => 's',
            FlashKind::Warning => 'w',
        }
    }

    fn from_code(code: char) -> Option<Self> {
        match code {
            's' => Some(FlashKind::Success),
            'w' => Some(FlashKind::Warning),
            _ => None,
        }
    }

    /// The CSS class suffix used by the stylesheet.
    pub fn css(self) -> &'static str {
        match self {
            FlashKind::Success => "success",
            FlashKind::Warning => "warning",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub kind: FlashKind,
    pub text: String,
}

/// Messages are short; anything longer is cut so the cookie stays small.
const MAX_TEXT_CHARS: usize = 200;

impl Flash {
    pub fn success(text: impl Into<String>) -> Flash {
        Flash {
            kind: FlashKind::Success,
            text: text.into(),
        }
    }

    pub fn warning(text: impl Into<String>) -> Flash {
        Flash {
            kind: FlashKind::Warning,
            text: text.into(),
        }
    }

    /// The cookie value: the kind's letter and the UTF-8 text as hex (cookie-safe, no quoting).
    fn encode(&self) -> String {
        let text: String = self.text.chars().take(MAX_TEXT_CHARS).collect();
        format!("{}{}", self.kind.code(), hex::encode(text.as_bytes()))
    }

    fn decode(value: &str) -> Option<Flash> {
        let mut chars = value.chars();
        let kind = FlashKind::from_code(chars.next()?)?;
        let bytes = hex::decode(chars.as_str()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        (!text.is_empty()).then_some(Flash { kind, text })
    }

    /// The message a request carries, if any.
    pub fn from_headers(headers: &HeaderMap) -> Option<Flash> {
        crate::session::cookie(headers, FLASH_COOKIE).and_then(Flash::decode)
    }
}

/// A 303 redirect to `to` that shows `flash` on the page it leads to.
pub fn redirect(to: &str, flash: Flash, secure: bool) -> Response {
    let mut response = Redirect::to(to).into_response();
    let cookie = crate::session::set_cookie(FLASH_COOKIE, &flash.encode(), 60, secure);
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

/// Expires the flash cookie once a page (not a redirect) has been answered to a request that
/// carried it, so a message is shown exactly once.
pub async fn clear_after_display(request: Request, next: Next) -> Response {
    let carried = crate::session::cookie(request.headers(), FLASH_COOKIE).is_some();
    let mut response = next.run(request).await;
    let is_page =
        !response.status().is_redirection() && response.status() != StatusCode::NOT_MODIFIED;
    if carried && is_page {
        response.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static("xiaoyou_flash=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_survives_the_cookie_round_trip() {
        let flash = Flash::success("已保存：2008级机械1班；联系人 “张三”");
        assert_eq!(Flash::decode(&flash.encode()), Some(flash));
    }

    #[test]
    fn a_tampered_cookie_is_ignored() {
        assert_eq!(Flash::decode("x414243"), None);
        assert_eq!(Flash::decode("szz"), None);
        assert_eq!(Flash::decode(""), None);
        assert_eq!(Flash::decode("s"), None);
    }

    #[test]
    fn long_messages_are_cut() {
        let flash = Flash::warning("很".repeat(500));
        let decoded = Flash::decode(&flash.encode()).map(|f| f.text.chars().count());
        assert_eq!(decoded, Some(MAX_TEXT_CHARS));
    }
}
