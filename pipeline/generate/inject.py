"""The `Injector`: chooses people from households no other case touches, records the
injected loans, persons and patches, and what the labels must and must not contain;
`apply` writes them into the world. The cases themselves are in `cases_loans` and
`cases_identity`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from loan_audit.pipeline.generate.idnumbers import neighbour_bodies, with_check
from loan_audit.pipeline.generate.loans import LOAN_COLUMNS, age_years
from loan_audit.pipeline.generate.names import similar_names
from loan_audit.pipeline.generate.setting import DAUGHTER, DIL, ELIGIBLE, HEAD, PURPOSE_P, PURPOSES, SIL, SON, SPOUSE
from loan_audit.pipeline.generate.world import World, add_months, date_of_day, day_number, uniform_days
from loan_audit.pipeline.vocab.ids import is_valid


class Injector:
    """The injection's state and its verbs: choosing people from fresh households,
    adding loans and persons, recording what the labels must (and must not) contain;
    each function of `cases_loans` and `cases_identity` injects one kind of case with
    them."""

    def __init__(self, w: World):
        self.w = w
        self.rng = w.rng
        self.scale = w.n / 2000
        self.new_loans: list[dict] = []
        self.dropped_hh: list[int] = []
        self.person_patches: dict[int, dict] = {}
        self.household_patches: dict[int, dict] = {}
        self.new_persons: list[dict] = []
        self.copies: dict[int, int] = {}
        self.cluster_days: set[tuple] = set()
        # sorted lookups for choosing the injected persons' IDs: ID body → name, and
        # (village, birth day) → pid, name
        P = w.persons
        bodies = P["id"].str.slice(0, 17).cast(pl.Int64).to_numpy()
        order = np.argsort(bodies, kind="stable")
        self.body_numbers, self.body_names = bodies[order], P["name"].gather(order)
        place = P["vidx"].to_numpy() * 100_000 + P["birth"].cast(pl.Int32).to_numpy()
        order = np.argsort(place, kind="stable")
        self.place_numbers, self.place_pids, self.place_names = place[order], P["pid"].to_numpy()[order], P["name"].gather(order)
        self.new_bodies: dict[str, str] = {}
        self.new_places: dict[int, list[tuple[int, str]]] = {}
        self.w0 = w.w0
        self.late = w.as_of - dt.timedelta(days=30)
        self._info = (
            w.persons.filter(pl.col("hh") >= 0)
            .join(w.households.select("hh", "status", "registered_date", "removed_date", "size", pl.col("vidx").alias("hvidx"), "town"), on="hh")
        )
        counts = w.loans.group_by("hh").agg(pl.len().alias("n_loans"))
        self._info = self._info.join(counts, on="hh", how="left").with_columns(pl.col("n_loans").fill_null(0)).sort("u", "pid")
        self._members: dict[int, list[dict]] = {}

    def count(self, base: float) -> int:
        return max(1, int(round(base * self.scale)))

    # --- choosing --------------------------------------------------------------
    def people(self, k: int, where: pl.Expr, *, statuses=ELIGIBLE, spare: int = 0) -> list[dict]:
        """k people (one per household) matching `where`, from households not yet used,
        and up to `spare` more if there are; their households become used."""
        if k <= 0:
            return []
        pool = self.free_people(where, statuses)
        first = pool.head(8 * (k + spare) + 64).unique("hh", keep="first", maintain_order=True)
        if first.height < k + spare:  # rare: many candidates share households
            first = pool.unique("hh", keep="first", maintain_order=True)
        rows = first.head(k + spare).to_dicts()
        if len(rows) < k:
            raise ValueError(f"too few households ({self.w.n}) to inject every case; use more households")
        self._take([r["hh"] for r in rows])
        return rows

    def per_key(self, key: str, wanted: list, where: pl.Expr, *, statuses=ELIGIBLE) -> list[dict]:
        """For each value in `wanted` (repeats allowed), one person with that `key` from a
        distinct unused household."""
        if not wanted:
            return []
        need: dict = {}
        for v in wanted:
            need[v] = need.get(v, 0) + 1
        pool = (
            self.free_people(where & pl.col(key).is_in(list(need)), statuses)
            .unique("hh", keep="first", maintain_order=True)
            .with_columns(pl.int_range(pl.len()).over(key).alias("_k"))
        )
        by_key: dict = {}
        for r in pool.filter(pl.col("_k") < pl.col(key).replace_strict(need, default=0)).to_dicts():
            by_key.setdefault(r[key], []).append(r)
        out = []
        for v in wanted:
            if not by_key.get(v):
                raise ValueError(f"too few households ({self.w.n}) to inject every case; use more households")
            out.append(by_key[v].pop(0))
        self._take([r["hh"] for r in out])
        return out

    def free_people(self, where: pl.Expr, statuses) -> pl.DataFrame:
        return self._info.filter(
            where & pl.col("status").is_in(list(statuses)) & ~pl.col("special")
            & ~pl.lit(pl.Series(self.w.used)).gather(pl.col("hh"))
        )

    def _take(self, hhs: list[int]) -> None:
        for h in hhs:
            self.w.used[h] = True
        for m in self._info.filter(pl.col("hh").is_in(hhs)).sort("hh", "slot").to_dicts():
            self._members.setdefault(m["hh"], []).append(m)

    def borrowers(self, k: int, extra: pl.Expr | None = None, statuses=ELIGIBLE, spare: int = 0) -> list[dict]:
        return self.people(k, self.adult() & (extra if extra is not None else pl.lit(True)), statuses=statuses, spare=spare)

    def adult(self) -> pl.Expr:
        return (
            (pl.col("member_status") == "正常") & pl.col("rel").is_in([HEAD, SPOUSE, SON, DAUGHTER, DIL])
            & (age_years(pl.col("birth"), self.w0) >= 22) & (age_years(pl.col("birth"), self.w.as_of) <= 60)
        )

    def _is_adult(self, m: dict) -> bool:
        return (
            m["member_status"] == "正常" and m["rel"] in (HEAD, SPOUSE, SON, DAUGHTER, DIL)
            and (self.w0 - m["birth"]).days / 365.2425 >= 22 and (self.w.as_of - m["birth"]).days / 365.2425 <= 60
        )

    def member_of(self, person: dict, adult: bool = True) -> dict | None:
        """Another member of the person's household (an adult who may borrow, by default)."""
        for m in self._members.get(person["hh"], []):
            if m["pid"] != person["pid"] and (not adult or self._is_adult(m)):
                return m
        return None

    def day(self, lo: dt.date | None = None, hi: dt.date | None = None) -> dt.date:
        lo, hi = lo or self.w0, hi or self.late
        return date_of_day(uniform_days(self.rng, day_number(lo), day_number(hi), 1)[0])

    # --- recording -------------------------------------------------------------
    def loan(self, person: dict, disb: dt.date | None, months: int = 24, amount: float = 30_000, *, maturity=None,
             extended=None, settled="auto", balance=None, rate=None, purpose=None, usage="自主发展",
             name=None, id_text=None, vidx=None) -> int:
        """A complete loan; `settled="auto"`: repaid on maturity when that is past, else
        outstanding in full. Returns its lid."""
        w = self.w
        maturity = maturity or add_months(disb, months)
        eff = extended or maturity
        if settled == "auto":
            settled = eff if eff <= w.as_of else None
        if balance is None:
            balance = 0.0 if settled is not None else float(amount)
        lid = w.next_lid
        w.next_lid += 1
        self.new_loans.append({
            "lid": lid, "hh": person.get("hh", -1), "pid": person["pid"],
            "borrower_name": name or person["name"], "borrower_id": id_text or person["id_text"],
            "vidx": person["vidx"] if vidx is None else vidx, "short": bool(self.rng.random() < 0.7),
            "amount": float(amount), "disb": disb, "maturity": maturity, "extended": extended,
            "settled": settled, "rate": rate if rate is not None else (4.35 if months <= 12 else 4.75),
            "balance": float(balance), "usage_mode": usage,
            "purpose": purpose or PURPOSES[int(self.rng.choice(len(PURPOSES), p=PURPOSE_P))],
            "copies": 0,
        })
        return lid

    def replace(self, person: dict) -> None:
        """The household's background loans give way to the injected ones."""
        if person.get("hh", -1) >= 0:
            self.dropped_hh.append(person["hh"])

    def expect(self, rule: str, kind: str, *, lid=None, pid=None, id_text=None, severity="error", table="loans") -> None:
        ref = ("lid", lid) if lid is not None else ("pid", pid) if pid is not None else ("id", id_text)
        self.w.expected.append((rule, table, ref, severity, kind))

    def refuse(self, rule: str, kind: str, *, lid=None, pid=None) -> None:
        ref = ("lid", lid) if lid is not None else ("pid", pid)
        self.w.negatives.append((rule, ref, kind))

    def patch_person(self, pid: int, **values) -> None:
        self.person_patches.setdefault(pid, {}).update(values)

    def patch_household(self, hh: int, **values) -> None:
        self.household_patches.setdefault(hh, {}).update(values)

    @staticmethod
    def enough(done: int, k: int, kind: str) -> None:
        if done < k:
            raise RuntimeError(f"generator could not place {kind}: no free ID variant")

    def pair(self, x: dict, twin: dict, kind: str, table_b: str = "roster") -> None:
        self.expect("suspected_same_person", kind, pid=x["pid"], table="roster", severity="warning")
        self.expect("suspected_same_person", kind, pid=twin["pid"], table=table_b, severity="warning")

    def add_member(self, host: dict, name: str, id_text: str, male: int, family: int) -> dict:
        pid = self.w.next_pid
        self.w.next_pid += 1
        rel = SIL if male else DIL
        row = {**person_row({"pid": pid, "name": name, "vidx": host["hvidx"]}, host, id_text),
               "hh": host["hh"], "slot": host["size"], "rel": rel, "male": male, "family": family}
        self.new_persons.append(row)
        self.register(pid, id_text, name, host["hvidx"])
        self.patch_household(host["hh"], size=host["size"] + 1)
        self.w.specials.append(pid)
        return row

    def _free(self, candidates: list[str], partner: dict, name: str, vidx: int) -> str | None:
        """The first candidate ID that is nobody's and makes no similar pair but with
        `partner`: no neighbour body and nobody born that day in village `vidx` whose
        name is similar (or doubtfully similar) to `name`."""
        for cand in candidates:
            if not is_valid(cand, self.w.as_of) or cand[:17] in self.new_bodies:
                continue
            if self._lookup(self.body_numbers, int(cand[:17]))[0] < self._lookup(self.body_numbers, int(cand[:17]))[1]:
                continue
            others = []
            for b in neighbour_bodies(cand[:17]):
                if b == partner["id"][:17]:
                    continue
                lo, hi = self._lookup(self.body_numbers, int(b))
                others += self.body_names.slice(lo, hi - lo).to_list()
                if b in self.new_bodies:
                    others.append(self.new_bodies[b])
            birth = dt.date(int(cand[6:10]), int(cand[10:12]), int(cand[12:14]))
            key = vidx * 100_000 + day_number(birth)
            lo, hi = self._lookup(self.place_numbers, key)
            pids = self.place_pids[lo:hi]
            others += [nm for pid, nm in zip(pids, self.place_names.slice(lo, hi - lo).to_list()) if pid != partner["pid"]]
            others += [nm for pid, nm in self.new_places.get(key, []) if pid != partner["pid"]]
            if all(similar_names(name, other) is False for other in others):
                return cand
        return None

    def register(self, pid: int, id_text: str, name: str, vidx: int) -> None:
        self.new_bodies[id_text[:17]] = name
        birth = dt.date(int(id_text[6:10]), int(id_text[10:12]), int(id_text[12:14]))
        self.new_places.setdefault(vidx * 100_000 + day_number(birth), []).append((pid, name))

    @staticmethod
    def _lookup(sorted_keys: np.ndarray, key: int) -> tuple[int, int]:
        return int(np.searchsorted(sorted_keys, key, "left")), int(np.searchsorted(sorted_keys, key, "right"))

    def neighbour_id(self, x: dict, kind: str, name: str, vidx: int) -> str | None:
        body = x["id"][:17]
        cands = []
        if kind == "one_digit":
            for pos in (15, 14, 13, 12, 11):
                for d in "1234567890":
                    if d != body[pos]:
                        cands.append(with_check(body[:pos] + d + body[pos + 1:]))
        else:
            for pos in range(8, 16):
                if body[pos] != body[pos + 1] and (pos < 15 or int(body[pos]) % 2 == int(body[pos + 1]) % 2):
                    cands.append(with_check(body[:pos] + body[pos + 1] + body[pos] + body[pos + 2:]))
        order = self.rng.permutation(len(cands))
        return self._free([cands[i] for i in order], x, name, vidx)

    def same_day_id(self, x: dict, name: str, vidx: int) -> str | None:
        body = x["id"][:14]
        seqs = [f"{s:03d}" for s in range(1, 1000) if s % 2 == int(x["male"])]
        order = self.rng.permutation(len(seqs))
        cands = [with_check(body + seqs[i]) for i in order[:200]]
        return self._free(cands, x, name, vidx)

    # --- applying -------------------------------------------------------------------
    def apply(self) -> None:
        w = self.w
        if self.new_persons:
            new = pl.DataFrame(self.new_persons, infer_schema_length=None).select(w.persons.columns).cast(w.persons.schema)
            w.persons = pl.concat([w.persons, new])
        if self.person_patches:
            rows = []
            for pid in sorted(self.person_patches):
                rows.append({"pid": pid, **self.person_patches[pid]})
            w.persons = _patch(w.persons, "pid", rows)
        if self.household_patches:
            rows = [{"hh": hh, **self.household_patches[hh]} for hh in sorted(self.household_patches)]
            w.households = _patch(w.households, "hh", rows)
        keep = w.loans.filter(~pl.col("hh").is_in(sorted(set(self.dropped_hh))))
        new = pl.DataFrame(self.new_loans, infer_schema_length=None).join(w.villages.select("vidx", "village", "village_short"), on="vidx", how="left")
        new = new.with_columns(
            pl.when(pl.col("short")).then(pl.col("village_short")).otherwise(pl.col("village")).alias("village_text"),
            pl.col("lid").replace_strict(self.copies, default=0, return_dtype=pl.Int64).alias("copies"),
        ).select(LOAN_COLUMNS).cast(keep.schema)
        w.loans = pl.concat([keep, new]).sort("lid")
def person_row(p: dict, like: dict, id_text: str) -> dict:
    birth = dt.date(int(id_text[6:10]), int(id_text[10:12]), int(id_text[12:14]))
    return {
        "pid": p["pid"], "hh": like.get("hh", -1), "slot": 0, "rel": -1, "male": like["male"],
        "birth": birth, "family": like["family"], "vidx": p["vidx"], "sur": 0, "giv": 0,
        "name": p["name"], "id": id_text, "addr": int(id_text[:6]), "seq": int(id_text[14:17]),
        "id_text": id_text, "valid": True, "member_status": "正常", "status_change_date": None,
        "special": True, "u": 1.0,
    }
def _patch(frame: pl.DataFrame, key: str, rows: list[dict]) -> pl.DataFrame:
    """Set the given columns of the given rows (None sets null), grouped by column set."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(sorted(r)), []).append(r)
    for cols, grp in groups.items():
        patch = pl.DataFrame(grp, schema={c: frame.schema[c] for c in cols})
        frame = frame.update(patch, on=key, include_nulls=True)
    return frame
