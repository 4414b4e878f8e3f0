"""The setting and the policy: Longchuan's townships and committees, the bank, the SPEC §4
defaults the labels are computed for, and the shares households, people and loans are
drawn with.
"""

from __future__ import annotations

import datetime as dt

EPOCH = dt.date(1970, 1, 1)
EXCEL_EPOCH = dt.date(1899, 12, 30)
# (township, bank branch, share of households, villages, family shares han/jingpo/dotted/dai/achang)
TOWNSHIPS = (
    ("章凤镇", "章凤支行", 0.18, "章凤 迭撒 拉影 芒弄 弄龙 户弄 曼软 云盘", (0.30, 0.28, 0.04, 0.38, 0.0)),
    ("陇把镇", "陇把支行", 0.10, "陇把 吕良 龙安 邦外 曼冒 扎朵 丙午", (0.50, 0.25, 0.05, 0.20, 0.0)),
    ("景罕镇", "景罕支行", 0.12, "景罕 广宋 曼胆 贺德 弄坎 朋生 曼峨", (0.30, 0.20, 0.02, 0.48, 0.0)),
    ("城子镇", "城子支行", 0.12, "城子 麻竜 等线 曼允 勐广 芒林", (0.35, 0.22, 0.03, 0.40, 0.0)),
    ("户撒阿昌族乡", "户撒支行", 0.10, "户撒 芒东 曼炳 保平 明社 潘乐 朗光 腊撒", (0.30, 0.08, 0.02, 0.0, 0.60)),
    ("护国乡", "护国支行", 0.09, "护国 邦瓦 杏万 芒面 帮弄", (0.40, 0.50, 0.10, 0.0, 0.0)),
    ("清平乡", "清平支行", 0.10, "清平 拱岭 弄贤 石梯 广林", (0.30, 0.60, 0.10, 0.0, 0.0)),
    ("王子树乡", "王子树支行", 0.08, "王子树 邦角 下邦 芒满", (0.30, 0.60, 0.10, 0.0, 0.0)),
    ("勐约乡", "勐约支行", 0.11, "勐约 巴达 芒棒 曼约 南宛", (0.35, 0.55, 0.10, 0.0, 0.0)),
)
BANK = "陇川农村商业银行"
# Syllables of made-up committee names for sets larger than the county.
EXTRA_PREFIX = "芒弄曼邦拉户广贺等允南帕"
EXTRA_SUFFIX = "东海岗线坎满宋丙喊来令岭"
HOUSEHOLDS_PER_VILLAGE = 130
ADDRESS = "533124"
# Dehong's other county codes (spouses from elsewhere; overflow of very dense birth days).
OTHER_ADDRESSES = ("533103", "533102", "533122", "533123", "530102", "530381", "532301", "532522")
MAX_AMOUNT = 50_000.0
MAX_TERM_MONTHS = 36
EXTENSION_FULL_TERM_UP_TO = 12
MIN_AGE, MAX_AGE = 18, 65
DUE_SOON_DAYS = 90
CLUSTER_MIN = 10
MONITORED_FROM = dt.date(2020, 7, 1)
BASE_RATES = ((dt.date(2015, 10, 24), 4.75),)
NON_PRODUCTIVE = (
    "建房", "修房", "购房", "装修", "购车", "买车", "消费", "生活", "家电", "家庭用品",
    "理财", "婚", "丧", "治病", "医疗", "看病", "上学", "学费", "还债", "还旧贷", "借新还旧",
)
ENTERPRISE_MODES = ("户贷企用", "户贷社管", "分贷统还")
ENTERPRISE_WORDS = ("入股", "分红", "转贷", "指标交换", "企业使用")
RULES = (
    "overdue", "due_soon", "over_limit", "multiple_loans_per_household", "non_poor_borrower",
    "non_productive_use", "enterprise_use", "term_over_limit", "rate_above_base", "borrower_age",
    "deceased_borrower", "invalid_id_number", "duplicate_loan_record", "name_id_mismatch",
    "duplicate_name", "suspected_same_person",
)
STATUSES = ("已脱贫", "贫困户", "边缘户", "监测户", "已剔除")
STATUS_P = (0.62, 0.22, 0.04, 0.03, 0.09)
ELIGIBLE = ("已脱贫", "贫困户")
MONITORED = ("边缘户", "监测户")
SIZE_P = (0.08, 0.15, 0.22, 0.25, 0.17, 0.09, 0.04)  # 1..7 members
RELATIONS = ("户主", "配偶", "子", "女", "父亲", "母亲", "儿媳", "孙子", "孙女", "女婿")
HEAD, SPOUSE, SON, DAUGHTER, FATHER, MOTHER, DIL, GRANDSON, GRANDDAUGHTER, SIL = range(10)
BORROW_RATE = 0.6874  # the seed's 发放率
PURPOSES = (
    "种植", "养殖", "农副产品加工", "流通", "购买仔猪", "购买货车跑运输", "种植甘蔗", "种植水稻",
    "养殖生猪", "养殖山羊", "种植茶叶", "种植坚果",
)
PURPOSE_P = (0.12, 0.14, 0.05, 0.04, 0.08, 0.04, 0.15, 0.06, 0.14, 0.06, 0.06, 0.06)
AMOUNTS = (50_000, 30_000, 20_000, 40_000, 10_000, 15_000, 25_000, 35_000, 45_000)
AMOUNT_P = (0.46, 0.15, 0.12, 0.08, 0.07, 0.03, 0.03, 0.03, 0.03)
CLUSTER_PURPOSE, CLUSTER9_PURPOSE = "养殖肉牛", "种植澳洲坚果"
