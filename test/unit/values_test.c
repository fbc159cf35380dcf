/*
 * values_test.c
 *	  Unit tests of the typed values of silver (src/values.c): SPEC section 8.
 */
#include "values.h"

#include <stdio.h>
#include <string.h>

static int	tests = 0;
static int	failures = 0;

static void
check(int ok, const char *what, const char *input)
{
	char		shown[256];
	size_t		n = 0;

	/* keep each TAP line on one line */
	for (const char *c = input; *c && n < sizeof(shown) - 5; c++)
		n += (unsigned char) *c < 0x20 ? sprintf(shown + n, "\\x%02x", *c) : (shown[n] = *c, 1);
	shown[n] = '\0';
	tests++;
	if (!ok)
		failures++;
	printf("%sok %d - %s \"%s\"\n", ok ? "" : "not ", tests, what, shown);
}

static void
positive(const char *s, int valid, long long expect)
{
	int64_t		v = -1;
	int			ok = value_positive_int(s, strlen(s), &v);

	check(ok == valid && (!ok || v == expect), valid ? "positive int" : "not a positive int", s);
}

static void
numeric(const char *s, int valid, int negative)
{
	bool		neg = false;
	int			ok = value_numeric(s, strlen(s), &neg);

	check(ok == valid && (!ok || neg == negative), valid ? "numeric" : "not numeric", s);
}

static void
date(const char *s, int valid)
{
	int			y,
				m,
				d;

	check(value_date(s, strlen(s), &y, &m, &d) == valid, valid ? "date" : "not a date", s);
}

/* expect: microseconds since 1970 UTC */
static void
timestamp(const char *s, int valid, long long expect)
{
	int64_t		us = 0;
	int			ok = value_timestamp(s, strlen(s), &us);

	if (ok && valid && us != expect)
		printf("# %s: got %lld, expected %lld\n", s, (long long) us, expect);
	check(ok == valid && (!ok || us == expect), valid ? "timestamp" : "not a timestamp", s);
}

static void
email(const char *s, const char *expect)
{
	char		out[256];
	int			n = value_email(s, strlen(s), out);

	check(expect ? (n >= 0 && (size_t) n == strlen(expect) && memcmp(out, expect, n) == 0) : n < 0,
		  expect ? "email" : "not an email", s);
}

static void
phone(const char *s, const char *expect)
{
	char		out[VALUES_PHONE_LEN];
	bool		ok = value_phone(s, strlen(s), out);

	check(expect ? (ok && memcmp(out, expect, VALUES_PHONE_LEN) == 0) : !ok,
		  expect ? "phone" : "not a phone", s);
}

static void
name(const char *s, const char *expect)
{
	char		out[256];
	size_t		n = value_name(s, strlen(s), out);

	check(n == strlen(expect) && memcmp(out, expect, n) == 0, "name", s);
}

static void
integer(const char *s, int valid, long long expect)
{
	int64_t		v = -1;
	int			ok = value_int(s, strlen(s), &v);

	check(ok == valid && (!ok || v == expect), valid ? "integer" : "not an integer", s);
}

static void
null_token(const char *s, int expect)
{
	check(value_is_null_token(s, strlen(s)) == expect, expect ? "null token" : "not a null token", s);
}

