"""无法识别的数据：无法识别的日期、金额或利率。

## What it flags
日期、金额或利率单元格中的文字不属于任何可接受格式的行（可接
受：`2019-03-05`、`2019/3/5`、`2019.3.5`、`2019年3月5日`、`20190305`、Excel 日期序
号；`50,000.00`、`50000元`、`5万`），例如 `2019-02-30`、`五万`、`待定`。原值照原样保留，
绝不猜测；该行仍接受所有不需要该值的规则检查，
需要该值的规则对该行不作判断（SPEC §2.3）。

## Why it matters
没有可识别到期日的贷款，无法检查是否逾期或期限超限；无法识别的金额，
无法对照5万元限额检查。县实施方案（§八）要求乡镇和银行首先做到数据真实。

## How to fix
在源系统（银行信贷系统或扶贫信息系统）中更正该单元格后重新导出，不要只在表格里改。
"""

import polars as pl

from loan_audit.pipeline.vocab.columns import TABLES
from loan_audit.pipeline.vocab.values import unreadable
from loan_audit.rules._common import as_cases, evidence, example

ID = "unreadable_value"
TITLE = "无法识别的数据"
SEVERITY = "error"
PARAMS = ()
COLUMNS = {}
EXAMPLES = {
    "bad": example(loans=[{"maturity_date": "2022-02-30"}]),
    "good": example(),
}

_WHO = {
    "loans": dict(
        county="borrower_county", township="borrower_township", village="borrower_village",
        household_id="member_household_id",
        id_number="borrower_id_number", name="borrower_name",
    ),
    "roster": dict(county="county", township="township", village="village", household_id="household_id",
                   id_number="id_number", name="name"),
}


def _bad_cells(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    labels = {c.name: c.label for c in TABLES[table]}
    items = [
        pl.when(mask).then(pl.format("{}「{}」", pl.lit(labels[col]), pl.col(col + "_raw")))
        for col, mask in unreadable(frame, table)
    ]
    key = (
        pl.concat_str(pl.lit("loans:"), "loan_id")
        if table == "loans"
        else pl.concat_str(pl.lit("roster:"), "household_id", pl.lit(":"), pl.col("id_number_raw").fill_null(""))
    )
    # Only rows with a parsed value missing beside its raw text can hold an unreadable
    # cell: a cheap filter first, so that the masks' NFKC runs on those rows alone.
    parsed = [c.name for c in TABLES[table] if c.kind in {"date", "money", "rate"} and c.name in frame.columns]
    maybe = pl.any_horizontal(pl.col(c).is_null() & pl.col(c + "_raw").is_not_null() for c in parsed)
    # The filter by polars' default (streaming) engine: a province's roster comes in
    # many chunks, which it filters in parallel where an eager filter does not.
    return (
        frame.lazy()
        .filter(maybe)
        .collect()
        .with_columns(pl.concat_list(items).list.drop_nulls().alias("cells"))
        .filter(pl.col("cells").list.len() > 0)
        .select(
            *[pl.col(src).alias(dst) for dst, src in _WHO[table].items()],
            (pl.concat_list("loan_id") if table == "loans" else pl.lit(None, dtype=pl.List(pl.Utf8))).alias("loan_ids"),
            pl.concat_str(pl.col("cells").list.join("，"), pl.lit(" 无法识别")).alias("message"),
            evidence(table=pl.lit(table), row=pl.col("_row"), cells=pl.col("cells")).alias("evidence"),
            key.alias("key"),
        )
        .unique("key", keep="first", maintain_order=True)
    )


def detect(ctx) -> pl.DataFrame:
    found = pl.concat([_bad_cells(ctx.loans, "loans"), _bad_cells(ctx.roster, "roster")], how="vertical_relaxed")
    return as_cases(found, ID, SEVERITY)
