/*-------------------------------------------------------------------------
 *
 * bronze.c
 *	  medallion_ingest_csv: loads one CSV file into bronze.<source>.
 *
 * The file is streamed through the CSV core (csv_reader.c) and written with
 * the multi-insert path COPY uses (bulk_insert.c).  Each field's text is
 * stored exactly as it was in the file; each row gets the batch id and the
 * physical line it started on.  Malformed records go to bronze.rejects with
 * their raw bytes while the rest of the file loads.  Everything happens in
 * the caller's transaction, so a file loads whole or not at all.
 *
 * Files are refused (a "failed" batch and a WARNING, no rows) when the header
 * lacks a required column, names a column twice, or the source's reject
 * limit is exceeded.  Problems with the call itself (no privilege, unknown
 * source, bad path, unreadable file) are ERRORs.
 *
 * src/bronze.c
 *
 *-------------------------------------------------------------------------
 */
#include "medallion.h"
#include "csv_reader.h"

#include <sys/stat.h>
#include <limits.h>
#include <stdlib.h>

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "access/xact.h"
#include "catalog/heap.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/progress.h"
#include "common/cryptohash.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/fd.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(medallion_ingest_csv);

/* A registered source (a row of medallion.sources). */
typedef struct SourceInfo
{
	char	   *name;
	Oid			relid;			/* bronze table */
	char	   *relname;		/* its schema-qualified, quoted name */
	List	   *required;		/* required column names */
	char		delimiter;
	int64		reject_limit;	/* -1: no limit */
} SourceInfo;

/* State of one medallion_ingest_csv call. */
typedef struct IngestState
{
	SourceInfo *source;
	char	   *path;			/* real path of the file */
	FILE	   *fp;
	int64		size;
	int64		bytes_read;		/* written by read_input, maybe on the parse thread */
	int			read_errno;		/* errno of a failed read */
	pg_cryptohash_ctx *sha;		/* NULL once the hash is known */
	char		sha_hex[65];
	bool		have_sha;
	int64		batch_id;
	TimestampTz started_at;
	char	   *loaded_by;

	MemoryContext cxt;			/* lives for the call */
	MemoryContext record_cxt;	/* reset after every rejected record */
	CsvReader  *reader;
	int64		cur_line;		/* for the error context */

	/* header */
	int			nfields;		/* fields in the header, trailing empty one too */
	bool		trailing_empty; /* header ends with an empty name */
	char	  **names;			/* lower-cased, trimmed header names */
	int		   *attmap;			/* header field -> bronze attribute index, -1 */

	BulkInserter data;
	BulkInserter rejects;
	bool		rejects_open;
	int64		rows_loaded;
	int64		rows_rejected;
	char	   *refusal;		/* why the file was refused, or NULL */
} IngestState;

static int	spi_exec_as_owner(const char *sql, int nargs, Oid *argtypes,
							  Datum *values, const char *nulls, long tcount);
static SourceInfo *lookup_source(const char *name);
static char *resolve_input_path(const char *path);
static void open_input(IngestState *st);
static void hash_whole_file(IngestState *st);
static int64 find_duplicate(IngestState *st);
static int64 insert_batch(IngestState *st, const char *status, const char *error);
static void finish_batch(IngestState *st, const char *status);
static void load_records(IngestState *st);

/*
 * medallion_ingest_csv(source text, path text, force boolean DEFAULT false)
 *	  returns (batch_id, status, rows_loaded, rows_rejected)
 */
