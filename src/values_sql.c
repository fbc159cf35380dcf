/*-------------------------------------------------------------------------
 *
 * values_sql.c
 *	  SQL-callable typed values: the rules of values.c for set-based SQL.
 *
 * medallion.clean, medallion.to_int, medallion.to_timestamp, ... are what
 * the silver steps (and DBAs) use in SQL; the parse step calls values.c
 * directly.  Each returns NULL where the value is not valid, never an
 * error, so one bad field never stops a refresh.
 *
 * src/values_sql.c
 *
 *-------------------------------------------------------------------------
 */
#include "medallion.h"
#include "values.h"

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(medallion_clean);
PG_FUNCTION_INFO_V1(medallion_to_bigint);
PG_FUNCTION_INFO_V1(medallion_to_positive_bigint);
PG_FUNCTION_INFO_V1(medallion_to_int);
PG_FUNCTION_INFO_V1(medallion_to_numeric);
PG_FUNCTION_INFO_V1(medallion_to_date);
PG_FUNCTION_INFO_V1(medallion_to_timestamp);
PG_FUNCTION_INFO_V1(medallion_unix_seconds);
PG_FUNCTION_INFO_V1(medallion_std_email);
PG_FUNCTION_INFO_V1(medallion_std_phone);
PG_FUNCTION_INFO_V1(medallion_std_name);
PG_FUNCTION_INFO_V1(medallion_std_upper);

/* The trimmed text of a field, or NULL for a null token. */
static bool
field_of(FunctionCallInfo fcinfo, const char **s, size_t *len)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	*s = VARDATA_ANY(t);
	*len = VARSIZE_ANY_EXHDR(t);
	if (value_is_null_token(*s, *len))
		return false;
	value_trim(s, len);
	return true;
}

/* ---------------------------------------------------------------------
 * Conversions shared with the parse step
 * ---------------------------------------------------------------------
 */

/* A numeric from text already checked with value_numeric(). */
Datum
medallion_numeric_datum(const char *s, size_t len)
{
	char	   *str = pnstrdup(s, len);
	Datum		d = DirectFunctionCall3(numeric_in, CStringGetDatum(str),
										ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));

	pfree(str);
	return d;
}

/* A numeric from a C string in numeric syntax, or (Datum) 0 when it is not. */
Datum
medallion_numeric_or_null(const char *s)
{
	size_t		len = strlen(s);
	bool		negative;

	if (!value_numeric(s, len, &negative))
		return (Datum) 0;
	value_trim(&s, &len);
	return medallion_numeric_datum(s, len);
}

/* A timestamptz from microseconds since 1970-01-01 UTC. */
Datum
medallion_timestamptz_datum(int64 unix_usecs)
{
	return TimestampTzGetDatum(unix_usecs -
							   ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY));
}

/* A date from days since 1970-01-01. */
Datum
medallion_date_datum(int64 unix_days)
{
	return DateADTGetDatum((DateADT) (unix_days - (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE)));
}

/* ---------------------------------------------------------------------
 * SQL functions
 * ---------------------------------------------------------------------
 */

/* medallion.clean(text): trimmed, NULL for '' and NULL tokens */
Datum
medallion_clean(PG_FUNCTION_ARGS)
{
	const char *s;
	size_t		len;

	if (!field_of(fcinfo, &s, &len))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(s, len));
}

/* medallion.to_bigint(text): [0-9]+ from 0, else NULL */
Datum
medallion_to_bigint(PG_FUNCTION_ARGS)
{
	const char *s;
	size_t		len;
	int64_t		v;

	if (!field_of(fcinfo, &s, &len) || !value_nonnegative_int(s, len, &v))
		PG_RETURN_NULL();
	PG_RETURN_INT64(v);
}

/* medallion.to_positive_bigint(text): [0-9]+ from 1 to 2^63-1, else NULL */
Datum
medallion_to_positive_bigint(PG_FUNCTION_ARGS)
{
	const char *s;
	size_t		len;
	int64_t		v;

	if (!field_of(fcinfo, &s, &len) || !value_positive_int(s, len, &v))
		PG_RETURN_NULL();
	PG_RETURN_INT64(v);
}

/* medallion.to_int(text): [+-]?[0-9]+ within integer, else NULL */
Datum
medallion_to_int(PG_FUNCTION_ARGS)
{
	const char *s;
	size_t		len;
	int64_t		v;

	if (!field_of(fcinfo, &s, &len) || !value_int(s, len, &v) ||
		v < PG_INT32_MIN || v > PG_INT32_MAX)
		PG_RETURN_NULL();
	PG_RETURN_INT32((int32) v);
}

/* medallion.to_numeric(text): numeric syntax without NaN and Infinity */
Datum
medallion_to_numeric(PG_FUNCTION_ARGS)
{
	const char *s;
	size_t		len;
	bool		negative;

	if (!field_of(fcinfo, &s, &len) || !value_numeric(s, len, &negative))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(medallion_numeric_datum(s, len));
}

/* medallion.to_date(text): YYYY-MM-DD only */
Datum
medallion_to_date(PG_FUNCTION_ARGS)
{
	const char *s;
	size_t		len;
	int			y,
				m,
				d;

	if (!field_of(fcinfo, &s, &len) || !value_date(s, len, &y, &m, &d))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(medallion_date_datum(value_days_from_civil(y, m, d)));
}

/* medallion.to_timestamp(text): unix seconds or the ISO-8601 forms of SPEC 8 */
Datum
medallion_to_timestamp(PG_FUNCTION_ARGS)
{
	const char *s;
	size_t		len;
	int64_t		us;

	if (!field_of(fcinfo, &s, &len) || !value_timestamp(s, len, &us))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(medallion_timestamptz_datum(us));
}

/* medallion.unix_seconds(text): a non-negative integer of seconds only */
Datum
medallion_unix_seconds(PG_FUNCTION_ARGS)
{
	const char *s;
	size_t		len;
	int64_t		v;

	if (!field_of(fcinfo, &s, &len) || !value_nonnegative_int(s, len, &v) ||
		!value_timestamp(s, len, &v))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(medallion_timestamptz_datum(v));
}

/* medallion.std_email(text): lower-cased valid address, else NULL */
Datum
medallion_std_email(PG_FUNCTION_ARGS)
{
	const char *s;
	size_t		len;
	char	   *out;
	int			n;

	if (!field_of(fcinfo, &s, &len))
		PG_RETURN_NULL();
	out = palloc(len + 1);
	n = value_email(s, len, out);
	if (n < 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out, n));
}

/* medallion.std_phone(text): +1 and ten digits, else NULL */
Datum
medallion_std_phone(PG_FUNCTION_ARGS)
{
	const char *s;
	size_t		len;
	char		out[VALUES_PHONE_LEN];

	if (!field_of(fcinfo, &s, &len) || !value_phone(s, len, out))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out, VALUES_PHONE_LEN));
}

/* medallion.std_name(text): trimmed, whitespace runs collapsed */
Datum
medallion_std_name(PG_FUNCTION_ARGS)
{
	const char *s;
	size_t		len;
	char	   *out;
	size_t		n;

	if (!field_of(fcinfo, &s, &len))
		PG_RETURN_NULL();
	out = palloc(len + 1);
	n = value_name(s, len, out);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out, n));
}

/* medallion.std_upper(text): trimmed, ASCII letters upper-cased */
Datum
medallion_std_upper(PG_FUNCTION_ARGS)
{
	const char *s;
	size_t		len;
	char	   *out;

	if (!field_of(fcinfo, &s, &len))
		PG_RETURN_NULL();
	out = palloc(len + 1);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out, value_upper(s, len, out)));
}
