//! Argon2id password hashing, on a blocking thread because it is deliberately slow.

use crate::error::{AppError, AppResult};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use rand::Rng;

pub const MIN_LENGTH: usize = 10;

/// Checks a new password against the policy: at least ten characters with letters and digits,
/// and not the username.
pub fn check_policy(username: &str, password: &str) -> AppResult<()> {
    let invalid = |reason: &str| AppError::Invalid {
        field: "密码",
        reason: reason.to_owned(),
    };
    if password.chars().count() < MIN_LENGTH {
        return Err(invalid("至少 10 个字符"));
    }
    if !password.chars().any(|c| c.is_alphabetic()) || !password.chars().any(|c| c.is_ascii_digit())
    {
        return Err(invalid("须同时包含字母和数字"));
    }
    if password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(invalid("不能包含用户名"));
    }
    Ok(())
}

pub async fn hash(password: &str) -> AppResult<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| AppError::Background(format!("密码哈希失败：{e}")))
    })
    .await
    .map_err(|e| AppError::Background(format!("密码哈希任务失败：{e}")))?
}

/// Whether the password matches the stored hash. A malformed stored hash never matches.
pub async fn verify(password: &str, stored_hash: &str) -> bool {
    let (password, stored_hash) = (password.to_owned(), stored_hash.to_owned());
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), stored_hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false)
}

/// A hash of a random password, verified against when an unknown username signs in so that
/// the answer takes as long as for a known one.
pub async fn decoy_hash() -> String {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DECOY
        .get_or_init(|| async { hash(&generate()).await.unwrap_or_default() })
        .await
        .clone()
}

/// A readable random password that satisfies the policy (for resets and new accounts).
pub fn generate() -> String {
    const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    let mut rng = rand::rng();
    let mut out = String::with_capacity(14);
    for i in 0..14 {
        let set = if i % 4 == 3 { DIGITS } else { LETTERS };
        out.push(set[rng.random_range(0..set.len())] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_policy_holds() -> AppResult<()> {
        let hash = hash("长沙Changsha2026").await?;
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify("长沙Changsha2026", &hash).await);
        assert!(!verify("长沙Changsha2027", &hash).await);
        assert!(!verify("x", "not a hash").await);
        assert!(check_policy("admin", "short1").is_err());
        assert!(check_policy("admin", "onlyletterslong").is_err());
        assert!(check_policy("admin", "myadmin12345").is_err());
        assert!(check_policy("admin", &generate()).is_ok());
        Ok(())
    }
}