Datum
medallion_ingest_csv(PG_FUNCTION_ARGS)
{
	IngestState *st;
	TupleDesc	tupdesc;
	Datum		result[4];
	bool		nulls[4] = {false, false, false, false};
	const char *status;
	int64		earlier;
	int			guc_level;
	MemoryContext cxt;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source and path must not be null")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	if (!superuser() && !has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to load files into bronze"),
				 errdetail("Only roles with privileges of the \"%s\" role may load files from the server.",
						   "pg_read_server_files")));
	if (GetDatabaseEncoding() != PG_UTF8 && GetDatabaseEncoding() != PG_SQL_ASCII)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("medallion requires a UTF8 database"),
				 errdetail("The database encoding is %s.", GetDatabaseEncodingName())));

	cxt = AllocSetContextCreate(CurrentMemoryContext, "medallion ingest",
								ALLOCSET_DEFAULT_SIZES);
	st = MemoryContextAllocZero(cxt, sizeof(IngestState));
	st->cxt = cxt;
	st->record_cxt = AllocSetContextCreate(cxt, "medallion ingest record",
										   ALLOCSET_DEFAULT_SIZES);
	st->started_at = GetCurrentTimestamp();
	st->loaded_by = MemoryContextStrdup(cxt, GetUserNameFromId(GetUserId(), false));

	/* all SQL below runs with a safe search_path */
	guc_level = medallion_pin_gucs();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	st->source = lookup_source(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	st->path = resolve_input_path(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	open_input(st);

	/*
	 * Serialise loads of equally large files into one source, so that two
	 * sessions loading the same file cannot both miss the other's batch.
	 */
	{
		LOCKTAG		tag;

		SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, MEDALLION_LOCK_INGEST,
							 (uint32) hash_bytes_uint32((uint32) st->size) ^
							 (uint32) st->source->relid, 2);
		(void) LockAcquire(&tag, ExclusiveLock, false, false);
	}

	earlier = find_duplicate(st);
	if (earlier > 0 && !(!PG_ARGISNULL(2) && PG_GETARG_BOOL(2)))
	{
		char	   *why = psprintf("same content as batch " INT64_FORMAT, earlier);

		st->batch_id = insert_batch(st, "duplicate", why);
		status = "duplicate";
		ereport(NOTICE,
				(errmsg("file \"%s\" was already loaded as batch " INT64_FORMAT,
						st->path, earlier),
				 errdetail("Batch " INT64_FORMAT " is recorded as a duplicate and loads nothing.",
						   st->batch_id),
				 errhint("Pass force => true to load it again.")));
	}
	else
	{
		st->batch_id = insert_batch(st, "loaded", NULL);
		load_records(st);
		status = st->refusal ? "failed" : "loaded";
		finish_batch(st, status);
		if (st->refusal)
			ereport(WARNING,
					(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
					 errmsg("file \"%s\" refused: %s", st->path, st->refusal),
					 errdetail("Batch " INT64_FORMAT " of source \"%s\" is recorded as failed; no rows were loaded.",
							   st->batch_id, st->source->name)));
	}

	if (st->sha)
		pg_cryptohash_free(st->sha);	/* the file was refused before its end */
	FreeFile(st->fp);
	SPI_finish();
	medallion_restore_gucs(guc_level);

	result[0] = Int64GetDatum(st->batch_id);
	result[1] = CStringGetTextDatum(status);
	result[2] = Int64GetDatum(st->rows_loaded);
	result[3] = Int64GetDatum(st->rows_rejected);
	MemoryContextDelete(cxt);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, result, nulls)));
}

/* ---------------------------------------------------------------------
 * Catalog access
 *
 * medallion's catalogs (sources, batches, schema_changes) and the bronze
 * tables' definitions are maintained by the loader on the caller's behalf,
 * so those statements run as the catalog owner.  The caller's own rights
 * are checked where they matter: pg_read_server_files above, and INSERT on
 * the bronze table in bulk_inserter_open().
 * ---------------------------------------------------------------------
 */


