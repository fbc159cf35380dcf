/*-------------------------------------------------------------------------
 *
 * csv_reader.c
 *	  Streaming RFC 4180 record reader built on libcsv.
 *
 * libcsv does the field parsing; this file adds what a loader needs on top:
 * the physical line each record starts on, the record's raw bytes (for the
 * rejects table), strict error recovery and bounded memory.
 *
 * Input is fed to libcsv one piece at a time, a piece ending at a line feed
 * or at the end of the buffered input.  Because only unquoted CR and LF end
 * a libcsv row, and a piece holds at most one LF (its last byte), the record
 * boundaries fall on piece boundaries and the line count is exact.
 *
 * Rules (SPEC section 8):
 *	- a quote in an unquoted field, or text after a closing quote, makes the
 *	  record malformed; it ends at the end of that physical line (the error
 *	  position is outside any quoted field, so nothing after it can belong
 *	  to a quoted field of this record);
 *	- a carriage return outside quotes must be followed by a line feed;
 *	- a blank line (nothing but a line end) is skipped;
 *	- the last record needs no line end;
 *	- a field longer than max_field_size, or holding a NUL byte or invalid
 *	  UTF-8, makes the record malformed; libcsv keeps tracking quotes while
 *	  the field's bytes are dropped, so memory stays bounded.
 *
 * src/csv_reader.c
 *
 *-------------------------------------------------------------------------
 */
#include "csv_reader.h"

#include <csv.h>
#include <limits.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_CHUNK_SIZE		(64 * 1024)
#define DEFAULT_MAX_FIELD_SIZE	(1024 * 1024)
#define DEFAULT_MAX_FIELDS		4096
#define LIBCSV_BLOCK_SIZE		(16 * 1024)
/* above this, libcsv's field buffer is released between records */
#define LIBCSV_KEEP_BUFFER		(1024 * 1024)
#define FIELD_ALIGN				8
/* parse thread: batches of records handed to the consumer */
#define DEFAULT_BATCH_SIZE		(256 * 1024)
#define MAX_QUEUED_BATCHES		4
#define WAIT_HOOK_INTERVAL_NS	(50 * 1000 * 1000)

#define ALIGN_UP(x)	(((x) + FIELD_ALIGN - 1) & ~((size_t) FIELD_ALIGN - 1))

/* How the bytes of the current record are being consumed. */
typedef enum ScanMode
{
	SCAN_PARSE,					/* libcsv parses, fields are stored */
	SCAN_DISCARD,				/* record is bad: libcsv only tracks quoting */
	SCAN_TO_LINE_END			/* strict error: skip to the end of the line */
} ScanMode;

/* One row end reported by libcsv (its cb2 callback). */
typedef struct RowEvent
{
	bool		had_fields;		/* false for the empty rows of CSV_REPALL_NL */
	int			term;			/* '\r', '\n', or -1 at end of input */
} RowEvent;

/* What the end of a line means for the record being assembled. */
typedef enum LineEnd
{
	LINE_CONTINUES,				/* the LF is inside a quoted field */
	LINE_BLANK,					/* nothing but a line end: skip it */
	LINE_RECORD_READY
} LineEnd;

/*
 * Records the parse thread hands over, serialised one after another: a
 * SerialRecord, then (for well-formed records) the field lengths and the
 * fields, each field 8-aligned after its header room, then the raw bytes.
 */
typedef struct RecordBatch
{
	struct RecordBatch *next;
	char	   *data;
	size_t		cap;
	size_t		used;
	size_t		read_pos;		/* consumer's position */
} RecordBatch;

typedef struct SerialRecord
{
	int64_t		line;
	int32_t		status;
	int32_t		bad_field;
	int32_t		nfields;
	int32_t		has_fields;
	int32_t		raw_truncated;
	int32_t		pad;
	uint64_t	raw_len;
} SerialRecord;

struct CsvReader
{
	CsvReaderOptions opts;
	int			max_fields;
	CsvReadFn	read_fn;
	void	   *read_arg;
	struct csv_parser parser;
	CsvReaderError error;

	/* input: buf[0, len) is buffered, buf[pos, len) not yet fed to libcsv */
	char	   *buf;
	size_t		cap;
	size_t		len;
	size_t		pos;
	bool		eof;
	bool		bom_checked;
	int64_t		line;			/* line number of buf[pos] */

