"""A township's summary names a village once: the bank's spelling (迭撒村) of a
borrower who is not in the roster is shown as the roster's (迭撒村委会)."""

from loan_audit.reports.model import case_rows
from tests.conftest import make_id, run_rows


def test_the_banks_spelling_of_a_village_is_shown_as_the_rosters():
    roster = [{"id_number": make_id(seq="001"), "household_id": "H1", "name": "岳麻干",
               "township": "章凤镇", "village": "迭撒村委会"}]
    loans = [
        {"loan_id": "L1", "borrower_name": "岳麻干", "borrower_id_number": make_id(seq="001"), "amount": 60000.0},
        {"loan_id": "L2", "borrower_name": "排麻诺", "borrower_id_number": make_id(seq="002"),
         "township": "章凤镇", "village": "迭撒村"},
        {"loan_id": "L3", "borrower_name": "排麻当", "borrower_id_number": make_id(seq="003"),
         "township": "章凤镇", "village": "拉影村"},
    ]
    rows = case_rows(run_rows(loans=loans, roster=roster), mask=True)
    labels = {tuple(r["loan_ids"]): r["village_label"] for r in rows.to_dicts() if r["loan_ids"]}
    assert labels[("L1",)] == "迭撒村委会"
    assert labels[("L2",)] == "迭撒村委会"  # not in the roster, the bank's spelling of the roster's village
    assert labels[("L3",)] == "拉影村"  # a village the roster does not have stays as the bank wrote it
