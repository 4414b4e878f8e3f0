"""借款人年龄不符：放款时借款人年龄超出政策允许的范围。

## What it flags
按有效身份证号码中的出生日期计算，放款日借款人周岁年龄小于 `min_age`（18）
或大于 `max_age`（65）的每笔贷款。
周岁从生日当天起算：18 周岁生日当天即满 18 岁，66 周岁生日当天起为 66 岁。
因此 18 岁和 65 岁符合条件，17 岁和 66 岁不符合。
身份证号码无效的贷款不在此判断（由“身份证号码错误”报告），
放款日期无法识别的贷款也不判断。

## Why it matters
放款日借款人须年满 18 周岁、不超过 65 周岁（银保监发〔2019〕24号将年龄上限由 60 岁放宽
到 65 岁）：未成年人不能签订借款合同，年龄偏大的，
应由户主或其他劳动年龄内的家庭成员借款。借款人年龄超出范围，
也可能是冒用他人名义借款的迹象。

## How to fix
核对借款人身份证和借款合同：身份证号录错的予以更正；确属年龄不符的报县扶贫办，
由符合条件的家庭成员重新签订或按县里决定收回贷款。

确属向年龄不符人员放款的，由乡镇会同承贷银行报告县扶贫办。
"""

import polars as pl

from loan_audit.rules._common import evidence, example, loan_cases, make_id
from loan_audit.rules._keywords import day

ID = "borrower_age"
TITLE = "借款人年龄不符"
SEVERITY = "error"
PARAMS = ("min_age", "max_age")
COLUMNS = {}
_YOUNG = make_id("20010306")  # 17 on 2019-03-05
EXAMPLES = {
    "bad": example(loans=[{"borrower_id_number": _YOUNG}], roster=[{"id_number": _YOUNG}]),
    "good": example(),
}


def detect(ctx) -> pl.DataFrame:
    low, high = ctx.policy.min_age, ctx.policy.max_age
    age = pl.col("age_at_disbursement")
    found = ctx.loans.filter(pl.col("borrower_id_valid") & ((age < low) | (age > high)).fill_null(False))
    message = pl.format(
        "借款人出生于{}，放款日{}时{}周岁，{}（须{}至{}周岁），请核对身份证号码和借款合同",
        day("birth_date"), day("disbursement_date"), age,
        pl.when(age < low).then(pl.lit("未满最低年龄")).otherwise(pl.lit("超过最高年龄")),
        pl.lit(low), pl.lit(high),
    )
    return loan_cases(
        found, ID, SEVERITY, message,
        evidence(birth_date=pl.col("birth_date"), disbursement_date=pl.col("disbursement_date"), age=age,
                 min_age=pl.lit(low), max_age=pl.lit(high)),
    )
