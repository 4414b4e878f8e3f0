-- The plain-SQL rules of SPEC §4, as a data engineer would write them in DuckDB over the
-- province's Parquet files (the clean form: typed columns, canonical names).
-- bench/scale.py substitutes {loans}, {roster}, {as_of}, and fills tables benchmark_rates and
-- lpr_rates (rate_from DATE, short_rate DOUBLE, long_rate DOUBLE) and the policy numbers from
-- pipeline.policy. The policy's periods are flattened as the default policy has them: one
-- amount limit and term (the first period's), 边缘户/监测户 eligible from {monitored_eligible_from},
-- the LPR from {lpr_from} (a county file with other periods is not what this bench measures).
-- Result: (rule, loan_id), one row per flagged loan.

CREATE OR REPLACE TEMP MACRO norm_text(s) AS nullif(regexp_replace(s, '\s', '', 'g'), '');
CREATE OR REPLACE TEMP MACRO norm_id(s) AS nullif(upper(regexp_replace(s, '\s', '', 'g')), '');

-- One row per loan_id: the first record of a repeated loan_id (SPEC §3).
CREATE OR REPLACE TEMP TABLE loans AS
SELECT * EXCLUDE (file_row_number, borrower_id_number),
       norm_id(borrower_id_number) AS borrower_id
FROM read_parquet('{loans}', file_row_number = true)
QUALIFY row_number() OVER (PARTITION BY loan_id ORDER BY file_row_number) = 1;

-- The first roster row of each ID is the member a borrower matches.
CREATE OR REPLACE TEMP TABLE members AS
SELECT norm_id(id_number) AS id, household_id, norm_text(household_status) AS household_status,
       registered_date, removed_date
FROM read_parquet('{roster}', file_row_number = true)
WHERE norm_id(id_number) IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY norm_id(id_number) ORDER BY file_row_number) = 1;

-- ID validity (GB 11643): 18 characters, 17 digits and a digit or X, a real birth date
-- from 1900 to as_of, the ISO 7064 MOD 11-2 check character. An ID that fails only its
-- check and ends in 000 is Excel damage: it matches no member (its own household per loan).
CREATE OR REPLACE TEMP TABLE checked AS
WITH shaped AS (
    SELECT *,
           regexp_full_match(borrower_id, '[0-9]{17}[0-9X]') AS well_formed,
           CASE WHEN regexp_full_match(borrower_id, '[0-9]{17}[0-9X]')
                THEN try_strptime(substr(borrower_id, 7, 8), '%Y%m%d')::DATE END AS birth
    FROM loans
), checks AS (
    SELECT *,
           well_formed AND birth IS NOT NULL AND birth >= DATE '1900-01-01' AND birth <= DATE '{as_of}' AS shape_ok,
           substr('10X98765432', 1 + (
               list_sum(list_transform(range(17), lambda i: try_cast(substr(borrower_id, i + 1, 1) AS INT)
                                                      * [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2][i + 1]))
               % 11)::INT, 1) = substr(borrower_id, 18, 1) AS check_ok
    FROM shaped
)
SELECT *,
       coalesce(shape_ok AND check_ok, false) AS id_valid,
       coalesce(shape_ok AND NOT check_ok AND borrower_id LIKE '%000', false) AS excel_damage
FROM checks;

CREATE OR REPLACE TEMP TABLE facts AS
SELECT c.*,
       coalesce(c.extended_maturity_date, c.maturity_date) AS effective_maturity,
       CASE WHEN c.settled_date IS NOT NULL THEN c.settled_date
            WHEN c.balance > 0 THEN greatest(coalesce(c.extended_maturity_date, c.maturity_date), DATE '{as_of}')
            ELSE coalesce(c.extended_maturity_date, c.maturity_date) END AS interval_end,
       -- original term T: the largest m with disbursement + m months <= maturity
       datediff('month', c.disbursement_date, c.maturity_date)
         - CASE WHEN c.disbursement_date + to_months(datediff('month', c.disbursement_date, c.maturity_date))
                     > c.maturity_date THEN 1 ELSE 0 END AS term_months,
       CASE WHEN c.id_valid THEN date_diff('year', c.birth, c.disbursement_date)
            - CASE WHEN strftime(c.disbursement_date, '%m%d') < strftime(c.birth, '%m%d') THEN 1 ELSE 0 END
       END AS age,
       m.id IS NOT NULL AS in_roster,
       m.household_status, m.registered_date, m.removed_date,
       coalesce(m.household_id,
                CASE WHEN NOT c.excel_damage THEN 'ID:' || c.borrower_id END,
                'LOAN:' || c.loan_id) AS household
FROM checked c
LEFT JOIN members m ON m.id = c.borrower_id AND NOT c.excel_damage;

-- the rules -------------------------------------------------------------------------
CREATE OR REPLACE TEMP TABLE found AS
SELECT 'overdue' AS rule, loan_id FROM facts
WHERE balance > 0 AND effective_maturity < DATE '{as_of}'

UNION ALL
SELECT 'due_soon', loan_id FROM facts
WHERE balance > 0 AND effective_maturity BETWEEN DATE '{as_of}' AND DATE '{as_of}' + {due_soon_days}

UNION ALL
SELECT 'over_limit', loan_id FROM facts WHERE amount > {max_amount}

UNION ALL
SELECT DISTINCT 'multiple_loans_per_household', a.loan_id
FROM facts a JOIN facts b
  ON a.household = b.household AND a.loan_id <> b.loan_id
 AND a.disbursement_date < b.interval_end AND b.disbursement_date < a.interval_end
WHERE a.interval_end > a.disbursement_date AND b.interval_end > b.disbursement_date

UNION ALL
SELECT 'non_poor_borrower', loan_id FROM facts
WHERE (id_valid AND NOT in_roster)
   OR (household_status = '已剔除' AND (removed_date IS NULL OR removed_date <= disbursement_date))
   OR registered_date > disbursement_date
   OR (household_status IN ('边缘户', '监测户', '监测对象', '边缘易致贫户', '突发严重困难户')
       AND disbursement_date < DATE '{monitored_eligible_from}')

UNION ALL
SELECT 'term_over_limit', loan_id FROM facts
WHERE maturity_date > disbursement_date + to_months({max_term_months})
   OR (term_months >= 0 AND extended_maturity_date > maturity_date
       + to_months(CASE WHEN term_months <= {extension_full_term_up_to_months} THEN term_months
                        ELSE term_months // 2 END)
       AND NOT (maturity_date >= DATE '{covid_deferral_due_from}'
                AND extended_maturity_date <= DATE '{covid_deferral_until}'))

UNION ALL
SELECT 'rate_above_base', loan_id FROM (
    SELECT f.loan_id, f.annual_rate, f.disbursement_date >= DATE '{lpr_from}' AS lpr_period,
           CASE WHEN f.term_months <= 12 THEN b.short_rate ELSE b.long_rate END AS benchmark,
           CASE WHEN f.term_months <= 12 THEN l.short_rate ELSE l.long_rate END AS lpr
    FROM facts f
    ASOF LEFT JOIN benchmark_rates b ON f.disbursement_date >= b.rate_from
    ASOF LEFT JOIN lpr_rates l ON f.disbursement_date >= l.rate_from
    WHERE f.term_months IS NOT NULL
) r
WHERE annual_rate > CASE WHEN lpr_period AND lpr IS NOT NULL THEN lpr ELSE benchmark END

UNION ALL
SELECT 'borrower_age', loan_id FROM facts
WHERE id_valid AND (age < {min_age} OR age > {max_age});
