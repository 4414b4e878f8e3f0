"""利率高于基准：贷款年利率高于放款日适用的利率上限。

## What it flags
年利率（年百分比）高于放款日所属政策时期、按原贷款期限确定的利率上限的每笔贷款，
每笔一条问题：

- 2021年3月3日及以前放款（扶贫小额信贷，`rate_rule = "benchmark"`）：中国人民银行贷款基准利率，
  原期限 12 个月以内（含）用一年以内（含）基准利率，更长用一至五年（含）基准利率，
  取放款日当天或之前最后一次调整的利率（2015-10-24 起分别为 4.35% 和 4.75%）；
- 2021年3月4日起放款（脱贫人口小额信贷、帮扶小额信贷，`rate_rule = "lpr"`）：放款日当天或之前
  公布的贷款市场报价利率（LPR），原期限 12 个月以内（含）用1年期LPR，更长用5年期以上LPR。

原期限为放款日期到到期日期之间最大的整月数（展期不改变原期限）。各时期和利率表见
`rules/policy.toml`、`rules/rates.toml`，县里可用 --policy 文件调整（如“自2020年1月1日起按LPR定价”）。
利率等于上限的不算问题。无法识别的利率、放款日期或到期日期不在此判断（另作为数据问题报告）。

## Why it matters
扶贫小额信贷按基准利率放贷（银监发〔2017〕42号、银保监发〔2019〕24号）；脱贫人口小额信贷
1年期以内（含）不超过1年期LPR、1至3年期不超过5年期以上LPR（银保监发〔2021〕6号，
各地实施方案），利息由县财政贴息。利率偏高，使农户负担超出政策允许的利息，并虚增申请的贴息。

## How to fix
与承贷银行核对合同利率：录错的由银行更正年利率；
确高于上限的由银行重新定价并退还多收利息，乡镇报县乡村振兴（扶贫）部门。
"""

import polars as pl

from loan_audit.rules._common import evidence, example, loan_cases
from loan_audit.rules._keywords import day

ID = "rate_above_base"
TITLE = "利率高于基准"
SEVERITY = "error"
PARAMS = ("rate_rule", "benchmark_rates", "lpr_rates")
COLUMNS = {"loans": ("annual_rate",)}
EXAMPLES = {
    "bad": example(loans=[{"annual_rate": "4.9"}]),
    "good": example(loans=[{"annual_rate": "4.75%"}]),
}


def detect(ctx) -> pl.DataFrame:
    policy = ctx.policy
    found = ctx.loans.filter((pl.col("annual_rate") > pl.col("rate_cap")).fill_null(False))
    programme = policy.by_period("label")
    message = pl.format(
        "执行年利率{}%高于上限：{}放款、原期限{}个月，按{}政策，适用{}（{}起）{}%。请与承贷银行核对借款合同，"
        "多收利息应退还农户",
        "annual_rate", day("disbursement_date"), "term_months", programme, "rate_basis", day("rate_published"),
        "rate_cap",
    )
    return loan_cases(
        found, ID, SEVERITY, message,
        evidence(annual_rate=pl.col("annual_rate"), rate_cap=pl.col("rate_cap"), rate_basis=pl.col("rate_basis"),
                 rate_published=pl.col("rate_published"), term_months=pl.col("term_months"),
                 programme=programme, period_from=policy.by_period("start"),
                 disbursement_date=pl.col("disbursement_date")),
    )