	/* the record being assembled; its bytes start at buf[rec_start] */
	bool		in_record;
	size_t		rec_start;
	bool		raw_truncated;
	size_t		raw_len;		/* retained bytes, when raw_truncated */
	int64_t		rec_line;
	CsvRecordStatus status;
	int			bad_field;
	ScanMode	mode;
	bool		row_open;		/* libcsv gave fields since its last row end */
	int			nevents;
	int			nrows;
	RowEvent	events[2];		/* the first two row ends */
	bool		lf_event;		/* libcsv ended a row at this piece's LF */

	/* fields of the record, stored in one arena */
	char	   *arena;
	size_t		arena_cap;
	size_t		arena_len;
	size_t	   *offsets;
	size_t	   *lengths;
	char	  **ptrs;
	int			nfields;
	int			fields_cap;

	/* parse thread (csv_reader_start_thread); NULL-initialised otherwise */
	bool		threaded;
	pthread_t	thread;
	pthread_mutex_t mutex;
	pthread_cond_t has_data;	/* a batch was queued, or the thread ended */
	pthread_cond_t has_space;	/* a batch was consumed, or stop was asked */
	RecordBatch *queue_head;	/* batches ready for the consumer */
	RecordBatch *queue_tail;
	int			nqueued;
	RecordBatch *free_batches;
	bool		thread_done;
	int			thread_rc;		/* 0 at end of input, -1 on error */
	bool		stop;
	RecordBatch *current;		/* the consumer's batch */
	char	  **out_ptrs;		/* the consumer's field pointers */
	int			out_cap;
};

static int
never_space(unsigned char c)
{
	(void) c;
	return 0;
}

void
csv_reader_default_options(CsvReaderOptions *opts)
{
	opts->delimiter = ',';
	opts->max_field_size = DEFAULT_MAX_FIELD_SIZE;
	opts->header_room = 0;
	opts->chunk_size = DEFAULT_CHUNK_SIZE;
	opts->skip_bom = true;
	opts->batch_size = DEFAULT_BATCH_SIZE;
	opts->wait_hook = NULL;
	opts->wait_arg = NULL;
}

/* Allocates a reader; NULL when out of memory. */
CsvReader *
csv_reader_create(const CsvReaderOptions *opts, CsvReadFn read_fn, void *read_arg)
{
	CsvReader  *r = calloc(1, sizeof(CsvReader));

	if (r == NULL)
		return NULL;
	r->opts = *opts;
	if (r->opts.chunk_size == 0)
		r->opts.chunk_size = DEFAULT_CHUNK_SIZE;
	if (r->opts.max_field_size == 0)
		r->opts.max_field_size = DEFAULT_MAX_FIELD_SIZE;
	if (r->opts.batch_size == 0)
		r->opts.batch_size = DEFAULT_BATCH_SIZE;
	r->max_fields = DEFAULT_MAX_FIELDS;
	r->read_fn = read_fn;
	r->read_arg = read_arg;
	r->line = 1;
	r->bom_checked = !opts->skip_bom;

	/*
	 * Strict RFC 4180; spaces are data (libcsv trims them by default, which
	 * would make bronze lossy); every row end is reported, even empty ones,
	 * so a bare CR can be told from a CRLF line end.
	 */
	csv_init(&r->parser, CSV_STRICT | CSV_REPALL_NL);
	csv_set_delim(&r->parser, (unsigned char) opts->delimiter);
	csv_set_space_func(&r->parser, never_space);
	csv_set_blk_size(&r->parser, LIBCSV_BLOCK_SIZE);

	r->cap = 2 * r->opts.chunk_size;
	r->buf = malloc(r->cap);
	if (r->buf == NULL)
	{
		free(r);
		return NULL;
	}
	return r;
}

static void stop_thread(CsvReader *r);
static void free_batches(RecordBatch *b);

void
csv_reader_free(CsvReader *r)
{
	if (r == NULL)
		return;
	if (r->threaded)
		stop_thread(r);
	csv_free(&r->parser);
	free(r->buf);
	free(r->arena);
	free(r->offsets);
	free(r->lengths);
	free(r->ptrs);
	free(r->out_ptrs);
	free(r);
}

CsvReaderError
csv_reader_error(const CsvReader *r)
{
	return r->error;
}

/* Limits how many fields of a record are stored (the rest are only counted). */
void
csv_reader_set_max_fields(CsvReader *r, int max_fields)
{
	r->max_fields = max_fields;
}

/*
 * Checks that s is UTF-8 without NUL bytes.  Eight ASCII bytes are checked
 * at a time, since almost all CSV text is ASCII.
 */
