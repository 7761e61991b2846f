//! Managing the organisation tree within an actor's scope: schools (province-level roles),
//! colleges with their history (学院简史), majors and classes with their head teacher and class
//! liaison. Input arrives as the form's text; every field is checked and each problem is named
//! for its field in Chinese, and nothing is written unless all fields are valid. Each change
//! writes its audit row in the same transaction.
//!
//! Scope: an object the actor cannot even see is answered as missing; one the actor sees but
//! may not change is refused as forbidden.

use crate::audit::{self, AuditContext, Event};
use crate::error::AppError;
use crate::schools::{self, SchoolRequest};
use chrono::Datelike;
use serde_json::{Value, json};
use xiaoyou_core::{
    Action, Actor, ClassId, Clock, CollegeId, ContactKind, MajorId, MobilePhone, RegionCode,
    SchoolId, SchoolKind,
};
use xiaoyou_store::org::{self, Class, College, School};
use xiaoyou_store::orgtree::{
    self, ClassContacts, ClassFields, CollegeHistory, HistoryEntry, Usage,
};
use xiaoyou_store::{Db, StoreError};

/// Problems with a form, each for one field (the field's form name) with a Chinese message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push((field, message.into()));
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(f, m)| (*f, m.as_str()))
    }

    fn into_result(self) -> Result<(), OrgError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(OrgError::Invalid(self))
        }
    }
}

#[derive(Debug)]
pub enum OrgError {
    /// The form has problems; nothing was written.
    Invalid(FieldErrors),
    /// A node cannot be deleted while something still hangs on it (the message says what).
    NotEmpty(String),
    App(AppError),
}

impl From<AppError> for OrgError {
    fn from(error: AppError) -> Self {
        OrgError::App(error)
    }
}

impl From<StoreError> for OrgError {
    fn from(error: StoreError) -> Self {
        OrgError::App(AppError::Store(error))
    }
}

pub type OrgResult<T> = Result<T, OrgError>;

/// Who acts, from where, at what time.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub db: &'a Db,
    pub clock: &'a dyn Clock,
    pub audit: &'a AuditContext,
    pub actor: &'a Actor,
}

const NAME_MAX: usize = 60;
const PERSON_NAME_MAX: usize = 30;
const TEXT_MAX: usize = 4000;
const LINES_MAX: usize = 50;

fn check(covered_edit: bool, covered_view: bool, missing: &'static str) -> OrgResult<()> {
    if covered_edit {
        Ok(())
    } else if covered_view {
        Err(OrgError::App(AppError::Forbidden))
    } else {
        Err(OrgError::App(AppError::NotFound(missing)))
    }
}

/// The school, if the actor may change it and what lies in it (a province-wide role or the
/// school's own administrators).
pub async fn editable_school(ctx: Ctx<'_>, id: SchoolId) -> OrgResult<School> {
    let school = org::get_school(ctx.db, id)
        .await?
        .ok_or(AppError::NotFound("该学校"))?;
    check(
        ctx.actor.scope(Action::Edit).covers_school(id),
        ctx.actor.scope(Action::View).covers_school(id),
        "该学校",
    )?;
    Ok(school)
}

/// The college, if the actor may change it (its school's or its own administrators).
pub async fn editable_college(ctx: Ctx<'_>, id: CollegeId) -> OrgResult<College> {
    let college = org::get_college(ctx.db, id)
        .await?
        .ok_or(AppError::NotFound("该学院"))?;
    check(
        ctx.actor
            .scope(Action::Edit)
            .covers_college(college.school, college.id),
        ctx.actor
            .scope(Action::View)
            .covers_college(college.school, college.id),
        "该学院",
    )?;
    Ok(college)
}

/// The class, if the actor may change it (including its own class liaison's account).
pub async fn editable_class(ctx: Ctx<'_>, id: ClassId) -> OrgResult<Class> {
    let class = org::get_class(ctx.db, id)
        .await?
        .ok_or(AppError::NotFound("该班级"))?;
    check(
        ctx.actor
            .scope(Action::Edit)
            .covers_class(class.school, class.college, class.id),
        ctx.actor
            .scope(Action::View)
            .covers_class(class.school, class.college, class.id),
        "该班级",
    )?;
    Ok(class)
}

/// Whether the actor may add or remove classes and majors of the college (not a class's own
/// liaison).
pub fn may_shape_college(actor: &Actor, college: &College) -> bool {
    actor
        .scope(Action::Edit)
        .covers_college(college.school, college.id)
}

