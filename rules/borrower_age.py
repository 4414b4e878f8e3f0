"""借款人年龄不符: a borrower younger or older than the policy allows.

## What it flags
Every loan whose borrower, by the birth date in a valid ID number, was younger than
`min_age` (18) or older than `max_age` (65) on the disbursement date, in whole years
(a birthday counts from its day: 18 on the 18th birthday, 66 from the 66th). So 18 and
65 are fine, 17 and 66 are not. A loan with an invalid ID number is not judged here
(身份证号码错误 reports it), nor one whose disbursement date cannot be read.

## Why it matters
The borrower must be 18 to 65 years old on the disbursement date (银保监发〔2019〕24号
raised the cap from 60 to 65): a minor cannot sign a loan contract, and for an older
member the household's head or another member of working age is to borrow. A loan to
a person outside the range is also a sign of a loan taken in someone else's name.

## How to fix
Check the borrower's resident ID card and the contract. An ID number keyed wrongly:
correct it. A loan really made to a person outside the age range: the township and the
bank report it to the county office; the household's eligible member signs anew or
the loan is recovered as the county decides.
"""

import polars as pl

from rules._common import evidence, example, loan_cases, make_id
from rules._keywords import day

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
