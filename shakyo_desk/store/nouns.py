"""What messages call each kind of synced record (``models.SYNCED_MODELS``): the audit viewer
(services/audit_log.py) and the sync author check (exchange/authors.py) say the same."""

NOUNS = {
    "council": "社協の設定", "district": "地区", "staff": "アカウント", "household": "世帯", "person": "世帯員",
    "agency": "関係機関", "concern_category": "困りごとの分類", "place": "地域の拠点", "contact": "訪問記録",
    "salon": "サロン", "salon_regular": "サロンの常連", "salon_session": "サロンの開催", "attendance": "サロンの参加",
    "remark": "つぶやき", "concern_sheet": "把握シート", "sheet_status_change": "把握シートの状況",
    "referral": "つなぎ", "consent": "本人同意", "conference": "会議", "conference_member": "会議の構成員",
    "conference_case": "会議で扱う世帯", "handout_copy": "配布資料の控え",
    "support_case": "支援ケース", "case_status_change": "支援ケースの状況", "case_sheet": "支援ケースの把握シート",
    "assessment_view": "アセスメント", "support_plan": "支援プラン", "plan_goal": "プランの目標",
    "plan_action": "プランの役割", "missing_resource": "不足している社会資源", "monitoring": "モニタリング",
    "case_evaluation": "終結時の評価", "community_issue": "地域課題", "community_issue_case": "地域課題を示すケース",
    "meeting_request": "会議への検討依頼（受付表）", "conference_case_member": "ケースごとの構成員",
    "appointment": "構成員の委嘱",
    "support_tie": "支え合いの関係", "supporter": "担い手", "community_activity": "地域活動",
    "community_issue_activity": "地域課題を示す地域活動", "community_issue_resource": "地域課題を示す不足資源",
    "supporter_target": "担い手の目標数",
}
