"""pandera schemas (polars backend) of the normalised tables: the structural contract.

Columns, dtypes, nullability and ranges only; business rules live in `rules/`.
A row that breaks this contract cannot be trusted by any rule and is quarantined.
Parsed columns are nullable: an unreadable value is a finding, not a broken row.
"""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa

MAX_MONEY = 1e9  # yuan; a loan register never holds a billion-yuan micro-loan
MIN_DATE = dt.date(1950, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)


class RosterSchema(pa.DataFrameModel):
    """建档立卡户人员花名册, one row per person."""

    household_id: str = pa.Field(nullable=False, str_length={"min_value": 1})
    id_number: str = pa.Field(nullable=True)
    name: str = pa.Field(nullable=True)
    township: str = pa.Field(nullable=True)
    village: str = pa.Field(nullable=True)
    household_status: str = pa.Field(nullable=True)
    registered_date: dt.date = pa.Field(nullable=True, in_range={"min_value": MIN_DATE, "max_value": MAX_DATE})
    removed_date: dt.date = pa.Field(nullable=True, in_range={"min_value": MIN_DATE, "max_value": MAX_DATE})
    status_change_date: dt.date = pa.Field(nullable=True, in_range={"min_value": MIN_DATE, "max_value": MAX_DATE})
    risk_identified_date: dt.date = pa.Field(nullable=True, in_range={"min_value": MIN_DATE, "max_value": MAX_DATE})
    risk_eliminated_date: dt.date = pa.Field(nullable=True, in_range={"min_value": MIN_DATE, "max_value": MAX_DATE})

    class Config:
        strict = False  # unknown columns are carried through


class LoanSchema(pa.DataFrameModel):
    """扶贫小额信贷台账, one row per loan record."""

    loan_id: str = pa.Field(nullable=False, str_length={"min_value": 1})
    borrower_id_number: str = pa.Field(nullable=True)
    borrower_name: str = pa.Field(nullable=True)
    amount: float = pa.Field(nullable=True, in_range={"min_value": 0, "max_value": MAX_MONEY})
    balance: float = pa.Field(nullable=True, in_range={"min_value": 0, "max_value": MAX_MONEY})
    annual_rate: float = pa.Field(nullable=True, in_range={"min_value": 0, "max_value": 100})
    disbursement_date: dt.date = pa.Field(nullable=True, in_range={"min_value": MIN_DATE, "max_value": MAX_DATE})
    maturity_date: dt.date = pa.Field(nullable=True, in_range={"min_value": MIN_DATE, "max_value": MAX_DATE})
    extended_maturity_date: dt.date = pa.Field(
        nullable=True, in_range={"min_value": MIN_DATE, "max_value": MAX_DATE}
    )
    settled_date: dt.date = pa.Field(nullable=True, in_range={"min_value": MIN_DATE, "max_value": MAX_DATE})

    class Config:
        strict = False


SCHEMAS = {"roster": RosterSchema, "loans": LoanSchema}
