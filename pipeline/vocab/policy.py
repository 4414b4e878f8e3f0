"""The policy in force: `rules/policy.toml`, overridden by `--policy FILE`.

One typed, validated object; the TOML is parsed as data only. An unknown key, a
value of the wrong type or out of range is an InputError naming the file and key.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from dataclasses import dataclass, fields, replace
from pathlib import Path

import polars as pl

from loan_audit.pipeline.vocab.errors import InputError
from loan_audit.pipeline.vocab.values import INVISIBLE

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "rules" / "policy.toml"  # package data of rules/
DEFAULT_RATES = DEFAULT_POLICY.with_name("rates.toml")
RATE_RULES = ("benchmark", "lpr")


@dataclass(frozen=True)
class RateChange:
    """Published rates in force from `start`: `short` for terms up to a year, `long` beyond."""

    start: dt.date
    short: float
    long: float


@dataclass(frozen=True)
class Share:
    from_year: int
    share: float


@dataclass(frozen=True)
class Period:
    """A programme period: the parameters that judge a loan disbursed from `start` on."""

    start: dt.date
    programme: str
    max_amount: float
    household_max_amount: float
    max_term_months: int
    rate_rule: str
    monitored_eligible: bool
    risk_eliminated_eligible: bool  # a 监测对象 whose risk was eliminated (风险消除) may still borrow
    subsidy_rate: float | str  # a percent, or "rate_cap"
    subsidy_max_amount: float
    subsidy_shares: tuple[Share, ...]

    @property
    def label(self) -> str:
        """How messages name it: 2021年起脱贫人口小额信贷."""
        return f"{self.start.year}年{self.start.month}月起{self.programme}"

    def share_in(self, year: int) -> float:
        """The share of the subsidy paid for `year` (the last entry on or before it; 0 before any)."""
        out = 0.0
        for s in self.subsidy_shares:
            if s.from_year <= year:
                out = s.share
        return out


PERIOD_KEYS = tuple(f.name for f in fields(Period) if f.name != "start")


@dataclass(frozen=True)
class Policy:
    as_of: dt.date | None
    extension_full_term_up_to_months: int
    covid_deferral_due_from: dt.date
    covid_deferral_until: dt.date
    min_age: int
    max_age: int
    due_soon_days: int
    due_soon_months: int
    enterprise_cluster_min: int
    overdue_rate_alert: float
    non_productive_keywords: tuple[str, ...]
    enterprise_usage_modes: tuple[str, ...]
    enterprise_purpose_keywords: tuple[str, ...]
    benchmark_rates: tuple[RateChange, ...]
    lpr_rates: tuple[RateChange, ...]
    periods: tuple[Period, ...]

    def keys(self) -> list[str]:
        """Every key a rule may name in PARAMS: the top-level ones and the period keys."""
        return [f.name for f in fields(self)] + list(PERIOD_KEYS)

    def as_dict(self) -> dict:
        """JSON-friendly values, for summary.json and the report's 规则说明: the top-level
        keys, the periods, and each period key as {period start: value}."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "benchmark_rates":
                value = [{"from": r.start.isoformat(), "up_to_1y": r.short, "one_to_5y": r.long} for r in value]
            elif f.name == "lpr_rates":
                value = [{"from": r.start.isoformat(), "one_year": r.short, "five_year": r.long} for r in value]
            elif f.name == "periods":
                value = [_period_dict(p) for p in value]
            elif isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        for key in PERIOD_KEYS:
            out[key] = {p["from"]: p[key] for p in out["periods"]}
        return out

    def by_period(self, key: str, period: pl.Expr | None = None) -> pl.Expr:
        """A period key's value for each loan (its `period` column: an index into periods)."""
        period = pl.col("period") if period is None else period
        values = [getattr(p, key) for p in self.periods]
        return period.replace_strict(list(range(len(values))), values)


def _period_dict(p: Period) -> dict:
    out = {"from": p.start.isoformat()}
    for key in PERIOD_KEYS:
        value = getattr(p, key)
        out[key] = [{"from_year": s.from_year, "share": s.share} for s in value] if key == "subsidy_shares" else value
    return out


# key → (type, minimum, maximum); ranges keep a typo from silently disabling a rule.
_NUMBERS = {
    "extension_full_term_up_to_months": (int, 0, 600),
    "min_age": (int, 0, 150),
    "max_age": (int, 0, 150),
    "due_soon_days": (int, 0, 3660),
    "due_soon_months": (int, 1, 120),
    "enterprise_cluster_min": (int, 2, 1_000_000),
    "overdue_rate_alert": (float, 0, 1),
}
_PERIOD_NUMBERS = {
    "max_amount": (float, 1, 10_000_000),
    "household_max_amount": (float, 1, 10_000_000),
    "max_term_months": (int, 1, 600),
    "subsidy_max_amount": (float, 0, 1_000_000_000),
}
_KEYWORDS = ("non_productive_keywords", "enterprise_usage_modes", "enterprise_purpose_keywords")
_RATE_TABLES = {"benchmark_rates": ("up_to_1y", "one_to_5y"), "lpr_rates": ("one_year", "five_year")}