CsvRecordStatus
csv_check_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + len;

	while (p < end)
	{
		unsigned char c;
		int			ncont;
		unsigned char lo = 0x80,
					hi = 0xBF;

		if (end - p >= 8)
		{
			uint64_t	w;

			memcpy(&w, p, 8);
			/* all bytes in 0x01..0x7F: no high bit, and no borrow from a 0 */
			if ((((w - UINT64_C(0x0101010101010101)) | w) &
				 UINT64_C(0x8080808080808080)) == 0)
			{
				p += 8;
				continue;
			}
		}

		c = *p;
		if (c == 0)
			return CSV_RECORD_NUL_BYTE;
		if (c < 0x80)
		{
			p++;
			continue;
		}

		/* Unicode 3.9, table 3-7: well-formed UTF-8 byte sequences */
		if (c >= 0xC2 && c <= 0xDF)
			ncont = 1;
		else if (c >= 0xE0 && c <= 0xEF)
		{
			ncont = 2;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F;
		}
		else if (c >= 0xF0 && c <= 0xF4)
		{
			ncont = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		}
		else
			return CSV_RECORD_INVALID_UTF8;

		if (end - p <= ncont)
			return CSV_RECORD_INVALID_UTF8;
		if (p[1] < lo || p[1] > hi)
			return CSV_RECORD_INVALID_UTF8;
		for (int i = 2; i <= ncont; i++)
			if ((p[i] & 0xC0) != 0x80)
				return CSV_RECORD_INVALID_UTF8;
		p += ncont + 1;
	}
	return CSV_RECORD_OK;
}

/* Records why the record is malformed; the first reason found wins. */
static void
set_status(CsvReader *r, CsvRecordStatus status, int field)
{
	if (r->status == CSV_RECORD_OK)
	{
		r->status = status;
		r->bad_field = field;
	}
}

static void
store_field(CsvReader *r, const char *data, size_t len)
{
	size_t		slot = (r->arena_len + FIELD_ALIGN - 1) & ~((size_t) FIELD_ALIGN - 1);
	size_t		need = slot + r->opts.header_room + len;

	/* also for a first field of 0 bytes: its pointer must not be NULL */
	if (r->arena == NULL || need > r->arena_cap)
	{
		size_t		newcap = r->arena_cap ? r->arena_cap * 2 : 4096;
		char	   *p;

		while (newcap < need)
			newcap *= 2;
		p = realloc(r->arena, newcap);
		if (p == NULL)
		{
			r->error = CSV_READER_OUT_OF_MEMORY;
			return;
		}
		r->arena = p;
		r->arena_cap = newcap;
	}
	if (r->nfields > r->fields_cap)
	{
		int			newcap = r->fields_cap ? r->fields_cap * 2 : 64;
		size_t	   *o = realloc(r->offsets, newcap * sizeof(size_t));
		size_t	   *l = o ? realloc(r->lengths, newcap * sizeof(size_t)) : NULL;
		char	  **p = l ? realloc(r->ptrs, newcap * sizeof(char *)) : NULL;

		if (o)
			r->offsets = o;
		if (l)
			r->lengths = l;
		if (p == NULL)
		{
			r->error = CSV_READER_OUT_OF_MEMORY;
			return;
		}
		r->ptrs = p;
		r->fields_cap = newcap;
	}
	memcpy(r->arena + slot + r->opts.header_room, data, len);
	r->offsets[r->nfields - 1] = slot + r->opts.header_room;
	r->lengths[r->nfields - 1] = len;
	r->arena_len = need;
}

/* libcsv field callback */
static void
on_field(void *data, size_t len, void *arg)
{
	CsvReader  *r = arg;
	CsvRecordStatus check;

	r->row_open = true;
	/* saturates: a line of 2^31 delimiters must not wrap it (bad_field is nfields + 1) */
	if (r->nfields < INT_MAX - 1)
		r->nfields++;
	if (r->mode != SCAN_PARSE || r->error)
		return;
	if (r->nfields > r->max_fields)
	{
		/* the caller will reject it for its field count; stop storing */
		r->mode = SCAN_DISCARD;
		return;
	}
	if (len > r->opts.max_field_size)
	{
		set_status(r, CSV_RECORD_FIELD_TOO_LARGE, r->nfields);
		r->mode = SCAN_DISCARD;
		return;
	}
	check = csv_check_utf8(data, len);
	if (check != CSV_RECORD_OK)
	{
		set_status(r, check, r->nfields);
		r->mode = SCAN_DISCARD;
		return;
	}
	store_field(r, data, len);
}

