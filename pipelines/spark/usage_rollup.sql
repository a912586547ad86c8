-- usage_rollup.sql: roll one month of raw usage up to one row per
-- (partner_id, customer_id, product_code, usage_date), for `settle run`.
--
--   spark-sql -d usage_in=/raw/usage.parquet -d usage_out=/rolled/usage \
--             -f pipelines/spark/usage_rollup.sql
--
-- From PySpark: replace ${usage_in} and ${usage_out} in this text, drop the
-- comment lines (those starting with "--") and run each statement with
-- spark.sql(): a statement ends at a line that ends with ";" (tests/rollup.py
-- does exactly this). docs/scale-out.md says what this may and may not do.
-- In short:
--
-- * A raw row is rolled up only when it is certainly valid for settle's
--   format and duplicate rules (SPEC §2.1); every other row is written as it
--   was read, unaggregated, so settle quarantines it itself.
-- * Rolled rows get record_id 'rollup:' + the first 32 hex digits of
--   SHA-256 over the length-prefixed group key (see rollup_groups below) and
--   amount = the exact decimal sum. Raw ids that start with 'rollup:' are
--   never rolled up, and a key whose rolled id equals a raw id that goes
--   through is not rolled up either, so no rolled id meets a raw one.
-- * The output holds one Parquet file (a folder with one part-*.parquet):
--   copy that file to <input_root>/<period>/usage.parquet.
-- * The columns keep the input's types: Date or string usage_date, Decimal
--   (scale <= 2) or string amount. Any other type stops the job, as settle
--   would stop on the raw file (exit 2).
-- * An extra column rollup_rows (BIGINT) counts the raw rows behind each
--   output row (1 for a row passed through); settle ignores extra columns,
--   and shows it in `rejects.raw`, so a quarantined rolled row can be traced.

-- Legacy (non-ANSI) coercion: a string amount column unioned with a decimal
-- sum stays a string (ANSI would cast the raw text to decimal and fail or,
-- worse, repair it); invalid casts give NULL, which the checks below treat
-- as "not certainly valid".
SET spark.sql.ansi.enabled=false;
-- settle matches column names exactly; Spark would match `Amount` to amount.
SET spark.sql.caseSensitive=true;
-- Dates before 1582 are kept as the proleptic dates settle reads, not
-- rebased (and writing them must not fail: such a row is out of period and
-- must reach settle).
SET spark.sql.parquet.datetimeRebaseModeInRead=CORRECTED;
SET spark.sql.parquet.datetimeRebaseModeInWrite=CORRECTED;
SET spark.sql.parquet.compression.codec=zstd;

CREATE OR REPLACE TEMPORARY VIEW rollup_raw
USING parquet OPTIONS (path '${usage_in}');

-- Every row with the text settle's checks would see. The type guard sits in
-- an expression every row needs, so an unacceptable column type fails the
-- job at once (settle would refuse the whole file, exit 2, and an integer
-- amount must not become an accepted Decimal sum).
CREATE OR REPLACE TEMPORARY VIEW rollup_text AS
SELECT
  record_id, partner_id, customer_id, product_code, usage_date, amount,
  CASE
    WHEN typeof(record_id) = 'string' AND typeof(partner_id) = 'string'
     AND typeof(customer_id) = 'string' AND typeof(product_code) = 'string'
     AND typeof(usage_date) IN ('date', 'string')
     AND (typeof(amount) = 'string' OR typeof(amount) RLIKE '^decimal\\([0-9]+,[0-2]\\)$')
    THEN CAST(usage_date AS STRING)
    ELSE raise_error(concat(
      'usage_rollup: settle accepts only string keys, a Date or string usage_date and a ',
      'Decimal (scale <= 2) or string amount; got record_id ', typeof(record_id),
      ', partner_id ', typeof(partner_id), ', customer_id ', typeof(customer_id),
      ', product_code ', typeof(product_code), ', usage_date ', typeof(usage_date),
      ', amount ', typeof(amount)))
  END AS t_date,
  CAST(amount AS STRING) AS t_amt,
  -- settle trims every field (Rust str::trim: Unicode White_Space) before
  -- comparing ids; Java's \p{IsWhite_Space} is the same property.
  regexp_replace(record_id, '^\\p{IsWhite_Space}+|\\p{IsWhite_Space}+$', '') AS t_id
FROM rollup_raw;

-- clean = certainly accepted by every format and duplicate rule of settle.
-- Conservative on purpose: a row that settle would accept but that fails
-- here (e.g. a key with a trailing space) only misses the roll-up.
--  * record_id: not empty, no white space at its ends, not in our own id
--    space, and its trimmed text occurs once in the whole file. A repeated
--    id (DUPLICATE_ROW or DUPLICATE_ID, or a copy whose twin is invalid)
--    therefore reaches settle with every copy, as read.
--  * keys: not empty, no white space at the ends (grouping is then on the
--    exact text settle sees; no trimming is done here).
--  * usage_date: exactly YYYY-MM-DD and a real date (the round trip through
--    DATE rejects 2026-02-30); year 0000 is BAD_DATE in settle.
--  * amount: exactly [0-9]{1,16}(.[0-9]{1,2})? - no sign (so no -0), at most
--    2 decimals, within settle's 16 integer digits.
-- Patterns end in \z, not $: Java's $ also matches before a final line
-- break, and Spark's CAST would then trim it away ('12.50\n' is 12.50).
-- Whether the partner or product exists, and whether the date is in the
-- period, is not known here: those rows are rolled up by the same key and
-- settle rejects the rolled row (UNKNOWN_PARTNER, UNKNOWN_PRODUCT,
-- OUT_OF_PERIOD), since every row of a group shares the key that decides it.