/// Whether the actor may add or remove colleges of the school.
pub fn may_shape_school(actor: &Actor, school: SchoolId) -> bool {
    actor.scope(Action::Edit).covers_school(school)
}

async fn audited(
    ctx: Ctx<'_>,
    tx: &mut xiaoyou_store::Tx,
    action: &str,
    kind: &str,
    id: i64,
    school: SchoolId,
    changes: Value,
) -> OrgResult<()> {
    let event = Event {
        action,
        target_kind: kind,
        target_id: Some(id.to_string()),
        school: Some(school),
        changes: Some(changes.to_string()),
    };
    audit::write(tx, ctx.audit, event, ctx.clock.now()).await?;
    Ok(())
}

/// A required name: cleaned, not empty, not too long.
fn name_field(errors: &mut FieldErrors, field: &'static str, raw: &str, what: &str) -> String {
    let name = xiaoyou_text::clean_cell(raw);
    if name.is_empty() {
        errors.add(field, format!("请填写{what}"));
    } else if name.chars().count() > NAME_MAX {
        errors.add(field, format!("{what}不能超过 {NAME_MAX} 个字"));
    }
    name
}

fn optional_text(errors: &mut FieldErrors, field: &'static str, raw: &str) -> Option<String> {
    let text = raw.trim().replace("\r\n", "\n");
    if text.chars().count() > TEXT_MAX {
        errors.add(field, format!("不能超过 {TEXT_MAX} 个字"));
    }
    (!text.is_empty()).then_some(text)
}

fn optional_person_name(
    errors: &mut FieldErrors,
    field: &'static str,
    raw: &str,
) -> Option<String> {
    let name = xiaoyou_text::clean_cell(raw);
    if name.chars().count() > PERSON_NAME_MAX {
        errors.add(field, format!("姓名不能超过 {PERSON_NAME_MAX} 个字"));
    } else if name.chars().any(|c| c.is_ascii_digit()) {
        errors.add(field, "姓名中不应有数字（电话请填在“手机”一栏）");
    }
    (!name.is_empty()).then_some(name)
}

fn optional_year(
    errors: &mut FieldErrors,
    field: &'static str,
    raw: &str,
    latest: i32,
) -> Option<i32> {
    let raw = xiaoyou_text::clean_cell(raw);
    let raw = raw.trim_end_matches('年');
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<i32>() {
        Ok(year) if (1900..=latest).contains(&year) => Some(year),
        Ok(_) => {
            errors.add(field, format!("年份应在 1900 至 {latest} 之间"));
            None
        }
        Err(_) => {
            errors.add(field, "请填写四位数的年份，如 2012");
            None
        }
    }
}

fn optional_count(errors: &mut FieldErrors, field: &'static str, raw: &str) -> Option<i32> {
    let raw = xiaoyou_text::clean_cell(raw);
    let raw = raw.trim_end_matches('人').replace(',', "");
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<i32>() {
        Ok(n) if (0..=1_000_000).contains(&n) => Some(n),
        _ => {
            errors.add(field, "请填写人数（不小于 0 的整数）");
            None
        }
    }
}

/// A phone field: blank keeps `current` (forms show it masked), `clear` removes it, anything
/// else must be a mainland mobile number.
fn phone_field(
    errors: &mut FieldErrors,
    field: &'static str,
    raw: &str,
    current: Option<&str>,
    clear: bool,
) -> Option<String> {
    if raw.trim().is_empty() {
        return if clear {
            None
        } else {
            current.map(str::to_owned)
        };
    }
    match MobilePhone::parse(raw) {
        Ok(phone) => Some(phone.expose().to_owned()),
        Err(_) => {
            errors.add(field, "请填写 11 位手机号码，如 13812345678");
            None
        }
    }
}

fn masked(phone: Option<&str>) -> Value {
    phone.map_or(Value::Null, |p| Value::from(ContactKind::Mobile.mask(p)))
}

/// Adds `"field": [before, after]` when they differ.
fn diff(changes: &mut serde_json::Map<String, Value>, field: &str, before: Value, after: Value) {
    if before != after {
        changes.insert(field.to_owned(), json!([before, after]));
    }
}

// ---------------------------------------------------------------- schools

/// A school as the form gives it.
#[derive(Debug, Clone, Default)]
pub struct SchoolInput<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub city: &'a str,
    pub confirm_similar: bool,
}

