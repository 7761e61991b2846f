//! Writing audit rows in the same transaction as the change they describe.

use chrono::{DateTime, Utc};
use xiaoyou_core::audit::AuditRecord;
use xiaoyou_core::{Actor, SchoolId};
use xiaoyou_store::{StoreResult, Tx, audit};

/// Who acts and from where, carried from the request into every service call.
#[derive(Debug, Clone, Default)]
pub struct AuditContext {
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub actor_role: Option<String>,
    pub scope: Option<String>,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
}

impl AuditContext {
    pub fn for_actor(
        actor: &Actor,
        request_id: Option<String>,
        client_addr: Option<String>,
    ) -> Self {
        AuditContext {
            actor_user_id: Some(actor.user.get()),
            actor_name: actor.username.clone(),
            actor_role: actor.primary_role().map(|r| r.code().to_owned()),
            scope: Some(
                actor
                    .grants
                    .iter()
                    .map(|g| format!("{}@{}:{}", g.role.code(), g.node.kind(), g.node.id()))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            request_id,
            client_addr,
        }
    }

    /// For the command line and background work: the operator named, no address.
    pub fn system(name: &str) -> Self {
        AuditContext {
            actor_name: name.to_owned(),
            ..AuditContext::default()
        }
    }
}

/// One thing that happened, about one target.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub action: &'a str,
    pub target_kind: &'a str,
    pub target_id: Option<String>,
    pub school: Option<SchoolId>,
    /// Changed fields before/after as JSON, personal data already masked.
    pub changes: Option<String>,
}

pub async fn write(
    tx: &mut Tx,
    context: &AuditContext,
    event: Event<'_>,
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    let record = AuditRecord {
        occurred_at: at,
        actor_user_id: context.actor_user_id,
        actor_name: context.actor_name.clone(),
        actor_role: context.actor_role.clone(),
        scope: context.scope.clone(),
        action: event.action.to_owned(),
        target_kind: event.target_kind.to_owned(),
        target_id: event.target_id,
        school_id: event.school.map(SchoolId::get),
        changes: event.changes,
        request_id: context.request_id.clone(),
        client_addr: context.client_addr.clone(),
    };
    audit::append(tx, &record).await
}
