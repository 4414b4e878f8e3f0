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


@dataclass(frozen=True)
class BaseRate:
    start: dt.date
    rate: float


@dataclass(frozen=True)
class Policy:
    as_of: dt.date | None
    max_amount: float
    max_term_months: int
    extension_full_term_up_to_months: int
    min_age: int
    max_age: int
    due_soon_days: int
    due_soon_months: int
    enterprise_cluster_min: int
    monitored_eligible_from: dt.date
    overdue_rate_alert: float
    base_rates: tuple[BaseRate, ...]
    subsidy_rate: float
    non_productive_keywords: tuple[str, ...]
    enterprise_usage_modes: tuple[str, ...]
    enterprise_purpose_keywords: tuple[str, ...]

    def keys(self) -> list[str]:
        return [f.name for f in fields(self)]

    def as_dict(self) -> dict:
        """JSON-friendly values, for summary.json and the report's 规则说明."""
        out = {}
        for key in self.keys():
            value = getattr(self, key)
            if key == "base_rates":
                value = [{"from": r.start.isoformat(), "rate": r.rate} for r in value]
            elif isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out


# key → (type, minimum, maximum); ranges keep a typo from silently disabling a rule.
_NUMBERS = {
    "max_amount": (float, 1, 10_000_000),
    "max_term_months": (int, 1, 600),
    "extension_full_term_up_to_months": (int, 0, 600),
    "min_age": (int, 0, 150),
    "max_age": (int, 0, 150),
    "due_soon_days": (int, 0, 3660),
    "due_soon_months": (int, 1, 120),
    "enterprise_cluster_min": (int, 2, 1_000_000),
    "overdue_rate_alert": (float, 0, 1),
    "subsidy_rate": (float, 0, 100),
}
_KEYWORDS = ("non_productive_keywords", "enterprise_usage_modes", "enterprise_purpose_keywords")


def load_policy(path: Path | None = None, as_of: dt.date | None = None) -> Policy:
    """The default policy, with the keys of `path` (if any) overriding it."""
    data = _read_toml(DEFAULT_POLICY)
    if path is not None:
        override = _read_toml(path)
        unknown = sorted(set(override) - set(data))
        if unknown:
            raise InputError(f"未知的政策参数 unknown policy key: {unknown[0]}", path)
        data.update(override)
    source = path or DEFAULT_POLICY
    try:
        policy = _build(data)
    except (TypeError, ValueError) as exc:
        raise InputError(f"政策参数无效 invalid policy value: {exc}", source) from None
    if policy.min_age > policy.max_age:
        raise InputError("政策参数无效 invalid policy value: min_age > max_age", source)
    if as_of is not None:
        policy = replace(policy, as_of=as_of)
    return policy


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


def _build(data: dict) -> Policy:
    values: dict = {}
    for key, (kind, low, high) in _NUMBERS.items():
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{key} must be a number, got {value!r}")
        if kind is int and not isinstance(value, int):
            raise TypeError(f"{key} must be a whole number, got {value!r}")
        if not low <= value <= high:
            raise ValueError(f"{key} = {value} is outside {low}..{high}")
        values[key] = kind(value)
    for key in _KEYWORDS:
        words = data[key]
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise TypeError(f"{key} must be a list of non-empty strings")
        # Compared as the data is (SPEC §3): NFKC, no white space at all.
        values[key] = tuple(re.sub(INVISIBLE, "", unicodedata.normalize("NFKC", w)) for w in words)
    values["as_of"] = _date(data["as_of"], "as_of", allow_empty=True)
    values["monitored_eligible_from"] = _date(data["monitored_eligible_from"], "monitored_eligible_from")
    rates = data["base_rates"]
    if not isinstance(rates, list) or not rates:
        raise TypeError("base_rates must be a non-empty list of {from, rate}")
    parsed = []
    for entry in rates:
        if not isinstance(entry, dict) or set(entry) != {"from", "rate"}:
            raise TypeError("each base_rates entry must have exactly the keys from and rate")
        rate = entry["rate"]
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate < 100:
            raise ValueError(f"base rate {rate!r} must be a percent between 0 and 100")
        parsed.append(BaseRate(_date(entry["from"], "base_rates.from"), float(rate)))
    values["base_rates"] = tuple(sorted(parsed, key=lambda r: r.start))
    return Policy(**values)


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


def base_rate_on(day: pl.Expr, policy: Policy) -> pl.Expr:
    """The policy's base rate in force on `day`: that of the last change on or before it
    (of two changes on the same day, the later listed); null before the first or on a null day."""
    rate = pl.lit(None, dtype=pl.Float64)
    for change in policy.base_rates:  # sorted by start: each later change wins from its start on
        rate = pl.when(day >= pl.lit(change.start)).then(pl.lit(change.rate, dtype=pl.Float64)).otherwise(rate)
    return rate
