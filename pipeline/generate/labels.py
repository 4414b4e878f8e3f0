"""The labels: SPEC §3–§4 read directly over the canonical tables (an independent
reading, not the rules' code), 疑似一人多证 pairs that involve an injected person, and
the check that every injected case is labelled and no edge case is.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from loan_audit.pipeline.generate.idnumbers import W, neighbour_bodies
from loan_audit.pipeline.generate.names import similar_names
from loan_audit.pipeline.generate.places import place_key
from loan_audit.pipeline.generate.setting import (
    BASE_RATES,
    CLUSTER_MIN,
    DUE_SOON_DAYS,
    ENTERPRISE_MODES,
    ENTERPRISE_WORDS,
    EXTENSION_FULL_TERM_UP_TO,
    MAX_AGE,
    MAX_AMOUNT,
    MAX_TERM_MONTHS,
    MIN_AGE,
    MONITORED,
    MONITORED_FROM,
    NON_PRODUCTIVE,
)
from loan_audit.pipeline.generate.world import World
from loan_audit.pipeline.vocab.divisions import county_key
from loan_audit.pipeline.vocab.ids import CHECK_CHARS


def valid_id(s: pl.Expr, as_of: dt.date) -> pl.Expr:
    """SPEC §3's valid ID (an independent reading; tests compare it with ids.is_valid)."""
    birth = s.str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d", strict=False)
    digits = [s.str.slice(i, 1).cast(pl.Int64, strict=False) * int(W[i]) for i in range(17)]
    check = pl.lit(CHECK_CHARS).str.slice(pl.sum_horizontal(digits) % 11, 1)
    ok = (
        s.str.contains(r"^\d{17}[0-9X]$") & birth.is_not_null() & (birth >= pl.lit(dt.date(1900, 1, 1)))
        & (birth <= pl.lit(as_of)) & (check == s.str.slice(17, 1))
    )
    return ok.fill_null(False)
def _text(expr: pl.Expr) -> pl.Expr:
    """Statuses, purposes and keywords are compared after NFKC and whitespace removal."""
    return expr.str.normalize("NFKC").str.replace_all(r"\s", "")
def _plus_months(date: pl.Expr, months: pl.Expr) -> pl.Expr:
    return date.dt.offset_by(pl.format("{}mo", months))
