/*
 * tap.h
 *	  The TAP output of the unit tests: "ok N - what" or "not ok N - what"
 *	  per check, the plan at the end.  One test program includes it once.
 */
#ifndef MEDALLION_TAP_H
#define MEDALLION_TAP_H

#include <stdio.h>

static int	tests = 0;
static int	failures = 0;

static void
check(int ok, const char *what)
{
	tests++;
	if (!ok)
		failures++;
	printf("%sok %d - %s\n", ok ? "" : "not ", tests, what);
}

/* prints the plan; the program's exit status */
static int
tap_done(void)
{
	printf("1..%d\n", tests);
	return failures ? 1 : 0;
}

#endif							/* MEDALLION_TAP_H */