/* Runs one statement through SPI as the catalog owner; returns SPI's code. */
static int
spi_exec_as_owner(const char *sql, int nargs, Oid *argtypes, Datum *values,
				  const char *nulls, long tcount)
{
	Oid			save_userid;
	int			save_sec;
	int			rc;

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(medallion_owner(),
						   save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	rc = SPI_execute_with_args(sql, nargs, argtypes, values, nulls, false, tcount);
	/* on error, transaction abort restores the user */
	SetUserIdAndSecContext(save_userid, save_sec);
	if (rc < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	return rc;
}

/* Looks a source up; an unregistered one is an error listing the others. */
static SourceInfo *
lookup_source(const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};
	SourceInfo *src;
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	Datum		d;
	Datum	   *elems;
	int			nelems;
	char	   *delim;

	spi_exec_as_owner("SELECT s.bronze_table::pg_catalog.oid, s.required_columns, "
					  "s.delimiter, s.reject_limit "
					  "FROM medallion.sources s WHERE s.name = $1",
					  1, argtypes, args, NULL, 1);
	if (SPI_processed == 0)
	{
		char	   *known = NULL;

		spi_exec_as_owner("SELECT pg_catalog.string_agg(s.name, ', ' ORDER BY s.name) "
						  "FROM medallion.sources s", 0, NULL, NULL, NULL, 1);
		if (SPI_processed > 0)
			known = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("source \"%s\" is not registered", name),
				 known ? errdetail("Registered sources: %s.", known)
				 : errdetail("No source is registered."),
				 errhint("Register a source with medallion_register_source().")));
	}

	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	src = palloc0(sizeof(SourceInfo));
	src->name = pstrdup(name);
	src->relid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
	src->relname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(src->relid)),
											  get_rel_name(src->relid));
	if (src->relname == NULL || get_rel_name(src->relid) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("bronze table of source \"%s\" does not exist", name)));

	d = SPI_getbinval(tup, desc, 2, &isnull);
	if (!isnull)
	{
		deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
						  &elems, NULL, &nelems);
		for (int i = 0; i < nelems; i++)
			src->required = lappend(src->required, TextDatumGetCString(elems[i]));
	}
	delim = SPI_getvalue(tup, desc, 3);
	src->delimiter = delim ? delim[0] : ',';
	d = SPI_getbinval(tup, desc, 4, &isnull);
	src->reject_limit = isnull ? -1 : DatumGetInt64(d);
	return src;
}

/*
 * Resolves path to the real file it names.  Relative paths are taken
 * relative to medallion.landing_dir; when that is set, the real path must
 * lie inside it, so neither ".." nor a symbolic link can lead out.
 */
static char *
resolve_input_path(const char *path)
{
	const char *landing = medallion_landing_dir;
	bool		have_landing = landing != NULL && landing[0] != '\0';
	char	   *full;
	char		real[PATH_MAX];
	char		real_landing[PATH_MAX];

	if (path[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("path must not be empty")));

	if (is_absolute_path(path))
		full = pstrdup(path);
	else if (have_landing)
		full = psprintf("%s/%s", landing, path);
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relative path \"%s\" not allowed", path),
				 errhint("Give an absolute path, or set medallion.landing_dir.")));

	if (realpath(full, real) == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", full)));

	if (have_landing)
	{
		size_t		n;

		if (realpath(landing, real_landing) == NULL)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not access medallion.landing_dir \"%s\": %m", landing)));
		n = strlen(real_landing);
		if (strncmp(real, real_landing, n) != 0 ||
			(real[n] != '/' && real_landing[n - 1] != '/'))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("file \"%s\" is outside medallion.landing_dir", path),
					 errdetail("The file resolves to \"%s\", which is not inside \"%s\".",
							   real, real_landing)));
	}
	return pstrdup(real);
}

