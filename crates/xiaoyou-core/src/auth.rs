//! Who may do what, where: roles granted on a node of the organisation tree, the actions
//! each role allows, and the resolved scope an actor works in.

use crate::ids::{ClassId, CollegeId, DepartmentId, PersonId, SchoolId};
use crate::org::coded_enum;
use crate::region::RegionCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A user account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl UserId {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

coded_enum! {
    /// The roles of the platform, from the provincial working group down to the alumnus.
    Role {
        ProvinceAdmin => ("province_admin", "省级专班管理员", "省级专班"),
        DepartmentViewer => ("department_viewer", "对口联系单位", "对口联系单位查看"),
        CityViewer => ("city_viewer", "市州查看", "市州"),
        SchoolAdmin => ("school_admin", "学校管理员", "学校校友办"),
        CollegeAdmin => ("college_admin", "二级学院管理员", "二级学院"),
        ClassLiaison => ("class_liaison", "班级联络员"),
        AssociationAdmin => ("association_admin", "校友会管理员"),
        Specialist => ("specialist", "服务专员"),
        Alumnus => ("alumnus", "校友"),
    }
}

/// Something an actor may want to do. Each role allows a fixed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See the organisation tree, figures and lists of alumni within scope (masked).
    View,
    /// Create, change and delete records within scope.
    Edit,
    /// Manage accounts and grants within scope.
    ManageUsers,
    /// Read the audit log within scope.
    ViewAudit,
    /// See personal data unmasked (an audited action).
    Unmask,
    /// Export lists.
    Export,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::View,
        Action::Edit,
        Action::ManageUsers,
        Action::ViewAudit,
        Action::Unmask,
        Action::Export,
    ];
}

impl Role {
    pub fn allows(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::ProvinceAdmin | Role::SchoolAdmin => true,
            Role::CollegeAdmin => matches!(action, View | Edit | Export | Unmask | ViewAudit),
            Role::ClassLiaison => matches!(action, View | Edit | Export),
            Role::AssociationAdmin => matches!(action, View | Edit),
            Role::DepartmentViewer | Role::CityViewer => matches!(action, View | Export),
            Role::Specialist => matches!(action, View),
            Role::Alumnus => matches!(action, View | Edit),
        }
    }

    /// The node kinds this role may be granted on.
    pub fn fits(self, node: &OrgNode) -> bool {
        matches!(
            (self, node),
            (Role::ProvinceAdmin, OrgNode::Province(_))
                | (Role::DepartmentViewer, OrgNode::Department(_))
                | (Role::CityViewer, OrgNode::City(_))
                | (Role::SchoolAdmin, OrgNode::School(_))
                | (Role::CollegeAdmin, OrgNode::College(_))
                | (Role::ClassLiaison, OrgNode::Class(_))
                | (Role::AssociationAdmin, OrgNode::School(_))
                | (Role::Specialist, OrgNode::Province(_) | OrgNode::City(_))
                | (Role::Alumnus, OrgNode::Person(_))
        )
    }
}

/// A node of the organisation tree a role can be granted on; the grant covers its subtree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum OrgNode {
    Province(RegionCode),
    City(RegionCode),
    Department(DepartmentId),
    School(SchoolId),
    College(CollegeId),
    Class(ClassId),
    Person(PersonId),
}