int
main(void)
{
	/* null tokens: empty or NULL in any case, after trimming */
	null_token("", 1);
	null_token("  \t\r\n", 1);
	null_token("NULL", 1);
	null_token(" null ", 1);
	null_token("NuLl", 1);
	null_token("NULLS", 0);
	null_token("N/A", 0);
	null_token("0", 0);

	/* positive integers: [0-9]+, 1 .. 2^63-1 */
	positive("1", 1, 1);
	positive(" 42\t", 1, 42);
	positive("007", 1, 7);
	positive("9223372036854775807", 1, 9223372036854775807LL);
	positive("9223372036854775808", 0, 0);
	positive("0", 0, 0);
	positive("-4", 0, 0);
	positive("+4", 0, 0);
	positive("4.0", 0, 0);
	positive("1e3", 0, 0);
	positive("abc", 0, 0);
	positive("", 0, 0);
	positive("1 2", 0, 0);

	/* integers: optional sign, the whole int64 range (found by fuzzing) */
	integer("-9223372036854775808", 1, INT64_MIN);
	integer("9223372036854775807", 1, INT64_MAX);
	integer("-9223372036854775809", 0, 0);
	integer("9223372036854775808", 0, 0);
	integer(" -12 ", 1, -12);
	integer("+0", 1, 0);

	/* numbers: PostgreSQL numeric syntax without NaN or Infinity */
	numeric("125.99", 1, 0);
	numeric("-5", 1, 1);
	numeric("+5", 1, 0);
	numeric("-0", 1, 0);
	numeric("-0.000", 1, 0);
	numeric(".5", 1, 0);
	numeric("5.", 1, 0);
	numeric("1e3", 1, 0);
	numeric("1.5E-7", 1, 0);
	numeric("-2e+2", 1, 1);
	numeric(" 12 ", 1, 0);
	numeric("NaN", 0, 0);
	numeric("Infinity", 0, 0);
	numeric("-inf", 0, 0);
	numeric("1,234.56", 0, 0);
	numeric("$5", 0, 0);
	numeric(".", 0, 0);
	numeric("e5", 0, 0);
	numeric("1e", 0, 0);
	numeric("1e1001", 0, 0);
	numeric("0x1F", 0, 0);
	numeric("1_000", 0, 0);
	numeric("", 0, 0);

	/* dates: YYYY-MM-DD only, real calendar dates */
	date("2019-01-01", 1);
	date(" 2024-02-29 ", 1);
	date("2023-02-29", 0);
	date("2019-02-30", 0);
	date("2019-13-01", 0);
	date("0000-01-01", 0);
	date("01-08-2019", 0);
	date("2019/01/01", 0);
	date("2019-1-1", 0);
	date("20190101", 0);
	date("yesterday", 0);
	date("2019-01-01T00:00:00", 0);

	/* timestamps */
	timestamp("0", 1, 0);
	timestamp("1546300800", 1, 1546300800000000LL);
	timestamp(" 1558052926 ", 1, 1558052926000000LL);
	timestamp("-5", 0, 0);
	timestamp("1.5", 0, 0);
	timestamp("2019-01-01", 1, 1546300800000000LL);
	timestamp("2019-01-01T10:00", 1, 1546336800000000LL);
	timestamp("2019-01-01 10:00:00", 1, 1546336800000000LL);
	timestamp("2019-01-01T10:00:00Z", 1, 1546336800000000LL);
	timestamp("2019-01-01T10:00:00.5Z", 1, 1546336800500000LL);
	timestamp("2019-01-01T10:00:00.1234565", 1, 1546336800123457LL);
	timestamp("2019-01-01T12:00:00+02", 1, 1546336800000000LL);
	timestamp("2019-01-01T12:00:00+02:00", 1, 1546336800000000LL);
	timestamp("2019-01-01T05:30:00-0430", 1, 1546336800000000LL);
	timestamp("2019-01-01T00:30:00+01:00", 1, 1546299000000000LL);
	timestamp("2019-01-01T05:30-20:", 0, 0);	/* a colon needs its minutes */
	timestamp("2019-01-01T10:00:00z", 0, 0);
	timestamp("2019-01-01t10:00:00", 0, 0);
	timestamp("2019-01-01T24:00:00", 0, 0);
	timestamp("2019-01-01T10:60", 0, 0);
	timestamp("2019-01-01T10:00:60", 0, 0);
	timestamp("2019-01-01T10", 0, 0);
	timestamp("2019-01-01T10:00:00.", 0, 0);
	timestamp("2019-01-01T10:00:00+2", 0, 0);
	timestamp("2019-01-01T10:00:00+02:0", 0, 0);
	timestamp("2019-01-01T10:00:00 UTC", 0, 0);
	timestamp("2019-01-01T10:00:00PST", 0, 0);
	timestamp("01-08-2019 02:47", 0, 0);
	timestamp("yesterday", 0, 0);
	timestamp("now", 0, 0);
	timestamp("2019-02-30T10:00", 0, 0);
	timestamp("253402300799", 1, 253402300799000000LL);
	timestamp("253402300800", 0, 0);

	/* email: lower(trim), ^[^\s@]+@[^\s@]+\.[^\s@]+$ */
	email("  John.Doe@Example.COM ", "john.doe@example.com");
	email("a@b.co", "a@b.co");
	email("a@b..c", "a@b..c");
	email("a@.b.c", "a@.b.c");
	email("a@b.", NULL);
	email("a@.b", NULL);
	email("a@b", NULL);
	email("@b.c", NULL);
	email("a@@b.c", NULL);
	email("a@b@c.d", NULL);
	email("john doe@example.com", NULL);
	email("john at example.com", NULL);
	email("", NULL);

	/* phone: digits; 11 digits starting with 1 lose it; then 10 digits */
	phone("(415) 555-0134", "+14155550134");
	phone("1-415-555-0134", "+14155550134");
	phone("+1 415 555 0134", "+14155550134");
	phone("415.555.0134", "+14155550134");
	phone("4155550134", "+14155550134");
	phone("555-0134", NULL);
	phone("2-415-555-0134", NULL);
	phone("1-1415-555-0134", NULL);
	phone("", NULL);
	phone("call me", NULL);

	/* names: trimmed, runs of whitespace collapsed */
	name("  John   Doe ", "John Doe");
	name("Mary\t\nAnn  Smith", "Mary Ann Smith");
	name("Zoë", "Zoë");
	name("   ", "");

	printf("1..%d\n", tests);
	return failures ? 1 : 0;
}
