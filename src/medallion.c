/*-------------------------------------------------------------------------
 *
 * medallion.c
 *	  Module entry point and the medallion.* settings.
 *
 * src/medallion.c
 *
 *-------------------------------------------------------------------------
 */
#include "medallion.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

/* medallion.landing_dir: files must resolve inside it; empty = anywhere */
char	   *medallion_landing_dir = NULL;

/* medallion.max_field_size: longest CSV field accepted, in bytes */
int			medallion_max_field_size = 1024 * 1024;

/* medallion.parallel_parse: parse CSV and JSON on a second thread while loading */
bool		medallion_parallel_parse = true;

/* medallion.gold_state_memory: memory a full gold build keeps its state in, in kB */
int			medallion_gold_state_memory = 1024 * 1024;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomStringVariable("medallion.landing_dir",
							   "Directory that files loaded by medallion must lie in.",
							   "When set, medallion_ingest_csv refuses any file whose real path "
							   "(symbolic links resolved) is outside it, and relative paths "
							   "are taken relative to it.  Empty means no restriction.",
							   &medallion_landing_dir,
							   "",
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);

	DefineCustomIntVariable("medallion.max_field_size",
							"Longest CSV field medallion loads, in bytes.",
							"A record with a longer field goes to bronze.rejects.",
							&medallion_max_field_size,
							1024 * 1024,
							1,
							MaxAllocSize / 2,
							PGC_USERSET,
							GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("medallion.parallel_parse",
							 "Parses CSV files, and the JSON of sales and orders, on a second thread "
							 "while the backend inserts.",
							 "The thread runs only the CSV or JSON parser, on the file or on rows "
							 "already read; everything touching the database stays in the backend.",
							 &medallion_parallel_parse,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("medallion.gold_state_memory",
							"Memory a full gold build may hold its running state in.",
							"Past it, the state built so far is merged into the gold state "
							"tables and the build goes on with empty hash tables.",
							&medallion_gold_state_memory,
							1024 * 1024,
							64,
							MAX_KILOBYTES,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("medallion");

	RegisterResourceReleaseCallback(medallion_bronze_release, NULL);
	RegisterResourceReleaseCallback(medallion_parse_release, NULL);
}

/*
 * Until medallion_restore_gucs(), pins search_path to pg_catalog, pg_temp,
 * as SET search_path does for a SECURITY DEFINER function: the SQL medallion
 * runs must not pick up objects from schemas the caller controls.  And turns
 * JIT off: a refresh runs some seventy statements, most on a few thousand
 * rows, whose plans can still cost enough to be compiled; compiling one
 * took 24 ms (plus loading LLVM once) where running it took about 150.  And
 * Memoize off: medallion looks rows up by unique keys, where a cache only
 * misses; with statistics of a first load's records the planner memoized
 * the items arrays of a million orders (their products: 2.1 s to 6.5 s).
 */
int
medallion_pin_gucs(void)
{
	static const char *const pinned[][2] = {
		{"search_path", "pg_catalog, pg_temp"},
		{"jit", "off"},
		{"enable_memoize", "off"},
	};
	int			nest_level = NewGUCNestLevel();

	for (int i = 0; i < lengthof(pinned); i++)
		(void) set_config_option(pinned[i][0], pinned[i][1], PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	return nest_level;
}

/* Undoes medallion_pin_gucs(); an error undoes it by itself. */
void
medallion_restore_gucs(int nest_level)
{
	AtEOXact_GUC(true, nest_level);
}

/*
 * Takes the refresh lock until the end of the transaction: parsing and
 * refreshing silver and gold never run twice at once.
 */
void
medallion_lock_refresh(void)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, MEDALLION_LOCK_REFRESH, 0, 2);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}
