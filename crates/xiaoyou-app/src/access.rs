//! The scope check every use case goes through: an object the actor's grants do not reach is
//! reported as not found (never as forbidden), so answers do not reveal what exists elsewhere.

use crate::audit::{self, AuditContext, Event};
use crate::error::{AppError, AppResult};
use xiaoyou_core::{
    Action, Actor, ClassId, Clock, CollegeId, ConsentAudience, OrgNode, PersonId, PersonalDataKey,
    Role, SchoolId,
};
use xiaoyou_store::org::{self, Class, College, School};
use xiaoyou_store::{Db, accounts, consents, people};

/// A school the actor may see as a whole.
pub async fn visible_school(db: &Db, actor: &Actor, id: SchoolId) -> AppResult<School> {
    let missing = || AppError::NotFound("该学校");
    let school = org::get_school(db, id).await?.ok_or_else(missing)?;
    if actor.scope(Action::View).covers_school(school.id) {
        Ok(school)
    } else {
        Err(missing())
    }
}

/// The schools the actor may see as a whole.
pub async fn visible_schools(db: &Db, actor: &Actor) -> AppResult<Vec<School>> {
    let scope = actor.scope(Action::View);
    Ok(org::list_schools(db)
        .await?
        .into_iter()
        .filter(|s| scope.covers_school(s.id))
        .collect())
}

pub async fn visible_college(db: &Db, actor: &Actor, id: CollegeId) -> AppResult<College> {
    let missing = || AppError::NotFound("该学院");
    let college = org::get_college(db, id).await?.ok_or_else(missing)?;
    if actor
        .scope(Action::View)
        .covers_college(college.school, college.id)
    {
        Ok(college)
    } else {
        Err(missing())
    }
}

pub async fn visible_class(db: &Db, actor: &Actor, id: ClassId) -> AppResult<Class> {
    let missing = || AppError::NotFound("该班级");
    let class = org::get_class(db, id).await?.ok_or_else(missing)?;
    if actor
        .scope(Action::View)
        .covers_class(class.school, class.college, class.id)
    {
        Ok(class)
    } else {
        Err(missing())
    }
}

/// Whether a person lies in the actor's scope for an action: the person themself, or a study
/// record in a covered school, college or class.
pub async fn person_in_scope(
    db: &Db,
    actor: &Actor,
    action: Action,
    person: PersonId,
) -> AppResult<bool> {
    let scope = actor.scope(action);
    if scope.all || scope.persons.contains(&person) {
        return Ok(true);
    }
    if scope.is_empty() {
        return Ok(false);
    }
    let records = people::study_records_of_person(db, person).await?;
    Ok(records.iter().any(|r| match r.class {
        Some(class) => scope.covers_class(r.school, r.college, class),
        None => r.college.map_or(scope.covers_school(r.school), |c| {
            scope.covers_college(r.school, c)
        }),
    }))
}

/// As whom the actor reads this person's details: `None` for the person themself, else the
/// narrowest audience through which the actor reaches them.
pub async fn audience_for(
    db: &Db,
    actor: &Actor,
    person: PersonId,
) -> AppResult<Option<ConsentAudience>> {
    if actor
        .grants
        .iter()
        .any(|g| g.role == Role::Alumnus && g.node == OrgNode::Person(person))
    {
        return Ok(None);
    }
    let records = people::study_records_of_person(db, person).await?;
    for grant in actor
        .grants
        .iter()
        .filter(|g| g.role.audience() == Some(ConsentAudience::OwnSchool))
    {
        if let Some(school) = accounts::school_of_node(db, &grant.node).await?
            && records.iter().any(|r| r.school == school)
        {
            return Ok(Some(ConsentAudience::OwnSchool));
        }
    }
    if actor
        .grants
        .iter()
        .any(|g| g.role.audience() == Some(ConsentAudience::Province))
    {
        return Ok(Some(ConsentAudience::Province));
    }
    Ok(Some(ConsentAudience::Departments))
}

/// Whether the person's contact details may be shown (masked or not) to this actor.
pub async fn details_shared(db: &Db, actor: &Actor, person: PersonId) -> AppResult<bool> {
    Ok(match audience_for(db, actor, person).await? {
        None => true,
        Some(audience) => consents::allows(db, person, audience).await?,
    })
}

/// Checks that the actor may see the person's details in full, writes the audit row, and only
/// then returns the decrypted ID number (`None` when none is on record).
pub async fn reveal(
    db: &Db,
    clock: &dyn Clock,
    key: Option<&PersonalDataKey>,
    context: &AuditContext,
    actor: &Actor,
    person: PersonId,
) -> AppResult<Option<String>> {
    if !person_in_scope(db, actor, Action::View, person).await? {
        return Err(AppError::NotFound("该校友"));
    }
    if !person_in_scope(db, actor, Action::Unmask, person).await?
        || !details_shared(db, actor, person).await?
    {
        return Err(AppError::Forbidden);
    }
    let id_card = match (people::id_card_cipher(db, person).await?, key) {
        (Some(cipher), Some(key)) => Some(key.open(&cipher).map_err(|_| AppError::KeyMismatch)?),
        (Some(_), None) => return Err(AppError::KeyMissing),
        (None, _) => None,
    };
    let school = people::study_records_of_person(db, person)
        .await?
        .first()
        .map(|r| r.school);
    let mut tx = db.begin().await?;
    let event = Event {
        action: "unmask",
        target_kind: "person",
        target_id: Some(person.to_string()),
        school,
        changes: Some(r#"{"fields":["id_card","contacts"]}"#.to_owned()),
    };
    audit::write(&mut tx, context, event, clock.now()).await?;
    tx.commit().await?;
    Ok(id_card)
}