fn province_only(actor: &Actor) -> OrgResult<()> {
    if actor.is_province_admin() {
        Ok(())
    } else {
        Err(OrgError::App(AppError::Forbidden))
    }
}

fn school_kind(errors: &mut FieldErrors, raw: &str) -> SchoolKind {
    SchoolKind::parse(raw).unwrap_or_else(|_| {
        errors.add("kind", "请选择学校类型");
        SchoolKind::University
    })
}

pub async fn create_school(
    ctx: Ctx<'_>,
    province: RegionCode,
    input: &SchoolInput<'_>,
) -> OrgResult<School> {
    province_only(ctx.actor)?;
    let mut errors = FieldErrors::default();
    let name = name_field(&mut errors, "name", input.name, "学校名称");
    let kind = school_kind(&mut errors, input.kind);
    if input.city.trim().is_empty() {
        errors.add("city", "请选择所在市州");
    }
    errors.clone().into_result()?;
    let request = SchoolRequest {
        name: &name,
        kind,
        city: input.city,
        allow_similar: input.confirm_similar,
    };
    match schools::add_school(ctx.db, ctx.clock, ctx.audit, province, &request).await {
        Ok(school) => Ok(school),
        Err(error @ (AppError::SchoolExists { .. } | AppError::SchoolSimilar { .. })) => {
            errors.add("name", error.to_string());
            Err(OrgError::Invalid(errors))
        }
        Err(AppError::UnknownName { .. }) => {
            errors.add("city", "请选择本省的市州");
            Err(OrgError::Invalid(errors))
        }
        Err(AppError::Invalid { reason, .. }) => {
            errors.add("name", reason);
            Err(OrgError::Invalid(errors))
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn update_school(
    ctx: Ctx<'_>,
    province: RegionCode,
    id: SchoolId,
    input: &SchoolInput<'_>,
) -> OrgResult<School> {
    let school = crate::access::visible_school(ctx.db, ctx.actor, id).await?;
    province_only(ctx.actor)?;
    let mut errors = FieldErrors::default();
    let name = name_field(&mut errors, "name", input.name, "学校名称");
    let kind = school_kind(&mut errors, input.kind);
    let city = match schools::resolve_city(ctx.db, province, input.city).await {
        Ok(city) => city,
        Err(_) => {
            errors.add("city", "请选择本省的市州");
            school.city
        }
    };
    if errors.is_empty()
        && let Some(other) = org::find_school_by_name(ctx.db, &name).await?
        && other.id != id
    {
        errors.add("name", format!("已有同名学校“{}”", other.name));
    }
    errors.into_result()?;
    let mut changes = serde_json::Map::new();
    diff(&mut changes, "name", json!(school.name), json!(name));
    diff(
        &mut changes,
        "kind",
        json!(school.kind.code()),
        json!(kind.code()),
    );
    diff(
        &mut changes,
        "city",
        json!(school.city.get()),
        json!(city.get()),
    );
    let mut tx = ctx.db.begin().await?;
    orgtree::update_school(&mut tx, id, &name, kind, city).await?;
    audited(
        ctx,
        &mut tx,
        "update",
        "school",
        id.get(),
        id,
        changes.into(),
    )
    .await?;
    tx.commit().await?;
    Ok(School {
        name,
        kind,
        city,
        ..school
    })
}

// ---------------------------------------------------------------- colleges

pub async fn create_college(ctx: Ctx<'_>, school: SchoolId, raw_name: &str) -> OrgResult<College> {
    let school = editable_school(ctx, school).await?;
    let mut errors = FieldErrors::default();
    let name = name_field(&mut errors, "name", raw_name, "学院名称");
    if errors.is_empty() && orgtree::college_name_taken(ctx.db, school.id, &name, None).await? {
        errors.add("name", format!("本校已有“{name}”"));
    }
    errors.into_result()?;
    let mut tx = ctx.db.begin().await?;
    let college = org::insert_college(&mut tx, school.id, &name).await?;
    audited(
        ctx,
        &mut tx,
        "create",
        "college",
        college.id.get(),
        school.id,
        json!({ "name": [null, name] }),
    )
    .await?;
    tx.commit().await?;
    Ok(college)
}

pub async fn rename_college(ctx: Ctx<'_>, id: CollegeId, raw_name: &str) -> OrgResult<College> {
    let college = editable_college(ctx, id).await?;
    let mut errors = FieldErrors::default();
    let name = name_field(&mut errors, "name", raw_name, "学院名称");
    if errors.is_empty()
        && orgtree::college_name_taken(ctx.db, college.school, &name, Some(id)).await?
    {
        errors.add("name", format!("本校已有“{name}”"));
    }
    errors.into_result()?;
    let mut tx = ctx.db.begin().await?;
    orgtree::rename_college(&mut tx, id, &name).await?;
    audited(
        ctx,
        &mut tx,
        "update",
        "college",
        id.get(),
        college.school,
        json!({ "name": [college.name, name] }),
    )
    .await?;
    tx.commit().await?;
    Ok(College { name, ..college })
}

/// A college's history as the form gives it: former names and leaders one per line
/// (`1958–1978 湖南某某专科学校`, `1998–2006 张三 院长`).
#[derive(Debug, Clone, Default)]
pub struct HistoryInput<'a> {
    pub origins: &'a str,
    pub former_names: &'a str,
    pub leaders: &'a str,
    pub students: &'a str,
    pub staff: &'a str,
    pub achievements: &'a str,
    pub addresses: &'a str,
}

/// `1958–1978`, `1958-至今`, `1958—`, `1958年～1978年`, or a single `1958`.
fn parse_period(token: &str, latest: i32) -> Result<(Option<i32>, Option<i32>), String> {
    let token = token.replace('年', "");
    let mut parts = token.splitn(2, ['-', '–', '—', '~', '～', '至']);
    let year = |text: &str| -> Result<i32, String> {
        match text.trim().parse::<i32>() {
            Ok(y) if (1800..=latest).contains(&y) => Ok(y),
            _ => Err(format!("“{text}”不是有效的年份")),
        }
    };
    let from = year(parts.next().unwrap_or_default())?;
    let to = match parts.next().map(str::trim) {
        None | Some("") | Some("今") | Some("至今") => None,
        Some(text) => Some(year(text)?),
    };
    if to.is_some_and(|to| to < from) {
        return Err("结束年份早于开始年份".to_owned());
    }
    Ok((Some(from), to))
}

/// Lines of `period name [title]`; `with_title` splits the last word off as the title.
fn history_lines(
    errors: &mut FieldErrors,
    field: &'static str,
    raw: &str,
    with_title: bool,
    latest: i32,
) -> Vec<HistoryEntry> {
    let example = if with_title {
        "1998–2006 张三 院长"
    } else {
        "1958–1978 湖南某某专科学校"
    };
    let mut entries = Vec::new();
    let lines: Vec<(usize, &str)> = raw
        .lines()
        .map(str::trim)
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .collect();
    if lines.len() > LINES_MAX {
        errors.add(field, format!("最多 {LINES_MAX} 行"));
        return entries;
    }
    for (index, line) in lines {
        let cleaned = xiaoyou_text::clean_cell(line);
        let (period, rest) = cleaned.split_once(' ').unwrap_or((cleaned.as_str(), ""));
        if !period.starts_with(|c: char| c.is_ascii_digit()) || rest.trim().is_empty() {
            errors.add(
                field,
                format!(
                    "第 {} 行：请按“起止年份 名称”填写，如“{example}”",
                    index + 1
                ),
            );
            continue;
        }
        let (from_year, to_year) = match parse_period(period, latest) {
            Ok(years) => years,
            Err(reason) => {
                errors.add(field, format!("第 {} 行：{reason}", index + 1));
                continue;
            }
        };
        let rest = rest.trim();
        let (name, title) = match (with_title, rest.rsplit_once(' ')) {
            (true, Some((name, title))) => (name.trim().to_owned(), Some(title.to_owned())),
            _ => (rest.to_owned(), None),
        };
        if name.chars().count() > NAME_MAX {
            errors.add(
                field,
                format!("第 {} 行：名称不能超过 {NAME_MAX} 个字", index + 1),
            );
            continue;
        }
        entries.push(HistoryEntry {
            from_year,
            to_year,
            name,
            title,
        });
    }
    entries
}

/// A history entry as one line, the way the form takes it back.
pub fn history_line(entry: &HistoryEntry) -> String {
    let period = match (entry.from_year, entry.to_year) {
        (Some(from), Some(to)) => format!("{from}–{to}"),
        (Some(from), None) => format!("{from}–至今"),
        (None, _) => String::new(),
    };
    match &entry.title {
        Some(title) => format!("{period} {} {title}", entry.name),
        None => format!("{period} {}", entry.name),
    }
}

pub async fn save_history(
    ctx: Ctx<'_>,
    id: CollegeId,
    input: &HistoryInput<'_>,
) -> OrgResult<CollegeHistory> {
    let college = editable_college(ctx, id).await?;
    let latest = ctx.clock.now().year() + 1;
    let mut errors = FieldErrors::default();
    let history = CollegeHistory {
        origins: optional_text(&mut errors, "origins", input.origins),
        former_names: history_lines(
            &mut errors,
            "former_names",
            input.former_names,
            false,
            latest,
        ),
        leaders: history_lines(&mut errors, "leaders", input.leaders, true, latest),
        students: optional_count(&mut errors, "students", input.students),
        staff: optional_count(&mut errors, "staff", input.staff),
        achievements: optional_text(&mut errors, "achievements", input.achievements),
        addresses: optional_text(&mut errors, "addresses", input.addresses),
        updated_at: Some(ctx.clock.now()),
    };
    errors.into_result()?;
    let before = orgtree::college_history(ctx.db, id)
        .await?
        .unwrap_or_default();
    let lines = |entries: &[HistoryEntry]| -> Value {
        entries.iter().map(history_line).collect::<Vec<_>>().into()
    };
    let mut changes = serde_json::Map::new();
    diff(
        &mut changes,
        "origins",
        json!(before.origins),
        json!(history.origins),
    );
    diff(
        &mut changes,
        "former_names",
        lines(&before.former_names),
        lines(&history.former_names),
    );
    diff(
        &mut changes,
        "leaders",
        lines(&before.leaders),
        lines(&history.leaders),
    );
    diff(
        &mut changes,
        "students",
        json!(before.students),
        json!(history.students),
    );
    diff(
        &mut changes,
        "staff",
        json!(before.staff),
        json!(history.staff),
    );
    diff(
        &mut changes,
        "achievements",
        json!(before.achievements),
        json!(history.achievements),
    );
    diff(
        &mut changes,
        "addresses",
        json!(before.addresses),
        json!(history.addresses),
    );
    let mut tx = ctx.db.begin().await?;
    orgtree::save_college_history(&mut tx, id, &history, ctx.clock.now()).await?;
    audited(
        ctx,
        &mut tx,
        "update_history",
        "college",
        id.get(),
        college.school,
        changes.into(),
    )
    .await?;
    tx.commit().await?;
    Ok(history)
}

fn refusal(what: &str, usage: Usage) -> String {
    let mut parts = Vec::new();
    if usage.majors > 0 {
        parts.push(format!("{} 个专业", usage.majors));
    }
    if usage.classes > 0 {
        parts.push(format!("{} 个班级", usage.classes));
    }
    if usage.study_records > 0 {
        parts.push(format!("{} 条校友学籍记录", usage.study_records));
    }
    if usage.grants > 0 {
        parts.push(format!("{} 个账号授权", usage.grants));
    }
    format!(
        "不能删除{what}：其下还有{}。请先移走或删除这些内容后再删除。",
        parts.join("、")
    )
}

pub async fn delete_college(ctx: Ctx<'_>, id: CollegeId) -> OrgResult<College> {
    let college = editable_college(ctx, id).await?;
    if !may_shape_school(ctx.actor, college.school) {
        return Err(OrgError::App(AppError::Forbidden));
    }
    let usage = orgtree::college_usage(ctx.db, id).await?;
    if !usage.is_empty() {
        return Err(OrgError::NotEmpty(refusal(
            &format!("“{}”", college.name),
            usage,
        )));
    }
    let mut tx = ctx.db.begin().await?;
    orgtree::delete_college(&mut tx, id).await?;
    audited(
        ctx,
        &mut tx,
        "delete",
        "college",
        id.get(),
        college.school,
        json!({ "name": [college.name, null] }),
    )
    .await?;
    tx.commit().await?;
    Ok(college)
}

// ---------------------------------------------------------------- majors

pub async fn create_major(ctx: Ctx<'_>, college: CollegeId, raw_name: &str) -> OrgResult<MajorId> {
    let college = editable_college(ctx, college).await?;
    let mut errors = FieldErrors::default();
    let name = name_field(&mut errors, "major_name", raw_name, "专业名称");
    if errors.is_empty() && orgtree::major_name_taken(ctx.db, college.id, &name, None).await? {
        errors.add("major_name", format!("本学院已有“{name}”专业"));
    }
    errors.into_result()?;
    let mut tx = ctx.db.begin().await?;
    let major = org::insert_major(&mut tx, college.id, &name).await?;
    audited(
        ctx,
        &mut tx,
        "create",
        "major",
        major.id.get(),
        college.school,
        json!({ "name": [null, name], "college": [null, college.id.get()] }),
    )
    .await?;
    tx.commit().await?;
    Ok(major.id)
}

/// The major and its college, if the actor may change them.
pub async fn editable_major(ctx: Ctx<'_>, id: MajorId) -> OrgResult<(String, College)> {
    let (_, college, name) = orgtree::get_major(ctx.db, id)
        .await?
        .ok_or(AppError::NotFound("该专业"))?;
    let college = match editable_college(ctx, college).await {
        Err(OrgError::App(AppError::NotFound(_))) => {
            return Err(OrgError::App(AppError::NotFound("该专业")));
        }
        other => other?,
    };
    Ok((name, college))
}

pub async fn rename_major(ctx: Ctx<'_>, id: MajorId, raw_name: &str) -> OrgResult<College> {
    let (before, college) = editable_major(ctx, id).await?;
    let mut errors = FieldErrors::default();
    let name = name_field(&mut errors, "major_name", raw_name, "专业名称");
    if errors.is_empty() && orgtree::major_name_taken(ctx.db, college.id, &name, Some(id)).await? {
        errors.add("major_name", format!("本学院已有“{name}”专业"));
    }
    errors.into_result()?;
    let mut tx = ctx.db.begin().await?;
    orgtree::rename_major(&mut tx, id, &name).await?;
    audited(
        ctx,
        &mut tx,
        "update",
        "major",
        id.get(),
        college.school,
        json!({ "name": [before, name] }),
    )
    .await?;
    tx.commit().await?;
    Ok(college)
}

pub async fn delete_major(ctx: Ctx<'_>, id: MajorId) -> OrgResult<(String, College)> {
    let (name, college) = editable_major(ctx, id).await?;
    let usage = orgtree::major_usage(ctx.db, id).await?;
    if !usage.is_empty() {
        return Err(OrgError::NotEmpty(refusal(&format!("专业“{name}”"), usage)));
    }
    let mut tx = ctx.db.begin().await?;
    orgtree::delete_major(&mut tx, id).await?;
    audited(
        ctx,
        &mut tx,
        "delete",
        "major",
        id.get(),
        college.school,
        json!({ "name": [name, null] }),
    )
    .await?;
    tx.commit().await?;
    Ok((name, college))
}

// ---------------------------------------------------------------- classes

/// A class as the form gives it. Blank phones keep the stored number unless the matching
/// `clear_…` box is ticked.
#[derive(Debug, Clone, Default)]
pub struct ClassInput<'a> {
    pub name: &'a str,
    pub major: &'a str,
    pub enrolment_year: &'a str,
    pub graduation_year: &'a str,
    pub head_teacher: &'a str,
    pub head_teacher_role: &'a str,
    pub head_teacher_phone: &'a str,
    pub clear_head_teacher_phone: bool,
    pub liaison_name: &'a str,
    pub liaison_phone: &'a str,
    pub clear_liaison_phone: bool,
}

/// The two words a school uses for the teacher in charge of a class.
pub const HEAD_TEACHER_ROLES: [&str; 2] = ["班主任", "辅导员"];

struct CheckedClass {
    name: String,
    major: Option<MajorId>,
    enrolment_year: Option<i32>,
    graduation_year: Option<i32>,
    head_teacher: Option<String>,
    head_teacher_role: Option<String>,
    contacts: ClassContacts,
}

async fn check_class(
    ctx: Ctx<'_>,
    college: &College,
    existing: Option<(&Class, &ClassContacts)>,
    input: &ClassInput<'_>,
) -> OrgResult<CheckedClass> {
    let latest = ctx.clock.now().year() + 6;
    let mut errors = FieldErrors::default();
    let name = name_field(&mut errors, "name", input.name, "班级名称");
    let major = match input.major.trim() {
        "" => None,
        raw => {
            let majors = orgtree::list_majors_of_college(ctx.db, college.id).await?;
            let chosen = raw
                .parse::<i64>()
                .ok()
                .map(MajorId)
                .filter(|id| majors.iter().any(|(m, _)| m == id));
            if chosen.is_none() {
                errors.add("major", "请选择本学院的专业");
            }
            chosen
        }
    };
    let enrolment_year = optional_year(&mut errors, "enrolment_year", input.enrolment_year, latest);
    let graduation_year = optional_year(
        &mut errors,
        "graduation_year",
        input.graduation_year,
        latest,
    );
    if let (Some(from), Some(to)) = (enrolment_year, graduation_year)
        && to < from
    {
        errors.add("graduation_year", "毕业年份不能早于入学年份");
    }
    let head_teacher = optional_person_name(&mut errors, "head_teacher", input.head_teacher);
    let role = input.head_teacher_role.trim();
    let head_teacher_role = if role.is_empty() {
        None
    } else if HEAD_TEACHER_ROLES.contains(&role) {
        Some(role.to_owned())
    } else {
        errors.add("head_teacher_role", "请选择“班主任”或“辅导员”");
        None
    };
    let current = existing.map(|(_, c)| c);
    let head_teacher_phone = phone_field(
        &mut errors,
        "head_teacher_phone",
        input.head_teacher_phone,
        current.and_then(|c| c.head_teacher_phone.as_deref()),
        input.clear_head_teacher_phone,
    );
    if head_teacher.is_none() && head_teacher_phone.is_some() {
        errors.add(
            "head_teacher",
            "填写了手机号，请同时填写班主任（辅导员）姓名",
        );
    }
    let liaison_name = optional_person_name(&mut errors, "liaison_name", input.liaison_name);
    let liaison_phone = phone_field(
        &mut errors,
        "liaison_phone",
        input.liaison_phone,
        current.and_then(|c| c.liaison_phone.as_deref()),
        input.clear_liaison_phone,
    );
    if liaison_name.is_none() && liaison_phone.is_some() {
        errors.add("liaison_name", "填写了手机号，请同时填写班级联络员姓名");
    }
    if errors.get("name").is_none()
        && orgtree::class_name_taken(
            ctx.db,
            college.school,
            &name,
            existing.map(|(class, _)| class.id),
        )
        .await?
    {
        errors.add("name", format!("本校已有名为“{name}”的班级"));
    }
    errors.into_result()?;
    Ok(CheckedClass {
        name,
        major,
        enrolment_year,
        graduation_year,
        head_teacher,
        head_teacher_role,
        contacts: ClassContacts {
            head_teacher_phone,
            liaison_name,
            liaison_phone,
        },
    })
}

fn class_fields<'a>(college: &College, checked: &'a CheckedClass) -> ClassFields<'a> {
    ClassFields {
        college: Some(college.id),
        major: checked.major,
        name: &checked.name,
        enrolment_year: checked.enrolment_year,
        graduation_year: checked.graduation_year,
        head_teacher: checked.head_teacher.as_deref(),
        head_teacher_role: checked.head_teacher_role.as_deref(),
        contacts: checked.contacts.clone(),
    }
}

