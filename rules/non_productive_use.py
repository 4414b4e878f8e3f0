"""非生产性用途：登记的贷款用途不属于农户生产经营。

## What it flags
贷款用途包含政策非生产性词表（`non_productive_keywords`；默认为 建房、修房、购房、装修、
购车、买车、消费、生活、家电、家庭用品、理财、婚、丧、治病、医疗、看病、上学、学费、
还债、还旧贷、借新还旧）中任一词语的每笔贷款。
用途和词语都在 NFKC 规范化并去除空白后比较；匹配方式是简单的“包含”：“结婚”包含“婚”，
而“购买货车跑运输”（流通）既不包含“购车”也不包含“买车”，“修建牛圈”也不是“建房”。
每笔贷款一条问题，证据中列出匹配到的词语。

## Why it matters
扶贫小额信贷只能用于农户生产经营（种植、养殖、农副产品加工、流通）：
银监发〔2017〕42号和银保监发〔2019〕24号禁止用于结婚、建房、理财、
购置家庭用品等非生产性支出，县里的规定还包括购房、买车、还债、上学、看病、吃喝消费。
挪作他用的贷款不再享受财政贴息；县实施方案（陇川县2020年扶贫小额信贷实施方案 §八）
将“小额信贷非生产性支出”列为需清理的异常。

## How to fix
会同村委会和承贷银行入户核实资金实际用途：实际用于生产、仅登记不规范的，
凭证据由银行更正贷款用途；确用于非生产性支出的报县扶贫办，停止贴息。

确用于非生产性支出的，由乡镇报县扶贫办，按县里决定收回贷款或转为普通贷款。
"""

import polars as pl

from loan_audit.rules._common import evidence, example, loan_cases
from loan_audit.rules._keywords import matched_words

ID = "non_productive_use"
TITLE = "非生产性用途"
SEVERITY = "error"
PARAMS = ("non_productive_keywords",)
COLUMNS = {"loans": ("purpose",)}
EXAMPLES = {
    "bad": example(loans=[{"purpose": "建房"}]),
    "good": example(loans=[{"purpose": "修建牛圈，养殖肉牛"}]),
}


def detect(ctx) -> pl.DataFrame:
    # Purposes repeat (a few hundred distinct texts in a province): matched once each.
    flagged = (
        ctx.loans.select(pl.col("purpose").unique())
        .with_columns(matched_words(pl.col("purpose"), ctx.policy.non_productive_keywords).alias("keywords"))
        .filter(pl.col("keywords").list.len() > 0)
    )
    found = ctx.loans.join(flagged, on="purpose", how="inner", maintain_order="left")
    message = pl.format(
        "贷款用途「{}」含非生产性用途关键词「{}」，请入户核实资金实际用途；确属非生产性使用的报县扶贫办处理（停止贴息、收回贷款）",
        "purpose",
        pl.col("keywords").list.join("、"),
    )
    return loan_cases(found, ID, SEVERITY, message, evidence(purpose=pl.col("purpose"), keywords=pl.col("keywords")))
