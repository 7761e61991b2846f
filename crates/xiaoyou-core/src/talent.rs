//! Talent profile categories, appointments by schools, and enterprise tags.

use crate::org::coded_enum;

coded_enum! {
    /// 人才类别
    TalentCategory {
        Entrepreneur => ("entrepreneur", "企业家"),
        Executive => ("executive", "企业高管"),
        Scholar => ("scholar", "专家学者", "专家"),
        Academician => ("academician", "院士"),
        Overseas => ("overseas", "海外人才"),
        Official => ("official", "党政干部"),
        YoungTalent => ("young_talent", "青年人才"),
        SkilledCraftsman => ("skilled_craftsman", "高技能人才", "工匠"),
    }
}

coded_enum! {
    /// 聘任类型
    AppointmentKind {
        DistinguishedProfessor => ("distinguished_professor", "特聘教授"),
        LectureProfessor => ("lecture_professor", "讲座教授"),
        IndustryMentor => ("industry_mentor", "产业导师"),
        StartupMentor => ("startup_mentor", "创业导师"),
        TalentAdvisor => ("talent_advisor", "招才顾问"),
        InvestmentAmbassador => ("investment_ambassador", "招商大使"),
    }
}

coded_enum! {
    /// 企业标签
    EnterpriseTag {
        Top500 => ("top500", "三类500强", "500强"),
        LittleGiant => ("little_giant", "专精特新小巨人", "专精特新\"小巨人\"", "小巨人"),
        IndustryTop100 => ("industry_top100", "行业百强"),
    }
}