def _whole_months(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    rough = (end.dt.year().cast(pl.Int64) - start.dt.year().cast(pl.Int64)) * 12 + end.dt.month().cast(pl.Int64) - start.dt.month().cast(pl.Int64)
    return pl.when(_plus_months(start, rough) > end).then(rough - 1).otherwise(rough)
def _whole_years(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    before = (end.dt.month() < start.dt.month()) | ((end.dt.month() == start.dt.month()) & (end.dt.day() < start.dt.day()))
    return end.dt.year().cast(pl.Int64) - start.dt.year().cast(pl.Int64) - before.cast(pl.Int64)
def _loan_view(roster: pl.DataFrame, records: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """One row per loan_id with everything SPEC §3 derives."""
    members = (
        roster.filter(pl.col("id_number").is_not_null()).unique("id_number", keep="first", maintain_order=True)
        .select(
            pl.col("id_number").alias("borrower_id_number"), "household_id", pl.col("name").alias("m_name"),
            pl.col("township").alias("m_town"), pl.col("village").alias("m_vill"),
            _text(pl.col("household_status")).alias("m_status"), pl.col("registered_date").alias("m_registered"),
            pl.col("removed_date").alias("m_removed"), _text(pl.col("member_status")).alias("m_member"),
            pl.col("status_change_date").alias("m_change"),
        )
    )
    eff = pl.coalesce("extended_maturity_date", "maturity_date")
    return (
        records.unique("loan_id", keep="first", maintain_order=True)
        .join(members, on="borrower_id_number", how="left")
        .with_columns(
            valid_id(pl.col("borrower_id_number"), as_of).alias("valid"),
            eff.alias("eff"),
            pl.col("household_id").is_not_null().alias("in_roster"),
        )
        .with_columns(
            pl.when(pl.col("valid")).then(pl.col("borrower_id_number").str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d")).alias("birth"),
            pl.when(pl.col("settled_date").is_not_null()).then(pl.col("settled_date"))
            .when(pl.col("balance") > 0).then(pl.max_horizontal("eff", pl.lit(as_of)))
            .otherwise(pl.col("eff")).alias("end"),
            pl.coalesce("household_id", pl.lit("ID:") + pl.col("borrower_id_number"), pl.lit("LOAN:") + pl.col("loan_id")).alias("household"),
            pl.when(pl.col("in_roster")).then(pl.col("m_town")).otherwise(pl.col("township")).alias("b_town"),
            pl.when(pl.col("in_roster")).then(pl.col("m_vill")).otherwise(pl.col("village")).alias("b_vill"),
            _text(pl.col("purpose")).alias("purpose_n"),
        )
    )
def _flag(frame: pl.DataFrame, severity: str | pl.Expr, note: pl.Expr | str) -> pl.DataFrame:
    sev = pl.lit(severity) if isinstance(severity, str) else severity
    note = pl.lit(note) if isinstance(note, str) else note
    return frame.select("loan_id", sev.alias("severity"), note.cast(pl.Utf8).alias("note"))
def _interval_pairs(L: pl.DataFrame) -> pl.DataFrame:
    iv = L.filter(pl.col("disbursement_date").is_not_null() & pl.col("end").is_not_null()).select(
        "loan_id", "household", pl.col("disbursement_date").alias("start"), "end", "amount")
    return iv.join(iv, on="household", suffix="_b")
def _loan_rules(L: pl.DataFrame, records: pl.DataFrame, as_of: dt.date) -> dict[str, pl.DataFrame]:
    a = pl.lit(as_of)
    out: dict[str, pl.DataFrame] = {}
    owing = pl.col("balance") > 0
    late = L.filter(owing & pl.col("eff").is_not_null() & (a > pl.col("eff"))).with_columns((a - pl.col("eff")).dt.total_days().alias("d"))
    bucket = pl.when(pl.col("d") <= 30).then(pl.lit("1-30")).when(pl.col("d") <= 90).then(pl.lit("31-90")).when(pl.col("d") <= 180).then(pl.lit("91-180")).otherwise(pl.lit(">180"))
    out["overdue"] = _flag(late, "error", pl.format("{} days overdue ({})", "d", bucket))
    soon = L.filter(owing & (pl.col("eff") >= a) & (pl.col("eff") <= a + pl.duration(days=DUE_SOON_DAYS)))
    out["due_soon"] = _flag(soon, "info", pl.format("due {}", "eff"))

    pairs = _interval_pairs(L)
    active = pairs.filter((pl.col("start_b") <= pl.col("start")) & (pl.col("start") < pl.col("end_b")) & pl.col("amount_b").is_not_null())
    sums = active.group_by("loan_id").agg(pl.col("amount_b").sum().alias("total"), pl.col("loan_id_b").alias("active"))
    crowded = sums.filter(pl.col("total") > MAX_AMOUNT).explode("active").group_by("active").agg(pl.col("total").max())
    big = L.filter(pl.col("amount") > MAX_AMOUNT)
    out["over_limit"] = pl.concat([
        _flag(big, "error", pl.format("amount {}", "amount")),
        _flag(crowded.rename({"active": "loan_id"}), "error", pl.format("household total {} at a loan's start", "total")),
    ]).unique("loan_id", keep="first", maintain_order=True)
    overlap = pairs.filter((pl.col("loan_id") != pl.col("loan_id_b")) & (pl.col("start") < pl.col("end_b")) & (pl.col("start_b") < pl.col("end")))
    out["multiple_loans_per_household"] = _flag(
        overlap.group_by("loan_id").agg(pl.col("loan_id_b").sort().str.join(",").alias("with")), "error", pl.format("overlaps {}", "with"))

    d = pl.col("disbursement_date")
    removed = pl.col("in_roster") & (pl.col("m_status") == "已剔除") & (pl.col("m_removed").is_null() | (pl.col("m_removed") <= d))
    reason = (
        pl.when(pl.col("valid") & ~pl.col("in_roster")).then(pl.lit("valid ID not in the roster"))
        .when(removed.fill_null(False)).then(pl.lit("household 已剔除"))
        .when((pl.col("in_roster") & (pl.col("m_registered") > d)).fill_null(False)).then(pl.lit("registered after disbursement"))
        .when((pl.col("in_roster") & pl.col("m_status").is_in(list(MONITORED)) & (d < pl.lit(MONITORED_FROM))).fill_null(False))
        .then(pl.lit("边缘户/监测户 before eligibility"))
    )
    poor = L.with_columns(reason.alias("why")).filter(pl.col("why").is_not_null())
    out["non_poor_borrower"] = _flag(poor, "error", pl.col("why"))
    words = L.filter(pl.col("purpose_n").str.contains_any(list(NON_PRODUCTIVE)).fill_null(False))
    out["non_productive_use"] = _flag(words, "error", pl.format("purpose {}", "purpose"))

    ent = L.filter((_text(pl.col("usage_mode")).is_in(list(ENTERPRISE_MODES)) | pl.col("purpose_n").str.contains_any(list(ENTERPRISE_WORDS))).fill_null(False))
    cluster = _clusters(L, pl.col("b_town"), pl.col("b_vill"))
    out["enterprise_use"] = pl.concat([
        _flag(ent, "error", pl.format("usage {} / purpose {}", "usage_mode", "purpose")),
        _flag(cluster, "warning", pl.format("cluster of {} loans in one village on one day", "k")),
    ]).unique("loan_id", keep="first", maintain_order=True)

    term = _whole_months(d, pl.col("maturity_date"))
    limit = pl.when(term <= EXTENSION_FULL_TERM_UP_TO).then(term).otherwise(term // 2)
    too_long = (pl.col("maturity_date") > _plus_months(d, pl.lit(MAX_TERM_MONTHS))).fill_null(False)
    too_far = (pl.col("extended_maturity_date") > _plus_months(pl.col("maturity_date"), limit)).fill_null(False)
    out["term_over_limit"] = _flag(L.filter(too_long | too_far), "error",
                                   pl.when(too_long).then(pl.lit("term over 36 months")).otherwise(pl.lit("extension over limit")))
    (start, base), = BASE_RATES
    out["rate_above_base"] = _flag(L.filter((d >= pl.lit(start)) & (pl.col("annual_rate") > base)), "error", pl.format("rate {}", "annual_rate"))
    age = _whole_years(pl.col("birth"), d)
    out["borrower_age"] = _flag(L.with_columns(age.alias("age")).filter((pl.col("age") < MIN_AGE) | (pl.col("age") > MAX_AGE)),
                                "error", pl.format("age {} at disbursement", "age"))
    dead = L.filter((pl.col("m_member") == "死亡") & pl.col("m_change").is_not_null() & d.is_not_null())
    out["deceased_borrower"] = pl.concat([
        _flag(dead.filter(pl.col("m_change") <= d), "error", pl.format("died {}", "m_change")),
        _flag(dead.filter((pl.col("m_change") > d) & (pl.col("m_change") < pl.col("end"))), "warning", pl.format("died {} during the loan", "m_change")),
    ])
    out["invalid_id_number"] = _flag(L.filter(~pl.col("valid")), "error", "borrower ID not valid")
    counts = records.group_by("loan_id").agg(pl.len().alias("k")).filter(pl.col("k") > 1)
    key = ["borrower_id_number", "amount", "disbursement_date"]
    same = L.filter(pl.all_horizontal(pl.col(c).is_not_null() for c in key)).filter(pl.len().over(key) > 1)
    out["duplicate_loan_record"] = pl.concat([
        _flag(counts, "error", pl.format("loan_id on {} rows", "k")),
        _flag(same, "warning", "same borrower, amount and day under another loan_id"),
    ]).unique("loan_id", keep="first", maintain_order=True)
    mismatch = L.filter(pl.col("valid") & pl.col("in_roster") & (pl.col("borrower_name") != pl.col("m_name")))
    out["name_id_mismatch"] = _flag(mismatch, "error", pl.format("loan name {} / roster name {}", "borrower_name", "m_name"))
    out["duplicate_name"] = _flag(_same_names(L, pl.col("borrower_name"), pl.col("b_town"), pl.col("b_vill")), "warning",
                                  pl.format("{} shared by {} IDs", "borrower_name", "k"))
    _ambiguity_guards(L, out)
    return out
def _clusters(L: pl.DataFrame, town: pl.Expr, vill: pl.Expr) -> pl.DataFrame:
    key = [town.alias("_t"), vill.alias("_v"), pl.col("disbursement_date").alias("_d"), pl.col("amount").alias("_a"), pl.col("purpose_n").alias("_p")]
    keyed = L.with_columns(key).filter(pl.all_horizontal(pl.col(c).is_not_null() for c in ("_t", "_v", "_d", "_a", "_p")))
    return keyed.with_columns(pl.len().over("_t", "_v", "_d", "_a", "_p").alias("k")).filter(pl.col("k") >= CLUSTER_MIN)
def _same_names(L: pl.DataFrame, name: pl.Expr, town: pl.Expr, vill: pl.Expr) -> pl.DataFrame:
    keyed = L.filter(pl.col("valid")).with_columns(name.alias("_n"), town.alias("_t"), vill.alias("_v")).filter(pl.col("_n").is_not_null())
    return keyed.with_columns(pl.col("borrower_id_number").n_unique().over("_n", "_t", "_v").alias("k")).filter(pl.col("k") >= 2)
def _ambiguity_guards(L: pl.DataFrame, out: dict[str, pl.DataFrame]) -> None:
    """Where SPEC §4 can be read two ways, both readings must give the same labels."""
    place = place_key(pl.col("b_town"), pl.col("b_vill"))
    no_dot = pl.col("borrower_name").str.replace_all("·", "", literal=True)
    checks = {
        "duplicate_name": _same_names(L, no_dot, place, pl.lit("")),
        "enterprise_use": _clusters(L, place, pl.lit("")),
        "name_id_mismatch": L.filter(pl.col("valid") & pl.col("in_roster") & (no_dot != pl.col("m_name").str.replace_all("·", "", literal=True))),
    }
    for rule, other in checks.items():
        mine = out[rule]
        if rule == "enterprise_use":
            mine = mine.filter(pl.col("severity") == "warning")
        if sorted(mine["loan_id"].to_list()) != sorted(other["loan_id"].unique().to_list()):
            raise RuntimeError(f"generator bug: the two readings of {rule} disagree")
def places_within_county(frame: pl.DataFrame) -> pl.DataFrame:
    """A table of several counties as the labels read its places: the township within its
    county (the county's code or name, then `|`), so that no two counties' 城关镇 are one."""
    if "county" not in frame.columns:
        return frame
    return frame.with_columns(pl.concat_str(county_key(pl.col("county")), pl.lit("|"), pl.col("township")).alias("township"))
def compute_labels(roster: pl.DataFrame, records: pl.DataFrame, as_of: dt.date, pairs: list[tuple]) -> pl.DataFrame:
    L = _loan_view(roster, records, as_of)
    found = _loan_rules(L, records, as_of)
    ids = L.select("loan_id", "borrower_id_number")
    frames = [
        f.join(ids, on="loan_id", how="left").select(
            pl.lit(rule).alias("rule"), pl.lit("loans").alias("table"), "loan_id",
            pl.col("borrower_id_number").alias("id_number"), "severity", "note")
        for rule, f in found.items()
    ]
    bad_roster = roster.filter(~valid_id(pl.col("id_number"), as_of))
    frames.append(bad_roster.select(
        pl.lit("invalid_id_number").alias("rule"), pl.lit("roster").alias("table"), pl.lit("").alias("loan_id"),
        "id_number", pl.lit("error").alias("severity"), pl.lit("roster ID not valid").alias("note")))
    in_roster = set(roster["id_number"].to_list())
    rows = []
    for id_a, id_b, signal in pairs:
        for me, other in ((id_a, id_b), (id_b, id_a)):
            rows.append(("suspected_same_person", "roster" if me in in_roster else "loans", "", me, "warning", f"{signal} with {other}"))
    if rows:
        frames.append(pl.DataFrame(rows, schema=["rule", "table", "loan_id", "id_number", "severity", "note"], orient="row")
                      .group_by("rule", "table", "loan_id", "id_number", "severity", maintain_order=True)
                      .agg(pl.col("note").str.join("; ")))
    return pl.concat(frames, how="vertical_relaxed").with_columns(pl.col("loan_id").fill_null(""))
def spec_persons(roster: pl.DataFrame, records: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """SPEC §4's persons: valid roster IDs, and valid borrower IDs not in the roster."""
    mine = roster.filter(valid_id(pl.col("id_number"), as_of)).select("id_number", "name", "township", "village")
    outside = (
        records.unique("loan_id", keep="first", maintain_order=True)
        .filter(valid_id(pl.col("borrower_id_number"), as_of) & ~pl.col("borrower_id_number").is_in(roster["id_number"].implode()))
        .select(pl.col("borrower_id_number").alias("id_number"), pl.col("borrower_name").alias("name"), "township", "village")
    )
    return pl.concat([mine, outside]).unique("id_number", keep="first", maintain_order=True).with_columns(
        pl.col("id_number").str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d").alias("birth"),
        pl.col("id_number").str.slice(0, 17).alias("body"),
        place_key(pl.col("township"), pl.col("village")).alias("place"),
    )
def identity_pairs(people: pl.DataFrame, focus: list[str]) -> list[tuple[str, str, str]]:
    """Pairs (id_a < id_b, signal) of SPEC §4's 疑似一人多证 with at least one ID in
    `focus`: ID bodies one digit or one adjacent swap apart, or born the same day in the
    same village (either reading of the village), with similar names. Raises when a
    pair's names are similar only under one reading of the SPEC."""
    if not focus:
        return []
    near = pl.DataFrame(
        [(i, b) for i in focus for b in neighbour_bodies(i[:17])], schema=["id_a", "body"], orient="row"
    ).join(people.select(pl.col("id_number").alias("id_b"), "body"), on="body").select("id_a", "id_b", pl.lit("ID one digit or one swap apart").alias("signal"))
    mine = people.filter(pl.col("id_number").is_in(focus))
    same = []
    for keys in (["township", "village", "birth"], ["place", "birth"]):
        same.append(mine.join(people, on=keys, suffix="_b").select(
            pl.col("id_number").alias("id_a"), pl.col("id_number_b").alias("id_b"), pl.lit("same birth date, same village").alias("signal")))
    cands = pl.concat([near, *same]).filter(pl.col("id_a") != pl.col("id_b")).select(
        pl.min_horizontal("id_a", "id_b").alias("id_a"), pl.max_horizontal("id_a", "id_b").alias("id_b"), "signal",
    ).sort("id_a", "id_b", "signal").unique(["id_a", "id_b"], keep="first", maintain_order=True)
    names = people.select("id_number", "name")
    cands = cands.join(names.rename({"id_number": "id_a", "name": "name_a"}), on="id_a", how="left").join(
        names.rename({"id_number": "id_b", "name": "name_b"}), on="id_b", how="left").sort("id_a", "id_b")
    out = []
    for id_a, id_b, signal, name_a, name_b in cands.iter_rows():
        verdict = similar_names(name_a, name_b)
        if verdict is None:
            raise RuntimeError(f"generator bug: ambiguous similar names {name_a}/{name_b} ({id_a}, {id_b})")
        if verdict:
            out.append((id_a, id_b, signal))
    return out
def check_labels(w: World, labels: pl.DataFrame, loans: pl.DataFrame, lid_map: dict, pid_map: dict) -> tuple[dict, pl.DataFrame]:
    """Every injected case labelled (with its severity), no edge case labelled. Returns
    (rule, key) → injected kind, and the edge cases as rows shaped like the labels."""
    rows = labels.select("rule", "table", "loan_id", "id_number", "severity").iter_rows()
    by_loan, by_id = {}, {}
    for r, _t, loan, ident, sev in rows:
        if loan:
            by_loan[(r, loan)] = sev
        by_id.setdefault((r, ident), sev)
    injected: dict[tuple, str] = {}
    for rule, _table, (kind, ref), severity, name in w.expected:
        key = lid_map[ref] if kind == "lid" else pid_map[ref] if kind == "pid" else ref
        found = (by_loan if kind == "lid" else by_id).get((rule, key))
        if found != severity:
            raise RuntimeError(f"generator bug: injected {rule}/{name} ({key}) labelled {found}, not {severity}")
        injected[(rule, key)] = name
    borrower = dict(zip(*loans.filter(pl.col("_lid").is_in([r for _u, (k, r), _n in w.negatives if k == "lid"]))
                        .select("loan_id", "borrower_id_number").to_dict(as_series=False).values()))
    edges = []
    for rule, (kind, ref), name in w.negatives:
        key = lid_map[ref] if kind == "lid" else pid_map[ref]
        if (rule, key) in (by_loan if kind == "lid" else by_id):
            raise RuntimeError(f"generator bug: edge case {rule}/{name} is labelled ({key})")
        edges.append((rule, "loans", key, borrower[key], f"not flagged: {name}") if kind == "lid"
                     else (rule, "roster", "", key, f"not flagged: {name}"))
    frame = pl.DataFrame(edges, schema=["rule", "table", "loan_id", "id_number", "note"], orient="row")
    return injected, frame.unique(maintain_order=True).sort("rule", "table", "loan_id", "id_number")
