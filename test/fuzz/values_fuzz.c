/*
 * values_fuzz.c
 *	  libFuzzer harness for the typed values of silver (src/values.c).
 *
 * Input layout: one option byte, then the data.
 *
 *	 byte 0	bits 0-1: the mode
 *			0 text: the data is one field; every function of values.h is
 *			  called on it (outputs in buffers of exactly the documented
 *			  size, so ASan sees any write beyond) and checked against an
 *			  oracle written here from the rules of values.h: trim and
 *			  null tokens, the three integer kinds (strtoll on a string
 *			  that passed an independent [+-]?[0-9]+ check), numeric syntax
 *			  and sign, dates (an independent calendar), timestamps (an
 *			  independent parser and day count), email, phone, name, upper
 *			1 timestamp round trip: data = 8 bytes instant, format, offset
 *			  and fraction bytes; a random instant between 0001-01-01 and
 *			  9999-12-31 is formatted in one of the ISO forms of values.h
 *			  (T or space, minutes / seconds / 1-9 fraction digits / date
 *			  only, no zone / Z / +HH / +HH:MM / +HHMM, surrounding
 *			  whitespace) or as unix seconds, and value_timestamp must give
 *			  the instant back (truncated or rounded as the form says)
 *			2 date round trip: a day number from the data, formatted as
 *			  YYYY-MM-DD by an independent civil_from_days: value_date and
 *			  value_timestamp take it back, value_days_from_civil agrees
 *			3 integer text: an int64 from the data, written with optional
 *			  sign, leading zeros and whitespace: the integer functions
 *			  agree with strtoll (boundaries like 2^63-1 and -2^63 come up)
 *		bits 2-7: unused
 *
 * A failed check prints what it saw and the escaped input, and calls
 * abort().
 *
 * Build: see test/fuzz/run_fuzz.sh.
 */
#include "values.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_UNIX_SECONDS	INT64_C(253402300799)	/* 9999-12-31 23:59:59 */
#define DAYS_0001_TO_1970	INT64_C(719162)
#define USECS_PER_DAY		INT64_C(86400000000)

static const char *check_name;
static const unsigned char *cur_input;
static size_t cur_input_len;

static void
print_escaped(FILE *f, const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = s[i];

		if (c == '\n')
			fputs("\\n", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\\' || c == '"')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static void
fail(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "\n*** values invariant failed (%s): ", check_name ? check_name : "?");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n*** input (option byte + data, %zu bytes): \"", cur_input_len);
	print_escaped(stderr, cur_input, cur_input_len);
	fprintf(stderr, "\"\n");
	abort();
}

#define CHECK(cond, ...) \
	do { if (!(cond)) fail(__VA_ARGS__); } while (0)

static void
show(const char *label, const char *s, size_t len)
{
	fprintf(stderr, "\n    %s: \"", label);
	print_escaped(stderr, (const unsigned char *) s, len);
	fputc('"', stderr);
}

/* ---------------------------------------------------------------------
 * The oracle.
 * ---------------------------------------------------------------------
 */
static bool
o_trim_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* \s of the email regex, and what names collapse */
static bool
o_space(char c)
{
	return o_trim_space(c) || c == '\f' || c == '\v';
}

static bool
o_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* the trimmed field as [a, b) */
static void
o_trim(const char *s, size_t len, size_t *a, size_t *b)
{
	*a = 0;
	*b = len;
	while (*a < *b && o_trim_space(s[*a]))
		(*a)++;
	while (*b > *a && o_trim_space(s[*b - 1]))
		(*b)--;
}

/* [+-]?[0-9]+ (sign only when allowed), then strtoll, which must not overflow */
static bool
o_integer(const char *s, size_t len, bool sign_allowed, int64_t *out)
{
	size_t		a,
				b,
				i;
	char	   *buf;
	char	   *end;
	long long	v;

	o_trim(s, len, &a, &b);
	i = a;
	if (sign_allowed && i < b && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i == b)
		return false;
	for (; i < b; i++)
		if (!o_digit(s[i]))
			return false;
	buf = malloc(b - a + 1);
	if (buf == NULL)
		abort();
	memcpy(buf, s + a, b - a);
	buf[b - a] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno == ERANGE || *end != '\0')
	{
		free(buf);
		return false;
	}
	free(buf);
	*out = v;
	return true;
}

