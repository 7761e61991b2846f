//! The kinds in the organisation tree: what a school is, and what level a study was at.

macro_rules! coded_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => ($code:literal, $label:literal $(, $alias:literal)*)),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stable code stored in the database and used in the API.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),* }
            }

            /// The Chinese label shown to users.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),* }
            }

            /// Accepts the code, the label or a common alias.
            pub fn parse(raw: &str) -> Result<Self, $crate::error::ValueError> {
                let raw = raw.trim();
                $(if raw == $code || raw == $label $(|| raw == $alias)* { return Ok($name::$variant); })*
                if raw.is_empty() {
                    Err($crate::error::ValueError::Empty)
                } else {
                    Err($crate::error::ValueError::UnknownVariant(raw.to_owned()))
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}
pub(crate) use coded_enum;

coded_enum! {
    /// What kind of institution a school is.
    SchoolKind {
        University => ("university", "本科高校", "本科", "大学", "普通本科高校"),
        HigherVocational => ("higher_vocational", "高职", "高职院校", "高职高专", "专科"),
        SecondaryVocational => ("secondary_vocational", "中职", "中职学校", "中专"),
        MiddleSchool => ("middle_school", "中学", "高中", "普通高中"),
        OutOfProvince => ("out_of_province", "省外高校", "省外"),
    }
}

coded_enum! {
    /// The level of one study record.
    StudyLevel {
        MiddleSchool => ("middle_school", "中学", "高中", "初中"),
        SecondaryVocational => ("secondary_vocational", "中专", "中职"),
        Associate => ("associate", "专科", "大专", "高职"),
        Bachelor => ("bachelor", "本科", "学士"),
        Master => ("master", "硕士", "研究生", "硕士研究生"),
        Doctorate => ("doctorate", "博士", "博士研究生"),
    }
}

impl StudyLevel {
    /// The usual length of study in years, for consistency checks between age and years.
    pub fn usual_years(self) -> i32 {
        match self {
            StudyLevel::MiddleSchool => 3,
            StudyLevel::SecondaryVocational => 3,
            StudyLevel::Associate => 3,
            StudyLevel::Bachelor => 4,
            StudyLevel::Master => 3,
            StudyLevel::Doctorate => 4,
        }
    }

    /// The usual age when this level starts.
    pub fn usual_start_age(self) -> i32 {
        match self {
            StudyLevel::MiddleSchool => 15,
            StudyLevel::SecondaryVocational => 15,
            StudyLevel::Associate => 18,
            StudyLevel::Bachelor => 18,
            StudyLevel::Master => 22,
            StudyLevel::Doctorate => 25,
        }
    }
}

impl SchoolKind {
    /// The level of study a school of this kind records by default.
    pub fn default_level(self) -> StudyLevel {
        match self {
            SchoolKind::University | SchoolKind::OutOfProvince => StudyLevel::Bachelor,
            SchoolKind::HigherVocational => StudyLevel::Associate,
            SchoolKind::SecondaryVocational => StudyLevel::SecondaryVocational,
            SchoolKind::MiddleSchool => StudyLevel::MiddleSchool,
        }
    }
}

/// Whether a study level is plausible at a school of this kind.
pub fn level_fits_school(kind: SchoolKind, level: StudyLevel) -> bool {
    match kind {
        SchoolKind::University | SchoolKind::OutOfProvince => matches!(
            level,
            StudyLevel::Associate
                | StudyLevel::Bachelor
                | StudyLevel::Master
                | StudyLevel::Doctorate
        ),
        SchoolKind::HigherVocational => {
            matches!(level, StudyLevel::Associate | StudyLevel::Bachelor)
        }
        SchoolKind::SecondaryVocational => level == StudyLevel::SecondaryVocational,
        SchoolKind::MiddleSchool => level == StudyLevel::MiddleSchool,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_labels_and_aliases() {
        assert_eq!(SchoolKind::parse("本科高校"), Ok(SchoolKind::University));
        assert_eq!(
            SchoolKind::parse("高职院校"),
            Ok(SchoolKind::HigherVocational)
        );
        assert_eq!(
            SchoolKind::parse("middle_school"),
            Ok(SchoolKind::MiddleSchool)
        );
        assert_eq!(StudyLevel::parse("研究生"), Ok(StudyLevel::Master));
        assert!(StudyLevel::parse("幼儿园").is_err());
        for kind in SchoolKind::ALL {
            assert_eq!(SchoolKind::parse(kind.code()), Ok(*kind));
            assert!(level_fits_school(*kind, kind.default_level()));
        }
    }
}
