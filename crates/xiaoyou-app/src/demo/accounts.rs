//! One demo account per role, on real nodes of the demo province, all with the same
//! published demo password.

use crate::audit::AuditContext;
use crate::auth::users::{self, NewAccount};
use crate::error::{AppError, AppResult};
use xiaoyou_core::{Clock, Grant, OrgNode, RegionCode, Role};
use xiaoyou_store::{Db, accounts, org, people, stats};

/// The password of every demo account (demo data only; never used outside `xiaoyou demo`).
pub const DEMO_PASSWORD: &str = "xiaoyou-demo-2026";

/// A demo account as printed for the person trying the demo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    pub username: String,
    pub role: &'static str,
    pub scope: String,
}

const SCHOOL: &str = "湖南城市学院";

/// Creates the demo accounts once; on later calls only lists them.
pub async fn ensure(
    db: &Db,
    clock: &dyn Clock,
    province: RegionCode,
) -> AppResult<Vec<DemoAccount>> {
    let school =
        org::find_school_by_name(db, SCHOOL)
            .await?
            .ok_or_else(|| AppError::UnknownName {
                what: "演示学校",
                name: SCHOOL.to_owned(),
            })?;
    let colleges = org::list_colleges(db, school.id).await?;
    let mut chosen = None;
    for college in &colleges {
        let sizes = stats::class_sizes(db, college.id).await?;
        if let Some((class, _)) = sizes.into_iter().max_by_key(|(_, n)| *n) {
            chosen = Some((college.clone(), class));
            break;
        }
    }
    let (college, class) = chosen.ok_or_else(|| AppError::UnknownName {
        what: "演示班级",
        name: SCHOOL.to_owned(),
    })?;
    let class_record = org::get_class(db, class).await?;
    let register = people::class_register(db, class).await?;
    let alumnus = register
        .iter()
        .rev()
        .find(|e| Some(e.person) != class_record.as_ref().and_then(|c| c.liaison));
    let city = RegionCode::new(school.city.get()).map_err(|e| AppError::Invalid {
        field: "城市",
        reason: e.to_string(),
    })?;
    let class_name = class_record.map(|c| c.name).unwrap_or_default();
    let mut plan: Vec<(&str, Grant, String)> = vec![
        (
            "province",
            Grant {
                role: Role::ProvinceAdmin,
                node: OrgNode::Province(province),
            },
            "全省".to_owned(),
        ),
        (
            "specialist",
            Grant {
                role: Role::Specialist,
                node: OrgNode::Province(province),
            },
            "全省".to_owned(),
        ),
        (
            "city",
            Grant {
                role: Role::CityViewer,
                node: OrgNode::City(city),
            },
            "益阳市".to_owned(),
        ),
        (
            "school",
            Grant {
                role: Role::SchoolAdmin,
                node: OrgNode::School(school.id),
            },
            SCHOOL.to_owned(),
        ),
        (
            "association",
            Grant {
                role: Role::AssociationAdmin,
                node: OrgNode::School(school.id),
            },
            format!("{SCHOOL}校友会"),
        ),
        (
            "college",
            Grant {
                role: Role::CollegeAdmin,
                node: OrgNode::College(college.id),
            },
            format!("{SCHOOL} {}", college.name),
        ),
        (
            "liaison",
            Grant {
                role: Role::ClassLiaison,
                node: OrgNode::Class(class),
            },
            class_name,
        ),
    ];
    if let Some(department) = school.department {
        plan.push((
            "department",
            Grant {
                role: Role::DepartmentViewer,
                node: OrgNode::Department(department),
            },
            org::list_departments(db)
                .await?
                .into_iter()
                .find(|d| d.id == department)
                .map(|d| d.name)
                .unwrap_or_default(),
        ));
    }
    if let Some(entry) = alumnus {
        plan.push((
            "alumnus",
            Grant {
                role: Role::Alumnus,
                node: OrgNode::Person(entry.person),
            },
            entry.name.clone(),
        ));
    }
    let context = AuditContext::system("xiaoyou demo");
    let mut created = Vec::new();
    for (username, grant, scope) in plan {
        if accounts::find_user(db, username).await?.is_none() {
            users::create(
                db,
                clock,
                &context,
                None,
                &NewAccount {
                    username,
                    display_name: &format!("演示：{}", grant.role.label()),
                    password: Some(DEMO_PASSWORD),
                    grants: &[grant],
                },
            )
            .await?;
        }
        created.push(DemoAccount {
            username: username.to_owned(),
            role: grant.role.label(),
            scope,
        });
    }
    Ok(created)
}