impl OrgNode {
    pub fn kind(&self) -> &'static str {
        match self {
            OrgNode::Province(_) => "province",
            OrgNode::City(_) => "city",
            OrgNode::Department(_) => "department",
            OrgNode::School(_) => "school",
            OrgNode::College(_) => "college",
            OrgNode::Class(_) => "class",
            OrgNode::Person(_) => "person",
        }
    }

    pub fn id(&self) -> i64 {
        match self {
            OrgNode::Province(code) | OrgNode::City(code) => i64::from(code.get()),
            OrgNode::Department(id) => id.get(),
            OrgNode::School(id) => id.get(),
            OrgNode::College(id) => id.get(),
            OrgNode::Class(id) => id.get(),
            OrgNode::Person(id) => id.get(),
        }
    }

    pub fn from_parts(kind: &str, id: i64) -> Option<OrgNode> {
        let region = || u32::try_from(id).ok().and_then(|c| RegionCode::new(c).ok());
        Some(match kind {
            "province" => OrgNode::Province(region()?),
            "city" => OrgNode::City(region()?),
            "department" => OrgNode::Department(DepartmentId(id)),
            "school" => OrgNode::School(SchoolId(id)),
            "college" => OrgNode::College(CollegeId(id)),
            "class" => OrgNode::Class(ClassId(id)),
            "person" => OrgNode::Person(PersonId(id)),
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Grant {
    pub role: Role,
    pub node: OrgNode,
}

/// What an actor can see, resolved to concrete nodes (a city or a partner department becomes
/// the schools it covers). Every store read of tenant data filters by it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// The whole province.
    pub all: bool,
    pub schools: BTreeSet<SchoolId>,
    pub colleges: BTreeSet<CollegeId>,
    pub classes: BTreeSet<ClassId>,
    pub persons: BTreeSet<PersonId>,
}

impl Scope {
    pub fn everything() -> Scope {
        Scope {
            all: true,
            ..Scope::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        !self.all
            && self.schools.is_empty()
            && self.colleges.is_empty()
            && self.classes.is_empty()
            && self.persons.is_empty()
    }

    pub fn covers_school(&self, school: SchoolId) -> bool {
        self.all || self.schools.contains(&school)
    }

    /// Whether the school appears at all (wholly, or through one of its colleges or classes).
    pub fn touches_school(
        &self,
        school: SchoolId,
        colleges_of_school: &[CollegeId],
        classes_of_school: &[ClassId],
    ) -> bool {
        self.covers_school(school)
            || colleges_of_school.iter().any(|c| self.colleges.contains(c))
            || classes_of_school.iter().any(|c| self.classes.contains(c))
    }

    pub fn covers_college(&self, school: SchoolId, college: CollegeId) -> bool {
        self.covers_school(school) || self.colleges.contains(&college)
    }

    pub fn covers_class(
        &self,
        school: SchoolId,
        college: Option<CollegeId>,
        class: ClassId,
    ) -> bool {
        self.covers_school(school)
            || college.is_some_and(|c| self.colleges.contains(&c))
            || self.classes.contains(&class)
    }

    pub fn merge(&mut self, other: Scope) {
        self.all |= other.all;
        self.schools.extend(other.schools);
        self.colleges.extend(other.colleges);
        self.classes.extend(other.classes);
        self.persons.extend(other.persons);
    }
}

/// The signed-in user, with the grants and resolved scopes that every service call checks.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: UserId,
    pub username: String,
    pub display_name: String,
    pub grants: Vec<Grant>,
    /// Per action, the scope in which the actor's grants allow it.
    scopes: Vec<(Action, Scope)>,
    pub must_change_password: bool,
}

impl Actor {
    /// `resolve` turns one grant's node into the scope it covers (it needs the database for
    /// cities and departments, so the caller supplies it).
    pub fn new(
        user: UserId,
        username: String,
        display_name: String,
        grants: Vec<Grant>,
        must_change_password: bool,
        resolve: impl Fn(&OrgNode) -> Scope,
    ) -> Actor {
        let mut scopes: Vec<(Action, Scope)> =
            Action::ALL.iter().map(|a| (*a, Scope::default())).collect();
        for grant in &grants {
            let scope = resolve(&grant.node);
            for (action, action_scope) in &mut scopes {
                if grant.role.allows(*action) {
                    action_scope.merge(scope.clone());
                }
            }
        }
        Actor {
            user,
            username,
            display_name,
            grants,
            scopes,
            must_change_password,
        }
    }

    pub fn scope(&self, action: Action) -> &Scope {
        static NOTHING: std::sync::OnceLock<Scope> = std::sync::OnceLock::new();
        self.scopes
            .iter()
            .find(|(a, _)| *a == action)
            .map(|(_, scope)| scope)
            .unwrap_or_else(|| NOTHING.get_or_init(Scope::default))
    }

    /// Whether any grant allows the action somewhere.
    pub fn may(&self, action: Action) -> bool {
        self.grants.iter().any(|g| g.role.allows(action))
    }

    pub fn is_province_admin(&self) -> bool {
        self.grants.iter().any(|g| g.role == Role::ProvinceAdmin)
    }

    /// The highest role, for display.
    pub fn primary_role(&self) -> Option<Role> {
        self.grants.iter().map(|g| g.role).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope_of(node: &OrgNode) -> Scope {
        let mut scope = Scope::default();
        match node {
            OrgNode::Province(_) => scope.all = true,
            OrgNode::City(_) | OrgNode::Department(_) => {
                scope.schools.insert(SchoolId(1));
            }
            OrgNode::School(s) => {
                scope.schools.insert(*s);
            }
            OrgNode::College(c) => {
                scope.colleges.insert(*c);
            }
            OrgNode::Class(c) => {
                scope.classes.insert(*c);
            }
            OrgNode::Person(p) => {
                scope.persons.insert(*p);
            }
        }
        scope
    }

    #[test]
    fn roles_fit_their_nodes_only() {
        let school = OrgNode::School(SchoolId(1));
        assert!(Role::SchoolAdmin.fits(&school));
        assert!(!Role::CollegeAdmin.fits(&school));
        assert!(!Role::ProvinceAdmin.fits(&school));
        assert_eq!(
            OrgNode::from_parts(school.kind(), school.id()),
            Some(school)
        );
    }

    #[test]
    fn viewers_cannot_edit_and_scopes_follow_grants() {
        let viewer = Actor::new(
            UserId(1),
            "v".into(),
            "v".into(),
            vec![Grant {
                role: Role::CityViewer,
                node: OrgNode::City(RegionCode::new(430100).unwrap_or_else(|_| unreachable!())),
            }],
            false,
            scope_of,
        );
        assert!(viewer.scope(Action::View).covers_school(SchoolId(1)));
        assert!(!viewer.scope(Action::View).covers_school(SchoolId(2)));
        assert!(viewer.scope(Action::Edit).is_empty());
        assert!(!viewer.may(Action::Edit));

        let college_admin = Actor::new(
            UserId(2),
            "c".into(),
            "c".into(),
            vec![Grant {
                role: Role::CollegeAdmin,
                node: OrgNode::College(CollegeId(7)),
            }],
            false,
            scope_of,
        );
        let view = college_admin.scope(Action::View);
        assert!(view.covers_college(SchoolId(3), CollegeId(7)));
        assert!(!view.covers_college(SchoolId(3), CollegeId(8)));
        assert!(view.covers_class(SchoolId(3), Some(CollegeId(7)), ClassId(99)));
        assert!(!view.covers_school(SchoolId(3)));
        assert!(view.touches_school(SchoolId(3), &[CollegeId(7)], &[]));
    }
}

coded_enum! {
    /// With whom a person agreed to share their contact details.
    ConsentAudience {
        OwnSchool => ("own_school", "本人就读学校"),
        Province => ("province", "省级平台"),
        Departments => ("departments", "对口联系单位与市州"),
        Enterprises => ("enterprises", "校友企业"),
    }
}

impl ConsentAudience {
    /// Whether sharing is allowed when the person has said nothing: a school keeps its own
    /// roster; anything wider needs the person's consent.
    pub fn default_granted(self) -> bool {
        self == ConsentAudience::OwnSchool
    }
}

impl Role {
    /// The audience a role reads a person's details as, when it reaches them at all.
    pub fn audience(self) -> Option<ConsentAudience> {
        match self {
            Role::SchoolAdmin
            | Role::CollegeAdmin
            | Role::ClassLiaison
            | Role::AssociationAdmin => Some(ConsentAudience::OwnSchool),
            Role::ProvinceAdmin | Role::Specialist => Some(ConsentAudience::Province),
            Role::DepartmentViewer | Role::CityViewer => Some(ConsentAudience::Departments),
            Role::Alumnus => None,
        }
    }
}
