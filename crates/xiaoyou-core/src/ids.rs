//! Identifier newtypes: a `SchoolId` can never be passed where a `PersonId` is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_newtype {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map($name)
            }
        }
    )*};
}

id_newtype! {
    /// A partner government department (对口联系单位).
    DepartmentId,
    /// A school (学校).
    SchoolId,
    /// A college within a school (二级学院).
    CollegeId,
    /// A major within a college (专业).
    MajorId,
    /// A class (班级).
    ClassId,
    /// One real human (自然人).
    PersonId,
    /// One person's study at one school, as one source reported it (校友学籍记录).
    StudyRecordId,
    /// Where a record came from: an import file, a self-registration, the demo generator.
    SourceId,
    /// A phone, email, WeChat or address of a person.
    ContactId,
    /// A company (企业).
    EnterpriseId,
    /// A job held by a person.
    EmploymentId,
    /// An industry chain (产业链).
    IndustryChainId,
    /// An appointment (聘任) of a person by a school.
    AppointmentId,
}
