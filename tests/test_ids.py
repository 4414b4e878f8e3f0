"""ID validation: check character, 15→18 upgrade, reasons, Excel damage."""

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loan_audit.pipeline.vocab.ids import check_char, invalid_reason, is_valid, normalised_id, upgrade_15

AS_OF = dt.date(2021, 6, 30)
VALID = "11010519491231002X"  # the GB 11643 standard's own example


def reasons(raws: list[str | None]) -> list[str | None]:
    df = pl.DataFrame({"raw": raws}, schema={"raw": pl.Utf8})
    out = df.select(invalid_reason(pl.col("raw"), normalised_id(pl.col("raw")), AS_OF).alias("r"))
    return out.get_column("r").to_list()


def normalise(raws: list[str]) -> list[str | None]:
    return pl.DataFrame({"raw": raws}).select(normalised_id(pl.col("raw"))).to_series().to_list()


def test_standard_example_check_character_is_x():
    assert check_char(VALID[:17]) == "X"
    assert is_valid(VALID)


def test_polars_and_python_check_characters_agree():
    bodies = [f"5331241980010100{i}" for i in range(10)] + ["53312419900229123"]
    expected = [check_char(b) for b in bodies]
    from loan_audit.pipeline.vocab.ids import check_char_expr

    got = pl.DataFrame({"b": bodies}).select(check_char_expr(pl.col("b"))).to_series().to_list()
    assert got == expected


def test_messy_forms_normalise_to_one_id():
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in VALID[:17]) + "ｘ"
    assert normalise([VALID.lower(), " 110105 19491231 002x ", full_width, VALID + ".0"]) == [VALID] * 3 + [
        VALID + ".0"
    ]


def test_fifteen_digit_legacy_number_is_upgraded():
    legacy = "110105491231002"
    assert upgrade_15(legacy) == VALID
    assert normalise([legacy]) == [VALID]
    assert reasons([legacy]) == [None]


@pytest.mark.parametrize(
    "raw, reason",
    [
        (VALID, None),
        (None, "missing"),
        ("   ", "missing"),
        ("5.33124E+17", "excel_damage"),
        ("533124198001012000", "excel_damage"),
        ("11010519491231002", "length"),
        ("1101051949123100212", "length"),
        ("11010519491231002Y", "characters"),
        ("1101051949A231002X", "characters"),
        ("110105194902300025", "birth_date"),
        ("110105189912310023", "birth_date"),
        ("110105202201010010", "birth_date"),  # born after as_of
        ("110105194912310021", "check_digit"),
    ],
)
def test_invalid_reason_names_the_broken_part(raw, reason):
    assert reasons([raw]) == [reason]


def test_any_single_character_change_of_a_valid_id_is_flagged():
    body = "53312419800101001"
    good = body + check_char(body)
    changed = []
    for pos in range(18):
        for c in "0123456789X":
            if c != good[pos]:
                changed.append(good[:pos] + c + good[pos + 1 :])
    out = reasons(changed)
    assert all(r is not None for r in out)


def test_match_key_is_one_integer_per_plain_id_and_null_otherwise():
    import polars as pl

    from loan_audit.pipeline.vocab.ids import match_key

    ids = ["53312419800101001X", "533124198001010016", "533124198001010016", "53312419800101001", "abc", None]
    keys = pl.DataFrame({"id": ids}).select(match_key(pl.col("id"))).to_series().to_list()
    assert keys[0] != keys[1] == keys[2] and keys[0] is not None
    assert keys[3:] == [None, None, None]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789X+-x é.", min_size=16, max_size=19))
def test_the_contexts_fast_id_checks_give_invalid_reasons_values(raw):
    from loan_audit.pipeline.vocab.ids import id_reasons
    from loan_audit.pipeline.vocab.values import id_number

    frame = pl.DataFrame({"raw": [raw, VALID]}).with_columns(id_number(pl.col("raw")).alias("norm"))
    expected = frame.select(invalid_reason(pl.col("raw"), pl.col("norm"), AS_OF)).to_series().to_list()
    assert id_reasons(frame, "raw", "norm", AS_OF).to_list() == expected