/* libcsv row-end callback */
static void
on_row(int term, void *arg)
{
	CsvReader  *r = arg;

	if (r->nevents < 2)
	{
		r->events[r->nevents].had_fields = r->row_open;
		r->events[r->nevents].term = term;
	}
	/* classify_record only tells 0, 1, 2 and more row ends apart */
	if (r->nevents < 3)
		r->nevents++;
	if (r->row_open && r->nrows < 1)
		r->nrows++;				/* only compared with 0 */
	r->row_open = false;
	if (term == '\n')
		r->lf_event = true;
}

/*
 * Drops the bytes libcsv buffered for the field in progress, keeping its
 * parser state.  The last byte stays: it may be a closing quote libcsv has
 * yet to take back off the buffer.
 */
static void
drop_partial_field(CsvReader *r)
{
	struct csv_parser *p = &r->parser;

	if (p->entry_pos > 1)
	{
		p->entry_buf[0] = p->entry_buf[p->entry_pos - 1];
		p->entry_pos = 1;
	}
}

static void
begin_record(CsvReader *r)
{
	r->in_record = true;
	r->rec_start = r->pos;
	r->rec_line = r->line;
	r->raw_truncated = false;
	r->raw_len = 0;
	r->status = CSV_RECORD_OK;
	r->bad_field = 0;
	r->mode = SCAN_PARSE;
	r->row_open = false;
	r->nevents = 0;
	r->nrows = 0;
	r->nfields = 0;
	r->arena_len = 0;
	/* libcsv is between rows here, so its buffer can go */
	if (csv_get_buffer_size(&r->parser) > LIBCSV_KEEP_BUFFER)
		csv_free(&r->parser);
}

/*
 * Bounds the field libcsv still has open.  The exact check is on_field's;
 * this one bounds memory while a field is still open.  libcsv may hold a
 * closing quote it has not yet taken back, hence the one byte of slack.
 * It must also run before a strict parse error is recorded, or the status
 * would depend on where the reads happen to end.
 */
static void
check_open_field(CsvReader *r)
{
	if (r->mode == SCAN_PARSE && r->parser.entry_pos > r->opts.max_field_size + 1)
	{
		/* a field past max_fields is only counted, never judged (on_field) */
		if (r->nfields < r->max_fields)
			set_status(r, CSV_RECORD_FIELD_TOO_LARGE, r->nfields + 1);
		r->mode = SCAN_DISCARD;
	}
}

/* Feeds one piece of input (ending at a LF or at the end of the buffer). */
static void
feed_piece(CsvReader *r, const char *data, size_t len)
{
	size_t		done;

	r->lf_event = false;
	if (r->mode == SCAN_TO_LINE_END)
		return;

	done = csv_parse(&r->parser, data, len, on_field, on_row, r);
	if (done < len)
	{
		if (csv_error(&r->parser) != CSV_EPARSE)
		{
			r->error = CSV_READER_OUT_OF_MEMORY;
			return;
		}
		/* libcsv stopped on the offending byte */
		check_open_field(r);
		set_status(r, data[done] == '"' ? CSV_RECORD_QUOTE_IN_UNQUOTED
				   : CSV_RECORD_TEXT_AFTER_QUOTE, r->nfields + 1);
		/* forget the partial record, resetting libcsv for the next one */
		csv_fini(&r->parser, NULL, NULL, NULL);
		r->mode = SCAN_TO_LINE_END;
		return;
	}

	check_open_field(r);
	if (r->mode == SCAN_DISCARD)
		drop_partial_field(r);
}

/*
 * A bad record keeps only max_field_size of its raw bytes, so a runaway
 * record cannot exhaust memory.  The bytes read may end with the record's
 * line end (LF or CRLF), which is not part of the record: only beyond two
 * more bytes is the record surely over-long; fill_record cuts the others.
 */
static void
limit_raw(CsvReader *r)
{
	if (r->mode != SCAN_PARSE && !r->raw_truncated &&
		r->pos - r->rec_start > r->opts.max_field_size + 2)
	{
		r->raw_truncated = true;
		r->raw_len = r->opts.max_field_size;
	}
}

/*
 * Decides what the row ends libcsv reported mean once the record reaches a
 * line end (or the end of input).  A clean record is one row ended by LF,
 * by CRLF (a row ended by CR, then an empty row ended by LF) or, at the end
 * of input, by CR or by nothing.
 */