/*
 * numeric: a state machine over [+-]? (D+ | D+ . D* | . D+) ([eE][+-]?D+)?,
 * at most 1000 mantissa digits, an exponent of at most 1000.
 */
static bool
o_numeric(const char *s, size_t len, bool *negative)
{
	enum
	{
		START, SIGN, INT, DOT_NO_INT, FRAC, EXP, EXP_SIGN, EXP_DIGITS
	}			state = START;
	size_t		a,
				b;
	int			mantissa = 0;
	long		exponent = 0;
	bool		minus = false,
				nonzero = false;

	o_trim(s, len, &a, &b);
	for (size_t i = a; i < b; i++)
	{
		char		c = s[i];

		switch (state)
		{
			case START:
				if (c == '+' || c == '-')
				{
					minus = c == '-';
					state = SIGN;
					continue;
				}
				/* FALLTHROUGH */
			case SIGN:
				if (c == '.')
					state = DOT_NO_INT;
				else if (o_digit(c))
					state = INT;
				else
					return false;
				break;
			case INT:
				if (c == '.')
					state = FRAC;
				else if (c == 'e' || c == 'E')
					state = EXP;
				else if (!o_digit(c))
					return false;
				break;
			case DOT_NO_INT:
				if (!o_digit(c))
					return false;
				state = FRAC;
				break;
			case FRAC:
				if (c == 'e' || c == 'E')
					state = EXP;
				else if (!o_digit(c))
					return false;
				break;
			case EXP:
				if (c == '+' || c == '-')
				{
					state = EXP_SIGN;
					continue;
				}
				/* FALLTHROUGH */
			case EXP_SIGN:
			case EXP_DIGITS:
				if (!o_digit(c))
					return false;
				state = EXP_DIGITS;
				if (exponent <= 1000)
					exponent = exponent * 10 + (c - '0');
				continue;
		}
		if (o_digit(c) && state != EXP_DIGITS)
		{
			mantissa++;
			nonzero |= c != '0';
		}
	}
	if (state != INT && state != FRAC && state != EXP_DIGITS)
		return false;
	if (mantissa > 1000 || exponent > 1000)
		return false;
	*negative = minus && nonzero;
	return true;
}

static int
o_month_days(int y, int m)
{
	static const int days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool		leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);

	return m == 2 && leap ? 29 : days[m];
}

/* days from 1970-01-01: whole years, then months, counted from 0001-01-01 */
static int64_t
o_days(int y, int m, int d)
{
	int64_t		py = y - 1;
	int64_t		days = py * 365 + py / 4 - py / 100 + py / 400;

	for (int i = 1; i < m; i++)
		days += o_month_days(y, i);
	return days + d - 1 - DAYS_0001_TO_1970;
}

/* the inverse, with Hinnant's civil_from_days */
static void
o_civil(int64_t z, int *y, int *m, int *d)
{
	int64_t		era,
				doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = (int) (yoe + era * 400 + (*m <= 2));
}

/* n digits at s[i..], or -1 */
static int
o_num(const char *s, size_t len, size_t i, int n)
{
	int			v = 0;

	if (i + n > len)
		return -1;
	for (int k = 0; k < n; k++)
	{
		if (!o_digit(s[i + k]))
			return -1;
		v = v * 10 + (s[i + k] - '0');
	}
	return v;
}

/* "YYYY-MM-DD" as the whole of s[a, b) */
static bool
o_date_at(const char *s, size_t a, size_t b, int *y, int *m, int *d)
{
	const char *pattern = "9999-99-99";

	if (b - a < 10)
		return false;
	for (int i = 0; i < 10; i++)
		if (pattern[i] == '9' ? !o_digit(s[a + i]) : s[a + i] != '-')
			return false;
	*y = o_num(s, b, a, 4);
	*m = o_num(s, b, a + 5, 2);
	*d = o_num(s, b, a + 8, 2);
	return *y >= 1 && *m >= 1 && *m <= 12 && *d >= 1 && *d <= o_month_days(*y, *m);
}

