"""非生产性用途: a loan whose recorded purpose is not household production.

## What it flags
Every loan whose purpose (贷款用途) contains a word of the policy's non-productive list
(`non_productive_keywords`; by default 建房, 修房, 购房, 装修, 购车, 买车, 消费, 生活,
家电, 家庭用品, 理财, 婚, 丧, 治病, 医疗, 看病, 上学, 学费, 还债, 还旧贷, 借新还旧).
The purpose and the words are compared after NFKC and the removal of white space;
the match is a plain "contains": 结婚 contains 婚, while 购买货车跑运输 (a lorry for
haulage, 流通) contains neither 购车 nor 买车 and 修建牛圈 (a cattle shed) is not 建房.
One case per loan; the evidence lists the words found.

## Why it matters
扶贫小额信贷 is for household production only (种植、养殖、农副产品加工、流通): 银监发〔2017〕42号
and 银保监发〔2019〕24号 forbid its use for 结婚、建房、理财、购置家庭用品 and other
non-productive spending, and county rules add 购房、买车、还债、上学、看病、吃喝消费. A misused
loan loses its interest subsidy (财政贴息); the county plan (陇川县2020年扶贫小额信贷实施方案
§八) names 小额信贷非生产性支出 among the anomalies to clear.

## How to fix
Visit the household with the village and the lending bank: find out what the money
was really spent on. Where the register's purpose was only written loosely (the loan
did go to production), have the bank correct 贷款用途 with the evidence. Where the money
went to non-productive use, the township reports it to the county office: the
subsidy stops and the loan is recovered or converted as the county decides.
"""

import polars as pl

from rules._common import evidence, example, loan_cases
from rules._keywords import matched_words

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
