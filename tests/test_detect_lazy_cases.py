"""Rules may hand `loan_cases`/`as_cases` a lazy frame (only the columns a case reads
are then filtered). The context's frames often have several chunks, and polars 2.1's
default streaming engine panics on pl.format after a filter over such a frame: the
helpers collect in memory, and this test keeps them doing so."""

import polars as pl

from loan_audit.rules._common import evidence, loan_cases

PLACES = ("borrower_county", "borrower_township", "borrower_village", "member_household_id", "borrower_id_number", "borrower_name")


def _chunked_loans(chunks: int = 3, rows: int = 10) -> pl.DataFrame:
    parts = [
        pl.DataFrame({"loan_id": [f"L{i:03d}" for i in range(k * rows, (k + 1) * rows)],
                      "amount": [float(i) for i in range(k * rows, (k + 1) * rows)]})
        .with_columns(pl.lit("x").alias(c) for c in PLACES)
        for k in range(chunks)
    ]
    return pl.concat(parts, rechunk=False)


def test_a_lazy_filtered_frame_of_several_chunks_gives_its_cases():
    loans = _chunked_loans()
    assert loans.n_chunks() == 3
    found = loan_cases(
        loans.lazy().filter(pl.col("amount") % 7 == 0), "over_limit", "error",
        pl.format("金额{}元", pl.col("amount").cast(pl.Int64)), evidence(amount=pl.col("amount")),
    )
    assert found.get_column("key").to_list() == ["L000", "L007", "L014", "L021", "L028"]
    assert found.get_column("message").to_list() == ["金额0元", "金额7元", "金额14元", "金额21元", "金额28元"]
    assert found.get_column("loan_ids").to_list() == [["L000"], ["L007"], ["L014"], ["L021"], ["L028"]]
