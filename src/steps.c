/*-------------------------------------------------------------------------
 *
 * steps.c
 *	  Running the set-based SQL steps of the silver and gold refreshes.
 *
 * Each step is one statement run through SPI; an error in it names the
 * step in its context, so "medallion step \"upsert products\"" tells the
 * DBA where a refresh failed, and at DEBUG1 every step logs its time, rows
 * and the WAL it wrote (SET client_min_messages = debug1 to watch a
 * refresh).
 *
 * src/steps.c
 *
 *-------------------------------------------------------------------------
 */
#include "medallion.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/fmgrprotos.h"
#include "utils/syscache.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"

static void
step_error_callback(void *arg)
{
	errcontext("medallion step \"%s\"", (const char *) arg);
}

/*
 * Until medallion_step_context_pop(), an error names the step in its
 * context.  An error unwinds the context stack by itself.
 */
void
medallion_step_context_push(ErrorContextCallback *callback, const char *step)
{
	callback->callback = step_error_callback;
	callback->arg = unconstify(char *, step);
	callback->previous = error_context_stack;
	error_context_stack = callback;
}

void
medallion_step_context_pop(ErrorContextCallback *callback)
{
	error_context_stack = callback->previous;
}

/* Notes the time and WAL at the start of a step. */
void
medallion_step_start(StepClock *clock)
{
	INSTR_TIME_SET_CURRENT(clock->start);
	clock->wal = pgWalUsage;
}

/* Logs at DEBUG1 what a step took: its time, rows and the WAL it wrote. */
void
medallion_step_done(const StepClock *clock, const char *step, uint64 rows)
{
	instr_time	duration;

	INSTR_TIME_SET_CURRENT(duration);
	INSTR_TIME_SUBTRACT(duration, clock->start);
	elog(DEBUG1, "medallion step \"%s\": %.1f ms, " UINT64_FORMAT " rows, WAL %.1f kB (%ld full pages)",
		 step, INSTR_TIME_GET_MILLISEC(duration), rows,
		 (double) (pgWalUsage.wal_bytes - clock->wal.wal_bytes) / 1024.0,
		 (long) (pgWalUsage.wal_fpi - clock->wal.wal_fpi));
}

/*
 * Runs one step; returns the rows it processed.  Without arguments the
 * text may hold several statements.  nulls as for SPI ('n' = NULL).
 */
static uint64
run(const char *step, const char *sql, int nargs, Oid *argtypes, Datum *args,
	const char *nulls)
{
	ErrorContextCallback errcallback;
	int			rc;
	StepClock	clock;

	medallion_step_start(&clock);
	medallion_step_context_push(&errcallback, step);

	if (nargs == 0)
		rc = SPI_execute(sql, false, 0);
	else
		rc = SPI_execute_with_args(sql, nargs, argtypes, args, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "step \"%s\" failed: %s", step, SPI_result_code_string(rc));

	medallion_step_context_pop(&errcallback);

	medallion_step_done(&clock, step, SPI_processed);
	return SPI_processed;
}

uint64
medallion_run_step(const char *step, const char *sql, int nargs, Oid *argtypes, Datum *args)
{
	return run(step, sql, nargs, argtypes, args, NULL);
}

/* A step taking a batch id as $1. */
uint64
medallion_run_batch_step(const char *step, const char *sql, int64 batch_id)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(batch_id)};

	return run(step, sql, 1, argtypes, args, NULL);
}

/* A step taking an array of batch ids as $1. */
uint64
medallion_run_batches_step(const char *step, const char *sql, Datum batch_ids)
{
	Oid			argtypes[1] = {INT8ARRAYOID};
	Datum		args[1] = {batch_ids};

	return run(step, sql, 1, argtypes, args, NULL);
}

/* A step taking one bigint as $1, where (Datum) 0 means NULL. */
uint64
medallion_run_param_step(const char *step, const char *sql, Datum value)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1] = {value};
	char		nulls[1] = {value == (Datum) 0 ? 'n' : ' '};

	return run(step, sql, 1, argtypes, args, nulls);
}

/* A step returning one bigint (0 for NULL). */
int64
medallion_run_count_step(const char *step, const char *sql)
{
	bool		isnull;
	Datum		d;

	run(step, sql, 0, NULL, NULL, NULL);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(d);
}