-- The ids (trimmed) that occur more than once: normally few, so Spark's
-- adaptive join broadcasts them, and only the ids are shuffled, not the rows.
CREATE OR REPLACE TEMPORARY VIEW rollup_repeated_ids AS
SELECT t_id AS repeated_id FROM rollup_text GROUP BY t_id HAVING count(1) > 1;

CREATE OR REPLACE TEMPORARY VIEW rollup_marked AS
SELECT r.*,
  COALESCE(
        t_id <> '' AND t_id = record_id AND NOT startswith(t_id, 'rollup:')
    AND d.repeated_id IS NULL
    AND partner_id <> '' AND NOT partner_id RLIKE '^\\p{IsWhite_Space}|\\p{IsWhite_Space}\\z'
    AND customer_id <> '' AND NOT customer_id RLIKE '^\\p{IsWhite_Space}|\\p{IsWhite_Space}\\z'
    AND product_code <> '' AND NOT product_code RLIKE '^\\p{IsWhite_Space}|\\p{IsWhite_Space}\\z'
    AND t_date RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}\\z' AND NOT startswith(t_date, '0000')
    AND CAST(CAST(t_date AS DATE) AS STRING) = t_date
    AND t_amt RLIKE '^[0-9]{1,16}(\\.[0-9]{1,2})?\\z',
    false) AS clean
FROM rollup_text r
LEFT JOIN rollup_repeated_ids d ON r.t_id = d.repeated_id;

-- Read four times below (the sums, the passed-through rows, the ids that
-- reach settle as read, the rows of rejected groups): computed once,
-- spilling to disk when large.
CACHE TABLE rollup_marked OPTIONS ('storageLevel' 'MEMORY_AND_DISK');

-- One row per key of clean rows. The id hashes the key with each part's
-- length in front, so no two keys give the same text to hash:
--   sha2(len(p) ':' p '|' len(c) ':' c '|' len(x) ':' x '|' YYYY-MM-DD, 256)
-- (lengths in characters, the text hashed as UTF-8).
CREATE OR REPLACE TEMPORARY VIEW rollup_groups AS
SELECT
  partner_id, customer_id, product_code, usage_date,
  concat('rollup:', substr(sha2(concat(
    length(partner_id), ':', partner_id, '|',
    length(customer_id), ':', customer_id, '|',
    length(product_code), ':', product_code, '|',
    t_date), 256), 1, 32)) AS gid,
  -- Exact: every term has at most 16 integer digits and 2 decimals, and the
  -- sum is DECIMAL(28,2). NULL on overflow (non-ANSI), caught below.
  sum(CAST(t_amt AS DECIMAL(18,2))) AS total,
  count(1) AS n
FROM rollup_marked
WHERE clean
GROUP BY partner_id, customer_id, product_code, usage_date, t_date;

-- Read four times below: computed once.
CACHE TABLE rollup_groups OPTIONS ('storageLevel' 'MEMORY_AND_DISK');

-- A group is written rolled up only when its row is as good as its raw
-- rows: its id is unique among the groups and is no raw id that reaches
-- settle (else DUPLICATE_ID would reject both), and its sum fits settle's
-- 16 integer digits (else the raw rows go through and settle's own
-- overflow rule decides, as on the raw month). The groups that fail are
-- few (none in real data), so they are listed and broadcast: the big
-- tables are never joined with each other.
CREATE OR REPLACE TEMPORARY VIEW rollup_bad_groups AS
SELECT g.partner_id, g.customer_id, g.product_code, g.usage_date
FROM rollup_groups g
LEFT SEMI JOIN (
  SELECT gid FROM rollup_groups
  WHERE NOT COALESCE(total < 10000000000000000, false)
  UNION ALL
  SELECT t_id FROM rollup_marked WHERE NOT clean AND startswith(t_id, 'rollup:')
  UNION ALL
  SELECT gid FROM rollup_groups GROUP BY gid HAVING count(1) > 1
) b ON g.gid = b.gid;

-- Rolled rows, then every other raw row as read. A single file, sorted by
-- every column (nulls first), so the same input gives the same rows in the
-- same order whatever the partitioning. (One partition sorted locally: the
-- file is written by one task anyway, and a global ORDER BY would first
-- scan everything once more to sample its ranges.)
INSERT OVERWRITE DIRECTORY '${usage_out}' USING parquet
SELECT /*+ REPARTITION(1) */ * FROM (
  SELECT /*+ BROADCAST(b) */
         g.gid AS record_id, g.partner_id, g.customer_id, g.product_code, g.usage_date,
         g.total AS amount, g.n AS rollup_rows
  FROM rollup_groups g
  LEFT ANTI JOIN rollup_bad_groups b
    ON g.partner_id = b.partner_id AND g.customer_id = b.customer_id
   AND g.product_code = b.product_code AND g.usage_date = b.usage_date
  UNION ALL
  SELECT record_id, partner_id, customer_id, product_code, usage_date,
         amount, CAST(1 AS BIGINT) AS rollup_rows
  FROM rollup_marked WHERE NOT clean
  UNION ALL
  SELECT /*+ BROADCAST(b) */
         m.record_id, m.partner_id, m.customer_id, m.product_code, m.usage_date,
         m.amount, CAST(1 AS BIGINT) AS rollup_rows
  FROM rollup_marked m
  LEFT SEMI JOIN rollup_bad_groups b
    ON m.partner_id = b.partner_id AND m.customer_id = b.customer_id
   AND m.product_code = b.product_code AND m.usage_date = b.usage_date
  WHERE m.clean
)
SORT BY partner_id, customer_id, product_code, usage_date, record_id, amount;

UNCACHE TABLE rollup_groups;
UNCACHE TABLE rollup_marked;