static bool
o_date(const char *s, size_t len, int *y, int *m, int *d)
{
	size_t		a,
				b;

	o_trim(s, len, &a, &b);
	return b - a == 10 && o_date_at(s, a, b, y, m, d);
}

static bool
o_timestamp(const char *s, size_t len, int64_t *us)
{
	size_t		a,
				b,
				i;
	int			y,
				mo,
				d,
				h = 0,
				mi = 0,
				sec = 0;
	int64_t		frac = 0;
	int64_t		offset = 0;
	bool		all_digits;

	o_trim(s, len, &a, &b);
	if (a == b)
		return false;
	all_digits = true;
	for (i = a; i < b; i++)
		all_digits &= o_digit(s[i]);
	if (all_digits)
	{
		int64_t		v = 0;

		for (i = a; i < b; i++)
		{
			v = v * 10 + (s[i] - '0');
			if (v > MAX_UNIX_SECONDS)
				return false;
		}
		*us = v * 1000000;
		return true;
	}
	if (!o_date_at(s, a, a + 10 <= b ? a + 10 : a, &y, &mo, &d))
		return false;
	i = a + 10;
	if (i < b)
	{
		/* [T ]HH:MM */
		if ((s[i] != 'T' && s[i] != ' ') || i + 6 > b || s[i + 3] != ':')
			return false;
		h = o_num(s, b, i + 1, 2);
		mi = o_num(s, b, i + 4, 2);
		if (h < 0 || mi < 0 || h > 23 || mi > 59)
			return false;
		i += 6;
		/* :SS, then .fraction */
		if (i < b && s[i] == ':')
		{
			sec = o_num(s, b, i + 1, 2);
			if (sec < 0 || sec > 59)
				return false;
			i += 3;
			if (i < b && s[i] == '.')
			{
				int			n = 0;

				for (i++; i < b && o_digit(s[i]); i++, n++)
				{
					if (n < 6)
						frac = frac * 10 + (s[i] - '0');
					else if (n == 6 && s[i] >= '5')
						frac++;		/* after the padding below: +1 us */
				}
				if (n == 0)
					return false;
				if (n > 6)
				{
					/* frac holds 6 digits (+1 when rounded up) */
				}
				else
					for (int k = n; k < 6; k++)
						frac *= 10;
			}
		}
		/* Z | [+-]HH | [+-]HH:MM | [+-]HHMM */
		if (i < b)
		{
			size_t		rest = b - i;
			int			oh,
						om = 0;

			if (rest == 1 && s[i] == 'Z')
				i++;
			else if (s[i] == '+' || s[i] == '-')
			{
				if (rest == 3)
					oh = o_num(s, b, i + 1, 2);
				else if (rest == 5)
					oh = o_num(s, b, i + 1, 2), om = o_num(s, b, i + 3, 2);
				else if (rest == 6 && s[i + 3] == ':')
					oh = o_num(s, b, i + 1, 2), om = o_num(s, b, i + 4, 2);
				else
					return false;
				if (oh < 0 || om < 0 || oh > 23 || om > 59)
					return false;
				offset = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
				i = b;
			}
			else
				return false;
		}
	}
	*us = (o_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset) * 1000000 + frac;
	return true;
}

static char
o_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

/* ^[^\s@]+@[^\s@]+\.[^\s@]+$ on lower(trim(s)) */
static int
o_email(const char *s, size_t len, char *out)
{
	size_t		a,
				b,
				at = SIZE_MAX;
	int			n = 0;
	bool		dot = false;

	o_trim(s, len, &a, &b);
	for (size_t i = a; i < b; i++)
	{
		if (o_space(s[i]))
			return -1;
		if (s[i] == '@')
		{
			if (at != SIZE_MAX)
				return -1;
			at = i;
		}
		out[n++] = o_lower(s[i]);
	}
	if (at == SIZE_MAX || at == a)
		return -1;
	/* [^\s@]+\.[^\s@]+ after the @: a dot neither first nor last */
	for (size_t i = at + 2; i + 1 < b; i++)
		if (s[i] == '.')
			dot = true;
	return dot ? n : -1;
}