static LineEnd
classify_record(CsvReader *r, bool at_eof)
{
	bool		clean;

	if (r->nrows == 0 && r->status == CSV_RECORD_OK)
		return LINE_BLANK;

	if (r->nevents == 1)
		clean = r->events[0].had_fields &&
			(r->events[0].term == '\n' || r->events[0].term == -1 ||
			 (at_eof && r->events[0].term == '\r'));
	else if (r->nevents == 2)
		clean = r->events[0].had_fields && r->events[0].term == '\r' &&
			!r->events[1].had_fields && r->events[1].term == '\n';
	else
		clean = false;

	if (!clean)
		set_status(r, CSV_RECORD_BARE_CR, 0);
	return LINE_RECORD_READY;
}

static LineEnd
end_of_line(CsvReader *r)
{
	if (r->mode == SCAN_TO_LINE_END)
		return LINE_RECORD_READY;
	if (!r->lf_event)
		return LINE_CONTINUES;
	return classify_record(r, false);
}

/* Hands the finished record to the caller. */
static void
fill_record(CsvReader *r, CsvRecord *rec)
{
	const char *raw = r->buf + r->rec_start;
	size_t		raw_len = r->pos - r->rec_start;

	if (r->raw_truncated)
		raw_len = r->raw_len;
	else
	{
		/* the line end is not part of the record */
		if (raw_len > 0 && raw[raw_len - 1] == '\n')
			raw_len--;
		if (raw_len > 0 && raw[raw_len - 1] == '\r')
			raw_len--;
		if (r->mode != SCAN_PARSE && raw_len > r->opts.max_field_size)
		{
			raw_len = r->opts.max_field_size;
			r->raw_truncated = true;
		}
	}

	rec->line = r->rec_line;
	rec->status = r->status;
	rec->bad_field = r->bad_field;
	rec->nfields = r->nfields;
	rec->raw = raw;
	rec->raw_len = raw_len;
	rec->raw_truncated = r->raw_truncated;
	if (r->status == CSV_RECORD_OK && r->nfields <= r->max_fields)
	{
		for (int i = 0; i < r->nfields; i++)
			r->ptrs[i] = r->arena + r->offsets[i];
		rec->fields = r->ptrs;
		rec->lengths = r->lengths;
	}
	else
	{
		rec->fields = NULL;
		rec->lengths = NULL;
	}
	r->in_record = false;
}

/* Reads more input, keeping the unparsed bytes and the record in progress. */
static bool
fill_buffer(CsvReader *r)
{
	long		n;

	if (r->in_record && r->raw_truncated)
	{
		size_t		unparsed = r->len - r->pos;

		memmove(r->buf, r->buf + r->rec_start, r->raw_len);
		memmove(r->buf + r->raw_len, r->buf + r->pos, unparsed);
		r->rec_start = 0;
		r->pos = r->raw_len;
		r->len = r->raw_len + unparsed;
	}
	else
	{
		size_t		from = r->in_record ? r->rec_start : r->pos;

		memmove(r->buf, r->buf + from, r->len - from);
		r->len -= from;
		r->pos -= from;
		r->rec_start = 0;
	}

	if (r->cap - r->len < r->opts.chunk_size)
	{
		size_t		newcap = r->cap * 2;
		char	   *p;

		while (newcap - r->len < r->opts.chunk_size)
			newcap *= 2;
		p = realloc(r->buf, newcap);
		if (p == NULL)
		{
			r->error = CSV_READER_OUT_OF_MEMORY;
			return false;
		}
		r->buf = p;
		r->cap = newcap;
	}

	n = r->read_fn(r->read_arg, r->buf + r->len, r->opts.chunk_size);
	if (n < 0)
	{
		r->error = CSV_READER_READ_FAILED;
		return false;
	}
	if (n == 0)
		r->eof = true;
	r->len += n;
	return true;
}

/* At end of input: finishes the record in progress, if any. */
static int
finish_input(CsvReader *r, CsvRecord *rec)
{
	if (!r->in_record)
		return 0;

	if (r->mode != SCAN_TO_LINE_END)
	{
		unsigned char opts = (unsigned char) csv_get_opts(&r->parser);

		r->lf_event = false;
		/* with CSV_STRICT_FINI, libcsv refuses to close an open quote */
		csv_set_opts(&r->parser, opts | CSV_STRICT_FINI);
		if (csv_fini(&r->parser, on_field, on_row, r) != 0)
		{
			r->status = CSV_RECORD_OK;	/* the open quote is the root cause */
			set_status(r, CSV_RECORD_UNTERMINATED_QUOTE, r->nfields + 1);
			csv_set_opts(&r->parser, opts);
			csv_fini(&r->parser, NULL, NULL, NULL);
		}
		csv_set_opts(&r->parser, opts);
		if (r->error)
			return -1;
		if (r->status != CSV_RECORD_UNTERMINATED_QUOTE &&
			classify_record(r, true) == LINE_BLANK)
		{
			r->in_record = false;
			return 0;
		}
	}
	fill_record(r, rec);
	return 1;
}

