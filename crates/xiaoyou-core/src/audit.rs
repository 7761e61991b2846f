//! The audit log's tamper evidence: each row's hash covers its content and the previous row's
//! hash, so changing, removing or reordering a row breaks the chain from there on.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// The hash the first row chains to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The content of an audit row, as hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub occurred_at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub actor_role: Option<String>,
    pub scope: Option<String>,
    pub action: String,
    pub target_kind: String,
    pub target_id: Option<String>,
    pub school_id: Option<i64>,
    /// Changed fields before/after, personal data masked (JSON text).
    pub changes: Option<String>,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
}

impl AuditRecord {
    /// SHA-256 over the previous hash and every field, each length-prefixed so that no two
    /// different rows encode alike.
    pub fn chain_hash(&self, prev_hash: &str) -> String {
        let mut hasher = Sha256::new();
        let mut field = |value: Option<&str>| match value {
            Some(text) => {
                hasher.update((text.len() as u64).to_be_bytes());
                hasher.update(text.as_bytes());
            }
            None => hasher.update(u64::MAX.to_be_bytes()),
        };
        field(Some(prev_hash));
        // Microsecond precision: both databases store at least that.
        field(Some(&self.occurred_at.timestamp_micros().to_string()));
        field(self.actor_user_id.map(|id| id.to_string()).as_deref());
        field(Some(&self.actor_name));
        field(self.actor_role.as_deref());
        field(self.scope.as_deref());
        field(Some(&self.action));
        field(Some(&self.target_kind));
        field(self.target_id.as_deref());
        field(self.school_id.map(|id| id.to_string()).as_deref());
        field(self.changes.as_deref());
        field(self.request_id.as_deref());
        field(self.client_addr.as_deref());
        hex::encode(hasher.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_change_changes_the_hash() {
        let record = AuditRecord {
            occurred_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            actor_user_id: Some(1),
            actor_name: "admin".into(),
            actor_role: Some("province_admin".into()),
            scope: None,
            action: "create".into(),
            target_kind: "school".into(),
            target_id: Some("3".into()),
            school_id: Some(3),
            changes: None,
            request_id: None,
            client_addr: None,
        };
        let hash = record.chain_hash(GENESIS_HASH);
        assert_eq!(hash, record.chain_hash(GENESIS_HASH));
        assert_ne!(hash, record.chain_hash(&hash));
        let mut altered = record.clone();
        altered.target_id = Some("4".into());
        assert_ne!(hash, altered.chain_hash(GENESIS_HASH));
        let mut moved = record.clone();
        moved.actor_name = "admi".into();
        moved.actor_role = Some("nprovince_admin".into());
        assert_ne!(
            hash,
            moved.chain_hash(GENESIS_HASH),
            "fields cannot bleed into each other"
        );
    }
}