/* Opens the file, refusing anything but a regular file. */
static void
open_input(IngestState *st)
{
	struct stat sb;

	if (stat(st->path, &sb) < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", st->path)));
	if (S_ISDIR(sb.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a directory", st->path)));
	if (!S_ISREG(sb.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a regular file", st->path)));

	st->fp = AllocateFile(st->path, PG_BINARY_R);
	if (st->fp == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", st->path)));
	st->size = sb.st_size;
	st->sha = pg_cryptohash_create(PG_SHA256);
	if (st->sha == NULL || pg_cryptohash_init(st->sha) < 0)
		elog(ERROR, "could not initialize SHA-256 context");
}

static void
finish_hash(IngestState *st)
{
	uint8		digest[32];
	static const char hex[] = "0123456789abcdef";

	if (pg_cryptohash_final(st->sha, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not finalize SHA-256 digest");
	for (int i = 0; i < 32; i++)
	{
		st->sha_hex[2 * i] = hex[digest[i] >> 4];
		st->sha_hex[2 * i + 1] = hex[digest[i] & 0x0F];
	}
	st->sha_hex[64] = '\0';
	st->have_sha = true;
	pg_cryptohash_free(st->sha);
	st->sha = NULL;
}

/* Hashes the whole file, then rewinds it for loading. */
static void
hash_whole_file(IngestState *st)
{
	char	   *buf = palloc(64 * 1024);
	size_t		n;

	while ((n = fread(buf, 1, 64 * 1024, st->fp)) > 0)
	{
		CHECK_FOR_INTERRUPTS();
		if (pg_cryptohash_update(st->sha, (uint8 *) buf, n) < 0)
			elog(ERROR, "could not update SHA-256 digest");
	}
	if (ferror(st->fp))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", st->path)));
	finish_hash(st);
	rewind(st->fp);
	pfree(buf);
}

/*
 * Returns the loaded batch of this source with the same content, or 0.
 * Only files of the same size can match, so the file is hashed up front
 * only then; otherwise it is hashed while it loads.
 */
static int64
find_duplicate(IngestState *st)
{
	Oid			argtypes[2] = {TEXTOID, INT8OID};
	Datum		args[2] = {CStringGetTextDatum(st->source->name), Int64GetDatum(st->size)};

	spi_exec_as_owner("SELECT b.batch_id, b.sha256 FROM medallion.batches b "
					  "WHERE b.source = $1 AND b.size = $2 AND b.status = 'loaded' "
					  "ORDER BY b.batch_id",
					  2, argtypes, args, NULL, 0);
	if (SPI_processed == 0)
		return 0;

	hash_whole_file(st);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *sha = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		bool		isnull;

		if (sha && strcmp(sha, st->sha_hex) == 0)
			return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
											   SPI_tuptable->tupdesc, 1, &isnull));
	}
	return 0;
}

/* Inserts the batch row and returns its id. */
static int64
insert_batch(IngestState *st, const char *status, const char *error)
{
	Oid			argtypes[8] = {TEXTOID, TEXTOID, INT8OID, TEXTOID, TEXTOID,
	TIMESTAMPTZOID, TEXTOID, TEXTOID};
	Datum		args[8];
	char		nulls[8];
	bool		isnull;
	bool		final = strcmp(status, "loaded") != 0;

	memset(nulls, ' ', sizeof(nulls));
	args[0] = CStringGetTextDatum(st->source->name);
	args[1] = CStringGetTextDatum(st->path);
	args[2] = Int64GetDatum(st->size);
	args[3] = st->have_sha ? CStringGetTextDatum(st->sha_hex) : (Datum) 0;
	nulls[3] = st->have_sha ? ' ' : 'n';
	args[4] = CStringGetTextDatum(status);
	args[5] = TimestampTzGetDatum(st->started_at);
	args[6] = CStringGetTextDatum(st->loaded_by);
	args[7] = error ? CStringGetTextDatum(error) : (Datum) 0;
	nulls[7] = error ? ' ' : 'n';

	spi_exec_as_owner(final ?
					  "INSERT INTO medallion.batches (source, path, size, sha256, status, "
					  "started_at, loaded_by, error, finished_at) "
					  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, pg_catalog.clock_timestamp()) "
					  "RETURNING batch_id" :
					  "INSERT INTO medallion.batches (source, path, size, sha256, status, "
					  "started_at, loaded_by, error) "
					  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING batch_id",
					  8, argtypes, args, nulls, 1);
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
									   1, &isnull));
}

/* Records the outcome of the load in the batch row. */
static void
finish_batch(IngestState *st, const char *status)
{
	Oid			argtypes[6] = {INT8OID, TEXTOID, TEXTOID, INT8OID, INT8OID, TEXTOID};
	Datum		args[6];
	char		nulls[6];

	memset(nulls, ' ', sizeof(nulls));
	args[0] = Int64GetDatum(st->batch_id);
	args[1] = CStringGetTextDatum(status);
	args[2] = st->have_sha ? CStringGetTextDatum(st->sha_hex) : (Datum) 0;
	nulls[2] = st->have_sha ? ' ' : 'n';
	args[3] = Int64GetDatum(st->rows_loaded);
	args[4] = Int64GetDatum(st->rows_rejected);
	args[5] = st->refusal ? CStringGetTextDatum(st->refusal) : (Datum) 0;
	nulls[5] = st->refusal ? ' ' : 'n';

	spi_exec_as_owner("UPDATE medallion.batches SET status = $2, sha256 = $3, "
					  "rows_loaded = $4, rows_rejected = $5, error = $6, "
					  "finished_at = pg_catalog.clock_timestamp() "
					  "WHERE batch_id = $1",
					  6, argtypes, args, nulls, 0);
}

/* ---------------------------------------------------------------------
 * Loading
 * ---------------------------------------------------------------------
 */

static void
ingest_error_callback(void *arg)
{
	IngestState *st = arg;

	if (st->cur_line > 0)
		errcontext("CSV file \"%s\", line " INT64_FORMAT, st->path, st->cur_line);
	else
		errcontext("CSV file \"%s\"", st->path);
}

/*
 * CsvReadFn: reads the file and hashes it.  With medallion.parallel_parse it
 * runs on the parse thread, so it must not touch anything of the server's
 * but the file and the hash context: no errors, no interrupts, no memory
 * contexts.  A failed read returns -1 and keeps errno for reader_failed().
 */
static long
read_input(void *arg, char *buf, size_t size)
{
	IngestState *st = arg;
	size_t		n;

	n = fread(buf, 1, size, st->fp);
	if (n < size && ferror(st->fp))
	{
		st->read_errno = errno;
		return -1;
	}
	if (st->sha && n > 0 && pg_cryptohash_update(st->sha, (uint8 *) buf, n) < 0)
	{
		st->read_errno = 0;
		return -1;
	}
	__atomic_store_n(&st->bytes_read, st->bytes_read + (int64) n, __ATOMIC_RELAXED);
	return (long) n;
}

/* The load in progress, whose parse thread must stop if it aborts. */
static IngestState *active_ingest = NULL;

/* Stops and frees the reader (its parse thread, libcsv's buffers). */
static void
release_reader(IngestState *st)
{
	if (active_ingest == st)
		active_ingest = NULL;
	csv_reader_free(st->reader);
	st->reader = NULL;
}

/* Memory context callback: frees the reader with the call's memory. */
static void
free_reader(void *arg)
{
	release_reader((IngestState *) arg);
}

/*
 * Resource release callback: on abort, stop the parse thread before the
 * transaction closes the file it reads (files are closed before memory
 * contexts are freed).
 */
void
medallion_bronze_release(ResourceReleasePhase phase, bool isCommit,
						 bool isTopLevel, void *arg)
{
	if (!isCommit && phase == RESOURCE_RELEASE_BEFORE_LOCKS && active_ingest != NULL)
		release_reader(active_ingest);
}

/* wait hook of the CSV core: keep the backend responsive to cancels */
static void
check_interrupts(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

/* Reports progress in pg_stat_progress_copy. */
static void
report_progress(IngestState *st)
{
	const int	index[] = {PROGRESS_COPY_BYTES_PROCESSED, PROGRESS_COPY_TUPLES_PROCESSED};
	const int64 val[] = {__atomic_load_n(&st->bytes_read, __ATOMIC_RELAXED), st->rows_loaded};

	pgstat_progress_update_multi_param(2, index, val);
}

/* Raises the error the CSV core reported. */
static void
reader_failed(IngestState *st)
{
	if (csv_reader_error(st->reader) == CSV_READER_OUT_OF_MEMORY)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while parsing CSV file \"%s\"", st->path)));
	if (st->read_errno == 0)
		elog(ERROR, "could not update SHA-256 digest of file \"%s\"", st->path);
	errno = st->read_errno;
	ereport(ERROR,
			(errcode_for_file_access(),
			 errmsg("could not read file \"%s\": %m", st->path)));
}

