"""Default vocabularies (DESIGN §3). Councils can change the configurable ones."""

HOUSEHOLD_FLAGS = [
    "一人暮らし高齢者",
    "高齢者のみ",
    "ひとり親",
    "8050",
    "障がい",
    "外国籍",
    "転入者",
    "身寄りなし",
    "避難行動要支援者",
]

PERSON_FLAGS = ["要介護", "要支援", "障がい", "認知症", "ひきこもり", "生活保護", "外国籍"]

PERSON_ROLES = ["参加者", "ボランティア", "サロン世話人", "キーパーソン", "連絡員"]

DEFAULT_CONCERNS = [
    "生活費・借金",
    "介護",
    "障がい",
    "病気・健康",
    "ひきこもり",
    "子育て",
    "住まい",
    "就労",
    "孤立",
    "8050",
    "虐待の疑い",
    "ごみ屋敷",
    "認知症",
    "金銭管理",
    "災害",
]

RELATIONS = ["本人", "配偶者", "子", "子の配偶者", "孫", "親", "兄弟姉妹", "その他の親族", "同居人"]

SEXES = ["女", "男", "その他", "不明"]

HOUSING_TYPES = ["持ち家（一戸建て）", "公営住宅", "民間賃貸", "集合住宅", "施設", "その他"]

WATCH_LEVELS = ["なし", "低", "中", "高"]

SECTIONS = ["地域福祉係", "介護保険事業所", "ボランティアセンター", "事務局", "生活支援", "その他"]

AGENCY_FIELDS = ["高齢", "障がい", "子ども・子育て", "生活困窮", "医療・保健", "就労", "行政", "法律", "地域", "その他"]

# ---- field records (issue 3) ------------------------------------------------------

CONTACT_METHODS = ["訪問", "電話", "来所", "同行", "立ち寄り", "不在"]
FAILED_METHOD = "不在"  # a failed attempt: counted, but it does not reset the 見守り schedule

URGENCIES = ["緊急", "早め", "見守り"]

ISOLATION = ["孤立している", "頼れる人がいる", "わからない"]

COMPANIONS = ["民生委員", "地域包括支援センター", "役場職員", "保健師", "ケアマネジャー", "近所の方", "その他"]

PLACE_KINDS = ["店", "郵便局", "コンビニ", "公民館", "駐在所", "診療所", "その他"]

SALON_ORGANISERS = ["住民主体", "社協直営"]

SHEET_SETTINGS = ["相談", "介護現場", "ボランティア活動", "店", "民生委員", "近所", "電話", "サロン", "訪問", "その他"]

WISH_FOR_HELP = ["希望あり", "希望なし", "不明"]

SHEET_STATUSES = ["受付", "確認中", "対応中", "つないだ", "見守り", "終結"]

# Allowed moves in the sheet workflow; 終結 can be reopened (back to 確認中).
SHEET_TRANSITIONS = {
    "受付": ["確認中", "対応中", "つないだ", "見守り", "終結"],
    "確認中": ["対応中", "つないだ", "見守り", "終結"],
    "対応中": ["つないだ", "見守り", "終結", "確認中"],
    "つないだ": ["対応中", "見守り", "終結", "確認中"],
    "見守り": ["対応中", "つないだ", "終結", "確認中"],
    "終結": ["確認中"],
}

REFERRAL_OUTCOMES = ["確認中", "つながった", "つながらなかった", "本人が辞退", "その他"]

# ---- conferences, consent and handouts (issue 5) -----------------------------------

# Conference types: code → word on screen. The codes are what the CLI takes and what is stored.
CONFERENCE_TYPES = {
    "support": "支援会議",
    "multi-agency": "重層的支援会議",
    "case-review": "ケース検討会",
    "community-care": "地域ケア会議",
}
SUPPORT_CONFERENCE = "support"
MULTI_AGENCY_CONFERENCE = "multi-agency"
# A case may be discussed at these only with the person's recorded consent (DESIGN §6).
CONSENT_REQUIRED_TYPES = frozenset({MULTI_AGENCY_CONFERENCE})

# The statute a 支援会議 is held under (its members' duty of confidentiality comes from it).
LEGAL_BASES = {
    "social-welfare-act-106-6": "社会福祉法第106条の6",
    "self-reliance-support-act-9": "生活困窮者自立支援法第9条",
}
DEFAULT_LEGAL_BASIS = "social-welfare-act-106-6"

CONSENT_METHODS = ["書面", "口頭"]

# Fields a handout leaves out or shortens unless a conference chooses to show them in full.
DISCLOSABLE_FIELDS = {
    "full_name": "氏名",
    "address": "住所",
    "phone": "電話番号",
    "birth_date": "生年月日",
}

# Council settings defaults (handout wording and retention are data: DESIGN §2 rule 6).
DEFAULT_CONFIDENTIALITY_NOTICE = (
    "この資料は支援会議の資料です。支援会議の事務に従事する者及び従事していた者は、"
    "正当な理由なく、支援会議の事務に関して知り得た秘密を漏らしてはなりません"
    "（社会福祉法第106条の6第5項、生活困窮者自立支援法第9条第5項）。"
    "これに違反した者は、1年以下の拘禁刑又は100万円以下の罰金に処せられます。"
    "資料は会議の終了後に回収します。複写・撮影・持ち出しはしないでください。"
)
DEFAULT_HANDOUT_RETENTION_DAYS = 30


# ---- case work (issue 18) ----
# 支援ケース: 受付 → アセスメント → 支援中 → モニタリング → 終結; a reopened case goes back to アセスメント.
CASE_STATUSES = ["受付", "アセスメント", "支援中", "モニタリング", "終結"]
CASE_CLOSED = "終結"
CASE_REOPENED = "アセスメント"
# Who does an action of a plan (code → label).
ACTION_WHO = {"staff": "職員", "agency": "関係機関", "resident": "住民の支え手", "family": "本人・家族"}
# モニタリング: how far a goal got (code → label); achieved and stopped end its reviews.
MONITORING_PROGRESS = {"achieved": "達成", "partly": "一部", "not-yet": "未達", "stopped": "中止"}
GOAL_ENDED = frozenset({"achieved", "stopped"})


# ---- community work (issue 19) ----
# 支え合いの関係: what the tie is, who the supporter is when not a registered 担い手, where it was heard.
TIE_KINDS = ["見守り", "声かけ", "安否確認", "買い物", "送迎", "ごみ出し", "話し相手", "その他"]
SUPPORTER_KINDS = ["住民", "民生委員", "事業所", "親族", "ボランティア", "サロン"]
TIE_SOURCES = ["世帯", "訪問", "懇談会"]  # the household screen, a contact, a 地域懇談会
# 地域活動 and the 地域課題 register.
ACTIVITY_TYPES = ["地域懇談会", "学習会", "協議体", "サロン立ち上げ", "出張相談", "その他"]
COMMUNITY_ISSUE_STATUSES = ["把握", "検討中", "取組中", "解消"]
# Households that should have someone nearby: the list of households with no tie.
TIE_NEEDED_FLAGS = ("一人暮らし高齢者", "高齢者のみ")
