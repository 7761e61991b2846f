//! Protection of personal data at rest: AES-256-GCM for values that must be recoverable
//! (ID numbers), and a keyed hash (HMAC-SHA256) so equal values can be matched without
//! decrypting anything.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use thiserror::Error;

const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("数据密钥应为64位十六进制字符（32字节）")]
    KeyFormat,
    #[error("密文已损坏或使用了不同的数据密钥")]
    Decrypt,
}

/// The key material for personal data. Two derived keys: one for encryption, one for the
/// matching hash, so a leaked hash table says nothing about the cipher key.
#[derive(Clone)]
pub struct PersonalDataKey {
    cipher: Aes256Gcm,
    hash_key: [u8; KEY_LEN],
}

impl std::fmt::Debug for PersonalDataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonalDataKey(<redacted>)")
    }
}

/// An encrypted value with the keyed hash used to find equal values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedValue {
    /// nonce ‖ ciphertext ‖ tag
    pub ciphertext: Vec<u8>,
    /// hex HMAC-SHA256 of the normalised value
    pub hash: String,
}

impl PersonalDataKey {
    /// Reads a 64-hex-character master key.
    pub fn from_hex(hex_key: &str) -> Result<Self, SecretError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| SecretError::KeyFormat)?;
        let master: [u8; KEY_LEN] = bytes.try_into().map_err(|_| SecretError::KeyFormat)?;
        Ok(Self::from_master(&master))
    }

    /// A fresh random key, hex-encoded (used by `demo` and `config` to create one).
    pub fn generate_hex() -> String {
        let mut master = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut master);
        hex::encode(master)
    }

    fn from_master(master: &[u8; KEY_LEN]) -> Self {
        let cipher_key = derive(master, b"xiaoyou/aes-256-gcm/v1");
        let hash_key = derive(master, b"xiaoyou/match-hash/v1");
        PersonalDataKey {
            cipher: Aes256Gcm::new(&cipher_key.into()),
            hash_key,
        }
    }

    /// The keyed hash of a value; equal values give equal hashes under the same key. It is
    /// the first 16 bytes of the HMAC-SHA256, as 32 hex characters: 128 bits never collide
    /// among a province's ID numbers, and every import looks persons up by it and enters it
    /// in a unique index, whose work grows with the key's length.
    pub fn hash(&self, value: &str) -> String {
        hex::encode(&derive(&self.hash_key, value.as_bytes())[..16])
    }

    pub fn seal(&self, value: &str) -> SealedValue {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        // Encryption with a valid key and a 12-byte nonce cannot fail for in-memory data.
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), value.as_bytes())
            .unwrap_or_default();
        let mut ciphertext = Vec::with_capacity(NONCE_LEN + sealed.len());
        ciphertext.extend_from_slice(&nonce);
        ciphertext.extend_from_slice(&sealed);
        SealedValue {
            ciphertext,
            hash: self.hash(value),
        }
    }

    pub fn open(&self, ciphertext: &[u8]) -> Result<String, SecretError> {
        if ciphertext.len() <= NONCE_LEN {
            return Err(SecretError::Decrypt);
        }
        let (nonce, body) = ciphertext.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| SecretError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| SecretError::Decrypt)
    }
}

fn derive(key: &[u8], message: &[u8]) -> [u8; KEY_LEN] {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0u8; KEY_LEN],
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_opens_and_hashes() -> Result<(), SecretError> {
        let key = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex())?;
        let sealed = key.seal("11010519491231002X");
        assert_eq!(key.open(&sealed.ciphertext)?, "11010519491231002X");
        let again = key.seal("11010519491231002X");
        assert_ne!(
            sealed.ciphertext, again.ciphertext,
            "random nonce per value"
        );
        assert_eq!(sealed.hash, again.hash, "hash is deterministic");
        assert_eq!(sealed.hash.len(), 32);
        assert!(sealed.hash.bytes().all(|b| b.is_ascii_hexdigit()));
        let other = PersonalDataKey::from_hex(&PersonalDataKey::generate_hex())?;
        assert_eq!(other.open(&sealed.ciphertext), Err(SecretError::Decrypt));
        assert_ne!(other.hash("x"), key.hash("x"));
        assert_eq!(
            PersonalDataKey::from_hex("abc").err(),
            Some(SecretError::KeyFormat)
        );
        assert!(!format!("{key:?}").contains(&sealed.hash));
        Ok(())
    }
}