def load_policy(path: Path | None = None, as_of: dt.date | None = None) -> Policy:
    """The default policy and rates, with the keys of `path` (if any) overriding them
    (see the head of rules/policy.toml for how periods are overridden or added)."""
    data = _read_toml(DEFAULT_POLICY) | _read_toml(DEFAULT_RATES)
    source = DEFAULT_POLICY
    try:
        data["periods"] = _sorted_periods(data["periods"])
        if path is not None:
            source = path
            data = _overridden(data, _read_toml(path), path)
        policy = _build(data)
    except (TypeError, ValueError, KeyError) as exc:
        raise InputError(f"政策参数无效 invalid policy value: {str(exc).strip(chr(39))}", source) from None
    if policy.min_age > policy.max_age:
        raise InputError("政策参数无效 invalid policy value: min_age > max_age", source)
    if as_of is not None:
        policy = replace(policy, as_of=as_of)
    return policy


def _sorted_periods(entries) -> list[dict]:
    """A file's [[periods]], refused unless each starts strictly after the one before."""
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        raise TypeError("periods must be a non-empty list of [[periods]] tables")
    starts = [_date(e.get("from"), f"periods[{i}].from") for i, e in enumerate(entries)]
    for i in range(1, len(starts)):
        if starts[i] <= starts[i - 1]:
            word = "overlaps (the same from as)" if starts[i] == starts[i - 1] else "is not after"
            raise ValueError(f"periods[{i}].from = {starts[i]} {word} periods[{i - 1}].from = {starts[i - 1]}:"
                             " periods must be listed in order of their first disbursement date")
    return [{**e, "from": d} for e, d in zip(entries, starts, strict=True)]


def _overridden(data: dict, override: dict, path: Path) -> dict:
    allowed = (set(data) - {"periods"}) | set(PERIOD_KEYS) | {"periods"}
    unknown = sorted(set(override) - allowed)
    if unknown:
        raise InputError(f"未知的政策参数 unknown policy key: {unknown[0]}", path)
    out = {k: v for k, v in data.items() if k != "periods"}
    periods = [dict(p) for p in data["periods"]]
    for key, value in override.items():
        if key in PERIOD_KEYS:  # at the top level: in every period
            for p in periods:
                p[key] = value
        elif key != "periods":
            out[key] = value
    entries = _sorted_periods(override["periods"]) if "periods" in override else []
    for i, entry in enumerate(entries):
        unknown = sorted(set(entry) - set(PERIOD_KEYS) - {"from"})
        if unknown:
            raise InputError(f"未知的政策参数 unknown policy key: periods[{i}].{unknown[0]}", path)
        if all(p["from"] != entry["from"] for p in periods):  # a new period: as the one in force before it
            before = [p for p in periods if p["from"] < entry["from"]] or periods[:1]
            periods.append({**before[-1], "from": entry["from"]})
            periods.sort(key=lambda p: p["from"])
        # the county's setting holds from its date until its next entry, over the periods between
        until = entries[i + 1]["from"] if i + 1 < len(entries) else None
        for p in periods:
            if p["from"] >= entry["from"] and (until is None or p["from"] < until):
                p.update({k: v for k, v in entry.items() if k != "from"})
    out["periods"] = periods
    return out


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InputError("找不到政策文件 policy file not found", path) from None
    except OSError as exc:
        raise InputError(f"无法读取政策文件 cannot read policy file: {exc.__class__.__name__}", path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"政策文件格式错误 policy file is not valid TOML: {exc}", path) from None


def _number(value, key: str, kind: type, low: float, high: float):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{key} must be a number, got {value!r}")
    if kind is int and not isinstance(value, int):
        raise TypeError(f"{key} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{key} = {value} is outside {low}..{high}")
    return kind(value)


