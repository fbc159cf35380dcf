/*-------------------------------------------------------------------------
 *
 * csv_reader.h
 *	  Streaming RFC 4180 record reader built on libcsv.
 *
 * This is a pure C core: it takes bytes from a read callback and returns
 * records as plain C structs, with no PostgreSQL calls, so it can be unit
 * tested (test/unit) and fuzzed (test/fuzz) outside the server.  The
 * bronze loader (bronze.c) is the PostgreSQL glue around it.
 *
 * The reader is strict: a record that breaks RFC 4180 is returned with a
 * status saying why instead of being silently repaired, together with its
 * raw bytes and the physical line it starts on.
 *
 * src/csv_reader.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MEDALLION_CSV_READER_H
#define MEDALLION_CSV_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why a record is malformed; CSV_RECORD_OK for a well-formed one. */
typedef enum CsvRecordStatus
{
	CSV_RECORD_OK = 0,
	CSV_RECORD_QUOTE_IN_UNQUOTED,	/* a quote inside an unquoted field */
	CSV_RECORD_TEXT_AFTER_QUOTE,	/* text after the closing quote of a field */
	CSV_RECORD_BARE_CR,			/* carriage return outside quotes, not before LF */
	CSV_RECORD_UNTERMINATED_QUOTE,	/* quoted field still open at end of file */
	CSV_RECORD_FIELD_TOO_LARGE, /* a field longer than max_field_size */
	CSV_RECORD_NUL_BYTE,		/* a field holds a NUL byte */
	CSV_RECORD_INVALID_UTF8		/* a field is not valid UTF-8 */
} CsvRecordStatus;

/*
 * One record.  All pointers stay valid until the next csv_reader_next() or
 * csv_reader_start_thread() call.  Fields are stored only for well-formed records; nfields is always
 * the number of fields libcsv saw.
 */
typedef struct CsvRecord
{
	int64_t		line;			/* physical line the record starts on, from 1 */
	CsvRecordStatus status;
	int			bad_field;		/* 1-based field the status is about, or 0 */
	int			nfields;
	char	  **fields;			/* field bytes; header_room writable bytes
								 * precede each, and each is 8-byte aligned
								 * minus header_room */
	size_t	   *lengths;
	const char *raw;			/* the record's bytes without its line end */
	size_t		raw_len;
	bool		raw_truncated;	/* raw holds only the first max_field_size
								 * bytes of an over-long record */
} CsvRecord;

/* Reads up to size bytes into buf: bytes read, 0 at end of input, < 0 on error. */
typedef long (*CsvReadFn) (void *arg, char *buf, size_t size);

typedef struct CsvReaderOptions
{
	char		delimiter;		/* field separator, ',' by default */
	size_t		max_field_size; /* longest field accepted, in bytes */
	size_t		header_room;	/* free bytes kept before each field */
	size_t		chunk_size;		/* bytes asked of read_fn per call */
	bool		skip_bom;		/* drop a UTF-8 byte order mark at the start */
	size_t		batch_size;		/* parse thread: bytes of records per hand-over */
	/* parse thread: called every 50 ms while the consumer waits for records */
	void		(*wait_hook) (void *arg);
	void	   *wait_arg;
} CsvReaderOptions;

/* Errors of csv_reader_next() (the record status is something else). */
typedef enum CsvReaderError
{
	CSV_READER_NO_ERROR = 0,
	CSV_READER_READ_FAILED,		/* read_fn returned < 0 */
	CSV_READER_OUT_OF_MEMORY
} CsvReaderError;

typedef struct CsvReader CsvReader;

extern void csv_reader_default_options(CsvReaderOptions *opts);
extern CsvReader *csv_reader_create(const CsvReaderOptions *opts,
									CsvReadFn read_fn, void *read_arg);
extern int	csv_reader_next(CsvReader *reader, CsvRecord *record);
extern CsvReaderError csv_reader_error(const CsvReader *reader);
extern void csv_reader_set_max_fields(CsvReader *reader, int max_fields);
extern int	csv_reader_start_thread(CsvReader *reader);
extern void csv_reader_free(CsvReader *reader);

/* UTF-8 check used on every field: CSV_RECORD_OK, _NUL_BYTE or _INVALID_UTF8. */
extern CsvRecordStatus csv_check_utf8(const char *s, size_t len);

#endif							/* MEDALLION_CSV_READER_H */
