"""Injected identity cases: invalid IDs, duplicate records, names that do not match the
ID, 疑似一人多证 pairs, and the unreadable cells of the messy form.
"""

from __future__ import annotations

import polars as pl

from loan_audit.pipeline.generate.idnumbers import with_check
from loan_audit.pipeline.generate.inject import Injector, person_row
from loan_audit.pipeline.generate.names import HAN, HOMOPHONE, SHAPE
from loan_audit.pipeline.generate.setting import HEAD
from loan_audit.pipeline.generate.world import add_months
from loan_audit.pipeline.vocab.ids import CHECK_CHARS, is_valid


def invalid_ids(inj: Injector) -> None:
    taken: set[str] = set()

    def damaged(p: dict, reason: str, i: int) -> str:
        body = p["id"][:17]
        if reason == "check_digit":
            return body + CHECK_CHARS[(CHECK_CHARS.index(p["id"][17]) + 1 + i % 9) % 11]
        if reason == "birth_date":
            return with_check(body[:10] + "0230" + body[14:] if i % 2 == 0 else body[:10] + "13" + body[12:])
        if reason == "length":
            return p["id"][:9] + p["id"][10:]
        if reason == "characters":
            pos = 12 + i % 5
            return p["id"][:pos] + "O" + p["id"][pos + 1:]
        if reason == "excel_scientific":
            return next((t for k in range(6, 16) if (t := f"{p['id'][0]}.{p['id'][1:k]}E+17") not in taken), "")
        return p["id"][:15] + "000"

    plan = (("check_digit", 2), ("birth_date", 1), ("length", 1), ("characters", 1), ("excel_scientific", 1), ("excel_000", 1))
    for table in ("roster", "loans"):
        for reason, base in plan:
            k = inj.count(base)
            pool = inj.borrowers(k, spare=k + 2) if table == "loans" else inj.people(k, pl.col("rel") != HEAD, spare=k + 2)
            done = 0
            for i, p in enumerate(pool):
                text = damaged(p, reason, i)
                if done == k or not text or text in taken or is_valid(text):
                    continue  # the household stays as it was
                taken.add(text)
                done += 1
                inj.replace(p)  # nobody in the household borrows under this member's ID
                if table == "roster":
                    inj.patch_person(p["pid"], id_text=text, valid=False)
                    inj.expect("invalid_id_number", reason, id_text=text, table="roster")
                else:
                    inj.expect("invalid_id_number", reason, lid=inj.loan(p, inj.day(), 24, 30_000, id_text=text))
            if done < k:
                raise RuntimeError(f"could not damage enough IDs for {reason}")
def duplicate_records(inj: Injector) -> None:
    for i, p in enumerate(inj.borrowers(inj.count(2))):
        inj.replace(p)
        lid = inj.loan(p, inj.day(), 24, 30_000)
        inj.copies[lid] = 2 if i == 0 else 1
        inj.expect("duplicate_loan_record", "repeated_loan_id", lid=lid)
    for p in inj.borrowers(inj.count(2)):
        inj.replace(p)
        d = inj.day()
        for lid in (inj.loan(p, d, 24, 20_000), inj.loan(p, d, 24, 20_000)):
            inj.expect("duplicate_loan_record", "same_borrower_amount_day", lid=lid, severity="warning")
            inj.expect("multiple_loans_per_household", "same_borrower_amount_day", lid=lid)
def name_mismatch(inj: Injector) -> None:
    for kind, table in (("homophone", HOMOPHONE), ("similar_shape", SHAPE)):
        for p in inj.borrowers(inj.count(2), pl.col("name").str.contains_any(list(table))):
            inj.replace(p)
            ch = next(c for c in p["name"] if c in table)
            lid = inj.loan(p, inj.day(), 24, 30_000, name=p["name"].replace(ch, table[ch], 1))
            inj.expect("name_id_mismatch", kind, lid=lid)
    k = inj.count(1)
    done = 0
    for p in inj.borrowers(k, pl.col("size") >= 2, spare=2 * k + 3):
        other = inj.member_of(p, adult=False)
        if done == k or other is None or other["name"] == p["name"]:
            continue
        done += 1
        inj.replace(p)
        inj.expect("name_id_mismatch", "household_member_name", lid=inj.loan(p, inj.day(), 24, 30_000, name=other["name"]))
    for p in inj.borrowers(inj.count(1), pl.col("family") != HAN):
        inj.replace(p)
        inj.expect("name_id_mismatch", "different_person", lid=inj.loan(p, inj.day(), 24, 30_000, name="马国庆"))
