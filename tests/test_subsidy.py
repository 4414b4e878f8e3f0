"""贴息测算: the seed's figures, partial years, rate caps and the printed table."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from loan_audit.pipeline.subsidy import format_subsidy, months_active, subsidy
from loan_audit.pipeline.vocab.policy import load_policy
from tests.conftest import make_id, run_rows


def estimate(*loans: dict, year: int = 2020, as_of: str = "2020-12-31", policy=None) -> pl.DataFrame:
    result = run_rows(loans=[{"loan_id": f"L{i}", **row} for i, row in enumerate(loans)], as_of=as_of, policy=policy)
    return subsidy(result.context.loans, year, result.policy)


# The seed's 2019 cohort, one line of 29,271,600 yuan: as one loan it is above the 50,000
# that earn subsidy, so the tests that use it as a single figure lift that cap.
COHORT_2019 = {"amount": "29271600", "balance": "29271600", "disbursement_date": "2019-05-10",
               "maturity_date": "2022-05-10", "annual_rate": "4.75"}


@pytest.fixture(scope="module")
def uncapped(tmp_path_factory):
    path = tmp_path_factory.mktemp("policy") / "uncapped.toml"
    path.write_text("subsidy_max_amount = 100000000\n", encoding="utf-8")
    return load_policy(path)


def test_the_seeds_2019_cohort_outstanding_all_year():
    # as the county lent it: 585 loans of 50,000 and one of 21,600
    loans = [{**COHORT_2019, "amount": str(a), "balance": str(a), "borrower_id_number": make_id(seq=f"{i:03d}")}
             for i, a in enumerate([50_000] * 585 + [21_600])]
    got = estimate(*loans, as_of="2019-12-31")
    want = pl.DataFrame(
        {"year": [2020], "cohort": [2019], "loans": [586], "rate_estimated": [0], "principal": [29_271_600.0],
         "q1": [347_600.25], "q2": [347_600.25], "q3": [347_600.25], "q4": [347_600.25], "total": [1_390_401.00]},
        schema_overrides={"year": pl.Int32, "cohort": pl.Int32},
    )
    assert_frame_equal(got, want)


def test_a_loan_repaid_at_the_end_of_june_earns_half_a_year(uncapped):
    # 算头不算尾: repaid on 1 July, it was outstanding through 30 June; balance now 0,
    # so the principal is the amount it carried until then
    half = estimate({**COHORT_2019, "balance": "0", "settled_date": "2020-07-01"}, policy=uncapped)
    assert half.select("principal", "q1", "q2", "q3", "q4", "total").row(0) == (
        29_271_600.0, 347_600.25, 347_600.25, 0.0, 0.0, 695_200.50)
    # repaid on 30 June: that day earns nothing (5 + 29/30 months)
    day_less = estimate({**COHORT_2019, "balance": "0", "settled_date": "2020-06-30"}, policy=uncapped)
    assert day_less.get_column("total").item() == round(29_271_600 * 0.0475 * (5 + 29 / 30) / 12, 2)


def test_an_overdue_loan_loses_its_subsidy_after_maturity():
    got = estimate({**COHORT_2019, "amount": "50000", "balance": "50000", "maturity_date": "2020-04-01"})
    assert got.select("q1", "q2", "total").row(0) == (593.75, 0.0, 593.75)


def test_the_rate_is_capped_by_the_subsidy_rate_and_a_missing_rate_estimated_at_it():
    got = estimate(
        {"amount": "12000", "balance": "12000", "disbursement_date": "2020-01-01", "maturity_date": "2021-01-01",
         "annual_rate": "6.00"},
        {"amount": "12000", "balance": "12000", "disbursement_date": "2020-01-01", "maturity_date": "2021-01-01",
         "annual_rate": "4.35"},
        {"amount": "12000", "balance": "12000", "disbursement_date": "2020-01-01", "maturity_date": "2021-01-01",
         "annual_rate": ""},
    )
    assert got.select("cohort", "loans", "rate_estimated", "total").row(0) == (2020, 3, 1, 570.0 + 522.0 + 570.0)


def test_cohorts_and_quarters_of_loans_starting_and_ending_in_the_year():
    got = estimate(
        COHORT_2019,
        {"amount": "40000", "balance": "40000", "disbursement_date": "2020-10-01", "maturity_date": "2023-10-01"},
        {"amount": "30000", "balance": "0", "disbursement_date": "2017-03-01", "maturity_date": "2020-03-01",
         "settled_date": "2020-03-01"},
        {"amount": "30000", "balance": "0", "disbursement_date": "2016-03-01", "maturity_date": "2019-03-01",
         "settled_date": "2019-03-01"},  # repaid before the year: not in it
    )
    assert got.get_column("cohort").to_list() == [2017, 2019, 2020]
    assert got.filter(pl.col("cohort") == 2020).select("q3", "q4", "total").row(0) == (0.0, 475.0, 475.0)
    assert got.filter(pl.col("cohort") == 2017).select("q1", "total").row(0) == (237.5, 237.5)


def test_months_active_counts_each_month_by_its_days():
    frame = pl.DataFrame(
        {"start": [dt.date(2020, 2, 15), dt.date(2019, 1, 1), dt.date(2020, 5, 1)],
         "end": [dt.date(2020, 3, 1), dt.date(2030, 1, 1), dt.date(2020, 5, 1)]}
    )
    got = frame.select(months_active(pl.col("start"), pl.col("end"), dt.date(2020, 1, 1), dt.date(2021, 1, 1)))
    assert got.to_series().to_list() == pytest.approx([15 / 29, 12.0, 0.0])


def test_format_subsidy_prints_chinese_headers_totals_and_the_estimated_rate_note(uncapped):
    text = format_subsidy(estimate(COHORT_2019, {**COHORT_2019, "amount": "10000", "balance": "10000",
                                                 "annual_rate": ""}, policy=uncapped))
    lines = text.splitlines()
    assert lines[0] == "2020年贴息测算（按放款年度、季度；元）"
    assert lines[1].split() == ["放款年度", "笔数", "本金(元)", "一季度(元)", "二季度(元)", "三季度(元)",
                                "四季度(元)", "全年贴息(元)"]
    assert lines[3].split() == ["2019年", "2", "29,281,600.00", "347,719.00", "347,719.00", "347,719.00",
                                "347,719.00", "1,390,876.00"]
    assert lines[4].split()[0] == "合计"
    assert "1 笔贷款缺少年利率" in text


def test_format_subsidy_of_a_year_without_loans():
    assert "没有应贴息的贷款" in format_subsidy(estimate(COHORT_2019, year=2030))


def test_by_period_lpr_cap_principal_cap_and_share(tmp_path):
    # 2021-06-01, 36 months at 4.65 (the 5-year LPR then): subsidised at the LPR, not 4.75
    lpr = {"amount": "50000", "balance": "50000", "disbursement_date": "2021-06-01", "maturity_date": "2024-06-01",
           "annual_rate": "4.65"}
    got = estimate(lpr, year=2022, as_of="2022-12-31")
    assert got.get_column("total").item() == round(50_000 * 0.0465, 2)
    # 12 months: the 1-year LPR (3.85) caps the subsidy of a loan at 4.65
    short = {**lpr, "maturity_date": "2022-06-01"}
    assert estimate(short, year=2021, as_of="2021-12-31").get_column("total").item() == round(
        50_000 * 0.0385 * 7 / 12, 2)
    # a 追加贷款 of 80,000 (county setting): only 50,000 earns subsidy; 70% from 2024
    county = tmp_path / "county.toml"
    county.write_text("[[periods]]\nfrom = 2021-03-04\nhousehold_max_amount = 100000\nmax_amount = 100000\n"
                      "subsidy_shares = [{ from_year = 2021, share = 1.0 }, { from_year = 2024, share = 0.7 }]\n",
                      encoding="utf-8")
    policy = load_policy(county)
    big = {**lpr, "amount": "80000", "balance": "80000"}
    assert estimate(big, year=2023, as_of="2023-12-31", policy=policy).get_column("total").item() == round(
        50_000 * 0.0465, 2)
    assert estimate(big, year=2024, as_of="2024-01-31", policy=policy).get_column("total").item() == round(
        50_000 * 0.0465 * 0.7 * 5 / 12, 2)
