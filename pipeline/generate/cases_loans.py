"""Injected loan cases, one function per rule (and the edge cases that must not be
flagged): overdue, due_soon, over-limit, several loans, non-poor, non-productive,
enterprise use, term, rate, age, deceased.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from loan_audit.pipeline.generate.inject import Injector
from loan_audit.pipeline.generate.setting import (
    AMOUNTS,
    CLUSTER9_PURPOSE,
    CLUSTER_MIN,
    CLUSTER_PURPOSE,
    DUE_SOON_DAYS,
    ELIGIBLE,
    ENTERPRISE_MODES,
    MAX_AMOUNT,
    MONITORED,
    MONITORED_FROM,
)
from loan_audit.pipeline.generate.world import add_months, add_years, day_number


def overdue(inj: Injector) -> None:
    buckets = ((1, 30), (31, 90), (91, 180), (181, 700))
    for i, p in enumerate(inj.borrowers(inj.count(4))):
        lo, hi = buckets[i % 4]
        days = 1 if i == 0 else int(inj.rng.integers(lo, hi + 1))
        inj.replace(p)
        mature = inj.w.as_of - dt.timedelta(days=days)
        months = next((m for m in (36, 24, 12) if add_months(mature, -m) >= inj.w0), None)
        if months is None:
            mature, months = add_months(inj.w0, 12) + dt.timedelta(days=10), 12
        amount = float(inj.rng.choice(AMOUNTS[:5]))
        balance = amount if inj.rng.random() < 0.7 else round(amount * 0.6, -2)
        lid = inj.loan(p, add_months(mature, -months), months, amount, maturity=mature, settled=None, balance=balance)
        inj.expect("overdue", f"overdue_{lo}_{hi}", lid=lid)
def due_soon(inj: Injector) -> None:
    a = inj.w.as_of
    plan = (("due_on_as_of", a, True), ("due_in_90_days", a + dt.timedelta(days=DUE_SOON_DAYS), True),
            ("due_in_91_days", a + dt.timedelta(days=DUE_SOON_DAYS + 1), False))
    for kind, mature, flagged in plan:
        for p in inj.borrowers(inj.count(1)):
            inj.replace(p)
            lid = inj.loan(p, add_months(mature, -24), 24, 40_000, maturity=mature, settled=None)
            if flagged:
                inj.expect("due_soon", kind, lid=lid, severity="info")
                inj.refuse("overdue", kind, lid=lid)
            else:
                inj.refuse("due_soon", kind, lid=lid)
    for p in inj.borrowers(inj.count(1)):  # extended within the limit: due, not overdue
        inj.replace(p)
        mature = a - dt.timedelta(days=20)
        lid = inj.loan(p, add_months(mature, -24), 24, 30_000, maturity=mature,
                        extended=a + dt.timedelta(days=40), settled=None)
        inj.expect("due_soon", "extended_due", lid=lid, severity="info")
        inj.refuse("overdue", "extended_due", lid=lid)
        inj.refuse("term_over_limit", "extended_due", lid=lid)
def over_limit(inj: Injector) -> None:
    for i, p in enumerate(inj.borrowers(inj.count(2))):
        inj.replace(p)
        lid = inj.loan(p, inj.day(), 36, 60_000 if i % 2 == 0 else 80_000)
        inj.expect("over_limit", "amount_over_limit", lid=lid)
    for total, kind in ((60_000, "household_sum_over"), (50_000, "household_sum_exactly_50000")):
        for p in inj.borrowers(inj.count(1)):
            inj.replace(p)
            other = inj.member_of(p) or p
            d = inj.day(hi=inj.late - dt.timedelta(days=200))
            a = inj.loan(p, d, 36, total - 30_000)
            b = inj.loan(other, d + dt.timedelta(days=90), 24, 30_000)
            for lid in (a, b):
                inj.expect("multiple_loans_per_household", kind, lid=lid)
                if total > MAX_AMOUNT:
                    inj.expect("over_limit", kind, lid=lid)
                else:
                    inj.refuse("over_limit", kind, lid=lid)
    for p in inj.borrowers(inj.count(1)):
        inj.replace(p)
        inj.refuse("over_limit", "exactly_50000", lid=inj.loan(p, inj.day(), 36, 50_000))
def multiple_loans(inj: Injector) -> None:
    for p in inj.borrowers(inj.count(1)):
        inj.replace(p)
        d = inj.day(hi=inj.late - dt.timedelta(days=200))
        for lid in (inj.loan(p, d, 24, 20_000), inj.loan(p, d + dt.timedelta(days=120), 12, 20_000)):
            inj.expect("multiple_loans_per_household", "same_person_twice", lid=lid)
    for p in inj.borrowers(inj.count(1)):
        other = inj.member_of(p) or p
        inj.replace(p)
        d = inj.day(hi=inj.late - dt.timedelta(days=200))
        for lid in (inj.loan(p, d, 36, 25_000), inj.loan(other, d + dt.timedelta(days=60), 24, 20_000)):
            inj.expect("multiple_loans_per_household", "two_members", lid=lid)
    for p in inj.borrowers(inj.count(1)):  # 续贷 on the day the first loan was repaid
        inj.replace(p)
        d = inj.day(hi=add_months(inj.late, -13))
        first = inj.loan(p, d, 12, 50_000)
        second = inj.loan(p, add_months(d, 12), 12, 50_000)
        for lid in (first, second):
            inj.refuse("multiple_loans_per_household", "back_to_back", lid=lid)
            inj.refuse("over_limit", "back_to_back", lid=lid)
def non_poor(inj: Injector) -> None:
    for p in inj.w.persons.filter(pl.col("hh") < 0).sort("pid").to_dicts():
        lid = inj.loan(p, inj.day(), 24, 30_000)
        inj.expect("non_poor_borrower", "not_in_roster", lid=lid)
    cases = (
        ("removed_before_loan", ("已剔除",), True), ("removed_date_missing", ("已剔除",), True),
        ("removed_after_loan", ("已剔除",), False), ("registered_after_loan", ELIGIBLE, True),
        ("registered_on_loan_day", ELIGIBLE, False), ("monitored_before_eligible", MONITORED, True),
        ("monitored_on_eligible_date", MONITORED, False),
    )
    for kind, statuses, flagged in cases:
        if kind == "monitored_on_eligible_date" and not (inj.w0 <= MONITORED_FROM <= inj.late):
            continue
        for p in inj.borrowers(inj.count(2 if kind == "monitored_before_eligible" else 1), statuses=statuses):
            inj.replace(p)
            d = inj.day(lo=inj.w0 + dt.timedelta(days=100))
            if kind == "removed_before_loan":
                inj.patch_household(p["hh"], removed_date=d - dt.timedelta(days=60))
            elif kind == "removed_date_missing":
                inj.patch_household(p["hh"], removed_date=None)
            elif kind == "removed_after_loan":
                d = inj.day(hi=inj.late - dt.timedelta(days=400))
                inj.patch_household(p["hh"], removed_date=d + dt.timedelta(days=200))
            elif kind == "registered_after_loan":
                inj.patch_household(p["hh"], registered_date=d + dt.timedelta(days=25))
            elif kind == "registered_on_loan_day":
                inj.patch_household(p["hh"], registered_date=d)
            elif kind == "monitored_before_eligible":
                hi = min(MONITORED_FROM - dt.timedelta(days=1), inj.late)
                d = inj.day(lo=min(p["registered_date"], hi), hi=hi)
                inj.patch_household(p["hh"], registered_date=min(p["registered_date"], d))
            else:
                d = MONITORED_FROM
                inj.patch_household(p["hh"], registered_date=min(p["registered_date"], d))
            lid = inj.loan(p, d, 12, 20_000)
            (inj.expect if flagged else inj.refuse)("non_poor_borrower", kind, lid=lid)
def non_productive(inj: Injector) -> None:
    words = ("建房", "购车", "子女上学", "看病", "结婚", "归还旧贷", "购买家电", "装修房屋", "生活开支", "日常消费", "还债", "修房")
    for i, p in enumerate(inj.borrowers(inj.count(5))):
        inj.replace(p)
        lid = inj.loan(p, inj.day(), 24, 30_000, purpose=words[i % len(words)])
        inj.expect("non_productive_use", words[i % len(words)], lid=lid)
    for p in inj.borrowers(inj.count(1)):
        inj.replace(p)
        inj.refuse("non_productive_use", "truck_for_transport", lid=inj.loan(p, inj.day(), 36, 50_000, purpose="购买货车跑运输"))
def enterprise(inj: Injector) -> None:
    for mode in ENTERPRISE_MODES:
        for p in inj.borrowers(inj.count(1)):
            inj.replace(p)
            inj.expect("enterprise_use", mode, lid=inj.loan(p, inj.day(), 36, 50_000, usage=mode))
    for purpose in ("入股合作社分红", "转贷给龙头企业使用"):
        for p in inj.borrowers(inj.count(1)):
            inj.replace(p)
            inj.expect("enterprise_use", "purpose", lid=inj.loan(p, inj.day(), 36, 50_000, purpose=purpose))
    for p in inj.borrowers(inj.count(1)):
        inj.replace(p)
        inj.refuse("enterprise_use", "cooperative_led", lid=inj.loan(p, inj.day(), 36, 50_000, usage="合作社带动"))
    for size, purpose, flagged in ((CLUSTER_MIN + 1, CLUSTER_PURPOSE, True), (CLUSTER_MIN - 1, CLUSTER9_PURPOSE, False)):
        k = inj.count(1)
        free = (
            inj.free_people(inj.adult(), ELIGIBLE).unique("hh").group_by("hvidx").agg(pl.len().alias("n"))
            .filter(pl.col("n") >= size + 2).sort("hvidx")
        )
        if free.height == 0:
            raise ValueError(f"too few households ({inj.w.n}) in one village for a 户贷企用 cluster")
        picks = free["hvidx"].gather(inj.rng.integers(0, free.height, k)).to_list()
        chosen = sorted(picks)
        # a village chosen twice gets two clusters on two days
        rows = inj.per_key("hvidx", [v for v in chosen for _ in range(size)], inj.adult())
        for c in range(k):
            d = inj.day()
            while (purpose, chosen[c], d) in inj.cluster_days:
                d = inj.day()
            inj.cluster_days.add((purpose, chosen[c], d))
            for p in rows[c * size:(c + 1) * size]:
                inj.replace(p)
                lid = inj.loan(p, d, 36, 50_000, purpose=purpose)
                if flagged:
                    inj.expect("enterprise_use", "village_cluster", lid=lid, severity="warning")
                else:
                    inj.refuse("enterprise_use", "cluster_of_9", lid=lid)
def term(inj: Injector) -> None:
    leap, aug = dt.date(2020, 2, 29), dt.date(inj.w0.year, 8, 31)
    plan = (
        ("five_years", 60, None, None, True, None),
        ("36_months_and_a_day", 36, lambda d: add_months(d, 36) + dt.timedelta(days=1), None, True, None),
        ("extension_19_of_36", 36, None, 19, True, None),
        ("extension_13_of_12", 12, None, 13, True, None),
        ("extension_12_of_12", 12, None, 12, False, None),
        ("36_months_from_29_feb", 36, None, None, False, leap if inj.w0 <= leap <= inj.late else None),
        ("extension_18_of_36_to_month_end", 36, None, 18, False, aug if aug <= inj.late else None),
    )
    k = inj.count(1)
    people = inj.borrowers(k * len(plan))
    for i, (kind, months, maturity, ext_months, flagged, disb) in enumerate(plan):
        for p in people[i * k:(i + 1) * k]:
            inj.replace(p)
            d = disb or inj.day(hi=inj.late - dt.timedelta(days=60))
            mat = maturity(d) if maturity else add_months(d, months)
            ext = add_months(mat, ext_months) if ext_months else None
            lid = inj.loan(p, d, months, 30_000, maturity=mat, extended=ext)
            (inj.expect if flagged else inj.refuse)("term_over_limit", kind, lid=lid)
def rate(inj: Injector) -> None:
    for i, p in enumerate(inj.borrowers(inj.count(3))):
        inj.replace(p)
        lid = inj.loan(p, inj.day(), 36, 30_000, rate=(5.225, 6.0, 4.9)[i % 3])
        inj.expect("rate_above_base", "rate", lid=lid)
    for p in inj.borrowers(inj.count(1)):
        inj.replace(p)
        inj.refuse("rate_above_base", "base_rate", lid=inj.loan(p, inj.day(), 36, 30_000, rate=4.75))
def age(inj: Injector) -> None:
    w0, late = day_number(inj.w0) + 5, day_number(inj.late)
    not_leap_day = (pl.col("birth").dt.month() != 2) | (pl.col("birth").dt.day() != 29)
    alive = (pl.col("member_status") == "正常") & not_leap_day
    for years, offset, kind, flagged in ((17, 100, "aged_17", True), (68, 30, "aged_68", True),
                                         (66, 0, "66th_birthday", True), (65, 0, "65th_birthday", False),
                                         (18, 0, "18th_birthday", False)):
        day = pl.col("birth").dt.offset_by(f"{years}y").cast(pl.Int32) + offset
        for p in inj.people(inj.count(1), alive & (day >= w0) & (day <= late)):
            inj.replace(p)
            lid = inj.loan(p, add_years(p["birth"], years) + dt.timedelta(days=offset), 12, 10_000)
            (inj.expect if flagged else inj.refuse)("borrower_age", kind, lid=lid)
def deceased(inj: Injector) -> None:
    a = inj.w.as_of
    kinds = ("died_before_loan", "died_on_loan_day", "died_during_loan", "died_during_loan",
             "died_on_interval_end", "died_after_repaying")
    k = inj.count(1)
    people = inj.borrowers(k * len(kinds))
    for i, kind in enumerate(kinds):
        for p in people[i * k:(i + 1) * k]:
            inj.replace(p)
            if kind == "died_during_loan":
                d = inj.day()
                lid = inj.loan(p, d, 36, 30_000)
                death = d + (a - d) / 2
            elif kind in ("died_on_interval_end", "died_after_repaying"):
                d = inj.day(hi=add_months(inj.late, -14))
                lid = inj.loan(p, d, 12, 20_000)
                end = add_months(d, 12)
                death = end if kind == "died_on_interval_end" else min(a, end + dt.timedelta(days=30))
            else:
                d = inj.day(lo=inj.w0 + dt.timedelta(days=200))
                lid = inj.loan(p, d, 24, 30_000)
                death = d - dt.timedelta(days=150) if kind == "died_before_loan" else d
            inj.patch_person(p["pid"], member_status="死亡", status_change_date=death)
            if kind in ("died_on_interval_end", "died_after_repaying"):
                inj.refuse("deceased_borrower", kind, lid=lid)
            else:
                inj.expect("deceased_borrower", kind, lid=lid, severity="warning" if kind == "died_during_loan" else "error")
