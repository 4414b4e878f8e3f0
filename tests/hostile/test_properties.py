"""Properties over arbitrary inputs (hypothesis): text, numbers and dates of every kind
in every column of both tables.

- the run finishes (no exception), in memory and through files and the CLI;
- nothing is lost: rows read = rows checked + rows quarantined, per table, and rows
  read = the rows given;
- every case names only loans and ID numbers of checked input rows;
- IDs: a valid ID (any region and sequence digits, a real birth date, the computed
  check character) is never flagged; any single-character change of one always is.

Example counts are modest: CI runs the suite on two cores.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata

import polars as pl
from hostile_inputs import AS_OF, invoke, validate_json, write_folder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loan_audit.pipeline.stages.run import audit_records
from loan_audit.pipeline.vocab.columns import TABLES
from loan_audit.pipeline.vocab.ids import check_char
from loan_audit.pipeline.vocab.values import key

SETTINGS = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
AS_OF_DATE = dt.date.fromisoformat(AS_OF)


# --- values -----------------------------------------------------------------------------
@st.composite
def valid_ids(draw, up_to: dt.date = AS_OF_DATE) -> str:
    region = draw(st.text("0123456789", min_size=6, max_size=6))
    birth = draw(st.dates(dt.date(1900, 1, 1), up_to)).strftime("%Y%m%d")
    body = region + birth + draw(st.text("0123456789", min_size=3, max_size=3))
    return body + check_char(body)


def _same_after_normalising(a: str, b: str) -> bool:
    return unicodedata.normalize("NFKC", a).upper() == unicodedata.normalize("NFKC", b).upper()


@st.composite
def changed_ids(draw) -> tuple[str, str]:
    """(valid ID, the same with one character replaced by a different one)."""
    good = draw(valid_ids())
    pos = draw(st.integers(0, 17))
    new = draw(
        st.one_of(st.sampled_from("0123456789X"), st.characters(), st.sampled_from("xＸ一 .-"))
        .filter(lambda c: not _same_after_normalising(c, good[pos]))
    )
    return good, good[:pos] + new + good[pos + 1:]


DATE_FORMS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d", "%Y/%-m/%-d", "%d/%m/%Y")
dates = st.builds(lambda d, f: d.strftime(f), st.dates(dt.date(1800, 1, 1), dt.date(2200, 12, 31)), st.sampled_from(DATE_FORMS))
serials = st.integers(-10, 3_000_000).map(str)
numbers = st.one_of(
    st.integers(-10**15, 10**15).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(lambda d: f"{d:,}"),
    st.integers(0, 100_000).map(lambda n: f"{n}元"),
    st.integers(0, 10).map(lambda n: f"{n}万"),
)
anything = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["", " ", "合计", "=1+1", "-", "\x00", "NaN", "∞"]))
WORDS = {
    "household_status": ["贫困户", "已脱贫", "边缘户", "监测户", "已剔除"],
    "member_status": ["正常", "死亡", "迁出"],
    "relation": ["户主", "配偶", "之子"],
    "purpose": ["养殖", "建房", "入股分红", "种植（核桃）", "看病"],
    "usage_mode": ["自主发展", "户贷企用", "分贷统还"],
    "township": ["章凤镇", "陇把镇", "../x", "<b>镇</b>"],
    "village": ["迭撒村", "迭撒村委会", "邦瓦村"],
    "name": ["排麻干", "岳麻诺", "排·麻干", "勒排 干"],
}


def cell(kind: str, name: str, ids: list[str], loan_ids: list[str]):
    """A value for a column: often plausible for its kind, often anything at all."""
    plausible = {
        "id": st.sampled_from(ids),
        "date": st.one_of(dates, serials),
        "money": numbers,
        "rate": st.one_of(numbers, st.floats(0, 10).map(lambda r: f"{r:.2f}%")),
        "name": st.sampled_from(WORDS["name"]),
        "key": st.sampled_from(loan_ids) if name == "loan_id" else st.sampled_from(["H1", "H2", "H3"]),
        "text": st.sampled_from(WORDS.get(name, ["x"])),
    }[kind]
    return st.one_of(plausible, anything)


@st.composite
def tables(draw, max_rows: int = 5) -> dict:
    ids = draw(st.lists(st.one_of(valid_ids(), st.text("0123456789Xx ", min_size=15, max_size=18)), min_size=1, max_size=4))
    loan_ids = draw(st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=4))
    out = {"as_of": AS_OF}
    for table in ("roster", "loans"):
        cols = TABLES[table]
        out[table] = draw(st.lists(
            st.fixed_dictionaries({c.name: cell(c.kind, c.name, ids, loan_ids) for c in cols}),
            min_size=1, max_size=max_rows,
        ))
    return out


# --- in memory: every column, every kind ------------------------------------------------
@settings(max_examples=35, **SETTINGS)
@given(tables())
def test_any_values_finish_conserve_rows_and_name_only_checked_input(example):
    result = audit_records(example)
    for table in ("roster", "loans"):
        counts = result.validated.counts[table]
        assert counts["rows_read"] == len(example[table])
        assert counts["rows_read"] == counts["rows_checked"] + counts["rows_quarantined"]
        q = result.validated.quarantine.filter(pl.col("table") == table)
        assert q.height == counts["rows_quarantined"] and q.get_column("row").is_unique().all()
        assert q.get_column("reasons").list.len().min() in (None,) or q.get_column("reasons").list.len().min() >= 1

    checked = result.validated.tables
    checked_loans = set(checked["loans"].get_column("loan_id").drop_nulls())
    given_loans = set(pl.Series([r["loan_id"] for r in example["loans"]], dtype=pl.Utf8).to_frame("l")
                      .select(key(pl.col("l"))).to_series().drop_nulls())
    named = set(result.cases.get_column("loan_ids").explode().drop_nulls())
    assert named <= checked_loans <= given_loans

    checked_ids = set(checked["loans"].get_column("borrower_id_number").drop_nulls()) | set(
        checked["roster"].get_column("id_number").drop_nulls())
    assert set(result.cases.get_column("id_number").drop_nulls()) <= checked_ids
    assert result.cases.get_column("case_id").is_unique().all()


# --- through files and the CLI ------------------------------------------------------------
@settings(max_examples=20, **SETTINGS)
@given(tables(max_rows=4))
def test_any_values_in_csv_files_through_the_cli(tmp_path_factory, example):
    folder = tmp_path_factory.mktemp("in")
    write_folder(folder, loans=pl.DataFrame(example["loans"], schema={c.name: pl.Utf8 for c in TABLES["loans"]})
                 .write_csv(), roster=pl.DataFrame(example["roster"], schema={c.name: pl.Utf8 for c in TABLES["roster"]})
                 .write_csv())
    res, data = validate_json(folder)  # no traceback; conservation checked there
    assert res.exit_code in (0, 1), res.output
    for table in ("roster", "loans"):
        assert data["summary"]["inputs"][table]["rows_read"] == len(example[table])


@settings(max_examples=25, **SETTINGS)
@given(st.binary(max_size=400), st.sampled_from(["loans.csv", "loans.xlsx", "loans.parquet", "loans.xls"]))
def test_arbitrary_bytes_as_an_input_file(tmp_path_factory, data, name):
    folder = write_folder(tmp_path_factory.mktemp("in"), loans=data, loans_name=name)
    res = invoke("validate", folder, "--as-of", AS_OF, "--format", "json")
    assert res.exit_code in (0, 1, 2)


@functools.lru_cache(maxsize=1)
def _workbook_bytes() -> bytes:
    """A real .xlsx of one loan, the same bytes every time (fixed creation time)."""
    import io

    import xlsxwriter

    from loan_audit.rules._common import LOAN

    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    wb.set_properties({"created": dt.datetime(2021, 1, 1)})
    ws = wb.add_worksheet()
    ws.write_row(0, 0, list(LOAN))
    ws.write_row(1, 0, list(LOAN.values()))
    wb.close()
    return buffer.getvalue()


@settings(max_examples=20, **SETTINGS)
@given(st.data())
def test_damaged_workbook_bytes(tmp_path_factory, data):
    """A real .xlsx with bytes overwritten or cut: read, or exit 2 — never a traceback."""
    raw = bytearray(_workbook_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    raw = raw[: data.draw(st.integers(1, len(raw)))]
    folder = write_folder(tmp_path_factory.mktemp("in"), loans=bytes(raw), loans_name="loans.xlsx")
    res = invoke("validate", folder, "--as-of", AS_OF, "--format", "json")
    assert res.exit_code in (0, 1, 2)


# --- IDs ----------------------------------------------------------------------------------
@settings(max_examples=30, **SETTINGS)
@given(st.lists(valid_ids(), min_size=1, max_size=8, unique=True), st.lists(changed_ids(), min_size=1, max_size=8))
def test_valid_ids_pass_and_every_single_character_change_is_flagged(good, changed):
    """Valid IDs in the roster, changed ones as borrowers: exactly the changed are flagged."""
    roster = [{"household_id": f"H{i}", "id_number": g, "name": "排麻干", "township": "章凤镇", "village": "迭撒村",
               "household_status": "已脱贫"} for i, g in enumerate(good)]
    loans = [{"loan_id": f"L{i}", "borrower_name": "排麻干", "borrower_id_number": bad, "amount": "10000",
              "disbursement_date": "2019-03-05", "maturity_date": "2022-03-05", "balance": "10000"}
             for i, (_, bad) in enumerate(changed)]
    result = audit_records({"as_of": AS_OF, "roster": roster, "loans": loans})
    flagged = result.cases.filter(pl.col("rule") == "invalid_id_number")
    assert flagged.filter(pl.col("loan_ids").is_null()).height == 0, "a valid roster ID was flagged"
    assert sorted(flagged.get_column("loan_ids").explode().to_list()) == sorted(f"L{i}" for i in range(len(changed)))