/* Parses the next record in the calling thread; see csv_reader_next. */
static int
parse_next(CsvReader *r, CsvRecord *rec)
{
	if (r->error)
		return -1;

	for (;;)
	{
		char	   *start;
		char	   *nl;
		size_t		piece;

		if (r->pos == r->len)
		{
			if (r->eof)
				return finish_input(r, rec);
			if (!fill_buffer(r))
				return -1;
			continue;
		}

		if (!r->bom_checked)
		{
			/* a byte order mark may only open the file */
			if (r->len - r->pos < 3 && !r->eof)
			{
				if (!fill_buffer(r))
					return -1;
				continue;
			}
			if (r->len - r->pos >= 3 &&
				memcmp(r->buf + r->pos, "\xEF\xBB\xBF", 3) == 0)
				r->pos += 3;
			r->bom_checked = true;
			continue;
		}

		if (!r->in_record)
			begin_record(r);

		start = r->buf + r->pos;
		nl = memchr(start, '\n', r->len - r->pos);
		piece = nl ? (size_t) (nl - start) + 1 : r->len - r->pos;

		feed_piece(r, start, piece);
		if (r->error)
			return -1;
		r->pos += piece;
		limit_raw(r);

		if (nl)
		{
			LineEnd		end;

			r->line++;
			end = end_of_line(r);
			if (end == LINE_RECORD_READY)
			{
				fill_record(r, rec);
				return 1;
			}
			if (end == LINE_BLANK)
				r->in_record = false;
		}
	}
}

/* ---------------------------------------------------------------------
 * Parsing on a second thread
 *
 * csv_reader_start_thread() moves parse_next() to a thread of its own,
 * which serialises records into batches; csv_reader_next() then hands them
 * out one by one.  At most MAX_QUEUED_BATCHES wait in the queue, so memory
 * stays bounded.  The thread runs only this file's code, libcsv, libc and
 * read_fn, and has every signal blocked.
 * ---------------------------------------------------------------------
 */

static RecordBatch *
new_batch(size_t cap)
{
	RecordBatch *b = malloc(sizeof(RecordBatch));

	if (b == NULL)
		return NULL;
	b->data = malloc(cap);
	if (b->data == NULL)
	{
		free(b);
		return NULL;
	}
	b->cap = cap;
	b->used = 0;
	b->read_pos = 0;
	b->next = NULL;
	return b;
}

static void
free_batches(RecordBatch *b)
{
	while (b != NULL)
	{
		RecordBatch *next = b->next;

		free(b->data);
		free(b);
		b = next;
	}
}

/* Bytes a record takes in a batch. */
static size_t
serial_size(const CsvRecord *rec, size_t header_room)
{
	size_t		size = ALIGN_UP(sizeof(SerialRecord));

	if (rec->fields != NULL)
	{
		size += ALIGN_UP(rec->nfields * sizeof(uint64_t));
		for (int i = 0; i < rec->nfields; i++)
			size = ALIGN_UP(size) + header_room + rec->lengths[i];
	}
	return ALIGN_UP(ALIGN_UP(size) + rec->raw_len);
}

/* Appends a record to a batch, growing it if the record does not fit. */
static bool
append_record(RecordBatch *b, const CsvRecord *rec, size_t header_room)
{
	size_t		need = serial_size(rec, header_room);
	SerialRecord hdr;
	size_t		pos;

	if (b->used + need > b->cap)
	{
		size_t		newcap = b->cap * 2;
		char	   *p;

		while (newcap < b->used + need)
			newcap *= 2;
		p = realloc(b->data, newcap);
		if (p == NULL)
			return false;
		b->data = p;
		b->cap = newcap;
	}

	memset(&hdr, 0, sizeof(hdr));
	hdr.line = rec->line;
	hdr.status = rec->status;
	hdr.bad_field = rec->bad_field;
	hdr.nfields = rec->nfields;
	hdr.has_fields = rec->fields != NULL;
	hdr.raw_truncated = rec->raw_truncated;
	hdr.raw_len = rec->raw_len;
	pos = b->used;
	memcpy(b->data + pos, &hdr, sizeof(hdr));
	pos += ALIGN_UP(sizeof(SerialRecord));
	if (rec->fields != NULL)
	{
		uint64_t   *lengths = (uint64_t *) (b->data + pos);

		for (int i = 0; i < rec->nfields; i++)
			lengths[i] = rec->lengths[i];
		pos += ALIGN_UP(rec->nfields * sizeof(uint64_t));
		for (int i = 0; i < rec->nfields; i++)
		{
			pos = ALIGN_UP(pos) + header_room;
			memcpy(b->data + pos, rec->fields[i], rec->lengths[i]);
			pos += rec->lengths[i];
		}
	}
	pos = ALIGN_UP(pos);
	memcpy(b->data + pos, rec->raw, rec->raw_len);
	b->used += need;
	return true;
}

