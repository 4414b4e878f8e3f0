"""Resident ID anatomy for the generator: ID bodies whose digits put them in a name
family's class (see the package docstring), with the MOD 11-2 check character.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from loan_audit.pipeline.vocab.ids import CHECK_CHARS, check_char

# ID class weights: non-zero and neighbour-distinct modulo 11, not proportional to W.
W = np.array((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), dtype=np.int64)
V = np.array([(i % 10) + 1 for i in range(17)], dtype=np.int64)
CHECK = np.array(list(CHECK_CHARS))
def digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    out = np.empty((len(values), width), dtype=np.int64)
    v = values.astype(np.int64).copy()
    for i in range(width - 1, -1, -1):
        out[:, i] = v % 10
        v //= 10
    return out
def _seq_table() -> tuple[np.ndarray, np.ndarray]:
    """SEQ[t, sex]: sequence codes 001–999 (odd last digit male) whose digits add t to
    the class sum; LEN[t, sex] how many."""
    seqs = np.arange(1, 1000)
    d = digit_matrix(seqs, 3)
    part = (d * V[14:17]).sum(1) % 11
    sex = d[:, 2] % 2
    table = np.full((11, 2, 64), -1, dtype=np.int64)
    lens = np.zeros((11, 2), dtype=np.int64)
    for t in range(11):
        for s in (0, 1):
            sel = seqs[(part == t) & (sex == s)]
            table[t, s, : len(sel)] = sel
            lens[t, s] = len(sel)
    return table, lens
SEQ, SEQ_LEN = _seq_table()
def _bodies(addr: np.ndarray, ymd: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """(n, 17) digit matrix of ID bodies."""
    return np.hstack([digit_matrix(addr, 6), digit_matrix(ymd, 8), digit_matrix(seq, 3)])
def id_strings(addr: np.ndarray, ymd: np.ndarray, seq: np.ndarray) -> pl.Series:
    digits = _bodies(addr, ymd, seq)
    check = CHECK[(digits * W).sum(1) % 11]
    frame = pl.DataFrame({"a": addr, "b": ymd, "s": seq, "c": check})
    return frame.select(
        pl.concat_str(pl.col("a").cast(pl.Utf8), pl.col("b").cast(pl.Utf8),
                      pl.col("s").cast(pl.Utf8).str.zfill(3), pl.col("c"))
    ).to_series()
def with_check(body: str) -> str:
    return body + check_char(body)
def neighbour_bodies(body: str) -> list[str]:
    out = []
    for i in range(17):
        for d in "0123456789":
            if d != body[i]:
                out.append(body[:i] + d + body[i + 1:])
    for i in range(16):
        if body[i] != body[i + 1]:
            out.append(body[:i] + body[i + 1] + body[i] + body[i + 2:])
    return out