static bool
o_phone(const char *s, size_t len, char *out)
{
	char		digits[64];
	size_t		n = 0;
	const char *ten;

	for (size_t i = 0; i < len; i++)
		if (o_digit(s[i]))
		{
			if (n == sizeof(digits))
				return false;
			digits[n++] = s[i];
		}
	if (n == 10)
		ten = digits;
	else if (n == 11 && digits[0] == '1')
		ten = digits + 1;
	else
		return false;
	memcpy(out, "+1", 2);
	memcpy(out + 2, ten, 10);
	return true;
}

/* the words (runs of non-space bytes), joined by single spaces */
static size_t
o_name(const char *s, size_t len, char *out)
{
	size_t		n = 0,
				i = 0;

	for (;;)
	{
		size_t		start;

		while (i < len && o_space(s[i]))
			i++;
		if (i == len)
			return n;
		start = i;
		while (i < len && !o_space(s[i]))
			i++;
		if (n > 0)
			out[n++] = ' ';
		memcpy(out + n, s + start, i - start);
		n += i - start;
	}
}

/* ---------------------------------------------------------------------
 * Checks.
 * ---------------------------------------------------------------------
 */
static void
check_text(const char *s, size_t len)
{
	size_t		a,
				b;
	const char *ts = s;
	size_t		tlen = len;
	int64_t		got = -7,
				want = -7;
	bool		gneg = false,
				wneg = false;
	int			gy = 0,
				gm = 0,
				gd = 0,
				wy = 0,
				wm = 0,
				wd = 0;
	bool		g,
				w;
	char	   *out = malloc(len ? len : 1);
	char	   *want_out = malloc(len + 1);
	char		phone[VALUES_PHONE_LEN];
	char		want_phone[VALUES_PHONE_LEN];
	int			gn,
				wn;
	size_t		gl,
				wl;

	if (out == NULL || want_out == NULL)
		abort();

	check_name = "value_trim";
	o_trim(s, len, &a, &b);
	value_trim(&ts, &tlen);
	CHECK(ts == s + a && tlen == b - a, "value_trim gives [%zu, %zu), the oracle [%zu, %zu)",
		  (size_t) (ts - s), (size_t) (ts - s) + tlen, a, b);

	check_name = "value_is_null_token";
	w = b == a || (b - a == 4 && o_lower(s[a]) == 'n' && o_lower(s[a + 1]) == 'u' &&
				   o_lower(s[a + 2]) == 'l' && o_lower(s[a + 3]) == 'l');
	CHECK(value_is_null_token(s, len) == w, "says %d, the oracle %d", !w, w);

	check_name = "value_nonnegative_int";
	w = o_integer(s, len, false, &want);
	g = value_nonnegative_int(s, len, &got);
	CHECK(g == w && (!g || got == want), "says %d (%lld), strtoll %d (%lld)", g, (long long) got, w, (long long) want);

	check_name = "value_positive_int";
	w = w && want >= 1;
	g = value_positive_int(s, len, &got);
	CHECK(g == w && (!g || got == want), "says %d (%lld), strtoll %d (%lld)", g, (long long) got, w, (long long) want);

	check_name = "value_int";
	w = o_integer(s, len, true, &want);
	g = value_int(s, len, &got);
	CHECK(g == w && (!g || got == want), "says %d (%lld), strtoll %d (%lld)", g, (long long) got, w, (long long) want);

	check_name = "value_numeric";
	w = o_numeric(s, len, &wneg);
	g = value_numeric(s, len, &gneg);
	CHECK(g == w && (!g || gneg == wneg), "says %d (negative %d), the oracle %d (negative %d)", g, gneg, w, wneg);

	check_name = "value_date";
	w = o_date(s, len, &wy, &wm, &wd);
	g = value_date(s, len, &gy, &gm, &gd);
	CHECK(g == w && (!g || (gy == wy && gm == wm && gd == wd)),
		  "says %d (%04d-%02d-%02d), the oracle %d (%04d-%02d-%02d)", g, gy, gm, gd, w, wy, wm, wd);
	if (g)
	{
		check_name = "value_days_from_civil";
		CHECK(value_days_from_civil(gy, gm, gd) == o_days(gy, gm, gd), "%lld days, the oracle %lld",
			  (long long) value_days_from_civil(gy, gm, gd), (long long) o_days(gy, gm, gd));
	}

	check_name = "value_timestamp";
	w = o_timestamp(s, len, &want);
	g = value_timestamp(s, len, &got);
	CHECK(g == w && (!g || got == want), "says %d (%lld us), the oracle %d (%lld us)", g, (long long) got, w, (long long) want);

	check_name = "value_email";
	gn = value_email(s, len, out);
	wn = o_email(s, len, want_out);
	if (gn != wn || (gn >= 0 && memcmp(out, want_out, gn) != 0))
	{
		if (gn >= 0)
			show("got", out, gn);
		if (wn >= 0)
			show("expected", want_out, wn);
		fail("returns %d, the oracle %d", gn, wn);
	}
	if (gn >= 0)
	{
		int			ats = 0;

		for (int i = 0; i < gn; i++)
		{
			ats += out[i] == '@';
			CHECK(!(out[i] >= 'A' && out[i] <= 'Z') && !o_space(out[i]), "an upper-case letter or space");
		}
		CHECK(ats == 1, "%d '@' in the address", ats);
	}

	check_name = "value_phone";
	g = value_phone(s, len, phone);
	w = o_phone(s, len, want_phone);
	CHECK(g == w && (!g || memcmp(phone, want_phone, VALUES_PHONE_LEN) == 0),
		  "says %d (%.12s), the oracle %d (%.12s)", g, g ? phone : "", w, w ? want_phone : "");
	if (g)
	{
		CHECK(phone[0] == '+' && phone[1] == '1', "no +1");
		for (int i = 2; i < VALUES_PHONE_LEN; i++)
			CHECK(o_digit(phone[i]), "not a digit");
	}

	check_name = "value_name";
	gl = value_name(s, len, out);
	wl = o_name(s, len, want_out);
	CHECK(gl <= len, "wrote %zu bytes of %zu", gl, len);
	if (gl != wl || memcmp(out, want_out, gl) != 0)
	{
		show("got", out, gl);
		show("expected", want_out, wl);
		fail("differs from the oracle");
	}
	CHECK(gl == 0 || (out[0] != ' ' && out[gl - 1] != ' '), "a space at an end");
	for (size_t i = 0; i + 1 < gl; i++)
		CHECK(!(out[i] == ' ' && out[i + 1] == ' '), "two spaces in a row");

	check_name = "value_upper";
	gl = value_upper(s, len, out);
	CHECK(gl == b - a, "length %zu, the trimmed field has %zu", gl, b - a);
	for (size_t i = 0; i < gl; i++)
	{
		char		c = s[a + i];

		CHECK(out[i] == (c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c), "byte %zu", i);
	}

	free(out);
	free(want_out);
	check_name = NULL;
}

