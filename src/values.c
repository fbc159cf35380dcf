/*-------------------------------------------------------------------------
 *
 * values.c
 *	  Typed values of silver: the rules of SPEC section 8, as pure C.
 *
 * src/values.c
 *
 *-------------------------------------------------------------------------
 */
#include "values.h"

#include <string.h>

#define MAX_NUMERIC_DIGITS		1000
#define MAX_NUMERIC_EXPONENT	1000
/* 9999-12-31 23:59:59 UTC: timestamps stay in the years dates allow */
#define MAX_UNIX_SECONDS		INT64_C(253402300799)

static bool
is_trim_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* the whitespace of the email regex's \s, and of name collapsing */
static bool
is_space(char c)
{
	return is_trim_space(c) || c == '\f' || c == '\v';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char
ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static char
ascii_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? c - ('a' - 'A') : c;
}

void
value_trim(const char **s, size_t *len)
{
	while (*len > 0 && is_trim_space((*s)[0]))
		(*s)++, (*len)--;
	while (*len > 0 && is_trim_space((*s)[*len - 1]))
		(*len)--;
}

bool
value_is_null_token(const char *s, size_t len)
{
	value_trim(&s, &len);
	return len == 0 ||
		(len == 4 && ascii_lower(s[0]) == 'n' && ascii_lower(s[1]) == 'u' &&
		 ascii_lower(s[2]) == 'l' && ascii_lower(s[3]) == 'l');
}