fn class_changes(before: Option<(&Class, &ClassContacts)>, after: &CheckedClass) -> Value {
    let mut changes = serde_json::Map::new();
    let (class, contacts) = match before {
        Some((class, contacts)) => (Some(class), Some(contacts)),
        None => (None, None),
    };
    diff(
        &mut changes,
        "name",
        json!(class.map(|c| &c.name)),
        json!(after.name),
    );
    diff(
        &mut changes,
        "major",
        json!(class.and_then(|c| c.major).map(MajorId::get)),
        json!(after.major.map(MajorId::get)),
    );
    diff(
        &mut changes,
        "enrolment_year",
        json!(class.and_then(|c| c.enrolment_year)),
        json!(after.enrolment_year),
    );
    diff(
        &mut changes,
        "graduation_year",
        json!(class.and_then(|c| c.graduation_year)),
        json!(after.graduation_year),
    );
    diff(
        &mut changes,
        "head_teacher",
        json!(class.and_then(|c| c.head_teacher.as_ref())),
        json!(after.head_teacher),
    );
    diff(
        &mut changes,
        "head_teacher_role",
        json!(class.and_then(|c| c.head_teacher_role.as_ref())),
        json!(after.head_teacher_role),
    );
    diff(
        &mut changes,
        "head_teacher_phone",
        masked(contacts.and_then(|c| c.head_teacher_phone.as_deref())),
        masked(after.contacts.head_teacher_phone.as_deref()),
    );
    diff(
        &mut changes,
        "liaison_name",
        json!(contacts.and_then(|c| c.liaison_name.as_ref())),
        json!(after.contacts.liaison_name),
    );
    diff(
        &mut changes,
        "liaison_phone",
        masked(contacts.and_then(|c| c.liaison_phone.as_deref())),
        masked(after.contacts.liaison_phone.as_deref()),
    );
    changes.into()
}

