/*-------------------------------------------------------------------------
 *
 * values.h
 *	  Typed values of silver: the rules of SPEC section 8, as pure C.
 *
 * Every function takes the bytes of one bronze field and decides what it
 * means in silver.  No PostgreSQL calls: unit-tested and fuzzed outside the
 * server; the parse step (parse.c) and the SQL-callable wrappers
 * (values_sql.c) both use them, so each rule exists once.
 *
 * src/values.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MEDALLION_VALUES_H
#define MEDALLION_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest standardised text the functions below write (a phone number). */
#define VALUES_PHONE_LEN	12		/* "+1" and ten digits */

/* Drops leading and trailing ASCII whitespace (space, tab, CR, LF). */
extern void value_trim(const char **s, size_t *len);

/* After trimming: empty, or NULL in any case. */
extern bool value_is_null_token(const char *s, size_t len);

/* [0-9]+ with a value from 1 to 2^63-1 (after trimming). */
extern bool value_positive_int(const char *s, size_t len, int64_t *out);

/* [0-9]+ with a value from 0 to 2^63-1 (after trimming). */
extern bool value_nonnegative_int(const char *s, size_t len, int64_t *out);

/* [+-]?[0-9]+ fitting in 64 bits (after trimming). */
extern bool value_int(const char *s, size_t len, int64_t *out);

/*
 * PostgreSQL numeric syntax without NaN or Infinity: [+-]?digits[.digits]
 * or [+-]?.digits, then an optional exponent [eE][+-]?digits; at most 1000
 * digits and an exponent of at most 1000 either way, the range numeric's
 * input accepts.  *negative is set for a value below zero.
 */
extern bool value_numeric(const char *s, size_t len, bool *negative);

/* YYYY-MM-DD, a real calendar date from 0001-01-01 to 9999-12-31. */
extern bool value_date(const char *s, size_t len, int *year, int *month, int *day);

/* Days from 1970-01-01 to the given date (proleptic Gregorian). */
extern int64_t value_days_from_civil(int year, int month, int day);

/*
 * Timestamps (SPEC section 8): a non-negative integer (unix seconds), or
 * YYYY-MM-DD (midnight), or YYYY-MM-DD followed by T or a space and
 * HH:MM[:SS[.fraction]], then optionally Z, +HH, -HH, +HH:MM or +HHMM; no
 * zone means UTC.  *usecs receives microseconds since 1970-01-01 UTC (the
 * fraction rounded to microseconds).
 */
extern bool value_timestamp(const char *s, size_t len, int64_t *usecs);

/*
 * email: trimmed and lower-cased (ASCII letters), then it must match
 * ^[^\s@]+@[^\s@]+\.[^\s@]+$.  Writes the standardised address to out
 * (len bytes at most) and returns its length, or -1 when invalid.
 */
extern int	value_email(const char *s, size_t len, char *out);

/*
 * phone: digits only; eleven digits starting with 1 lose the 1; ten digits
 * are then stored as +1 and the digits.  Writes VALUES_PHONE_LEN bytes to
 * out and returns true, or false when invalid.
 */
extern bool value_phone(const char *s, size_t len, char *out);

/*
 * Name: trimmed, runs of whitespace (space, tab, CR, LF, FF, VT) collapsed
 * to one space.  Writes to out (len bytes at most), returns the length.
 */
extern size_t value_name(const char *s, size_t len, char *out);

/* Trimmed and upper-cased (ASCII letters); returns the length written. */
extern size_t value_upper(const char *s, size_t len, char *out);

#endif							/* MEDALLION_VALUES_H */