static uint64_t
read_u64(const uint8_t *p, size_t n)
{
	uint64_t	v = 0;

	for (size_t i = 0; i < n && i < 8; i++)
		v |= (uint64_t) p[i] << (8 * i);
	return v;
}

/* mode 1: a formatted instant comes back */
static void
timestamp_round_trip(const uint8_t *p, size_t n)
{
	/* 0001-01-01 to 9999-12-31, in microseconds */
	const int64_t lo = (-DAYS_0001_TO_1970) * USECS_PER_DAY;
	const int64_t hi = (o_days(9999, 12, 31) + 1) * USECS_PER_DAY - 1;
	uint8_t		opt[6] = {0};
	int64_t		t,
				local,
				want,
				got = 0;
	int64_t		offset = 0;
	int			form,
				zone,
				digits,
				y,
				mo,
				d;
	char		text[96];
	size_t		len = 0;

	t = lo + (int64_t) (read_u64(p, n) % (uint64_t) (hi - lo + 1));
	if (n > 8)
		memcpy(opt, p + 8, n - 8 < sizeof(opt) ? n - 8 : sizeof(opt));
	form = opt[0] & 3;			/* HH:MM, :SS, .fraction, date only */
	zone = (opt[0] >> 2) & 7;	/* none, Z, +HH, +HH:MM, +HHMM, unix */
	digits = 1 + opt[1] % 9;
	if (zone >= 2 && zone <= 4)
	{
		offset = (opt[2] % 24) * 3600 + (zone == 2 ? 0 : (opt[3] % 60) * 60);
		if (opt[2] & 0x80)
			offset = -offset;
	}
	if (opt[0] & 0x20)
		len += snprintf(text + len, sizeof(text) - len, "%s", (opt[0] & 0x40) ? " \t" : "\n");

	if (zone >= 5)
	{
		/* unix seconds, with leading zeros sometimes */
		int64_t		secs = (t >= 0 ? t : -t) / 1000000;

		if (secs > MAX_UNIX_SECONDS)
			secs = MAX_UNIX_SECONDS;
		len += snprintf(text + len, sizeof(text) - len, "%s%lld",
						(opt[1] & 0x80) ? "000" : "", (long long) secs);
		want = secs * 1000000;
	}
	else
	{
		/* local time in range: move the instant when the offset takes it out */
		local = t + offset * 1000000;
		if (local < lo)
			local = lo;
		if (local > hi)
			local = hi;
		if (form == 3)
			local -= ((local % USECS_PER_DAY) + USECS_PER_DAY) % USECS_PER_DAY;
		else if (form == 0)
			local -= ((local % 60000000) + 60000000) % 60000000;
		else if (form == 1)
			local -= ((local % 1000000) + 1000000) % 1000000;
		else if (digits < 6)
		{
			int64_t		unit = 1;

			for (int i = digits; i < 6; i++)
				unit *= 10;
			local -= ((local % unit) + unit) % unit;
		}
		want = local - offset * 1000000;
		{
			int64_t		day = local >= 0 ? local / USECS_PER_DAY : -((-local + USECS_PER_DAY - 1) / USECS_PER_DAY);
			int64_t		us = local - day * USECS_PER_DAY;

			o_civil(day, &y, &mo, &d);
			len += snprintf(text + len, sizeof(text) - len, "%04d-%02d-%02d", y, mo, d);
			if (form != 3)
			{
				len += snprintf(text + len, sizeof(text) - len, "%c%02d:%02d", (opt[0] & 0x80) ? ' ' : 'T',
								(int) (us / 3600000000), (int) (us / 60000000 % 60));
				if (form >= 1)
					len += snprintf(text + len, sizeof(text) - len, ":%02d", (int) (us / 1000000 % 60));
				if (form == 2)
				{
					char		frac[16];

					snprintf(frac, sizeof(frac), "%06d", (int) (us % 1000000));
					if (digits <= 6)
						len += snprintf(text + len, sizeof(text) - len, ".%.*s", digits, frac);
					else
					{
						/* extra digits: the first decides the rounding */
						int			extra = opt[4] % 1000;

						len += snprintf(text + len, sizeof(text) - len, ".%s%03d", frac, extra);
						len -= 9 - digits;
						text[len] = '\0';
						if (digits >= 7 && extra / 100 >= 5)
							want += 1;
					}
				}
			}
			if (form != 3 || zone == 0)
			{
				if (zone == 1)
					len += snprintf(text + len, sizeof(text) - len, "Z");
				else if (zone >= 2)
				{
					int64_t		a = offset < 0 ? -offset : offset;

					len += snprintf(text + len, sizeof(text) - len, "%c%02d", offset < 0 ? '-' : '+', (int) (a / 3600));
					if (zone == 3)
						len += snprintf(text + len, sizeof(text) - len, ":%02d", (int) (a / 60 % 60));
					else if (zone == 4)
						len += snprintf(text + len, sizeof(text) - len, "%02d", (int) (a / 60 % 60));
				}
			}
			else
				want = local;	/* a date alone has no zone: midnight UTC */
		}
	}
	if (opt[0] & 0x20)
		len += snprintf(text + len, sizeof(text) - len, " ");

	check_name = "value_timestamp round trip";
	if (!value_timestamp(text, len, &got) || got != want)
	{
		show("text", text, len);
		fail("gives %lld us, expected %lld us", (long long) got, (long long) want);
	}
	/* and the text oracle agrees */
	check_text(text, len);
}

