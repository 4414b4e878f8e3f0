"""A small audit for the report tests: several townships and rules, hostile values.

Run once per test session through the real pipeline (`run_rows`), reports written
into a temporary folder. Imported by the tests of this folder (not a test module).
"""

from __future__ import annotations

from functools import lru_cache

from loan_audit.rules._common import make_id
from tests.conftest import run_rows

AS_OF = "2021-06-30"
INJECTED_NAME = '=HYPERLINK("http://x","y")'
SCRIPT_NAME = "<script>alert(1)</script>"
EVIL_TOWNSHIP = "../../evil"

ID_P1 = make_id()  # 排麻干, 章凤镇 迭撒村委会
ID_P2 = make_id("19750505", "013")  # 岳麻诺, 陇把镇 邦瓦村
ID_P3 = make_id("19850312", "017")  # another 排麻干 in 迭撒村委会
ID_OUTSIDE = make_id("19700707", "025")  # not in the roster
ID_EVIL = make_id("19660606", "031")  # not in the roster, township ../../evil
ID_BAD = ID_P1[:-1] + ("0" if ID_P1[-1] != "0" else "1")  # wrong check digit

ROSTER = [
    {},
    {"household_id": "5331241020020001", "id_number": ID_P2, "name": "岳麻诺", "township": "陇把镇", "village": "邦瓦村"},
    {"household_id": "5331241010010002", "id_number": ID_P3, "name": "排麻干"},
]
LOANS = [
    # overdue 60 days (31–90天) in 章凤镇
    {"loan_id": "L1", "maturity_date": "2021-05-01", "balance": "40000"},
    # the other 排麻干 of the village: a duplicate_name group with L1; due in August
    # (12 months: priced at the 1-year benchmark, 4.35)
    {"loan_id": "L2", "borrower_id_number": ID_P3, "amount": "30000", "balance": "30000",
     "disbursement_date": "2020-08-15", "maturity_date": "2021-08-15", "annual_rate": "4.35"},
    # a formula as the borrower name (name_id_mismatch in 陇把镇), and over the limit
    {"loan_id": "L3", "borrower_name": INJECTED_NAME, "borrower_id_number": ID_P2, "township": "陇把镇",
     "village": "邦瓦村", "amount": "60000", "balance": "60000"},
    # markup as the borrower name, not in the roster (non_poor_borrower in 陇把镇)
    {"loan_id": "L4", "borrower_name": SCRIPT_NAME, "borrower_id_number": ID_OUTSIDE, "township": "陇把镇",
     "village": "邦瓦村"},
    # no township anywhere and a broken ID: 未知乡镇
    {"loan_id": "L5", "borrower_id_number": ID_BAD, "township": "", "village": ""},
    # a township name that tries to leave the checklists folder
    {"loan_id": "L6", "borrower_name": "李麻果", "borrower_id_number": ID_EVIL, "township": EVIL_TOWNSHIP,
     "village": "x村"},
    # quarantined: no loan number, negative amount
    {"loan_id": "", "amount": "-5"},
]
FULL_IDS = (ID_P1, ID_P2, ID_P3, ID_OUTSIDE, ID_EVIL, ID_BAD)


@lru_cache(maxsize=None)
def sample_result():
    """The audit result of ROSTER and LOANS (cached: the pipeline runs once)."""
    return run_rows(loans=LOANS, roster=ROSTER, as_of=AS_OF)