/* Describes what is wrong with a malformed record, for bronze.rejects. */
static char *
record_problem(IngestState *st, CsvRecord *rec)
{
	int			f = rec->bad_field;

	switch (rec->status)
	{
		case CSV_RECORD_OK:
			if (st->trailing_empty)
				return psprintf("wrong number of fields: expected %d or %d, found %d",
								st->nfields - 1, st->nfields, rec->nfields);
			return psprintf("wrong number of fields: expected %d, found %d",
							st->nfields, rec->nfields);
		case CSV_RECORD_QUOTE_IN_UNQUOTED:
			return psprintf("quote inside unquoted field %d", f);
		case CSV_RECORD_TEXT_AFTER_QUOTE:
			return psprintf("text after the closing quote of field %d", f);
		case CSV_RECORD_BARE_CR:
			return pstrdup("carriage return outside quotes not followed by a line feed");
		case CSV_RECORD_UNTERMINATED_QUOTE:
			return psprintf("quoted field %d not terminated at end of file", f);
		case CSV_RECORD_FIELD_TOO_LARGE:
			return psprintf("field %d longer than medallion.max_field_size (%d bytes)",
							f, medallion_max_field_size);
		case CSV_RECORD_NUL_BYTE:
			return psprintf("field %d contains a NUL byte", f);
		case CSV_RECORD_INVALID_UTF8:
			return psprintf("field %d is not valid UTF-8", f);
	}
	return pstrdup("malformed record");
}

