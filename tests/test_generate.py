"""The synthetic data generator: same arguments give the same files; every SPEC §4 rule
has labelled cases; the messy form arrives as a county's files do (GBK CSV, 万元 XLSX,
mixed dates and IDs) and parses back to the clean form; IDs, households and statuses are
in range. The rules themselves are tested under tests/rules/."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from loan_audit.pipeline.generate import generate
from loan_audit.pipeline.generate.labels import identity_pairs, spec_persons
from loan_audit.pipeline.generate.names import similar_names
from loan_audit.pipeline.generate.setting import RULES, STATUSES
from loan_audit.pipeline.vocab.ids import is_valid, upgrade_15

AS_OF = dt.date(2020, 12, 31)
N = 600
SPEC = Path(__file__).resolve().parents[2] / "shared" / "SPEC.md"
ROSTER_HEADERS = {"户编号", "证件号码", "姓名", "与户主关系", "乡镇", "行政村", "户状态", "纳入日期", "剔除日期", "人员状态", "人员变动日期"}


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate(N, 11, out)
    return out


@pytest.fixture(scope="module")
def messy(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("messy")
    generate(N, 11, out, messy=True)
    return out


def labels(folder: Path) -> pl.DataFrame:
    return pl.read_csv(folder / "labels.csv", schema_overrides={"loan_id": pl.Utf8, "id_number": pl.Utf8}).with_columns(
        pl.col("loan_id").fill_null("")
    )


def xlsx_rows(path: Path) -> list[tuple]:
    book = openpyxl.load_workbook(path, read_only=True)
    rows = [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows


# --- determinism -----------------------------------------------------------------
def test_same_arguments_give_byte_identical_clean_files(clean, tmp_path):
    generate(N, 11, tmp_path)
    for name in ("roster.parquet", "loans.parquet", "labels.csv", "meta.json"):
        assert (tmp_path / name).read_bytes() == (clean / name).read_bytes(), name


def test_same_arguments_give_identical_messy_files(messy, tmp_path):
    generate(N, 11, tmp_path, messy=True)
    for name in ("roster.csv", "labels.csv", "meta.json"):
        assert (tmp_path / name).read_bytes() == (messy / name).read_bytes(), name
    assert xlsx_rows(tmp_path / "loans.xlsx") == xlsx_rows(messy / "loans.xlsx")


def test_another_seed_gives_other_data(clean, tmp_path):
    generate(N, 12, tmp_path)
    assert (tmp_path / "roster.parquet").read_bytes() != (clean / "roster.parquet").read_bytes()


def test_clean_and_messy_forms_hold_the_same_loans(clean, messy):
    assert json.loads((clean / "meta.json").read_text())["loans"] == json.loads((messy / "meta.json").read_text())["loans"]


# --- labels ------------------------------------------------------------------------
def test_rule_list_is_the_specs():
    if not SPEC.exists():
        pytest.skip("shared/SPEC.md not beside the project")
    section = SPEC.read_text(encoding="utf-8").split("## 4. Rules", 1)[1].split("## 5.", 1)[0]
    assert tuple(re.findall(r"^\| `(\w+)` \|", section, flags=re.M)) == RULES


@pytest.mark.parametrize("folder", ["clean", "messy"])
def test_every_spec_rule_has_labelled_cases(folder, request):
    found = set(labels(request.getfixturevalue(folder))["rule"].unique().to_list())
    assert set(RULES) <= found
    assert ("unreadable_value" in found) == (folder == "messy")


@pytest.mark.parametrize("rule", ["duplicate_loan_record", "enterprise_use", "deceased_borrower"])
def test_both_severities_of_a_rule_with_a_warning_form(clean, rule):
    notes = labels(clean).filter(pl.col("rule") == rule)["note"]
    assert notes.str.starts_with("error:").any() and notes.str.starts_with("warning:").any()


def test_labels_point_at_rows_that_exist(clean):
    lab = labels(clean)
    loans = pl.read_parquet(clean / "loans.parquet")
    roster = pl.read_parquet(clean / "roster.parquet")
    assert set(lab.filter(pl.col("table") == "loans", pl.col("loan_id") != "")["loan_id"]) <= set(loans["loan_id"])
    ids = set(roster["id_number"]) | set(loans["borrower_id_number"])
    assert set(lab["id_number"].drop_nulls()) <= ids
    assert lab.filter(pl.col("table") == "roster", pl.col("loan_id") != "").height == 0


def test_meta_counts_what_was_written(clean):
    meta = json.loads((clean / "meta.json").read_text(encoding="utf-8"))
    lab = labels(clean)
    assert meta["labels"] == dict(sorted(lab.group_by("rule").len().iter_rows()))
    assert meta["rows"] == {"roster.parquet": pl.read_parquet(clean / "roster.parquet").height,
                            "loans.parquet": pl.read_parquet(clean / "loans.parquet").height}
    assert (meta["as_of"], meta["seed"], meta["households"], meta["messy"]) == ("2020-12-31", 11, N, False)


def test_edge_cases_are_listed_and_never_labelled(clean):
    edges = pl.read_csv(clean / "edge_cases.csv", schema_overrides={"loan_id": pl.Utf8, "id_number": pl.Utf8})
    kinds = set(edges["note"].str.strip_prefix("not flagged: "))
    assert {"exactly_50000", "back_to_back", "65th_birthday", "due_in_91_days", "cluster_of_9",
            "truck_for_transport", "36_months_from_29_feb", "monitored_on_eligible_date"} <= kinds
    assert edges.join(labels(clean), on=["rule", "loan_id"], how="inner").height == 0
    assert json.loads((clean / "meta.json").read_text())["edge_cases"] == dict(sorted(edges.group_by("rule").len().iter_rows()))


def test_no_background_pair_of_people_is_unlabelled(clean):
    """Brute force over every valid ID: the only 疑似一人多证 pairs are the labelled ones,
    and no pair's names are similar under one reading of the SPEC only."""
    roster = pl.read_parquet(clean / "roster.parquet")
    loans = pl.read_parquet(clean / "loans.parquet")
    people = spec_persons(roster, loans, AS_OF)
    pairs = identity_pairs(people, people["id_number"].to_list())
    found = {i for a, b, _ in pairs for i in (a, b)}
    assert found == set(labels(clean).filter(pl.col("rule") == "suspected_same_person")["id_number"])