pub async fn create_class(
    ctx: Ctx<'_>,
    college: CollegeId,
    input: &ClassInput<'_>,
) -> OrgResult<(ClassId, String)> {
    let college = editable_college(ctx, college).await?;
    let checked = check_class(ctx, &college, None, input).await?;
    let mut tx = ctx.db.begin().await?;
    let id =
        orgtree::insert_class(&mut tx, college.school, &class_fields(&college, &checked)).await?;
    let mut changes = class_changes(None, &checked);
    if let Some(map) = changes.as_object_mut() {
        map.insert("college".to_owned(), json!([null, college.id.get()]));
    }
    audited(
        ctx,
        &mut tx,
        "create",
        "class",
        id.get(),
        college.school,
        changes,
    )
    .await?;
    tx.commit().await?;
    Ok((id, checked.name))
}

/// The college a class belongs to (classes managed here always have one).
async fn college_of(ctx: Ctx<'_>, class: &Class) -> OrgResult<College> {
    let id = class.college.ok_or(AppError::NotFound("该班级所属学院"))?;
    Ok(org::get_college(ctx.db, id)
        .await?
        .ok_or(AppError::NotFound("该班级所属学院"))?)
}

pub async fn update_class(
    ctx: Ctx<'_>,
    id: ClassId,
    input: &ClassInput<'_>,
) -> OrgResult<(ClassId, String)> {
    let class = editable_class(ctx, id).await?;
    let college = college_of(ctx, &class).await?;
    let contacts = orgtree::class_contacts(ctx.db, id).await?;
    let checked = check_class(ctx, &college, Some((&class, &contacts)), input).await?;
    let changes = class_changes(Some((&class, &contacts)), &checked);
    let mut tx = ctx.db.begin().await?;
    orgtree::update_class(&mut tx, id, &class_fields(&college, &checked)).await?;
    audited(
        ctx,
        &mut tx,
        "update",
        "class",
        id.get(),
        class.school,
        changes,
    )
    .await?;
    tx.commit().await?;
    Ok((id, checked.name))
}