/* Writes a malformed record to bronze.rejects. */
static void
add_reject(IngestState *st, CsvRecord *rec)
{
	MemoryContext oldcxt;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	bytea	   *raw;
	char	   *reason;

	if (!st->rejects_open)
	{
		Oid			relid = get_relname_relid("rejects",
											  get_namespace_oid("bronze", false));

		bulk_inserter_open(&st->rejects, relid, false);
		if (RelationGetDescr(st->rejects.rel)->natts != 4)
			elog(ERROR, "bronze.rejects does not have the expected columns");
		st->rejects_open = true;
	}

	/* the row is copied into the inserter's slot, so build it short-lived */
	oldcxt = MemoryContextSwitchTo(st->record_cxt);
	raw = palloc(VARHDRSZ + rec->raw_len);
	reason = record_problem(st, rec);

	if (rec->raw_truncated)
		reason = psprintf("%s; raw bytes cut to the first %zu", reason, rec->raw_len);
	SET_VARSIZE(raw, VARHDRSZ + rec->raw_len);
	memcpy(VARDATA(raw), rec->raw, rec->raw_len);

	values[0] = Int64GetDatum(st->batch_id);
	values[1] = Int64GetDatum(rec->line);
	values[2] = PointerGetDatum(raw);
	values[3] = CStringGetTextDatum(reason);

	bulk_inserter_add(&st->rejects, values, nulls, rec->raw_len + 64);

	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(st->record_cxt);
	st->rows_rejected++;
	pgstat_progress_update_param(PROGRESS_COPY_TUPLES_EXCLUDED, st->rows_rejected);
}

