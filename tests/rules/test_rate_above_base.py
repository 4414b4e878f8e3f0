"""rate_above_base: the cap by period and tenor — the benchmark by term to 2021-03-03, the
LPR published on or before the disbursement date from 2021-03-04, a county's override."""

import datetime as dt
import json

import pytest

from loan_audit.pipeline.stages.run import audit_records
from loan_audit.pipeline.vocab.policy import load_policy
from tests.conftest import LOAN, PERSON, cases_of

RULE = "rate_above_base"


def months_later(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return day.replace(year=day.year + y, month=m + 1)


def caps(disbursed: str, months: int, rate: str, policy=None) -> list[float]:
    """The cap of each case (none: not flagged) for one loan of `months` months."""
    start = dt.date.fromisoformat(disbursed)
    loan = {"disbursement_date": disbursed, "maturity_date": months_later(start, months).isoformat(), "annual_rate": rate}
    cases = cases_of(RULE, loans=[loan], as_of="2026-06-30", policy=policy)
    return [json.loads(e)["rate_cap"] for e in cases.get_column("evidence").to_list()]


@pytest.mark.parametrize(("rate", "flagged"), [("4.75", False), ("4.75%", False), ("4.35", False), ("4.76", True)])
def test_above_the_cap_is_flagged_equal_is_not(rate, flagged):
    cases = cases_of(RULE, loans=[{"annual_rate": rate}])
    if not flagged:
        assert cases.height == 0
        return
    assert cases.select("severity", "loan_ids").to_dicts() == [{"severity": "error", "loan_ids": ["L0001"]}]
    assert json.loads(cases.get_column("evidence").item()) == {
        "annual_rate": 4.76, "rate_cap": 4.75, "rate_basis": "一至五年（含）贷款基准利率", "rate_published": "2015-10-24",
        "term_months": 36, "programme": "2014年12月起扶贫小额信贷", "period_from": "2014-12-10",
        "disbursement_date": "2019-03-05",
    }


def test_a_12_month_loan_at_4_50_is_above_the_one_year_benchmark_a_13_month_one_is_not():
    assert caps("2019-03-05", 12, "4.50") == [4.35]
    assert caps("2019-03-05", 13, "4.50") == []


def test_the_benchmark_change_of_2015_10_24():
    assert caps("2015-10-23", 36, "5.00") == []
    assert caps("2015-10-24", 36, "5.00") == [4.75]
    assert caps("2015-10-23", 12, "4.60") == []
    assert caps("2015-10-24", 12, "4.60") == [4.35]


@pytest.mark.parametrize(("months", "rate", "before", "on"), [(12, "4.00", [], [3.85]), (36, "4.70", [], [4.65])])
def test_2021_03_03_benchmark_2021_03_04_lpr(months, rate, before, on):
    assert caps("2021-03-03", months, rate) == before
    assert caps("2021-03-04", months, rate) == on


LPR = [(r.start, r.short, r.long) for r in load_policy().lpr_rates]
CHANGES_IN_LPR_PERIODS = [(d, s, lg, LPR[i - 1]) for i, (d, s, lg) in enumerate(LPR) if d >= dt.date(2021, 3, 4)]


@pytest.mark.parametrize(("day", "short", "long", "previous"), CHANGES_IN_LPR_PERIODS, ids=lambda v: str(v))
def test_each_lpr_change_applies_from_its_date(day, short, long, previous):
    on, before = day.isoformat(), (day - dt.timedelta(days=1)).isoformat()
    for months, new, old in ((12, short, previous[1]), (36, long, previous[2])):
        assert caps(on, months, f"{new:.2f}") == []  # at the cap
        assert caps(on, months, f"{new + 0.01:.2f}") == [new]  # just above
        assert caps(on, months, f"{new - 0.01:.2f}") == []  # just below
        assert caps(before, months, f"{old:.2f}") == []  # the day before, the old rate held
        if old > new:
            assert caps(on, months, f"{old:.2f}") == [new]


def test_2025_12_31_and_2026_01_01_both_on_the_lpr_of_may_2025():
    assert caps("2025-12-31", 12, "3.01") == caps("2026-01-01", 12, "3.01") == [3.00]
    assert caps("2025-12-31", 36, "3.50") == caps("2026-01-01", 36, "3.50") == []


def test_the_message_names_the_period_and_the_published_rate():
    cases = cases_of(RULE, loans=[{"disbursement_date": "2021-06-01", "maturity_date": "2022-06-01",
                                   "annual_rate": "4.35"}], as_of="2021-12-31")
    assert "按2021年3月起脱贫人口小额信贷政策，适用1年期LPR（2020-04-20起）3.85%" in cases.get_column("message").item()


@pytest.fixture
def lpr_from_2019(tmp_path):
    """A county that priced on the LPR from 2019-01-01 (before it was published: the benchmark)."""
    path = tmp_path / "policy.toml"
    path.write_text('[[periods]]\nfrom = 2019-01-01\nrate_rule = "lpr"\n', encoding="utf-8")
    return load_policy(path)


def test_a_county_override_prices_on_the_lpr_earlier(lpr_from_2019):
    assert [p.start.isoformat() for p in lpr_from_2019.periods] == ["2014-12-10", "2019-01-01", "2020-07-01",
                                                                     "2021-03-04", "2026-01-01"]
    assert caps("2019-08-19", 12, "4.30", lpr_from_2019) == []  # no LPR yet: 4.35 benchmark
    assert caps("2019-08-20", 12, "4.30", lpr_from_2019) == [4.25]  # the first LPR
    assert caps("2019-08-20", 12, "4.30") == []  # the default policy: the benchmark to 2021-03-03
    # the county's setting holds on through the later periods (2020-07-01 too)
    assert caps("2020-06-30", 36, "4.70", lpr_from_2019) == [4.65]
    assert caps("2020-07-01", 36, "4.70", lpr_from_2019) == [4.65]
    assert caps("2020-07-01", 36, "4.70") == []


def test_an_unreadable_or_empty_rate_is_not_judged():
    assert cases_of(RULE, loans=[{"annual_rate": "年息五厘"}]).height == 0
    assert cases_of(RULE, loans=[{"annual_rate": ""}]).height == 0


def test_an_unreadable_disbursement_or_maturity_date_is_not_judged():
    assert cases_of(RULE, loans=[{"annual_rate": "6.0", "disbursement_date": "2019-02-30"}]).height == 0
    assert cases_of(RULE, loans=[{"annual_rate": "6.0", "maturity_date": "待定"}]).height == 0


def test_skipped_without_a_rate_column():
    loan = {k: v for k, v in LOAN.items() if k != "annual_rate"}
    result = audit_records({"as_of": "2021-06-30", "loans": [loan], "roster": [dict(PERSON)]})
    assert RULE in result.skipped