/* Reads the record at the consumer's position of the current batch. */
static bool
decode_record(CsvReader *r, CsvRecord *rec)
{
	RecordBatch *b = r->current;
	SerialRecord hdr;
	size_t		pos = b->read_pos;
	size_t		start = pos;

	memcpy(&hdr, b->data + pos, sizeof(hdr));
	pos += ALIGN_UP(sizeof(SerialRecord));
	rec->line = hdr.line;
	rec->status = (CsvRecordStatus) hdr.status;
	rec->bad_field = hdr.bad_field;
	rec->nfields = hdr.nfields;
	rec->raw_truncated = hdr.raw_truncated;
	rec->raw_len = hdr.raw_len;
	rec->fields = NULL;
	rec->lengths = NULL;
	if (hdr.has_fields)
	{
		if (hdr.nfields > r->out_cap)
		{
			int			newcap = r->out_cap ? r->out_cap : 64;
			char	  **p;

			while (newcap < hdr.nfields)
				newcap *= 2;
			p = realloc(r->out_ptrs, newcap * sizeof(char *));
			if (p == NULL)
			{
				/* the parse thread writes r->error too: stop it first */
				stop_thread(r);
				r->error = CSV_READER_OUT_OF_MEMORY;
				return false;
			}
			r->out_ptrs = p;
			r->out_cap = newcap;
		}
		/* uint64_t and size_t are the same on every platform we build on */
		rec->lengths = (size_t *) (b->data + pos);
		pos += ALIGN_UP(hdr.nfields * sizeof(uint64_t));
		for (int i = 0; i < hdr.nfields; i++)
		{
			pos = ALIGN_UP(pos) + r->opts.header_room;
			r->out_ptrs[i] = b->data + pos;
			pos += rec->lengths[i];
		}
		rec->fields = r->out_ptrs;
	}
	pos = ALIGN_UP(pos);
	rec->raw = b->data + pos;
	pos = ALIGN_UP(pos + hdr.raw_len);
	b->read_pos = pos;
	(void) start;
	return true;
}

/* Producer: a batch to fill, waiting while the queue is full; NULL on stop. */
static RecordBatch *
producer_take_batch(CsvReader *r)
{
	RecordBatch *b = NULL;
	bool		stopped;

	pthread_mutex_lock(&r->mutex);
	while (!r->stop && r->nqueued >= MAX_QUEUED_BATCHES)
		pthread_cond_wait(&r->has_space, &r->mutex);
	stopped = r->stop;			/* read under the mutex: stop_thread writes it */
	if (!stopped)
	{
		b = r->free_batches;
		if (b != NULL)
		{
			r->free_batches = b->next;
			b->next = NULL;
			b->used = b->read_pos = 0;
		}
	}
	pthread_mutex_unlock(&r->mutex);
	if (b == NULL && !stopped)
		b = new_batch(r->opts.batch_size + 4096);
	return b;
}

static void
producer_queue_batch(CsvReader *r, RecordBatch *b)
{
	pthread_mutex_lock(&r->mutex);
	if (r->queue_tail)
		r->queue_tail->next = b;
	else
		r->queue_head = b;
	r->queue_tail = b;
	r->nqueued++;
	pthread_cond_signal(&r->has_data);
	pthread_mutex_unlock(&r->mutex);
}

static void *
parse_thread_main(void *arg)
{
	CsvReader  *r = arg;
	RecordBatch *b = NULL;
	CsvRecord	rec;
	int			rc = 0;

	for (;;)
	{
		if (__atomic_load_n(&r->stop, __ATOMIC_RELAXED))
			break;
		if (b == NULL && (b = producer_take_batch(r)) == NULL)
		{
			if (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED))
			{
				r->error = CSV_READER_OUT_OF_MEMORY;
				rc = -1;
			}
			break;
		}
		rc = parse_next(r, &rec);
		if (rc <= 0)
			break;
		if (!append_record(b, &rec, r->opts.header_room))
		{
			r->error = CSV_READER_OUT_OF_MEMORY;
			rc = -1;
			break;
		}
		if (b->used >= r->opts.batch_size)
		{
			producer_queue_batch(r, b);
			b = NULL;
		}
	}
	if (b != NULL && b->used > 0)
		producer_queue_batch(r, b);
	else
		free_batches(b);

	pthread_mutex_lock(&r->mutex);
	r->thread_done = true;
	r->thread_rc = rc < 0 ? -1 : 0;
	pthread_cond_broadcast(&r->has_data);
	pthread_mutex_unlock(&r->mutex);
	return NULL;
}