/* Digits only, as an unsigned value of at most max. */
static bool
parse_digits_max(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t	v = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
	{
		if (!is_digit(s[i]))
			return false;
		if (v > (max - (uint64_t) (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t) (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Digits only, as a value below 2^63. */
static bool
parse_digits(const char *s, size_t len, int64_t *out)
{
	uint64_t	v;

	if (!parse_digits_max(s, len, (uint64_t) INT64_MAX, &v))
		return false;
	*out = (int64_t) v;
	return true;
}

bool
value_nonnegative_int(const char *s, size_t len, int64_t *out)
{
	value_trim(&s, &len);
	return parse_digits(s, len, out);
}

bool
value_positive_int(const char *s, size_t len, int64_t *out)
{
	int64_t		v;

	if (!value_nonnegative_int(s, len, &v) || v < 1)
		return false;
	*out = v;
	return true;
}

bool
value_int(const char *s, size_t len, int64_t *out)
{
	bool		neg = false;
	uint64_t	v;

	value_trim(&s, &len);
	if (len > 0 && (s[0] == '+' || s[0] == '-'))
	{
		neg = s[0] == '-';
		s++, len--;
	}
	/* -2^63 fits too */
	if (!parse_digits_max(s, len, (uint64_t) INT64_MAX + neg, &v))
		return false;
	if (!neg)
		*out = (int64_t) v;
	else if (v > (uint64_t) INT64_MAX)
		*out = INT64_MIN;
	else
		*out = -(int64_t) v;
	return true;
}

bool
value_numeric(const char *s, size_t len, bool *negative)
{
	size_t		i = 0;
	size_t		digits = 0;
	bool		neg = false;
	bool		nonzero = false;

	value_trim(&s, &len);
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	while (i < len && is_digit(s[i]))
	{
		nonzero |= s[i] != '0';
		i++, digits++;
	}
	if (i < len && s[i] == '.')
	{
		i++;
		while (i < len && is_digit(s[i]))
		{
			nonzero |= s[i] != '0';
			i++, digits++;
		}
	}
	if (digits == 0 || digits > MAX_NUMERIC_DIGITS)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		size_t		start;
		int64_t		exponent = 0;

		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		start = i;
		while (i < len && is_digit(s[i]))
		{
			if (exponent <= MAX_NUMERIC_EXPONENT)
				exponent = exponent * 10 + (s[i] - '0');
			i++;
		}
		if (i == start || exponent > MAX_NUMERIC_EXPONENT)
			return false;
	}
	if (i != len)
		return false;
	*negative = neg && nonzero;
	return true;
}

static bool
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return (m == 2 && is_leap(y)) ? 29 : days[m - 1];
}

/* n ASCII digits at s, as a number. */
static bool
fixed_digits(const char *s, int n, int *out)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* YYYY-MM-DD at the start of s (exactly ten bytes available). */
static bool
parse_date10(const char *s, int *y, int *m, int *d)
{
	if (s[4] != '-' || s[7] != '-')
		return false;
	if (!fixed_digits(s, 4, y) || !fixed_digits(s + 5, 2, m) || !fixed_digits(s + 8, 2, d))
		return false;
	return *y >= 1 && *m >= 1 && *m <= 12 && *d >= 1 && *d <= days_in_month(*y, *m);
}

bool
value_date(const char *s, size_t len, int *year, int *month, int *day)
{
	value_trim(&s, &len);
	return len == 10 && parse_date10(s, year, month, day);
}

/* Howard Hinnant's days_from_civil */
int64_t
value_days_from_civil(int y, int m, int d)
{
	int64_t		era;
	int64_t		yoe;
	int64_t		doy;
	int64_t		doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool
value_timestamp(const char *s, size_t len, int64_t *usecs)
{
	int			y,
				mo,
				d,
				h = 0,
				mi = 0,
				sec = 0;
	int64_t		frac_us = 0;
	int64_t		offset_s = 0;
	size_t		i;

	value_trim(&s, &len);
	if (len == 0)
		return false;

	/* unix seconds */
	if (is_digit(s[0]) && (len < 5 || s[4] != '-'))
	{
		int64_t		secs;

		if (!parse_digits(s, len, &secs) || secs > MAX_UNIX_SECONDS)
			return false;
		*usecs = secs * 1000000;
		return true;
	}

	if (len < 10 || !parse_date10(s, &y, &mo, &d))
		return false;
	i = 10;
	if (i < len)
	{
		if (s[i] != 'T' && s[i] != ' ')
			return false;
		i++;
		if (len - i < 5 || s[i + 2] != ':' ||
			!fixed_digits(s + i, 2, &h) || !fixed_digits(s + i + 3, 2, &mi) ||
			h > 23 || mi > 59)
			return false;
		i += 5;
		if (i < len && s[i] == ':')
		{
			if (len - i < 3 || !fixed_digits(s + i + 1, 2, &sec) || sec > 59)
				return false;
			i += 3;
			if (i < len && s[i] == '.')
			{
				int64_t		scale = 100000;
				size_t		start = ++i;
				bool		round_up = false;

				while (i < len && is_digit(s[i]))
				{
					if (scale > 0)
						frac_us += (s[i] - '0') * scale;
					else if (scale == 0)
						round_up = s[i] >= '5';
					scale = scale > 0 ? scale / 10 : -1;
					i++;
				}
				if (i == start)
					return false;
				frac_us += round_up;
			}
		}
		if (i < len)
		{
			int			oh = 0,
						om = 0;
			char		sign = s[i];

			if (sign == 'Z' && i + 1 == len)
				i++;
			else if (sign == '+' || sign == '-')
			{
				i++;
				if (len - i < 2 || !fixed_digits(s + i, 2, &oh) || oh > 23)
					return false;
				i += 2;
				if (i < len)
				{
					/* +HH:MM or +HHMM; a colon needs its minutes */
					if (s[i] == ':')
						i++;
					if (len - i != 2 || !fixed_digits(s + i, 2, &om) || om > 59)
						return false;
					i += 2;
				}
				offset_s = (oh * 3600 + om * 60) * (sign == '-' ? -1 : 1);
			}
			if (i != len)
				return false;
		}
	}

	*usecs = ((value_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s)
			  * 1000000) + frac_us;
	return true;
}

int
value_email(const char *s, size_t len, char *out)
{
	size_t		at = 0;
	int			nat = 0;
	bool		dot = false;

	value_trim(&s, &len);
	for (size_t i = 0; i < len; i++)
	{
		char		c = s[i];

		if (is_space(c))
			return -1;
		if (c == '@')
		{
			nat++;
			at = i;
		}
		out[i] = ascii_lower(c);
	}
	if (nat != 1 || at == 0)
		return -1;
	/* the domain needs a dot with something on both sides */
	for (size_t i = at + 2; i + 1 < len; i++)
		dot |= s[i] == '.';
	return dot ? (int) len : -1;
}

bool
value_phone(const char *s, size_t len, char *out)
{
	char		digits[11];
	int			n = 0;

	for (size_t i = 0; i < len; i++)
	{
		if (!is_digit(s[i]))
			continue;
		if (n == 11)
			return false;
		digits[n++] = s[i];
	}
	if (n == 11 && digits[0] == '1')
	{
		memmove(digits, digits + 1, 10);
		n = 10;
	}
	if (n != 10)
		return false;
	out[0] = '+';
	out[1] = '1';
	memcpy(out + 2, digits, 10);
	return true;
}

size_t
value_name(const char *s, size_t len, char *out)
{
	size_t		n = 0;
	bool		pending_space = false;

	for (size_t i = 0; i < len; i++)
	{
		if (is_space(s[i]))
		{
			pending_space = n > 0;
			continue;
		}
		if (pending_space)
			out[n++] = ' ';
		pending_space = false;
		out[n++] = s[i];
	}
	return n;
}

size_t
value_upper(const char *s, size_t len, char *out)
{
	value_trim(&s, &len);
	for (size_t i = 0; i < len; i++)
		out[i] = ascii_upper(s[i]);
	return len;
}
