//! Domain vocabulary of xiaoyou.
//!
//! Identifiers, validated values (resident ID numbers, phones, credit codes, money in fen,
//! Chinese names), the organisation tree's kinds and levels, and the secret handling of
//! personal data. Nothing here performs I/O: the store, the app and the web layers build on it.

pub mod audit;
pub mod auth;
pub mod clock;
pub mod contact;
pub mod credit_code;
pub mod email;
pub mod error;
pub mod gender;
pub mod id_card;
pub mod ids;
pub mod money;
pub mod org;
pub mod person_name;
pub mod phone;
pub mod region;
pub mod secret;
pub mod talent;

pub use auth::{Action, Actor, ConsentAudience, Grant, OrgNode, Role, Scope, UserId};
pub use clock::{Clock, FixedClock, SystemClock};
pub use contact::ContactKind;
pub use credit_code::CreditCode;
pub use email::Email;
pub use error::ValueError;
pub use gender::Gender;
pub use id_card::IdCardNo;
pub use ids::*;
pub use money::Fen;
pub use org::{SchoolKind, StudyLevel};
pub use person_name::PersonName;
pub use phone::MobilePhone;
pub use region::{RegionCode, RegionLevel};
pub use secret::{PersonalDataKey, SealedValue};
pub use talent::{AppointmentKind, EnterpriseTag, TalentCategory};