/* mode 2: a formatted day comes back */
static void
date_round_trip(const uint8_t *p, size_t n)
{
	int64_t		first = o_days(1, 1, 1),
				last = o_days(9999, 12, 31);
	int64_t		day = first + (int64_t) (read_u64(p, n) % (uint64_t) (last - first + 1));
	int			y,
				m,
				d,
				gy = 0,
				gm = 0,
				gd = 0;
	int64_t		us = 0;
	char		text[16];

	o_civil(day, &y, &m, &d);
	check_name = "civil_from_days";
	CHECK(o_days(y, m, d) == day, "the oracle's own day count: %lld -> %04d-%02d-%02d -> %lld",
		  (long long) day, y, m, d, (long long) o_days(y, m, d));
	snprintf(text, sizeof(text), "%04d-%02d-%02d", y, m, d);
	check_name = "value_date round trip";
	CHECK(value_date(text, 10, &gy, &gm, &gd) && gy == y && gm == m && gd == d,
		  "%s gives %04d-%02d-%02d", text, gy, gm, gd);
	check_name = "value_days_from_civil";
	CHECK(value_days_from_civil(y, m, d) == day, "%s: %lld days, expected %lld", text,
		  (long long) value_days_from_civil(y, m, d), (long long) day);
	check_name = "value_timestamp of a date";
	CHECK(value_timestamp(text, 10, &us) && us == day * USECS_PER_DAY, "%s gives %lld us", text, (long long) us);
	check_text(text, 10);
}

