//! Decisions people make on identity: merge a pair from the review queue, say two persons are
//! different (never proposed again), undo a merge, split a study record off a person. Each is
//! allowed only to an actor whose editing scope covers every study record of the persons
//! involved (anyone else is told the pair does not exist), and each is audited.

use crate::audit::{self, AuditContext, Event};
use crate::error::{AppError, AppResult};
use xiaoyou_core::{Action, Actor, Clock, PersonId};
use xiaoyou_store::identity::{self, MergeKind, PlannedMerge};
use xiaoyou_store::{Db, people};

/// Whether the actor may decide on these persons: their editing scope covers every study
/// record of each.
pub async fn may_decide(db: &Db, actor: &Actor, persons: &[i64]) -> AppResult<bool> {
    let scope = actor.scope(Action::Edit);
    if scope.all {
        return Ok(true);
    }
    for person in persons {
        let records = people::study_records_of_person(db, PersonId(*person)).await?;
        let covered = records.iter().all(|r| match r.class {
            Some(class) => scope.covers_class(r.school, r.college, class),
            None => r.college.map_or(scope.covers_school(r.school), |c| {
                scope.covers_college(r.school, c)
            }),
        });
        if !covered {
            return Ok(false);
        }
    }
    Ok(true)
}

async fn review_in_scope(db: &Db, actor: &Actor, id: i64) -> AppResult<identity::Review> {
    let review = identity::get_review(db, id)
        .await?
        .ok_or(AppError::NotFound("该待核对记录"))?;
    if !may_decide(db, actor, &[review.person_a, review.person_b]).await? {
        return Err(AppError::NotFound("该待核对记录"));
    }
    Ok(review)
}

fn event<'a>(action: &'a str, target: i64, changes: serde_json::Value) -> Event<'a> {
    Event {
        action,
        target_kind: "person",
        target_id: Some(target.to_string()),
        school: None,
        changes: Some(changes.to_string()),
    }
}

/// Merges the two persons of a review pair; returns the person that remains.
pub async fn merge_pair(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    actor: &Actor,
    review_id: i64,
) -> AppResult<i64> {
    let review = review_in_scope(db, actor, review_id).await?;
    if review.status != "open" {
        return Err(AppError::Invalid {
            field: "待核对",
            reason: "这一对已处理过".into(),
        });
    }
    if review.person_a == review.person_b {
        return Ok(review.person_a);
    }
    let a = people::get_person(db, PersonId(review.person_a))
        .await?
        .ok_or(AppError::NotFound("校友"))?;
    let b = people::get_person(db, PersonId(review.person_b))
        .await?
        .ok_or(AppError::NotFound("校友"))?;
    let (survivor, merged) = match (&a.id_card_masked, &b.id_card_masked) {
        (Some(_), Some(_)) => {
            return Err(AppError::Invalid {
                field: "合并",
                reason: "两人登记了不同的身份证号，不能合并为同一人".into(),
            });
        }
        (None, Some(_)) => (review.person_b, review.person_a),
        _ => (
            review.person_a.min(review.person_b),
            review.person_a.max(review.person_b),
        ),
    };
    let now = clock.now();
    let mut tx = db.begin().await?;
    let plan = [PlannedMerge {
        survivor,
        merged,
        score: Some(review.score),
        reasons: review.reasons.clone(),
    }];
    identity::merge_persons(
        &mut tx,
        &plan,
        MergeKind::Manual,
        context.actor_user_id,
        now,
    )
    .await?;
    identity::decide_review(&mut tx, review.id, "merged", context.actor_user_id, now).await?;
    audit::write(
        &mut tx,
        context,
        event(
            "identity_merge",
            survivor,
            serde_json::json!({ "merged": merged, "review": review.id }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(survivor)
}

/// Records that the two persons of a pair are different people.
pub async fn mark_distinct(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    actor: &Actor,
    review_id: i64,
) -> AppResult<()> {
    let review = review_in_scope(db, actor, review_id).await?;
    let now = clock.now();
    let mut tx = db.begin().await?;
    identity::mark_distinct(
        &mut tx,
        review.person_a,
        review.person_b,
        context.actor_user_id,
        now,
    )
    .await?;
    identity::decide_review(&mut tx, review.id, "distinct", context.actor_user_id, now).await?;
    audit::write(
        &mut tx,
        context,
        event(
            "identity_distinct",
            review.person_a,
            serde_json::json!({ "other": review.person_b, "review": review.id }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Undoes a merge of which `person` was the survivor; returns the person restored.
pub async fn undo_merge(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    actor: &Actor,
    person: i64,
    merge: i64,
) -> AppResult<i64> {
    let missing = || AppError::NotFound("该合并记录");
    let record = identity::merges_of(db, person)
        .await?
        .into_iter()
        .find(|m| m.id == merge && m.survivor == person)
        .ok_or_else(missing)?;
    if !may_decide(db, actor, &[person]).await? {
        return Err(missing());
    }
    let now = clock.now();
    let mut tx = db.begin().await?;
    if !identity::undo_merge(&mut tx, merge, now).await? {
        return Err(AppError::Invalid {
            field: "撤销合并",
            reason: "该合并已撤销，或此人之后又被合并到他人（请先撤销后一次合并）".into(),
        });
    }
    audit::write(
        &mut tx,
        context,
        event(
            "identity_undo_merge",
            person,
            serde_json::json!({ "restored": record.merged, "merge": merge }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(record.merged)
}

/// Splits one study record off a person into a new person; returns the new person.
pub async fn split_record(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    actor: &Actor,
    person: i64,
    record: i64,
) -> AppResult<i64> {
    let missing = || AppError::NotFound("该学籍记录");
    let records = people::study_records_of_person(db, PersonId(person)).await?;
    if !records.iter().any(|r| r.id.get() == record) {
        return Err(missing());
    }
    if records.len() < 2 {
        return Err(AppError::Invalid {
            field: "拆分",
            reason: "此人只有这一条学籍记录，无需拆分".into(),
        });
    }
    if !may_decide(db, actor, &[person]).await? {
        return Err(missing());
    }
    let now = clock.now();
    let mut tx = db.begin().await?;
    let created = identity::split_record(&mut tx, record, now)
        .await?
        .ok_or_else(missing)?;
    audit::write(
        &mut tx,
        context,
        event(
            "identity_split",
            person,
            serde_json::json!({ "record": record, "new_person": created }),
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}