static bool
is_ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Header name as a column name: trimmed, ASCII letters lower-cased. */
static char *
column_name(const char *s, size_t len)
{
	char	   *name;

	while (len > 0 && is_ascii_space(s[0]))
		s++, len--;
	while (len > 0 && is_ascii_space(s[len - 1]))
		len--;
	name = pnstrdup(s, len);
	for (char *p = name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	return name;
}

/* Checks the header; returns why the file is refused, or NULL. */
static char *
read_header(IngestState *st, CsvRecord *rec)
{
	StringInfoData missing;
	ListCell   *lc;

	if (rec->status != CSV_RECORD_OK)
		return psprintf("malformed header: %s", record_problem(st, rec));
	if (rec->fields == NULL)
		return psprintf("header has more than %d columns", MaxHeapAttributeNumber);

	st->nfields = rec->nfields;
	st->names = palloc(rec->nfields * sizeof(char *));
	for (int i = 0; i < rec->nfields; i++)
	{
		char	   *name = column_name(rec->fields[i], rec->lengths[i]);

		st->names[i] = name;
		if (name[0] == '\0')
		{
			if (i == rec->nfields - 1)
			{
				st->trailing_empty = true;
				continue;
			}
			return psprintf("header column %d has an empty name", i + 1);
		}
		if (strlen(name) >= NAMEDATALEN)
			return psprintf("header column %d has a name longer than %d bytes",
							i + 1, NAMEDATALEN - 1);
		if (strcmp(name, "_batch_id") == 0 || strcmp(name, "_line") == 0 ||
			SystemAttributeByName(name) != NULL)
			return psprintf("header column \"%s\" has a reserved name", name);
		for (int j = 0; j < i; j++)
			if (strcmp(st->names[j], name) == 0)
				return psprintf("column \"%s\" appears more than once in the header", name);
	}

	initStringInfo(&missing);
	foreach(lc, st->source->required)
	{
		char	   *req = lfirst(lc);
		bool		found = false;

		for (int i = 0; i < st->nfields && !found; i++)
			found = strcmp(st->names[i], req) == 0;
		if (!found)
			appendStringInfo(&missing, "%s%s", missing.len ? ", " : "", req);
	}
	if (missing.len > 0)
		return psprintf("missing required columns: %s", missing.data);
	return NULL;
}

/*
 * Adds header columns the bronze table lacks, logging each in
 * medallion.schema_changes.
 */
static void
add_new_columns(IngestState *st)
{
	bool		locked = false;

	for (int i = 0; i < st->nfields; i++)
	{
		const char *name = st->names[i];
		Oid			argtypes[3] = {INT8OID, TEXTOID, TEXTOID};
		Datum		args[3];

		if (name[0] == '\0' || get_attnum(st->source->relid, name) != InvalidAttrNumber)
			continue;
		if (!locked)
		{
			/* another load may be adding the same column: look again */
			LockRelationOid(st->source->relid, AccessExclusiveLock);
			locked = true;
			if (get_attnum(st->source->relid, name) != InvalidAttrNumber)
				continue;
		}

		spi_exec_as_owner(psprintf("ALTER TABLE %s ADD COLUMN %s text",
								   st->source->relname, quote_identifier(name)),
						  0, NULL, NULL, NULL, 0);
		args[0] = Int64GetDatum(st->batch_id);
		args[1] = CStringGetTextDatum(st->source->name);
		args[2] = CStringGetTextDatum(name);
		spi_exec_as_owner("INSERT INTO medallion.schema_changes "
						  "(batch_id, source, column_name, change) "
						  "VALUES ($1, $2, $3, 'column added')",
						  3, argtypes, args, NULL, 0);
		ereport(NOTICE,
				(errmsg("column \"%s\" added to %s", name, st->source->relname)));
	}
}

/*
 * Undoes the rows this batch wrote, after its reject limit was exceeded
 * (the rejects stay, to show why the file failed).
 */
static void
discard_batch_rows(IngestState *st)
{
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(st->batch_id)};

	CommandCounterIncrement();
	spi_exec_as_owner(psprintf("DELETE FROM %s WHERE _batch_id OPERATOR(pg_catalog.=) $1",
							   st->source->relname),
					  1, argtypes, args, NULL, 0);
	st->rows_loaded = 0;
}