/* mode 3: an integer's text */
static void
integer_text(const uint8_t *p, size_t n)
{
	int64_t		v = (int64_t) read_u64(p, n);
	uint8_t		opt = n > 8 ? p[8] : 0;
	char		text[64];
	int			len;

	/* near the boundaries often */
	switch (opt & 7)
	{
		case 1:
			v = INT64_MAX - (v & 3);
			break;
		case 2:
			v = INT64_MIN + (v & 3);
			break;
		case 3:
			v = (v & 3) - 1;
			break;
		default:
			break;
	}
	if (v < 0)
		len = snprintf(text, sizeof(text), "%s-%s%llu%s", (opt & 8) ? " " : "", (opt & 16) ? "00" : "",
					   (unsigned long long) -(uint64_t) v, (opt & 32) ? "\t" : "");
	else
		len = snprintf(text, sizeof(text), "%s%s%s%lld%s", (opt & 8) ? " " : "", (opt & 64) ? "+" : "",
					   (opt & 16) ? "00" : "", (long long) v, (opt & 32) ? "\t" : "");
	check_text(text, (size_t) len);
	/* the value itself, when the text should give it */
	if (!(opt & 64))
	{
		int64_t		got = 0;

		check_name = "value_int of a formatted int64";
		CHECK(value_int(text, len, &got) && got == v, "\"%s\" gives %lld", text, (long long) got);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	cur_input = data;
	cur_input_len = size;
	switch (data[0] & 3)
	{
		case 0:
			check_text((const char *) data + 1, size - 1);
			break;
		case 1:
			timestamp_round_trip(data + 1, size - 1);
			break;
		case 2:
			date_round_trip(data + 1, size - 1);
			break;
		default:
			integer_text(data + 1, size - 1);
			break;
	}
	return 0;
}