pub async fn delete_class(ctx: Ctx<'_>, id: ClassId) -> OrgResult<(Class, College)> {
    let class = editable_class(ctx, id).await?;
    let college = college_of(ctx, &class).await?;
    if !may_shape_college(ctx.actor, &college) {
        return Err(OrgError::App(AppError::Forbidden));
    }
    let usage = orgtree::class_usage(ctx.db, id).await?;
    if !usage.is_empty() {
        return Err(OrgError::NotEmpty(refusal(
            &format!("班级“{}”", class.name),
            usage,
        )));
    }
    let mut tx = ctx.db.begin().await?;
    orgtree::delete_class(&mut tx, id).await?;
    audited(
        ctx,
        &mut tx,
        "delete",
        "class",
        id.get(),
        class.school,
        json!({ "name": [class.name, null], "college": [college.id.get(), null] }),
    )
    .await?;
    tx.commit().await?;
    Ok((class, college))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_as_schools_write_them() {
        assert_eq!(
            parse_period("1958–1978", 2027),
            Ok((Some(1958), Some(1978)))
        );
        assert_eq!(parse_period("1958年-至今", 2027), Ok((Some(1958), None)));
        assert_eq!(parse_period("1958～", 2027), Ok((Some(1958), None)));
        assert_eq!(parse_period("2001", 2027), Ok((Some(2001), None)));
        assert!(parse_period("1978-1958", 2027).is_err());
        assert!(parse_period("19x8", 2027).is_err());
    }

    #[test]
    fn history_lines_name_the_bad_line() {
        let mut errors = FieldErrors::default();
        let entries = history_lines(
            &mut errors,
            "leaders",
            "1998–2006 张三 院长\n\n张四 院长",
            true,
            2027,
        );
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].title.as_deref(), Some("院长"));
        assert_eq!(history_line(&entries[0]), "1998–2006 张三 院长");
        assert!(
            errors
                .get("leaders")
                .is_some_and(|m| m.starts_with("第 3 行"))
        );
    }
}