/* Streams the file into the bronze table. */
static void
load_records(IngestState *st)
{
	CsvReaderOptions opts;
	MemoryContextCallback *cb;
	ErrorContextCallback errcallback;
	CsvRecord	rec;
	TupleDesc	desc;
	Datum	   *values;
	bool	   *nulls;
	int			batch_att;
	int			line_att;
	int			rc;
	MemoryContext oldcxt = MemoryContextSwitchTo(st->cxt);

	csv_reader_default_options(&opts);
	opts.delimiter = st->source->delimiter;
	opts.max_field_size = medallion_max_field_size;
	opts.header_room = VARHDRSZ;
	opts.wait_hook = check_interrupts;
	st->reader = csv_reader_create(&opts, read_input, st);
	if (st->reader == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = free_reader;
	cb->arg = st;
	MemoryContextRegisterResetCallback(st->cxt, cb);
	csv_reader_set_max_fields(st->reader, MaxHeapAttributeNumber);

	errcallback.callback = ingest_error_callback;
	errcallback.arg = st;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	pgstat_progress_start_command(PROGRESS_COMMAND_COPY, st->source->relid);
	{
		const int	index[] = {PROGRESS_COPY_COMMAND, PROGRESS_COPY_TYPE,
		PROGRESS_COPY_BYTES_TOTAL};
		const int64 val[] = {PROGRESS_COPY_COMMAND_FROM, PROGRESS_COPY_TYPE_FILE,
		st->size};

		pgstat_progress_update_multi_param(3, index, val);
	}

	/* the header */
	st->cur_line = 1;
	rc = csv_reader_next(st->reader, &rec);
	if (rc < 0)
		reader_failed(st);
	if (rc == 0)
		st->refusal = pstrdup(st->size == 0 ? "file is empty" : "file has no header row");
	else
		st->refusal = read_header(st, &rec);
	if (st->refusal)
		goto done;
	report_progress(st);

	add_new_columns(st);

	bulk_inserter_open(&st->data, st->source->relid, true);
	desc = RelationGetDescr(st->data.rel);
	batch_att = get_attnum(st->source->relid, "_batch_id") - 1;
	line_att = get_attnum(st->source->relid, "_line") - 1;
	if (batch_att < 0 || line_att < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("bronze table %s lacks the _batch_id and _line columns",
						st->source->relname)));
	st->attmap = palloc(st->nfields * sizeof(int));
	for (int i = 0; i < st->nfields; i++)
		st->attmap[i] = st->names[i][0] ? get_attnum(st->source->relid, st->names[i]) - 1 : -1;

	values = palloc0(desc->natts * sizeof(Datum));
	nulls = palloc(desc->natts * sizeof(bool));
	memset(nulls, true, desc->natts * sizeof(bool));
	values[batch_att] = Int64GetDatum(st->batch_id);
	nulls[batch_att] = false;
	nulls[line_att] = false;
	csv_reader_set_max_fields(st->reader, st->nfields);

	/* the header was read here; the rest is parsed on a second core */
	if (medallion_parallel_parse && csv_reader_start_thread(st->reader) == 0)
		active_ingest = st;

	while ((rc = csv_reader_next(st->reader, &rec)) == 1)
	{
		CHECK_FOR_INTERRUPTS();
		st->cur_line = rec.line;

		if (rec.status != CSV_RECORD_OK ||
			!(rec.nfields == st->nfields ||
			  (st->trailing_empty && rec.nfields == st->nfields - 1)))
		{
			add_reject(st, &rec);
			if (st->source->reject_limit >= 0 &&
				st->rows_rejected > st->source->reject_limit)
			{
				st->refusal = psprintf("reject limit of " INT64_FORMAT " exceeded at line " INT64_FORMAT,
									   st->source->reject_limit, rec.line);
				bulk_inserter_discard(&st->data);
				bulk_inserter_close(&st->data);
				discard_batch_rows(st);
				goto done;
			}
			continue;
		}

		/* the core left VARHDRSZ bytes before each field for the header */
		for (int i = 0; i < rec.nfields; i++)
		{
			int			att = st->attmap[i];
			char	   *p = rec.fields[i] - VARHDRSZ;

			if (att < 0)
				continue;
			SET_VARSIZE(p, rec.lengths[i] + VARHDRSZ);
			values[att] = PointerGetDatum(p);
			nulls[att] = false;
		}
		values[line_att] = Int64GetDatum(rec.line);
		bulk_inserter_add(&st->data, values, nulls, rec.raw_len + 1);

		if ((++st->rows_loaded & 1023) == 0)
			report_progress(st);
	}
	if (rc < 0)
		reader_failed(st);
	bulk_inserter_close(&st->data);
	report_progress(st);

	if (st->bytes_read != st->size)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("file \"%s\" changed while it was being loaded", st->path),
				 errdetail("Its size was " INT64_FORMAT " bytes when the load started and " INT64_FORMAT " bytes were read.",
						   st->size, st->bytes_read),
				 errhint("Load the file once it is completely written.")));
	if (st->sha)
		finish_hash(st);

done:
	release_reader(st);
	if (st->rejects_open)
		bulk_inserter_close(&st->rejects);
	pgstat_progress_end_command();
	error_context_stack = errcallback.previous;
	MemoryContextSwitchTo(oldcxt);
}
