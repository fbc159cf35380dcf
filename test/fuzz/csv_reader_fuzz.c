/*
 * csv_reader_fuzz.c
 *	  libFuzzer harness for the pure CSV core (src/csv_reader.c).
 *
 * Input layout: five option bytes, then the CSV data.
 *
 *	 byte 0	bits 0-1 delimiter (, ; | TAB), bit 2 header_room 4 (else 0),
 *			bit 3 skip_bom off (else on), bits 4-7 k: when not 0, one more
 *			run, whose read fails once k/16 of the data is read
 *	 byte 1	bit 7: default max_field_size, else (bits 0-5) + 1 = 1..64
 *	 byte 2	bit 7: whole-input reads, else read step (bits 0-5) + 1 = 1..64
 *	 byte 3	bits 0-3: chunk_size 1..15 (0: default), bits 4-7: max_fields
 *			1..15 (0: reader's default)
 *	 byte 4	bit 0: also read on a parse thread (csv_reader_start_thread),
 *			bit 1: start it after the first record (else before any),
 *			bits 2-7 k: batch_size 8k bytes (0: default)
 *
 * The data is read three times with the same options: with the chosen read
 * step and chunk size, with reads of one byte, and with one big read.  Each
 * run is checked against invariants, and the three record sequences must be
 * identical (records split across reads are the tricky part).  With byte 4
 * bit 0, one more run reads on a parse thread and must give the same
 * records too, and another frees the reader half way, while its thread may
 * still be producing.  The run with a failing read (on the parse thread too
 * when byte 4 bit 0 is set) must return -1 with CSV_READER_READ_FAILED, and
 * keep doing so, after a prefix of the records of the others.  A failed
 * check prints what it saw and calls abort(), which libFuzzer reports as a
 * crash; the input is printed escaped, option bytes first.
 *
 * The invariants include a small independent oracle: every record starts at
 * a physical line start, its raw bytes are the input bytes there up to (not
 * including) its line end, only blank lines (CR and LF bytes) lie between
 * records, and a record whose raw bytes are complete is OK exactly when a
 * strict RFC 4180 split of those bytes succeeds with fields that fit
 * max_field_size and are valid UTF-8 without NUL; for OK records the split
 * must give the reader's fields.
 *
 * Build: see test/fuzz/run_fuzz.sh.
 */
#include "csv_reader.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_FIELD_SIZE	(1024 * 1024)	/* as in csv_reader.c */
#define DEFAULT_MAX_FIELDS		4096	/* as in csv_reader.c */
#define NOPTS					5

typedef struct FuzzOptions
{
	CsvReaderOptions reader;
	size_t		step;			/* most bytes one read returns */
	int			max_fields;		/* 0: leave the reader's default */
	int			thread_after;	/* start a parse thread after this many
								 * records; -1: never */
	size_t		stop_after;		/* free the reader after this many records */
} FuzzOptions;

static int	wait_hook_calls;

static void
count_wait(void *arg)
{
	(void) arg;
	__atomic_add_fetch(&wait_hook_calls, 1, __ATOMIC_RELAXED);
}

typedef struct MemInput
{
	const unsigned char *data;
	size_t		len;
	size_t		pos;
	size_t		step;
	size_t		fail_at;		/* a read from here on fails */
} MemInput;

/* a growable byte string: the serialized record sequence of one run */
typedef struct Bytes
{
	unsigned char *data;
	size_t		len;
	size_t		cap;
} Bytes;

/* what one run is checked against */
typedef struct Input
{
	const unsigned char *data;
	size_t		len;
	size_t		nlines;			/* 1 + number of LF bytes */
	size_t	   *line_start;		/* offset of each physical line */
	size_t		first_offset;	/* 3 when a skipped BOM opens the input */
} Input;

/* where one run is between records */
typedef struct RunState
{
	int64_t		prev_line;		/* line of the previous record, 0 at first */
	bool		next_known;		/* the previous record's end is known: */
	size_t		next_off;		/* offset just after its line end */
	bool		trunc_pending;	/* the previous record was truncated but its */
	size_t		trunc_end;		/* raw may end right before a line end that */
	int64_t		trunc_line;		/* ends at trunc_end */
} RunState;

