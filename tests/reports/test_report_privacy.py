"""ID masking in columns and in free text (reports.privacy)."""

from __future__ import annotations

import polars as pl
import pytest

from loan_audit.reports.privacy import mask_id, masked_id, masked_text


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("533124198001010016", "533124********0016"),
        ("53312419750505013X", "533124********013X"),
        ("533124800101001", "533124*****1001"),  # a 15-digit legacy number
        ("5331241980010100167", "533124*********0167"),
        ("5.33124E+17", "***********"),  # too short to keep any of it
        ("", ""),
        (None, None),
    ],
)
def test_an_id_column_keeps_the_first_6_and_last_4(value, shown):
    got = pl.select(masked_id(pl.lit(value, dtype=pl.Utf8))).item()
    assert got == shown == mask_id(value)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("借款人身份证号「533124198001010016」校验码错误", "借款人身份证号「533124********0016」校验码错误"),
        ("身份证号533124198001010016、53312419750505013X、533124198503120178同名",
         "身份证号533124********0016、533124********013X、533124********0178同名"),
        ('{"id":"５３３１２４１９８００１０１００１６"}', '{"id":"５３３１２４********００１６"}'),
        ("证件 533124 19800101 0016 有空格", "证件 533124******** 0016 有空格"),
        ("账号12345678901234567890不是身份证", "账号12345678901234567890不是身份证"),
        ("日期20190305，金额50000元，电话13800138000", "日期20190305，金额50000元，电话13800138000"),
        ("L0001", "L0001"),
    ],
)
def test_ids_inside_text_are_masked(text, shown):
    assert pl.select(masked_text(pl.lit(text))).item() == shown