/*
 * Moves parsing to a new thread; records already returned are unaffected.
 * read_fn is then called on that thread, so it must not use anything that
 * is not thread-safe.  Returns 0, or -1 if no thread could be started (the
 * reader then keeps parsing in the calling thread).
 */
int
csv_reader_start_thread(CsvReader *r)
{
	sigset_t	all;
	sigset_t	old;
	int			rc;

	if (r->threaded || r->error)
		return -1;
	if (pthread_mutex_init(&r->mutex, NULL) != 0)
		return -1;
	pthread_cond_init(&r->has_data, NULL);
	pthread_cond_init(&r->has_space, NULL);

	/* the thread inherits this mask: signals stay with the calling thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&r->thread, NULL, parse_thread_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
	{
		pthread_cond_destroy(&r->has_data);
		pthread_cond_destroy(&r->has_space);
		pthread_mutex_destroy(&r->mutex);
		return -1;
	}
	r->threaded = true;
	return 0;
}

/* Stops the parse thread, waits for it and frees its batches. */
static void
stop_thread(CsvReader *r)
{
	pthread_mutex_lock(&r->mutex);
	__atomic_store_n(&r->stop, true, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&r->has_space);
	pthread_mutex_unlock(&r->mutex);
	pthread_join(r->thread, NULL);

	free_batches(r->current);
	free_batches(r->queue_head);
	free_batches(r->free_batches);
	r->current = r->queue_head = r->queue_tail = r->free_batches = NULL;
	pthread_cond_destroy(&r->has_data);
	pthread_cond_destroy(&r->has_space);
	pthread_mutex_destroy(&r->mutex);
	r->threaded = false;
}

/* Consumer side of csv_reader_next() once the thread runs. */
static int
next_from_thread(CsvReader *r, CsvRecord *rec)
{
	for (;;)
	{
		if (r->current != NULL && r->current->read_pos < r->current->used)
			return decode_record(r, rec) ? 1 : -1;

		pthread_mutex_lock(&r->mutex);
		if (r->current != NULL)
		{
			/* recycle it, unless one huge record made it grow */
			if (r->current->cap <= 4 * (r->opts.batch_size + 4096))
			{
				r->current->next = r->free_batches;
				r->free_batches = r->current;
			}
			else
				free_batches(r->current);
			r->current = NULL;
			pthread_cond_signal(&r->has_space);
		}
		while (r->queue_head == NULL && !r->thread_done)
		{
			struct timespec deadline;

			clock_gettime(CLOCK_REALTIME, &deadline);
			deadline.tv_nsec += WAIT_HOOK_INTERVAL_NS;
			if (deadline.tv_nsec >= 1000000000)
			{
				deadline.tv_sec++;
				deadline.tv_nsec -= 1000000000;
			}
			if (pthread_cond_timedwait(&r->has_data, &r->mutex, &deadline) == ETIMEDOUT &&
				r->opts.wait_hook != NULL)
			{
				/* the hook may not return (an error in the server): unlock */
				pthread_mutex_unlock(&r->mutex);
				r->opts.wait_hook(r->opts.wait_arg);
				pthread_mutex_lock(&r->mutex);
			}
		}
		if (r->queue_head != NULL)
		{
			r->current = r->queue_head;
			r->queue_head = r->current->next;
			if (r->queue_head == NULL)
				r->queue_tail = NULL;
			r->current->next = NULL;
			r->nqueued--;
			pthread_mutex_unlock(&r->mutex);
			continue;
		}
		/* the thread is done and everything is consumed */
		pthread_mutex_unlock(&r->mutex);
		return r->thread_rc;
	}
}

/*
 * Returns the next record: 1 when *rec is filled, 0 at the end of input,
 * -1 on error (see csv_reader_error).  Blank lines are skipped.
 */
int
csv_reader_next(CsvReader *r, CsvRecord *rec)
{
	if (r->threaded)
		return next_from_thread(r, rec);
	return parse_next(r, rec);
}
