"""A synthetic Longchuan data set with exact labels: `generate(households, seed, out)`.

What it writes into `out` (created if missing):

- clean (`messy=False`): `roster.parquet`, `loans.parquet` with the canonical columns of
  SPEC §2 (IDs as text, dates `pl.Date`, money Float64 yuan, rates in percent);
- messy (`messy=True`): `roster.csv` in GBK and `loans.xlsx` (a title row, then Chinese
  headers, 万元 amounts), mixed date forms and cell types, decorated IDs (full-width,
  spaced, lower-case x, 15-digit) and names (middle-dot variants), an extra 备注 column,
  and a few unreadable values (labelled `unreadable_value`). The same seed gives the same
  people and loans in both forms;
- `labels.csv` (UTF-8): `rule, table, loan_id, id_number, note`: every loan (per loan_id)
  or ID that SPEC §4 flags at `as_of` under the default policy, injected or incidental,
  and nothing else; the note starts with the severity and ends with the injected kind or
  "incidental";
- `edge_cases.csv`: the same columns, loans near a boundary that must NOT be flagged;
- `meta.json`: the arguments, row counts and label counts per rule (the return value).

How the labels stay exact
- The world is built in layers: households and people, background loans that break no
  rule, then injected cases on households no other case touches (an injected household's
  background loans give way to the case's loans).
- The labels are computed by `labels.compute_labels`, a direct reading of SPEC §3–§4 over the tables as
  the pipeline sees them after normalisation (the messy form's unreadable cells as null);
  `labels.check_labels` then asserts that every injected case carries its label and severity and no
  edge case is labelled. Incidental findings (due_soon loans, repeated Jingpo and Dai
  names, an injected loan that also overlaps) are labelled because the reading finds them.
- Where the SPEC can be read two ways the data avoids the difference, and the labels
  check that both readings agree (`labels._ambiguity_guards`): a village spelled `…村` by the
  bank and `…村委会` in the roster, a name with or without its middle dot, a
  one-character name substitution that is neither a homophone nor a similar shape
  (`names.similar_names` returns None for those, and any such pair is a generator error).
- 疑似一人多证 without all pairs: every background person's 17-digit ID body satisfies
  `sum(V[i] * d[i]) % 11 == class of the person's name family`. With weights that are
  non-zero and differ between neighbours modulo 11 (the trick of the MOD 11-2 check),
  two bodies of one class never differ in one digit or one adjacent transposition. Name
  families use disjoint characters with disjoint pinyin readings, so names of two
  families are never similar; within a family and village, birth days are distinct.
  Hence no background pair is 疑似一人多证; injected people get IDs checked against
  everyone's (`Injector._free`) and `labels.identity_pairs` labels the pairs they form. The
  check characters stay uniformly spread (V is not proportional to W).

Scale: numpy and polars over whole columns; Python loops only over injected cases (a
handful per 2,000 households) and the rows of the xlsx writer. Beyond the county's size
(about 130 registered households per committee) made-up committee names are added.

The modules, in the order they build the world:
- `setting`: the county (townships, committees, bank), the policy the labels are read
  for, and the shares the world is drawn with;
- `world`: the `World` being built and its day-number calendar; `idnumbers`: ID bodies
  of a given class and their MOD 11-2 check; `names`: name families, name drawing and
  `similar_names`;
- `places` (committees, households), `people` (members, outsiders, IDs, statuses),
  `loans` (background loans that break no rule);
- `inject` (the `Injector`: choosing fresh households, recording loans and labels) and
  the cases it injects, `cases_loans` and `cases_identity`;
- `tables` (the canonical roster and register), `labels` (SPEC §3–§4 read directly,
  and the check of every injected case), `writers` (the messy GBK CSV and 万元 XLSX).

"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl

from loan_audit.pipeline.generate import cases_identity, cases_loans
from loan_audit.pipeline.generate.inject import Injector
from loan_audit.pipeline.generate.labels import (
    check_labels,
    compute_labels,
    identity_pairs,
    places_within_county,
    spec_persons,
)
from loan_audit.pipeline.generate.loans import background_loans
from loan_audit.pipeline.generate.people import assign_ids, build_persons, set_member_status
from loan_audit.pipeline.generate.places import build_households, build_villages
from loan_audit.pipeline.generate.province import province_villages
from loan_audit.pipeline.generate.tables import canonical_tables, unreadable_as_null
from loan_audit.pipeline.generate.world import World
from loan_audit.pipeline.generate.writers import write_loans_xlsx, write_roster_csv

MIN_HOUSEHOLDS = 300
# The injected cases, in the order they draw from the generator's random numbers.
CASES = (
    cases_loans.overdue, cases_loans.due_soon, cases_loans.over_limit, cases_loans.multiple_loans,
    cases_loans.non_poor, cases_loans.non_productive, cases_loans.enterprise, cases_loans.term, cases_loans.rate,
    cases_loans.age, cases_loans.deceased,
    cases_identity.invalid_ids, cases_identity.duplicate_records, cases_identity.name_mismatch,
    cases_identity.suspected, cases_identity.unreadable,
)


def generate(households: int, seed: int, out: Path, messy: bool = False,
             as_of: dt.date = dt.date(2020, 12, 31), realistic_names: bool = False,
             province: str | None = None, counties: int | None = None) -> dict:
    """Write a synthetic Longchuan data set and its exact labels into `out`; return meta.
    With `province` (or `counties`), the province's counties instead (province.py), with
    realistic names and a county column in both tables (the clean form only)."""
    if households < MIN_HOUSEHOLDS:
        raise ValueError(f"households must be at least {MIN_HOUSEHOLDS} (every case needs fresh households)")
    if not dt.date(2019, 1, 1) <= as_of <= dt.date(2035, 12, 31):
        raise ValueError("as_of must be between 2019-01-01 and 2035-12-31")
    if counties is not None and province is None:
        province = "yunnan"
    if province is not None:
        if messy:
            raise ValueError("--province writes the clean form only (the messy writers know one county's columns)")
        realistic_names = True
        villages = province_villages(province, households, seed, counties)
    else:
        villages = build_villages(households)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    w = World(np.random.default_rng(seed), households, as_of, dt.date(as_of.year - 3, 1, 1), villages,
              realistic=realistic_names)
    build_households(w)
    injector_outsiders = max(1, int(round(2 * households / 2000)))
    build_persons(w, injector_outsiders)
    assign_ids(w)
    set_member_status(w)
    background_loans(w)
    injector = Injector(w)
    for case in CASES:
        case(injector)
    injector.apply()

    roster, loans, lid_map = canonical_tables(w)
    wanted = {ref for _r, _t, (kind, ref), _s, _k in w.expected if kind == "pid"} | set(w.specials)
    wanted |= {ref for _r, (kind, ref), _k in w.negatives if kind == "pid"} | {u[2] for u in w.unreadable if u[1] == "pid"}
    picked = w.persons.filter(pl.col("pid").is_in(sorted(wanted)))
    pid_map = dict(zip(picked["pid"].to_list(), picked["id_text"].to_list()))
    seen_roster, seen_loans = unreadable_as_null(w, roster, loans) if messy else (roster, loans)
    seen_roster, seen_loans = places_within_county(seen_roster), places_within_county(seen_loans)
    people = spec_persons(seen_roster, seen_loans, as_of)
    pairs = identity_pairs(people, sorted(pid_map[p] for p in w.specials))
    labels = compute_labels(seen_roster, seen_loans, as_of, pairs)
    if messy:
        rows = []
        for table, kind, ref, column, raw in w.unreadable:
            rows.append(("unreadable_value", table, lid_map[ref] if kind == "lid" else "",
                         pid_map[ref] if kind == "pid" else seen_loans.filter(pl.col("_lid") == ref)["borrower_id_number"][0],
                         "error", f"{column} 「{raw}」"))
        labels = pl.concat([labels, pl.DataFrame(rows, schema=labels.columns, orient="row")])
    injected, edges = check_labels(w, labels, loans, lid_map, pid_map)
    injected = pl.DataFrame([(r, k, v) for (r, k), v in sorted(injected.items())],
                            schema=["rule", "_key", "_kind"], orient="row")
    labels = labels.join(injected.rename({"_key": "loan_id"}), on=["rule", "loan_id"], how="left").join(
        injected.rename({"_key": "id_number", "_kind": "_kind2"}), on=["rule", "id_number"], how="left",
    ).with_columns(pl.coalesce("_kind", "_kind2").fill_null("").alias("_kind")).select(
        "rule", "table", "loan_id", "id_number",
        pl.concat_str("severity", pl.lit(": "), "note",
                      pl.when(pl.col("_kind") != "").then(pl.lit("; injected ") + pl.col("_kind")).otherwise(pl.lit("; incidental"))).alias("note"),
    ).sort("rule", "table", "loan_id", "id_number")

    files = {}
    if messy:
        rng = np.random.default_rng([seed, 1])
        roster_over = {(ref, col): raw for table, _k, ref, col, raw in w.unreadable if table == "roster"}
        loan_over: dict[int, dict] = {}
        for table, _k, ref, col, raw in w.unreadable:
            if table == "loans":
                loan_over.setdefault(ref, {})[col] = raw
        files["roster.csv"] = write_roster_csv(roster, out / "roster.csv", rng, roster_over, as_of)
        files["loans.xlsx"] = write_loans_xlsx(loans, out / "loans.xlsx", rng, loan_over, as_of)
    else:
        roster.drop("_pid").write_parquet(out / "roster.parquet")
        loans.drop("_lid").write_parquet(out / "loans.parquet")
        files["roster.parquet"], files["loans.parquet"] = roster.height, loans.height
    labels.write_csv(out / "labels.csv")
    edges.write_csv(out / "edge_cases.csv")

    def per_rule(frame: pl.DataFrame) -> dict:
        counts = frame.group_by("rule").agg(pl.len()).sort("rule")
        return dict(zip(counts["rule"].to_list(), counts["len"].to_list()))

    meta = {
        "as_of": as_of.isoformat(), "seed": seed, "households": households, "messy": messy,
        "rows": files, "loans": len(lid_map), "villages": w.villages.height,
        "labels": per_rule(labels),
        "labels_incidental": per_rule(labels.filter(pl.col("note").str.ends_with("; incidental"))),
        "edge_cases": per_rule(edges),
    }
    if realistic_names:
        meta["realistic_names"] = True
    if province is not None:
        meta |= {"province": province, "counties": villages["county"].n_unique(), "townships": villages["town"].n_unique()}
    (out / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return meta