# --- 疑似一人多证 ------------------------------------------------------------
def suspected(inj: Injector) -> None:
    ok = (pl.col("member_status") == "正常") & (pl.col("n_loans") == 0)
    head = (pl.col("size") < 7) & (pl.col("rel") == HEAD)
    for kind in ("one_digit", "adjacent_swap"):
        k = inj.count(1)
        xs = inj.people(k, ok, spare=k + 2)  # spares: an ID may have no free variant
        hosts = inj.per_key("town", [x["town"] for x in xs], head)
        done = 0
        for x, host in zip(xs, hosts):
            twin_id = inj.neighbour_id(x, kind, x["name"], host["hvidx"]) if done < k else None
            if twin_id:
                done += 1
                inj.pair(x, inj.add_member(host, x["name"], twin_id, x["male"], x["family"]), kind)
        inj.enough(done, k, kind)
    for kind, table in (("same_day_homophone", HOMOPHONE), ("same_day_similar_shape", SHAPE), ("same_day_one_char_dropped", None)):
        if table:
            has = pl.col("name").str.contains_any(list(table))
        else:
            has = (pl.col("family") == HAN) & (pl.col("name").str.len_chars() == 3)
        k = inj.count(1)
        xs = inj.people(k, has & ok, spare=k + 2)
        hosts = inj.per_key("hvidx", [x["hvidx"] for x in xs], head)
        done = 0
        for x, host in zip(xs, hosts):
            if table:
                ch = next(c for c in x["name"] if c in table)
                name = x["name"].replace(ch, table[ch], 1)
            else:
                name = x["name"][:2]
            twin_id = inj.same_day_id(x, name, host["hvidx"]) if done < k else None
            if twin_id:
                done += 1
                inj.pair(x, inj.add_member(host, name, twin_id, x["male"], x["family"]), kind)
        inj.enough(done, k, kind)
    unique_name = pl.len().over("hvidx", "name") == 1
    k, done = inj.count(1), 0
    for x in inj.people(k, unique_name & (pl.col("family") == HAN) & inj.adult(), spare=k + 2):
        # a borrower not in the roster under an ID one digit from a member's, same name;
        # the member's household borrows nothing (x is no borrower of the same name)
        other_id = inj.neighbour_id(x, "one_digit", x["name"], x["hvidx"]) if done < k else None
        if not other_id:
            continue
        done += 1
        inj.replace(x)
        pid = inj.w.next_pid
        inj.w.next_pid += 1
        inj.register(pid, other_id, x["name"], x["hvidx"])
        outsider = {"pid": pid, "hh": -1, "name": x["name"], "id_text": other_id, "vidx": x["hvidx"]}
        inj.new_persons.append({**person_row(outsider, x, other_id), "hh": -1, "slot": 0, "rel": -1})
        inj.w.specials.append(pid)
        lid = inj.loan(outsider, inj.day(), 24, 30_000)
        inj.pair(x, outsider, "outsider_one_digit", table_b="loans")
        inj.expect("non_poor_borrower", "not_in_roster_one_digit_from_member", lid=lid)
    inj.enough(done, k, "outsider_one_digit")
# --- 无法识别的数据 (messy form only; chosen in both forms so the data agree) ---
def unreadable(inj: Injector) -> None:
    for column, raw in (("disbursement_date", "{y}-02-30"), ("amount", "五万"), ("maturity_date", "{y}-13-01")):
        for p in inj.borrowers(inj.count(1)):
            inj.replace(p)
            d = inj.day(hi=add_months(inj.late, -13))
            lid = inj.loan(p, d, 12, 50_000)
            inj.w.unreadable.append(("loans", "lid", lid, column, raw.format(y=d.year)))
    for p in inj.people(inj.count(1), pl.col("rel") != HEAD):
        inj.replace(p)
        inj.w.unreadable.append(("roster", "pid", p["pid"], "registered_date", "2015-02-29"))
