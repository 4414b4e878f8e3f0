"""The two input tables of SPEC §2: canonical columns, Chinese aliases, kinds.

A column's kind says how normalise parses it: `id`, `name`, `date`, `money`, `rate`,
`text` (NFKC, spaces removed) or `key` (kept as text, trimmed).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Every frame's row number as the user sees it in the file (the header is row 1 when it
# is the first line): how quarantine, unreadable values and cases point back to a row.
ROW = "_row"

@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool
    aliases: tuple[str, ...]
    label: str  # the Chinese header reports use


# A county-level unit (a GB/T 2260 code or its name) as exports head it.
COUNTY_ALIASES = ("县", "县区", "县(市、区)", "县(市、区、旗)", "县市区", "区县", "所属县", "县级", "县名称")

ROSTER = (
    Column("household_id", "key", True, ("户编号", "户码", "户ID"), "户编号"),
    Column("id_number", "id", True, ("证件号码", "身份证号码", "身份证号", "公民身份号码"), "证件号码"),
    Column("name", "name", True, ("姓名", "人员姓名"), "姓名"),
    Column("relation", "text", False, ("与户主关系",), "与户主关系"),
    Column("county", "text", False, COUNTY_ALIASES, "县(市、区)"),
    Column("township", "text", True, ("乡镇", "乡(镇)", "乡镇名称"), "乡镇"),
    Column("village", "text", True, ("行政村", "村", "村委会"), "行政村"),
    Column("household_status", "text", True, ("户状态", "贫困户状态", "脱贫状态", "户类型", "脱贫属性", "贫困户属性"), "户状态"),
    Column("registered_date", "date", False, ("纳入日期", "识别日期", "建档立卡日期"), "纳入日期"),
    Column("removed_date", "date", False, ("剔除日期",), "剔除日期"),
    Column("member_status", "text", False, ("人员状态",), "人员状态"),
    Column("status_change_date", "date", False, ("人员变动日期", "变动日期"), "人员变动日期"),
    # 防返贫监测 exports (易返贫致贫户/监测对象): the category, and when the risk was identified
    # and eliminated; non_poor_borrower reads them where present.
    Column("monitoring_category", "text", False,
           ("易返贫致贫户(监测对象)类型", "监测对象类别", "监测对象类型", "易返贫致贫户类型"), "监测对象类型"),
    Column("risk_eliminated", "text", False, ("风险是否消除", "是否风险消除"), "风险是否消除"),
    Column("risk_identified_date", "date", False, ("风险识别时间", "识别监测时间", "纳入监测时间"), "风险识别时间"),
    Column("risk_eliminated_date", "date", False, ("风险消除时间", "风险消除日期"), "风险消除时间"),
)

LOANS = (
    Column("loan_id", "key", True, ("借据号", "贷款账号", "贷款编号"), "借据号"),
    Column("borrower_name", "name", True, ("借款人姓名", "借款人", "姓名"), "借款人姓名"),
    Column(
        "borrower_id_number",
        "id",
        True,
        ("借款人身份证号", "借款人证件号码", "身份证号码", "证件号码"),
        "借款人身份证号",
    ),
    Column("county", "text", False, COUNTY_ALIASES, "县(市、区)"),
    Column("township", "text", False, ("乡镇",), "乡镇"),
    Column("village", "text", False, ("行政村", "村"), "行政村"),
    Column("amount", "money", True, ("贷款金额", "贷款金额(元)", "发放金额"), "贷款金额"),
    Column("disbursement_date", "date", True, ("放款日期", "发放日期", "贷款日期"), "放款日期"),
    Column("maturity_date", "date", True, ("到期日期", "贷款到期日"), "到期日期"),
    Column("extended_maturity_date", "date", False, ("展期到期日", "展期后到期日"), "展期到期日"),
    Column("settled_date", "date", False, ("结清日期",), "结清日期"),
    Column("annual_rate", "rate", False, ("年利率", "年利率(%)", "执行利率"), "年利率"),
    Column("balance", "money", True, ("贷款余额", "贷款余额(元)", "余额"), "贷款余额"),
    Column("purpose", "text", False, ("贷款用途", "资金用途"), "贷款用途"),
    Column("usage_mode", "text", False, ("使用方式", "贷款使用方式"), "使用方式"),
    Column("bank", "text", False, ("承贷银行", "贷款银行", "经办网点"), "承贷银行"),
)

TABLES = {"roster": ROSTER, "loans": LOANS}
TABLE_LABELS = {"roster": "建档立卡户人员花名册", "loans": "扶贫小额信贷台账"}

_BRACKETS = re.compile(r"[\s()（）\[\]【】]")
_UNIT_SUFFIX = re.compile(r"(万元|元|%|％)$")


def header_key(header: str) -> str:
    """A header as compared with the aliases: NFKC, no spaces, no brackets."""
    return _BRACKETS.sub("", unicodedata.normalize("NFKC", str(header)))


def match_header(table: str, header: str) -> tuple[str, float] | None:
    """The canonical column a header names and the factor its unit implies, or None.

    `贷款金额(万元)` → ("amount", 10000.0); `贷款金额(元)` → ("amount", 1.0).
    """
    key = header_key(header)
    lookup = _alias_lookup(table)
    if key in lookup:
        return lookup[key], 1.0
    unit = _UNIT_SUFFIX.search(key)
    if unit:
        base = key[: unit.start()]
        if base in lookup:
            return lookup[base], 10000.0 if unit.group(1) == "万元" else 1.0
    return None


def _alias_lookup(table: str) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for col in TABLES[table]:
        for alias in (col.name, *col.aliases):
            lookup.setdefault(header_key(alias), col.name)
    return lookup


def column(table: str, name: str) -> Column:
    return next(c for c in TABLES[table] if c.name == name)