static const char *run_name;
static const unsigned char *cur_input;
static size_t cur_input_len;

static void
print_escaped(FILE *f, const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = s[i];

		if (c == '\n')
			fputs("\\n", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\\' || c == '"')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static void
fail(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "\n*** csv_reader invariant failed (%s): ", run_name ? run_name : "?");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n*** input (options + data, %zu bytes): \"", cur_input_len);
	print_escaped(stderr, cur_input, cur_input_len);
	fprintf(stderr, "\"\n");
	abort();
}

#define CHECK(cond, ...) \
	do { if (!(cond)) fail(__VA_ARGS__); } while (0)

static void
bytes_add(Bytes *b, const void *p, size_t n)
{
	if (b->len + n > b->cap)
	{
		size_t		cap = b->cap ? b->cap * 2 : 1024;

		while (cap < b->len + n)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (b->data == NULL)
			abort();
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void
bytes_add_u64(Bytes *b, uint64_t v)
{
	bytes_add(b, &v, sizeof(v));
}

static long
mem_read(void *arg, char *buf, size_t size)
{
	MemInput   *in = arg;
	size_t		n = in->len - in->pos;

	if (in->pos >= in->fail_at)
		return -1;
	if (n > in->fail_at - in->pos)
		n = in->fail_at - in->pos;
	if (n > size)
		n = size;
	if (n > in->step)
		n = in->step;
	if (n)
		memcpy(buf, in->data + in->pos, n);
	in->pos += n;
	return (long) n;
}

/*
 * Reference UTF-8 check, written independently of csv_check_utf8: decodes
 * byte by byte (Unicode table 3-7), the first problem found wins.
 */
static CsvRecordStatus
ref_check_utf8(const unsigned char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		unsigned char c = s[i];
		size_t		n;
		unsigned int cp;

		if (c == 0)
			return CSV_RECORD_NUL_BYTE;
		if (c < 0x80)
		{
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0)
			n = 2, cp = c & 0x1F;
		else if ((c & 0xF0) == 0xE0)
			n = 3, cp = c & 0x0F;
		else if ((c & 0xF8) == 0xF0)
			n = 4, cp = c & 0x07;
		else
			return CSV_RECORD_INVALID_UTF8;
		if (len - i < n)
			return CSV_RECORD_INVALID_UTF8;
		for (size_t k = 1; k < n; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return CSV_RECORD_INVALID_UTF8;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
			(n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
			(cp >= 0xD800 && cp <= 0xDFFF))
			return CSV_RECORD_INVALID_UTF8;
		i += n;
	}
	return CSV_RECORD_OK;
}

/*
 * Reference split of a record's raw bytes as one strict RFC 4180 record.
 * Returns the number of fields, or -1 when raw is not one well-formed
 * record.  Field bytes (quotes undone) go to out, their lengths to lens
 * (room for raw_len + 1 entries).  *fields_ok is set to whether the first
 * max_checked fields all fit max_field and are valid UTF-8 without NUL.
 */
static int
ref_split(const unsigned char *raw, size_t n, unsigned char delim,
		  size_t max_field, int max_checked,
		  unsigned char *out, size_t *lens, bool *fields_ok)
{
	size_t		i = 0;
	size_t		o = 0;
	int			nf = 0;

	*fields_ok = true;
	if (n == 0)
		return -1;				/* blank lines are skipped, never records */
	for (;;)
	{
		size_t		start = o;

		if (i < n && raw[i] == '"')
		{
			i++;
			for (;;)
			{
				if (i == n)
					return -1;	/* unterminated */
				if (raw[i] == '"')
				{
					if (i + 1 < n && raw[i + 1] == '"')
					{
						out[o++] = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				out[o++] = raw[i++];
			}
			if (i < n && raw[i] != delim)
				return -1;		/* text after the closing quote */
		}
		else
		{
			while (i < n && raw[i] != delim)
			{
				if (raw[i] == '"' || raw[i] == '\r' || raw[i] == '\n')
					return -1;
				out[o++] = raw[i++];
			}
		}
		lens[nf] = o - start;
		if (nf < max_checked &&
			(lens[nf] > max_field ||
			 ref_check_utf8(out + start, lens[nf]) != CSV_RECORD_OK))
			*fields_ok = false;
		nf++;
		if (i == n)
			return nf;
		i++;					/* the delimiter */
	}
}

/* Checks one record against the input and the oracle. */
/*
 * Only blank lines (CR and LF bytes) between a record ending at from and
 * the next record (or the end of input) at to.
 */
static bool
only_blank(const Input *in, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (in->data[i] != '\r' && in->data[i] != '\n')
			return false;
	return true;
}

/*
 * Called with the start of the next record (or the end of input): a record
 * whose raw was cut right before a line end, and that really ended at that
 * line end, was not over-long.
 */
static void
check_truncation(const Input *in, RunState *st, size_t next_start)
{
	if (st->trunc_pending && next_start >= st->trunc_end &&
		only_blank(in, st->trunc_end, next_start))
		fail("record at line %lld: raw_truncated, but the record ends right "
			 "after raw (before offset %zu): raw holds it all, or part of its "
			 "line end", (long long) st->trunc_line, st->trunc_end);
	st->trunc_pending = false;
}

static void
check_record(const Input *in, const FuzzOptions *fo, const CsvRecord *rec,
			 RunState *st, unsigned char *scratch, size_t *lens)
{
	const CsvReaderOptions *o = &fo->reader;
	size_t		max_field = o->max_field_size ? o->max_field_size : DEFAULT_MAX_FIELD_SIZE;
	int			max_fields = fo->max_fields ? fo->max_fields : DEFAULT_MAX_FIELDS;
	size_t		start;

	CHECK(rec->line >= 1, "line %lld < 1", (long long) rec->line);
	CHECK(rec->line > st->prev_line, "line %lld after line %lld",
		  (long long) rec->line, (long long) st->prev_line);
	CHECK((size_t) rec->line <= in->nlines, "line %lld but the input has %zu lines",
		  (long long) rec->line, in->nlines);
	st->prev_line = rec->line;

	CHECK(rec->status >= CSV_RECORD_OK && rec->status <= CSV_RECORD_INVALID_UTF8,
		  "status %d out of range", (int) rec->status);
	CHECK(rec->nfields >= 0, "nfields %d", rec->nfields);
	if (rec->status == CSV_RECORD_OK)
		CHECK(rec->bad_field == 0, "OK record with bad_field %d", rec->bad_field);
	else
		CHECK(rec->bad_field >= 0 && rec->bad_field <= rec->nfields + 1,
			  "bad_field %d with nfields %d", rec->bad_field, rec->nfields);

	/* raw */
	CHECK(rec->raw != NULL || rec->raw_len == 0, "raw NULL");
	CHECK(rec->raw_len <= in->len, "raw_len %zu > input length %zu",
		  rec->raw_len, in->len);
	if (rec->raw_truncated)
		CHECK(rec->raw_len == max_field, "truncated raw_len %zu != max_field_size %zu",
			  rec->raw_len, max_field);
	if (rec->status == CSV_RECORD_FIELD_TOO_LARGE)
		CHECK(rec->raw_truncated, "FIELD_TOO_LARGE record whose raw (%zu bytes) is not truncated",
			  rec->raw_len);

	/* the record starts at the start of its line and raw is the input there */
	start = in->line_start[rec->line - 1];
	if (rec->line == 1)
		start = in->first_offset;
	CHECK(start < in->len, "record at line %lld starts at the end of input",
		  (long long) rec->line);
	CHECK(start + rec->raw_len <= in->len, "raw runs past the end of input");
	CHECK(rec->raw_len == 0 || memcmp(rec->raw, in->data + start, rec->raw_len) == 0,
		  "raw of the record at line %lld is not the input at that line",
		  (long long) rec->line);

	/* only blank lines between the previous record and this one */
	if (st->next_known)
	{
		CHECK(start >= st->next_off, "record at line %lld overlaps the previous one",
			  (long long) rec->line);
		for (size_t i = st->next_off; i < start; i++)
			CHECK(in->data[i] == '\r' || in->data[i] == '\n',
				  "non-blank line skipped before the record at line %lld (offset %zu)",
				  (long long) rec->line, i);
	}
	check_truncation(in, st, start);

	/* a complete raw ends at a line end (LF, CRLF, end of input, CR at end) */
	st->next_known = false;
	if (!rec->raw_truncated)
	{
		size_t		e = start + rec->raw_len;

		if (e == in->len)
			st->next_off = e;
		else if (in->data[e] == '\n')
			st->next_off = e + 1;
		else if (in->data[e] == '\r' && e + 1 < in->len && in->data[e + 1] == '\n')
			st->next_off = e + 2;
		else if (in->data[e] == '\r' && e + 1 == in->len)
			st->next_off = e + 1;
		else
			fail("raw of the record at line %lld does not end at a line end",
				 (long long) rec->line);
		st->next_known = true;
	}
	else if (rec->status != CSV_RECORD_UNTERMINATED_QUOTE)
	{
		/*
		 * An over-long record goes on after raw.  If raw (maybe less a final
		 * CR) is followed by a line end and then only blank lines come before
		 * the next record, the record was not over-long after all.  (An
		 * unterminated quote runs to the end of input, so blank lines after
		 * it are still its bytes.)
		 */
		size_t		e = start + rec->raw_len;

		if (rec->raw_len > 0 && in->data[e - 1] == '\r' && e < in->len &&
			in->data[e] == '\n')
			e--;				/* raw may hold the CR of a CRLF line end */
		if (e == in->len)
			st->trunc_end = e, st->trunc_pending = true;
		else if (in->data[e] == '\n')
			st->trunc_end = e + 1, st->trunc_pending = true;
		else if (in->data[e] == '\r' && e + 1 < in->len && in->data[e + 1] == '\n')
			st->trunc_end = e + 2, st->trunc_pending = true;
		else if (in->data[e] == '\r' && e + 1 == in->len)
			st->trunc_end = e + 1, st->trunc_pending = true;
		st->trunc_line = rec->line;
	}

	/* a malformed status has a cause in a complete raw */
	if (rec->status != CSV_RECORD_OK && rec->status != CSV_RECORD_BARE_CR)
		CHECK(rec->bad_field >= 1, "status %d without a bad field", (int) rec->status);
	if (rec->status == CSV_RECORD_BARE_CR)
		CHECK(rec->bad_field == 0, "BARE_CR with bad_field %d", rec->bad_field);
	if (!rec->raw_truncated)
	{
		const char *why = NULL;

		switch (rec->status)
		{
			case CSV_RECORD_QUOTE_IN_UNQUOTED:
			case CSV_RECORD_TEXT_AFTER_QUOTE:
			case CSV_RECORD_UNTERMINATED_QUOTE:
				if (!memchr(rec->raw, '"', rec->raw_len))
					why = "no quote in raw";
				break;
			case CSV_RECORD_BARE_CR:
				if (!memchr(rec->raw, '\r', rec->raw_len))
					why = "no CR in raw";
				break;
			case CSV_RECORD_NUL_BYTE:
				if (!memchr(rec->raw, '\0', rec->raw_len))
					why = "no NUL in raw";
				break;
			case CSV_RECORD_INVALID_UTF8:
				if (ref_check_utf8((const unsigned char *) rec->raw, rec->raw_len) !=
					CSV_RECORD_INVALID_UTF8 &&
					memchr(rec->raw, '\0', rec->raw_len) == NULL)
					why = "raw is valid UTF-8";
				break;
			default:
				break;
		}
		CHECK(why == NULL, "record at line %lld has status %d but %s",
			  (long long) rec->line, (int) rec->status, why);
		if (rec->status == CSV_RECORD_UNTERMINATED_QUOTE)
			CHECK(only_blank(in, st->next_off, in->len),
				  "UNTERMINATED_QUOTE record at line %lld is not the last",
				  (long long) rec->line);
	}

	/* fields */
	if (rec->status == CSV_RECORD_OK && rec->nfields <= max_fields)
	{
		CHECK(rec->fields != NULL && rec->lengths != NULL,
			  "OK record at line %lld without fields", (long long) rec->line);
		CHECK(rec->nfields >= 1, "OK record with no field");
		for (int i = 0; i < rec->nfields; i++)
		{
			char	   *f = rec->fields[i];
			size_t		len = rec->lengths[i];

			CHECK(f != NULL, "field %d of the record at line %lld is a NULL pointer",
				  i + 1, (long long) rec->line);
			CHECK(len <= max_field, "field %d length %zu > max_field_size %zu",
				  i + 1, len, max_field);
			CHECK(((uintptr_t) (f - o->header_room)) % 8 == 0,
				  "field %d minus header_room is not 8-byte aligned", i + 1);
			CHECK(csv_check_utf8(f, len) == CSV_RECORD_OK,
				  "field %d fails csv_check_utf8", i + 1);
			/* header_room bytes must be writable (ASan checks) */
			memset(f - o->header_room, 0xA5, o->header_room);
		}
	}
	else
		CHECK(rec->fields == NULL && rec->lengths == NULL,
			  "record with status %d, %d fields (max %d) has fields",
			  (int) rec->status, rec->nfields, max_fields);

	/* oracle: a complete raw is OK exactly when a strict split accepts it */
	if (!rec->raw_truncated)
	{
		bool		fields_ok;
		int			nf = ref_split((const unsigned char *) rec->raw, rec->raw_len,
								   (unsigned char) o->delimiter, max_field,
								   max_fields, scratch, lens, &fields_ok);
		bool		ok = nf >= 0 && fields_ok;

		CHECK(ok == (rec->status == CSV_RECORD_OK),
			  "record at line %lld has status %d but a strict split says %s "
			  "(split %d fields, fields_ok %d)", (long long) rec->line,
			  (int) rec->status, ok ? "OK" : "malformed", nf, (int) fields_ok);
		if (rec->status == CSV_RECORD_OK)
		{
			CHECK(nf == rec->nfields, "record at line %lld: %d fields, strict split %d",
				  (long long) rec->line, rec->nfields, nf);
			if (rec->fields)
			{
				size_t		off = 0;

				for (int i = 0; i < nf; i++)
				{
					CHECK(lens[i] == rec->lengths[i] &&
						  memcmp(scratch + off, rec->fields[i], lens[i]) == 0,
						  "record at line %lld: field %d differs from a strict split",
						  (long long) rec->line, i + 1);
					off += lens[i];
				}
			}
		}
	}
}

static void
serialize(Bytes *b, const CsvRecord *rec)
{
	bytes_add_u64(b, (uint64_t) rec->line);
	bytes_add_u64(b, (uint64_t) rec->status);
	bytes_add_u64(b, (uint64_t) rec->bad_field);
	bytes_add_u64(b, (uint64_t) rec->nfields);
	bytes_add_u64(b, (uint64_t) rec->raw_truncated);
	bytes_add_u64(b, rec->raw_len);
	bytes_add(b, rec->raw, rec->raw_len);
	bytes_add_u64(b, rec->fields != NULL);
	if (rec->fields)
		for (int i = 0; i < rec->nfields; i++)
		{
			bytes_add_u64(b, rec->lengths[i]);
			bytes_add(b, rec->fields[i], rec->lengths[i]);
		}
}

/*
 * Describes one serialized record on a line of f (nothing when f is NULL);
 * returns its size.
 */
static size_t
describe_serialized(FILE *f, const unsigned char *p, size_t len)
{
	uint64_t	v[6];
	size_t		at = 0;
	uint64_t	has_fields;

	if (len < sizeof(v))
	{
		if (f)
			fprintf(f, "(end)\n");
		return len;
	}
	memcpy(v, p, sizeof(v));
	at = sizeof(v);
	if (f)
	{
		fprintf(f, "L%llu status %llu bad_field %llu nfields %llu%s raw=\"",
				(unsigned long long) v[0], (unsigned long long) v[1],
				(unsigned long long) v[2], (unsigned long long) v[3],
				v[4] ? " truncated" : "");
		print_escaped(f, p + at, v[5]);
		fprintf(f, "\"");
	}
	at += v[5];
	memcpy(&has_fields, p + at, 8);
	at += 8;
	if (has_fields)
	{
		if (f)
			fprintf(f, " fields=[");
		for (uint64_t i = 0; i < v[3]; i++)
		{
			uint64_t	l;

			memcpy(&l, p + at, 8);
			at += 8;
			if (f && i)
				fputc('|', f);
			if (f)
				print_escaped(f, p + at, l);
			at += l;
		}
		if (f)
			fputc(']', f);
	}
	if (f)
		fputc('\n', f);
	return at;
}

/* Reads all records of in with the given options into out, checking them. */
static void
run(const Input *in, const FuzzOptions *fo, const char *name, Bytes *out,
	unsigned char *scratch, size_t *lens, size_t fail_at)
{
	MemInput	mem = {in->data, in->len, 0, fo->step, fail_at};
	CsvReader  *r;
	CsvRecord	rec;
	int			rc;
	RunState	st = {0};
	size_t		nrec = 0;

	run_name = name;
	out->len = 0;
	st.next_known = true;
	st.next_off = in->first_offset;
	r = csv_reader_create(&fo->reader, mem_read, &mem);
	CHECK(r != NULL, "csv_reader_create failed");
	if (fo->max_fields)
		csv_reader_set_max_fields(r, fo->max_fields);
	if (fo->thread_after == 0)
		CHECK(csv_reader_start_thread(r) == 0, "csv_reader_start_thread failed");
	while ((rc = csv_reader_next(r, &rec)) == 1)
	{
		check_record(in, fo, &rec, &st, scratch, lens);
		serialize(out, &rec);
		nrec++;
		if (fo->thread_after > 0 && nrec == (size_t) fo->thread_after)
		{
			/* as bronze does: the header, then the limit, then the thread */
			if (fo->max_fields)
				csv_reader_set_max_fields(r, fo->max_fields);
			CHECK(csv_reader_start_thread(r) == 0, "csv_reader_start_thread failed");
			CHECK(csv_reader_start_thread(r) == -1, "a second csv_reader_start_thread did not fail");
		}
		if (nrec == fo->stop_after)
		{
			csv_reader_free(r);
			return;
		}
	}
	if (fail_at != SIZE_MAX)
	{
		CHECK(rc == -1 && csv_reader_error(r) == CSV_READER_READ_FAILED,
			  "a failed read gave rc %d, error %d", rc, (int) csv_reader_error(r));
		CHECK(csv_reader_next(r, &rec) == -1, "csv_reader_next after an error is not -1");
		csv_reader_free(r);
		return;
	}
	CHECK(rc == 0, "csv_reader_next returned %d (error %d) on in-memory input",
		  rc, (int) csv_reader_error(r));
	CHECK(mem.pos == mem.len, "reader stopped before the end of input");
	/* a second call after the end still says end */
	CHECK(csv_reader_next(r, &rec) == 0, "csv_reader_next after the end is not 0");
	if (st.next_known)
		for (size_t i = st.next_off; i < in->len; i++)
			CHECK(in->data[i] == '\r' || in->data[i] == '\n',
				  "non-blank input after the last record (offset %zu)", i);
	check_truncation(in, &st, in->len);
	csv_reader_free(r);
}

static void
compare_runs(const Bytes *a, const char *an, const Bytes *b, const char *bn)
{
	size_t		pa = 0,
				pb = 0;

	if (a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0))
		return;
	/* find the first differing record and show both */
	for (;;)
	{
		size_t		la,
					lb;

		if (pa >= a->len || pb >= b->len)
			break;
		la = describe_serialized(NULL, a->data + pa, a->len - pa);
		lb = describe_serialized(NULL, b->data + pb, b->len - pb);
		if (la != lb || memcmp(a->data + pa, b->data + pb, la) != 0)
			break;
		pa += la;
		pb += lb;
	}
	fprintf(stderr, "\n*** first differing record:\n  %-10s ", an);
	describe_serialized(stderr, a->data + pa, a->len - pa);
	fprintf(stderr, "  %-10s ", bn);
	describe_serialized(stderr, b->data + pb, b->len - pb);
	run_name = "differential";
	fail("reads of different sizes give different records (%s vs %s)", an, bn);
}

static void
check_utf8_function(const unsigned char *data, size_t len)
{
	/* csv_check_utf8 against the reference on a few slices of the data */
	size_t		offs[3] = {0, len / 3, len / 2};

	for (int k = 0; k < 3; k++)
	{
		size_t		from = offs[k] < len ? offs[k] : len;
		CsvRecordStatus a = csv_check_utf8((const char *) data + from, len - from);
		CsvRecordStatus b = ref_check_utf8(data + from, len - from);

		run_name = "csv_check_utf8";
		CHECK(a == b, "csv_check_utf8 says %d, the reference %d (from offset %zu)",
			  (int) a, (int) b, from);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[4] = {',', ';', '|', '\t'};
	FuzzOptions fo;
	FuzzOptions fo_step1;
	FuzzOptions fo_whole;
	Input		in;
	Bytes		chosen = {0},
				step1 = {0},
				whole = {0},
				threaded = {0},
				failed = {0};
	unsigned char *scratch;
	size_t	   *lens;

	if (size < NOPTS)
		return 0;
	cur_input = data;
	cur_input_len = size;

	csv_reader_default_options(&fo.reader);
	fo.reader.delimiter = delims[data[0] & 3];
	fo.reader.header_room = (data[0] & 4) ? 4 : 0;
	fo.reader.skip_bom = !(data[0] & 8);
	fo.reader.max_field_size = (data[1] & 0x80) ? 0 : (size_t) (data[1] & 63) + 1;
	fo.step = (data[2] & 0x80) ? SIZE_MAX : (size_t) (data[2] & 63) + 1;
	if (data[3] & 15)
		fo.reader.chunk_size = data[3] & 15;
	fo.max_fields = data[3] >> 4;
	fo.thread_after = -1;
	fo.stop_after = SIZE_MAX;
	fo.reader.wait_hook = count_wait;
	if (data[4] >> 2)
		fo.reader.batch_size = (size_t) (data[4] >> 2) * 8;

	in.data = data + NOPTS;
	in.len = size - NOPTS;
	in.nlines = 1;
	for (size_t i = 0; i < in.len; i++)
		if (in.data[i] == '\n')
			in.nlines++;
	in.line_start = malloc(in.nlines * sizeof(size_t));
	in.line_start[0] = 0;
	for (size_t i = 0, l = 1; i < in.len; i++)
		if (in.data[i] == '\n')
			in.line_start[l++] = i + 1;
	in.first_offset = 0;
	if (fo.reader.skip_bom && in.len >= 3 && memcmp(in.data, "\xEF\xBB\xBF", 3) == 0)
		in.first_offset = 3;

	scratch = malloc(in.len + 1);
	lens = malloc((in.len + 2) * sizeof(size_t));

	fo_step1 = fo;
	fo_step1.step = 1;
	fo_whole = fo;
	fo_whole.step = SIZE_MAX;
	fo_whole.reader.chunk_size = in.len + 1;	/* one read takes it all */

	run(&in, &fo, "chosen", &chosen, scratch, lens, SIZE_MAX);
	run(&in, &fo_step1, "step1", &step1, scratch, lens, SIZE_MAX);
	run(&in, &fo_whole, "whole", &whole, scratch, lens, SIZE_MAX);
	compare_runs(&whole, "whole", &step1, "step1");
	compare_runs(&whole, "whole", &chosen, "chosen");
	if (data[4] & 1)
	{
		FuzzOptions fo_thread = fo;
		size_t		nwhole = 0;

		for (size_t p = 0; p < whole.len; nwhole++)
			p += describe_serialized(NULL, whole.data + p, whole.len - p);
		fo_thread.thread_after = (data[4] & 2) ? 1 : 0;
		run(&in, &fo_thread, "thread", &threaded, scratch, lens, SIZE_MAX);
		compare_runs(&whole, "whole", &threaded, "thread");
		/* free the reader while its thread may still be producing */
		fo_thread.stop_after = nwhole / 2;
		if (fo_thread.stop_after > 0)
			run(&in, &fo_thread, "thread-stop", &threaded, scratch, lens, SIZE_MAX);
		fo.thread_after = fo_thread.thread_after;
	}
	if (data[0] >> 4)
	{
		run(&in, &fo, "read-error", &failed, scratch, lens,
			in.len * (data[0] >> 4) / 16);
		run_name = "read-error";
		CHECK(failed.len <= whole.len &&
			  (failed.len == 0 || memcmp(failed.data, whole.data, failed.len) == 0),
			  "records before a read error are not a prefix of the records");
	}

	check_utf8_function(in.data, in.len);

	free(chosen.data);
	free(step1.data);
	free(whole.data);
	free(failed.data);
	free(threaded.data);
	free(scratch);
	free(lens);
	free(in.line_start);
	return 0;
}
