--
-- silver_values: the typed values of SPEC section 8 as SQL functions
-- (medallion.clean, to_timestamp, std_email, ...).  Invalid values give
-- NULL, never an error.  The C core behind them has its own unit tests
-- (test/unit/values_test.c); this checks the SQL wiring.
--
\pset null (null)
SET DateStyle = 'ISO, YMD';
SET TimeZone = 'UTC';

-- null tokens and trimming
SELECT v, medallion.clean(v) FROM (VALUES (' a b '), (''), ('  '), ('NULL'), ('null'), (' Null '), ('nul')) t(v);

-- messy emails and phones
SELECT v, medallion.std_email(v)
FROM (VALUES ('  John.Doe@Example.COM '), ('a@b.co'), ('john at example.com'), ('a@b'), ('NULL')) t(v);
SELECT v, medallion.std_phone(v)
FROM (VALUES ('(415) 555-0134'), ('1-415-555-0134'), ('+1 415 555 0134'), ('555-0134'), ('2-415-555-0134')) t(v);
SELECT medallion.std_name(E'  Mary \t Ann\nSmith  '), medallion.std_upper(' ca ');

-- integers and numbers
SELECT v, medallion.to_positive_bigint(v), medallion.to_bigint(v), medallion.to_int(v), medallion.to_numeric(v)
FROM (VALUES ('42'), (' 007 '), ('0'), ('-3'), ('1e3'), ('125.99'), ('NaN'), ('9223372036854775808')) t(v);

-- dates and timestamps: strict forms only, never PostgreSQL's lenient input
SELECT v, medallion.to_date(v) FROM (VALUES ('2024-02-29'), ('2023-02-29'), ('01-08-2019'), ('yesterday')) t(v);
SELECT v, medallion.to_timestamp(v)
FROM (VALUES ('1546300800'), ('2019-01-01'), ('2019-01-01 10:00'), ('2019-01-01T10:00:00.5Z'),
             ('2019-01-01T12:00:00+02'), ('2019-01-01T05:30:00-0430'), ('01-08-2019 02:47'),
             ('yesterday'), ('now'), ('-5')) t(v);
SELECT v, medallion.unix_seconds(v) FROM (VALUES ('1546300800'), ('2019-01-01'), ('x')) t(v);

-- the session's TimeZone does not change what a timestamp means
SET TimeZone = 'Asia/Tokyo';
SELECT medallion.to_timestamp('2019-01-01T10:00:00') = '2019-01-01 10:00:00+00'::timestamptz AS utc_without_zone;
RESET TimeZone;
