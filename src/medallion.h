/*-------------------------------------------------------------------------
 *
 * medallion.h
 *	  Declarations shared by the PostgreSQL glue of medallion.
 *
 * src/medallion.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MEDALLION_H
#define MEDALLION_H

#include "postgres.h"

#include "access/heapam.h"
#include "access/tableam.h"
#include "executor/executor.h"
#include "executor/instrument.h"
#include "portability/instr_time.h"
#include "utils/resowner.h"
#include "utils/relcache.h"

/* settings (medallion.c) */
extern char *medallion_landing_dir;
extern int	medallion_max_field_size;
extern bool medallion_parallel_parse;
extern int	medallion_gold_state_memory;

/* medallion.c: run SQL with search_path = pg_catalog, pg_temp, no JIT, no Memoize */
extern int	medallion_pin_gucs(void);
extern void medallion_restore_gucs(int nest_level);

/*
 * Advisory lock classes (first key of a two-key advisory lock), so that
 * medallion's locks are easy to spot in pg_locks and do not collide with
 * an application's own advisory locks.
 */
#define MEDALLION_LOCK_INGEST	0x6D640001	/* one source and file size */
#define MEDALLION_LOCK_REFRESH	0x6D640002	/* parse, silver and gold refresh */
#define MEDALLION_LOCK_RUN		0x6D640003	/* CALL medallion_run() (taken in SQL) */

/* medallion.c */
extern void medallion_lock_refresh(void);

/* values_sql.c: conversions shared with the parse step */
extern Datum medallion_numeric_datum(const char *s, size_t len);
extern Datum medallion_numeric_or_null(const char *s);
extern Datum medallion_timestamptz_datum(int64 unix_usecs);
extern Datum medallion_date_datum(int64 unix_days);

/* steps.c: the SQL steps of the refreshes */
typedef struct StepClock
{
	instr_time	start;
	WalUsage	wal;			/* pgWalUsage at the start */
} StepClock;
extern void medallion_step_start(StepClock *clock);
extern void medallion_step_done(const StepClock *clock, const char *step, uint64 rows);
extern void medallion_step_context_push(ErrorContextCallback *callback, const char *step);
extern void medallion_step_context_pop(ErrorContextCallback *callback);
extern uint64 medallion_run_step(const char *step, const char *sql, int nargs,
								 Oid *argtypes, Datum *args);
extern uint64 medallion_run_batch_step(const char *step, const char *sql, int64 batch_id);
extern uint64 medallion_run_batches_step(const char *step, const char *sql, Datum batch_ids);
extern uint64 medallion_run_param_step(const char *step, const char *sql, Datum value);
extern int64 medallion_run_count_step(const char *step, const char *sql);
extern void medallion_summarize_bronze(void);
extern void medallion_empty_tables(const char *const *tables);
extern Oid	medallion_owner(void);
extern void medallion_analyze(const char *sql);

/* silver.c */
typedef struct SilverCounts
{
	int64		batches;
	int64		parsed;
	int64		customers;
	int64		products;
	int64		sales;
	int64		orders;
	int64		quarantined;
	int64		readmitted;
} SilverCounts;

extern void medallion_refresh_silver_locked(SilverCounts *counts);

/* gold_state.c: the gold state of a full rebuild, the changes of an incremental one */
extern int64 medallion_gold_full_state(void);
extern int64 medallion_gold_delta_state(bool *removals);

/* parse.c */
extern int64 medallion_parse_pending(void);
extern void medallion_parse_release(ResourceReleasePhase phase, bool isCommit,
									bool isTopLevel, void *arg);

/* bronze.c */
extern void medallion_bronze_release(ResourceReleasePhase phase, bool isCommit,
									 bool isTopLevel, void *arg);

/* bulk_insert.c: the multi-insert path COPY uses */
#define BULK_MAX_TUPLES		1000
#define BULK_MAX_BYTES		65535

typedef struct BulkInserter
{
	Relation	rel;
	ResultRelInfo *rri;
	EState	   *estate;
	BulkInsertState bistate;
	CommandId	cid;
	TupleTableSlot *slots[BULK_MAX_TUPLES];
	int			nused;
	size_t		nbytes;
	int64		ninserted;
} BulkInserter;

extern void bulk_inserter_open(BulkInserter *bi, Oid relid, bool check_acl);
extern void bulk_inserter_add(BulkInserter *bi, Datum *values, bool *nulls,
							  size_t nbytes);
extern void bulk_inserter_flush(BulkInserter *bi);
extern void bulk_inserter_discard(BulkInserter *bi);
extern void bulk_inserter_close(BulkInserter *bi);

#endif							/* MEDALLION_H */
