"""Keyword and status matching for the use rules (non_productive_use, enterprise_use).

SPEC §3: statuses and keywords are compared after NFKC and whitespace removal. The
context's text columns are normalised so already (vocab.values.text), and so are
the policy's lists when the policy is loaded (vocab.policy), so a keyword typed with
a full-width character or a stray space in a county's policy file still matches.
"""

from __future__ import annotations

import polars as pl


def normalised_words(words: tuple[str, ...] | list[str]) -> list[str]:
    """The policy's words (already NFKC and without white space), blanks dropped, unique."""
    return list(dict.fromkeys(w for w in words if w))


def matched_words(column: pl.Expr, words: tuple[str, ...] | list[str]) -> pl.Expr:
    """The words (in the policy's order) that `column` contains; an empty list for none or null.

    Plain substring matching, as SPEC §4 says "containing": 结婚 contains 婚, while
    购买货车跑运输 does not contain 购车 or 买车, nor 修建牛圈 建房.
    """
    found = [pl.when(column.str.contains(w, literal=True)).then(pl.lit(w)) for w in normalised_words(words)]
    if not found:
        return pl.lit([], dtype=pl.List(pl.Utf8))
    return pl.concat_list(found).list.drop_nulls()


def equals_any(column: pl.Expr, words: tuple[str, ...] | list[str]) -> pl.Expr:
    """`column` equals one of the words (false for null)."""
    return column.is_in(normalised_words(words)).fill_null(False)


def day(column: str | pl.Expr) -> pl.Expr:
    """A date as message text, YYYY-MM-DD (null stays null)."""
    expr = pl.col(column) if isinstance(column, str) else column
    return expr.dt.to_string("%Y-%m-%d")
