"""Builders for the hostile-input tests: input folders, CLI calls, and the checks every
test makes (no traceback, one line on stderr for exit 2, nothing lost).

Imported by the tests of this folder (not a test module).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from loan_audit.pipeline.cli import app
from loan_audit.rules._common import LOAN, PERSON, make_id  # noqa: F401  (re-exported for the tests)

AS_OF = "2021-06-30"
runner = CliRunner()

LOAN_KEYS = list(LOAN)
# The 台账 headers as banks write them (aliases), in LOAN's order.
CN_LOAN_HEADER = {
    "loan_id": "借据号", "borrower_name": "借款人姓名", "borrower_id_number": "借款人身份证号", "township": "乡镇",
    "village": "行政村", "amount": "贷款金额(元)", "disbursement_date": "放款日期", "maturity_date": "到期日期",
    "extended_maturity_date": "展期到期日", "settled_date": "结清日期", "annual_rate": "年利率(%)",
    "balance": "贷款余额(元)", "purpose": "贷款用途", "usage_mode": "使用方式", "bank": "承贷银行",
}


def loan(**overrides) -> dict:
    return {**LOAN, **overrides}


def person(**overrides) -> dict:
    return {**PERSON, **overrides}


def csv_text(rows: list[dict], sep: str = ",", header: dict | None = None) -> str:
    """Rows as CSV text (no quoting: the tests that need quoting build it themselves)."""
    keys = list(rows[0])
    lines = [sep.join((header or {}).get(k, k) for k in keys)]
    lines += [sep.join("" if r.get(k) is None else str(r[k]) for k in keys) for r in rows]
    return "\n".join(lines) + "\n"


def write_folder(folder: Path, loans: bytes | str | list[dict] | None = None, loans_name: str = "loans.csv",
                 roster: bytes | str | list[dict] | None = None, roster_name: str = "roster.csv") -> Path:
    """roster.* and loans.* in `folder`: rows (dicts), text, bytes, or the clean default."""
    folder.mkdir(parents=True, exist_ok=True)
    for content, name, default in ((roster, roster_name, [PERSON]), (loans, loans_name, [LOAN])):
        content = default if content is None else content
        path = folder / name
        if isinstance(content, list):
            pl.DataFrame(content).write_csv(path)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    return folder


def invoke(*args: str):
    """The CLI as a user calls it. CliRunner catches exceptions: a traceback would show
    as `res.exception` that is not a SystemExit, and every test checks it is not."""
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exception is None or isinstance(res.exception, SystemExit), _traceback(res)
    assert "Traceback" not in res.output
    return res


def _traceback(res) -> str:
    import traceback

    return "".join(traceback.format_exception(res.exception))


def validate_json(folder: Path, *extra: str):
    """`loan-audit validate DIR --format json`: (result, parsed JSON or None)."""
    res = invoke("validate", folder, "--as-of", AS_OF, "--format", "json", *extra)
    data = json.loads(res.stdout) if res.exit_code in (0, 1) else None
    if data is not None:
        assert_conserved(data["summary"])
    return res, data


def run_out(folder: Path, out: Path, *extra: str):
    """`loan-audit run DIR --out OUT` without the store: (result, summary)."""
    res = invoke("run", folder, "--out", out, "--as-of", AS_OF, "--no-db", "--quiet", *extra)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8")) if res.exit_code in (0, 1) else None
    if summary is not None:
        assert_conserved(summary)
    return res, summary


def assert_exit_2_one_line(res, *needles: str) -> str:
    """Exit 2, one line on stderr starting `loan-audit:`, naming each needle."""
    assert res.exit_code == 2, (res.exit_code, res.output)
    message = res.stderr.strip()
    assert message.startswith("loan-audit: "), message
    assert "\n" not in message, message
    for needle in needles:
        assert needle in message, (needle, message)
    assert res.stdout.strip() == ""
    return message


def assert_conserved(summary: dict) -> None:
    """SPEC §2's law, per table: rows read = rows checked + rows quarantined."""
    for table, info in summary["inputs"].items():
        assert info["rows_read"] == info["rows_checked"] + info["rows_quarantined"], (table, info)


def quarantine_reasons(out: Path) -> dict[tuple[str, int], list[str]]:
    """(table, row) → reasons, from a run's quarantine.parquet."""
    q = pl.read_parquet(out / "quarantine.parquet")
    return {(t, r): reasons for t, r, reasons in q.select("table", "row", "reasons").rows()}