def test_similar_names_reads_the_spec_and_marks_doubt():
    assert similar_names("张伟", "张玮")  # same toneless pinyin
    assert similar_names("王芳", "玉芳")  # similar shape
    assert similar_names("李建华", "李华")  # one character dropped
    assert similar_names("排·麻干", "排麻干")  # the middle dot is no difference
    assert similar_names("岳麻干", "岳麻诺") is None  # siblings, or one character apart?
    assert similar_names("排麻干", "尚麻诺") is False


# --- the messy form --------------------------------------------------------------------
def test_messy_roster_is_gbk_with_chinese_headers(messy):
    data = (messy / "roster.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    header = data.decode("gbk").splitlines()[0].split(",")
    assert ROSTER_HEADERS <= set(header)
    assert "备注" in header  # an unknown column the pipeline must carry through


def test_messy_loans_have_a_wanyuan_amount_column(messy):
    rows = xlsx_rows(messy / "loans.xlsx")
    header = list(rows[1])  # a title row above the header, as bank exports have
    assert "贷款金额(万元)" in header and "贷款余额(元)" in header and "借据号" in header
    col = header.index("贷款金额(万元)")
    numbers = [r[col] for r in rows[2:] if isinstance(r[col], (int, float))]
    assert numbers and all(0 < v <= 10 for v in numbers)
    assert 5 in numbers and any(v != int(v) for v in numbers)  # 5万 and e.g. 4.5万


def test_messy_values_come_in_every_form(messy):
    text = (messy / "roster.csv").read_text(encoding="gbk")
    assert re.search(r"[０-９]{17}", text)  # full-width digits
    assert re.search(r",\d{6} \d{8} \d{3}[\dX],", text)  # inner spaces
    assert re.search(r",\d{17}x,", text)  # lower-case x
    assert re.search(r",\d{15},", text)  # 15-digit legacy number
    for pattern in (r"\d{4}-\d{2}-\d{2}", r"\d{4}/\d{1,2}/\d{1,2}", r"\d{4}\.\d{1,2}\.\d{1,2}", r"\d{4}年\d{1,2}月\d{1,2}日", r",\d{8},"):
        assert re.search(pattern, text), pattern
    assert "．" in text
    cells = [c for r in xlsx_rows(messy / "loans.xlsx")[2:] for c in r]
    assert any(isinstance(c, dt.datetime) for c in cells)  # real date cells
    assert "五万" in cells
    names = {c for c in cells if isinstance(c, str)}
    assert any(dot in n for n in names for dot in "・•‧．")


def test_messy_form_parses_to_the_clean_form(clean, messy):
    """Through the pipeline's own ingest and normalisation, every cell but the labelled
    unreadable ones reads back as the clean value."""
    from loan_audit.pipeline.stages.ingest import read_tables
    from loan_audit.pipeline.stages.normalise import normalised

    raw = read_tables(messy / "roster.csv", messy / "loans.xlsx")
    norm = normalised(raw)
    bad = 0
    for table in ("roster", "loans"):
        want = pl.read_parquet(clean / f"{table}.parquet")
        got = norm[table]
        assert got.height == want.height
        for col in want.columns:
            same = want[col].eq_missing(got[col].cast(want[col].dtype))
            bad += (~same).sum()
    assert bad == labels(messy).filter(pl.col("rule") == "unreadable_value").height


# --- IDs, households, statuses ------------------------------------------------------
def test_generated_ids_are_valid_unless_labelled_invalid(clean):
    roster = pl.read_parquet(clean / "roster.parquet")
    loans = pl.read_parquet(clean / "loans.parquet")
    bad = set(labels(clean).filter(pl.col("rule") == "invalid_id_number")["id_number"])
    ids = set(roster["id_number"]) | set(loans["borrower_id_number"])
    assert bad and bad < ids
    assert all(is_valid(i, AS_OF) for i in ids - bad)
    assert not any(is_valid(i, AS_OF) for i in bad)
    assert roster["id_number"].n_unique() == roster.height
    assert roster["id_number"].str.starts_with("533124").mean() > 0.9


def test_legacy_15_digit_ids_upgrade_to_the_clean_id(clean, messy):
    csv = pl.read_csv(messy / "roster.csv", encoding="gbk", infer_schema=False)
    want = pl.read_parquet(clean / "roster.parquet")["id_number"]
    legacy = [(a, b) for a, b in zip(csv["证件号码"], want) if a and len(a) == 15]
    assert legacy and all(upgrade_15(a) == b for a, b in legacy)


def test_households_have_one_to_seven_members_and_known_statuses(clean):
    roster = pl.read_parquet(clean / "roster.parquet")
    per = roster.group_by("household_id").agg(
        pl.len().alias("size"), (pl.col("relation") == "户主").sum().alias("heads"),
        pl.col("household_status").n_unique().alias("statuses"),
    )
    assert per["size"].min() >= 1 and per["size"].max() <= 7
    assert (per["heads"] == 1).all() and (per["statuses"] == 1).all()
    assert set(roster["household_status"]) == set(STATUSES)
    assert set(roster["member_status"]) == {"正常", "死亡", "迁出"}
    assert roster.filter(pl.col("member_status") != "正常")["status_change_date"].null_count() == 0
    removed = roster.filter(pl.col("removed_date").is_not_null())
    assert set(removed["household_status"]) == {"已剔除"}
    assert set(roster["township"]) == {"章凤镇", "陇把镇", "景罕镇", "城子镇", "户撒阿昌族乡", "护国乡", "清平乡", "王子树乡", "勐约乡"}
    assert roster["village"].str.ends_with("村委会").all()


def test_loans_are_in_the_window_and_mostly_clean(clean):
    loans = pl.read_parquet(clean / "loans.parquet")
    assert loans["disbursement_date"].min() >= dt.date(2017, 1, 1)
    assert loans["disbursement_date"].max() <= AS_OF
    assert loans["amount"].is_in([float(a) for a in range(10_000, 50_001, 5_000)]).mean() > 0.95
    assert loans.filter(pl.col("settled_date").is_not_null())["balance"].max() == 0
    matured = loans.filter(pl.col("maturity_date") < AS_OF, pl.col("extended_maturity_date").is_null(),
                           pl.col("balance") > 0)
    overdue = set(labels(clean).filter(pl.col("rule") == "overdue")["loan_id"])
    assert set(matured["loan_id"]) == overdue  # matured loans are repaid unless injected overdue
    households = pl.read_parquet(clean / "roster.parquet").select("household_id", "id_number")
    share = loans.join(households, left_on="borrower_id_number", right_on="id_number")["household_id"].n_unique() / households["household_id"].n_unique()
    assert 0.5 < share < 0.8  # the seed's 发放率 is 68.74% of eligible households


def test_too_few_households_is_refused(tmp_path):
    with pytest.raises(ValueError):
        generate(50, 1, tmp_path)