/*
 * Empties working tables (a NULL-terminated list of qualified names): one
 * TRUNCATE of those holding a row.  A TRUNCATE gives each table, index and
 * TOAST table a new file, which cost a refresh with nothing to do more
 * than its real work; tables are empty at the start of a refresh unless
 * one ended without emptying them, which this still covers.
 */
void
medallion_empty_tables(const char *const *tables)
{
	StringInfoData sql;
	int			nonempty = 0;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "TRUNCATE ");
	for (int i = 0; tables[i] != NULL; i++)
	{
		char		probe[NAMEDATALEN * 2 + 32];

		/* not read-only: the probe must see this refresh's own rows */
		snprintf(probe, sizeof(probe), "SELECT FROM %s LIMIT 1", tables[i]);
		if (SPI_execute(probe, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read working set %s", tables[i]);
		if (SPI_processed == 0)
			continue;
		appendStringInfo(&sql, "%s%s", nonempty++ > 0 ? ", " : "", tables[i]);
	}
	if (nonempty > 0)
		run("empty working sets", sql.data, 0, NULL, NULL, NULL);
	pfree(sql.data);
}

/*
 * The role owning medallion's tables (the one that created the extension):
 * catalog writes and ANALYZE of the working sets run as it.
 */
Oid
medallion_owner(void)
{
	Oid			nsp = get_namespace_oid("medallion", false);
	Oid			relid = get_relname_relid("batches", nsp);
	HeapTuple	tup;
	Oid			owner;

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation medallion.batches");
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Acts as owner, restricted as autovacuum is, until the caller restores
 * *save_userid and *save_sec (an error restores them by itself).  ANALYZE
 * and BRIN summarizing are for owners only, and an engineer running a
 * refresh does not own the tables.
 */
static void
become_owner(Oid owner, Oid *save_userid, int *save_sec)
{
	GetUserIdAndSecContext(save_userid, save_sec);
	SetUserIdAndSecContext(owner, *save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
}

/* ANALYZE of a working set, as its owner. */
void
medallion_analyze(const char *sql)
{
	Oid			save_userid;
	int			save_sec;

	become_owner(medallion_owner(), &save_userid, &save_sec);
	run("analyze", sql, 0, NULL, NULL, NULL);
	SetUserIdAndSecContext(save_userid, save_sec);
}

/*
 * Summarizes the BRIN index (_batch_id) of every bronze table holding a
 * batch not yet in silver, so that reading one batch reads its own pages.
 * Pages appended since the table was last vacuumed are in ranges the index
 * has not summarized, which every lookup of a batch reads whole: with
 * 70,000 orders appended since a vacuum, reading a batch of 10,000 read
 * 69,744 others.  Only the new pages are read, as each table's owner.
 * Runs in the caller's SPI connection.
 */
void
medallion_summarize_bronze(void)
{
	StepClock	clock;
	int64		ranges = 0;

	medallion_step_start(&clock);
	if (SPI_execute("SELECT i.indexrelid, c.relowner FROM medallion.sources s "
					"JOIN pg_catalog.pg_class c ON c.oid = s.bronze_table "
					"JOIN pg_catalog.pg_index i ON i.indrelid = s.bronze_table AND i.indisvalid "
					"JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid "
					"JOIN pg_catalog.pg_am a ON a.oid = ic.relam AND a.amname = 'brin' "
					"WHERE EXISTS (SELECT 1 FROM medallion.batches b WHERE b.source = s.name"
					"              AND b.status = 'loaded' AND b.silver_at IS NULL)",
					false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not list the bronze tables to summarize");
	/* summarizing runs no SPI: the rows stay valid */
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		bool		isnull;
		Datum		index = SPI_getbinval(row, SPI_tuptable->tupdesc, 1, &isnull);
		Oid			owner = DatumGetObjectId(SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &isnull));
		Oid			save_userid;
		int			save_sec;

		become_owner(owner, &save_userid, &save_sec);
		ranges += DatumGetInt32(DirectFunctionCall1(brin_summarize_new_values, index));
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	medallion_step_done(&clock, "summarize bronze", ranges);
}
