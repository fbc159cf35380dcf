/*-------------------------------------------------------------------------
 *
 * run.c
 *	  What CALL medallion_run() needs from C: the files waiting in
 *	  medallion.landing_dir.
 *
 * medallion.landing_files() lists the regular files directly in the landing
 * directory whose name starts with a registered source name (the longest
 * such name wins: sales_orders_2.csv is sales_orders, not sales), with
 * their real path, size and modification time.  The procedure itself, and
 * the run log, are SQL (medallion--1.0.sql): it must COMMIT between steps.
 *
 * src/run.c
 *
 *-------------------------------------------------------------------------
 */
#include "medallion.h"

#include <sys/stat.h>
#include <limits.h>
#include <stdlib.h>

#include "catalog/pg_authid.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(medallion_landing_files);

/* the registered source names, longest first */
static List *
source_names(void)
{
	List	   *names = NIL;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT name FROM medallion.sources ORDER BY length(name) DESC, name",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read medallion.sources");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);

		names = lappend(names, MemoryContextStrdup(TopTransactionContext, name));
	}
	SPI_finish();
	return names;
}

/*
 * medallion.landing_files() RETURNS TABLE (source, path, size, modified):
 * in no particular order; medallion_run sorts them.
 */
Datum
medallion_landing_files(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const char *landing = medallion_landing_dir;
	char		real_landing[PATH_MAX];
	List	   *names;
	DIR		   *dir;
	struct dirent *de;
	int			guc_level;

	if (!superuser() && !has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to list the landing directory"),
				 errdetail("Only roles with privileges of the \"%s\" role may read server files.",
						   "pg_read_server_files")));
	if (landing == NULL || landing[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("medallion.landing_dir is not set"),
				 errhint("ALTER SYSTEM SET medallion.landing_dir = '/srv/landing'; SELECT pg_reload_conf();")));
	if (realpath(landing, real_landing) == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not access medallion.landing_dir \"%s\": %m", landing)));

	guc_level = medallion_pin_gucs();
	names = source_names();
	medallion_restore_gucs(guc_level);

	InitMaterializedSRF(fcinfo, 0);

	dir = AllocateDir(real_landing);
	while ((de = ReadDir(dir, real_landing)) != NULL)
	{
		char		full[PATH_MAX];
		char		real[PATH_MAX];
		struct stat st;
		const char *source = NULL;
		ListCell   *lc;
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		if (de->d_name[0] == '.')
			continue;			/* hidden, and partial uploads of many tools */
		foreach(lc, names)
		{
			const char *name = lfirst(lc);

			if (strncmp(de->d_name, name, strlen(name)) == 0)
			{
				source = name;
				break;
			}
		}
		if (source == NULL)
			continue;
		snprintf(full, sizeof(full), "%s/%s", real_landing, de->d_name);
		/* a symbolic link is listed by its target; ingest checks where it leads */
		if (stat(full, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (realpath(full, real) == NULL)
			continue;

		values[0] = CStringGetTextDatum(source);
		values[1] = CStringGetTextDatum(real);
		values[2] = Int64GetDatum((int64) st.st_size);
		values[3] = TimestampTzGetDatum(time_t_to_timestamptz(st.st_mtime));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	FreeDir(dir);
	return (Datum) 0;
}