def _flag(value, key: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{key} must be true or false, got {value!r}")
    return value


def _rate(value, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 100:
        raise ValueError(f"{key} = {value!r} must be a percent between 0 and 100")
    return float(value)


def _build(data: dict) -> Policy:
    values: dict = {key: _number(data[key], key, *spec) for key, spec in _NUMBERS.items()}
    for key in _KEYWORDS:
        words = data[key]
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise TypeError(f"{key} must be a list of non-empty strings")
        # Compared as the data is (SPEC §3): NFKC, no white space at all.
        values[key] = tuple(re.sub(INVISIBLE, "", unicodedata.normalize("NFKC", w)) for w in words)
    values["as_of"] = _date(data["as_of"], "as_of", allow_empty=True)
    for key in ("covid_deferral_due_from", "covid_deferral_until"):
        values[key] = _date(data[key], key)
    for key, (short, long) in _RATE_TABLES.items():
        table = data[key]
        if not isinstance(table, list) or not table:
            raise TypeError(f"{key} must be a non-empty list of {{from, {short}, {long}}}")
        parsed = []
        for i, entry in enumerate(table):
            if not isinstance(entry, dict) or set(entry) != {"from", short, long}:
                raise TypeError(f"each {key} entry must have exactly the keys from, {short} and {long}")
            parsed.append(RateChange(_date(entry["from"], f"{key}[{i}].from"),
                                     _rate(entry[short], f"{key}[{i}].{short}"), _rate(entry[long], f"{key}[{i}].{long}")))
        starts = [r.start for r in parsed]
        if starts != sorted(set(starts)):
            raise ValueError(f"{key}: the dates must be listed in order, each once")
        values[key] = tuple(parsed)
    values["periods"] = tuple(_period(p, i) for i, p in enumerate(data["periods"]))
    return Policy(**values)


def _period(entry: dict, i: int) -> Period:
    name = f"periods[{i}]"
    missing = [k for k in PERIOD_KEYS if k not in entry]
    if missing:
        raise ValueError(f"{name} (from {entry['from']}) lacks {missing[0]}")
    values = {k: _number(entry[k], f"{name}.{k}", *spec) for k, spec in _PERIOD_NUMBERS.items()}
    if not isinstance(entry["programme"], str) or not entry["programme"].strip():
        raise TypeError(f"{name}.programme must be a name")
    if entry["rate_rule"] not in RATE_RULES:
        raise ValueError(f"{name}.rate_rule must be one of {', '.join(RATE_RULES)}, got {entry['rate_rule']!r}")
    subsidy_rate = entry["subsidy_rate"]
    if subsidy_rate != "rate_cap":
        subsidy_rate = _rate(subsidy_rate, f"{name}.subsidy_rate (a percent or \"rate_cap\")")
    shares = entry["subsidy_shares"]
    if not isinstance(shares, list) or not all(isinstance(s, dict) and set(s) == {"from_year", "share"} for s in shares):
        raise TypeError(f"{name}.subsidy_shares must be a list of {{from_year, share}}")
    parsed = tuple(Share(_number(s["from_year"], f"{name}.subsidy_shares.from_year", int, 1900, 2200),
                         _number(s["share"], f"{name}.subsidy_shares.share", float, 0, 1)) for s in shares)
    if [s.from_year for s in parsed] != sorted({s.from_year for s in parsed}):
        raise ValueError(f"{name}.subsidy_shares: the years must be listed in order, each once")
    return Period(
        start=entry["from"], programme=entry["programme"].strip(), rate_rule=entry["rate_rule"],
        monitored_eligible=_flag(entry["monitored_eligible"], f"{name}.monitored_eligible"),
        risk_eliminated_eligible=_flag(entry["risk_eliminated_eligible"], f"{name}.risk_eliminated_eligible"),
        subsidy_rate=subsidy_rate, subsidy_shares=parsed, **values,
    )


def _date(value, key: str, allow_empty: bool = False) -> dt.date | None:
    if allow_empty and value in ("", None):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{key} must be a date YYYY-MM-DD, got {value!r}")


def _in_force(day: pl.Expr, starts: list[dt.date], values: list, dtype) -> pl.Expr:
    """The value of the last start on or before `day` (null before the first, or on a null day)."""
    out = pl.lit(None, dtype=dtype)
    for start, value in zip(starts, values, strict=True):  # sorted: each later start wins from then on
        out = pl.when(day >= pl.lit(start)).then(pl.lit(value, dtype=dtype)).otherwise(out)
    return out


def period_of(day: pl.Expr, policy: Policy) -> pl.Expr:
    """The index of the period in force on `day`; before the first period, the first (0)."""
    starts = [p.start for p in policy.periods]
    return _in_force(day, starts, list(range(len(starts))), pl.Int32).fill_null(0)


def rate_cap_columns(day: pl.Expr, term_months: pl.Expr, period: pl.Expr, policy: Policy) -> list[pl.Expr]:
    """Per loan: `rate_cap` (percent), `rate_basis` (which published rate: 一年以内基准利率 …)
    and `rate_published` (the date that rate took effect), by the period's rate_rule and the
    original term (≤ 12 months: the short rate; longer: the long one). An "lpr" period before
    the first LPR was published prices on the benchmark. Null where the day or the term is
    missing, or before the first benchmark change."""
    short = term_months <= 12
    lpr_period = policy.by_period("rate_rule", period) == "lpr"
    tables = {"benchmark": (policy.benchmark_rates, "一年以内（含）贷款基准利率", "一至五年（含）贷款基准利率"),
              "lpr": (policy.lpr_rates, "1年期LPR", "5年期以上LPR")}
    picked = {}
    for rule, (table, short_name, long_name) in tables.items():
        starts = [r.start for r in table]
        picked[rule] = (
            pl.when(short).then(_in_force(day, starts, [r.short for r in table], pl.Float64))
            .otherwise(_in_force(day, starts, [r.long for r in table], pl.Float64)),
            pl.when(short).then(pl.lit(short_name)).otherwise(pl.lit(long_name)),
            _in_force(day, starts, starts, pl.Date),
        )
    names = ("rate_cap", "rate_basis", "rate_published")
    use_lpr = lpr_period & picked["lpr"][0].is_not_null()  # before the first LPR (2019-08-20): the benchmark
    return [
        pl.when(term_months.is_null()).then(None)
        .when(use_lpr).then(picked["lpr"][i]).otherwise(picked["benchmark"][i]).alias(name)
        for i, name in enumerate(names)
    ]
