/*
 * csv_reader_test.c
 *	  Unit tests of the pure CSV core (src/csv_reader.c), outside the server.
 *
 * Every case is run with several read sizes (1, 2, 3, 7 bytes and 64 kB) so
 * that records, quotes, CRLF pairs and the BOM split across reads are
 * covered, and each of those both in the calling thread and on a parse
 * thread (started after the first record, as the loader does), with batches
 * of one record and of the default size.  Output is TAP.
 */
#include "csv_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct MemInput
{
	const char *data;
	size_t		len;
	size_t		pos;
	size_t		step;
} MemInput;

static long
mem_read(void *arg, char *buf, size_t size)
{
	MemInput   *in = arg;
	size_t		n = in->len - in->pos;

	if (n > size)
		n = size;
	if (n > in->step)
		n = in->step;
	memcpy(buf, in->data + in->pos, n);
	in->pos += n;
	return (long) n;
}

static const char *
status_name(CsvRecordStatus s)
{
	static const char *names[] = {"OK", "QUOTE_IN_UNQUOTED", "TEXT_AFTER_QUOTE",
		"BARE_CR", "UNTERMINATED_QUOTE", "FIELD_TOO_LARGE", "NUL_BYTE",
	"INVALID_UTF8"};

	return names[s];
}

/* appends bytes, escaping control characters so the expectation is readable */
static void
append_escaped(char **out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '\n')
			*out += sprintf(*out, "\\n");
		else if (c == '\r')
			*out += sprintf(*out, "\\r");
		else if (c < 0x20 || c >= 0x7f)
			*out += sprintf(*out, "\\x%02x", c);
		else
			*(*out)++ = (char) c;
	}
	**out = '\0';
}

/* Reads all records of input, describing them one per line. */
typedef enum Mode
{
	MODE_SYNC,
	MODE_THREAD_TINY_BATCHES,
	MODE_THREAD
} Mode;

static const char *mode_names[] = {"sync", "thread, 1-byte batches", "thread"};

static char *
describe(const char *input, size_t len, size_t step, size_t max_field, char delim,
		 Mode mode)
{
	static char out[65536];
	char	   *o = out;
	MemInput	in = {input, len, 0, step};
	CsvReaderOptions opts;
	CsvReader  *r;
	CsvRecord	rec;
	int			rc;

	out[0] = '\0';
	csv_reader_default_options(&opts);
	opts.header_room = 4;
	opts.delimiter = delim;
	if (max_field)
		opts.max_field_size = max_field;
	if (mode == MODE_THREAD_TINY_BATCHES)
		opts.batch_size = 1;
	r = csv_reader_create(&opts, mem_read, &in);
	while ((rc = csv_reader_next(r, &rec)) == 1)
	{
		o += sprintf(o, "L%lld ", (long long) rec.line);
		if (rec.status == CSV_RECORD_OK)
		{
			*o++ = '[';
			for (int i = 0; i < rec.nfields; i++)
			{
				if (i > 0)
					*o++ = '|';
				if (((size_t) (rec.fields[i] - 4)) % 8 != 0)
					o += sprintf(o, "<misaligned>");
				append_escaped(&o, rec.fields[i], rec.lengths[i]);
			}
			o += sprintf(o, "]");
		}
		else
		{
			o += sprintf(o, "%s f%d n%d raw=", status_name(rec.status),
						 rec.bad_field, rec.nfields);
			append_escaped(&o, rec.raw, rec.raw_len);
			if (rec.raw_truncated)
				o += sprintf(o, "...");
		}
		*o++ = ';';
		*o = '\0';
		/* as the loader does: the header in this thread, the rest on another */
		if (mode != MODE_SYNC && rec.line == 1 && csv_reader_start_thread(r) != 0)
			o += sprintf(o, "<thread not started>");
	}
	if (rc < 0)
		o += sprintf(o, "ERROR %d", (int) csv_reader_error(r));
	csv_reader_free(r);
	return out;
}

static int	failures = 0;
static int	tests = 0;

static void
check_full(const char *name, const char *input, size_t len, size_t max_field,
		   char delim, const char *expected)
{
	static const size_t steps[] = {1, 2, 3, 7, 65536};

	for (int mode = MODE_SYNC; mode <= MODE_THREAD; mode++)
		for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		{
			const char *got = describe(input, len, steps[i], max_field, delim, mode);

			tests++;
			if (strcmp(got, expected) == 0)
				printf("ok %d - %s (reads of %zu, %s)\n", tests, name, steps[i],
					   mode_names[mode]);
			else
			{
				failures++;
				printf("not ok %d - %s (reads of %zu, %s)\n#   expected: %s\n#        got: %s\n",
					   tests, name, steps[i], mode_names[mode], expected, got);
			}
		}
}

#define CHECK(name, input, expected) \
	check_full(name, input, sizeof(input) - 1, 0, ',', expected)
#define CHECK_MAX(name, input, max, expected) \
	check_full(name, input, sizeof(input) - 1, max, ',', expected)
#define CHECK_DELIM(name, input, delim, expected) \
	check_full(name, input, sizeof(input) - 1, 0, delim, expected)

static void
check_utf8(const char *name, const char *s, size_t len, CsvRecordStatus expected)
{
	CsvRecordStatus got = csv_check_utf8(s, len);

	tests++;
	if (got == expected)
		printf("ok %d - utf8 %s\n", tests, name);
	else
	{
		failures++;
		printf("not ok %d - utf8 %s: expected %s, got %s\n", tests, name,
			   status_name(expected), status_name(got));
	}
}

int
main(void)
{
	CHECK("simple LF", "a,b\n1,2\n", "L1 [a|b];L2 [1|2];");
	CHECK("CRLF line ends", "a,b\r\n1,2\r\n", "L1 [a|b];L2 [1|2];");
	CHECK("last record without line end", "a,b\n1,2", "L1 [a|b];L2 [1|2];");
	CHECK("last record ends with CR only", "a,b\r\n1,2\r", "L1 [a|b];L2 [1|2];");
	CHECK("quoted delimiter, doubled quotes, newline",
		  "a,b\n\"x,y\",\"he said \"\"hi\"\"\"\n\"multi\nline\",z\n3,4\n",
		  "L1 [a|b];L2 [x,y|he said \"hi\"];L3 [multi\\nline|z];L5 [3|4];");
	CHECK("CRLF inside quotes is data", "\"a\r\nb\",c\r\nd,e\r\n",
		  "L1 [a\\r\\nb|c];L3 [d|e];");
	CHECK("blank lines skipped", "a\n\n\r\nb\n\n", "L1 [a];L4 [b];");
	CHECK("spaces are data", " a , b \n\" q \",\t\n", "L1 [ a | b ];L2 [ q |\\x09];");
	CHECK("backslash is text", "a\\,\"b\\\"\n", "L1 [a\\|b\\];");
	CHECK("empty fields", ",\n\"\",x\n", "L1 [|];L2 [|x];");
	CHECK("quote inside unquoted field", "a,b\"c,d\n1,2\n",
		  "L1 QUOTE_IN_UNQUOTED f2 n1 raw=a,b\"c,d;L2 [1|2];");
	CHECK("text after closing quote", "\"ab\"c,d\r\n1,2\r\n",
		  "L1 TEXT_AFTER_QUOTE f1 n0 raw=\"ab\"c,d;L2 [1|2];");
	CHECK("space after closing quote", "x,\"ab\" ,d\n1\n",
		  "L1 TEXT_AFTER_QUOTE f2 n1 raw=x,\"ab\" ,d;L2 [1];");
	CHECK("malformed record ends at its line end", "a\"b,\"c\nd\"\ne\n",
		  "L1 QUOTE_IN_UNQUOTED f1 n0 raw=a\"b,\"c;L2 QUOTE_IN_UNQUOTED f1 n0 raw=d\";L3 [e];");
	CHECK("bare CR inside a line", "a\rb\n1\n",
		  "L1 BARE_CR f0 n2 raw=a\\rb;L2 [1];");
	CHECK("CR CR LF", "a\r\r\nb\n", "L1 BARE_CR f0 n1 raw=a\\r;L2 [b];");
	CHECK("CR at line start", "\rab\nc\n", "L1 BARE_CR f0 n1 raw=\\rab;L2 [c];");
	CHECK("CR inside quotes is data", "\"a\rb\",c\n", "L1 [a\\rb|c];");
	CHECK("unterminated quote at end of file", "a\n\"open\nmore\n",
		  "L1 [a];L2 UNTERMINATED_QUOTE f1 n0 raw=\"open\\nmore;");
	CHECK("unterminated quote after fields", "a,b\n1,\"x",
		  "L1 [a|b];L2 UNTERMINATED_QUOTE f2 n1 raw=1,\"x;");
	CHECK("closing quote at end of file", "\"a\"", "L1 [a];");
	CHECK("NUL byte", "a,b\0c\n1,2\n", "L1 NUL_BYTE f2 n2 raw=a,b\\x00c;L2 [1|2];");
	CHECK("invalid UTF-8", "a,\xff\n", "L1 INVALID_UTF8 f2 n2 raw=a,\\xff;");
	CHECK("UTF-8 kept", "\xc3\xa9,\xe6\x97\xa5\xf0\x9f\x98\x80\n",
		  "L1 [\\xc3\\xa9|\\xe6\\x97\\xa5\\xf0\\x9f\\x98\\x80];");
	CHECK("byte order mark skipped", "\xEF\xBB\xBFid,b\n1,2\n", "L1 [id|b];L2 [1|2];");
	CHECK("byte order mark only at start", "a\n\xEF\xBB\xBF" "b\n",
		  "L1 [a];L2 [\\xef\\xbb\\xbfb];");
	CHECK("only a byte order mark", "\xEF\xBB\xBF", "");
	CHECK("empty input", "", "");
	CHECK("only blank lines", "\n\r\n\n", "");
	CHECK("short input", "a", "L1 [a];");
	CHECK_MAX("field over the limit", "abc,defghij\n1,2\n", 5,
			  "L1 FIELD_TOO_LARGE f2 n2 raw=abc,d...;L2 [1|2];");
	CHECK_MAX("field at the limit", "abcde,\"fghij\"\n", 5, "L1 [abcde|fghij];");
	CHECK_MAX("quoted field over the limit spanning lines",
			  "\"0123456789\n01\"\"2345\",x\n1,2\n", 5,
			  "L1 FIELD_TOO_LARGE f1 n2 raw=\"0123...;L3 [1|2];");
	CHECK_MAX("unterminated field over the limit", "a\n\"0123456789\n0123456789\n", 5,
			  "L1 [a];L2 UNTERMINATED_QUOTE f1 n0 raw=\"0123...;");
	CHECK_DELIM("semicolon delimiter", "a;b,c\n\"x;y\";2\n", ';',
				"L1 [a|b,c];L2 [x;y|2];");
	CHECK("NUL inside quotes", "\"a\0\",b\n", "L1 NUL_BYTE f1 n2 raw=\"a\\x00\",b;");

	check_utf8("ascii", "hello world, this is ascii", 26, CSV_RECORD_OK);
	check_utf8("two-byte", "caf\xc3\xa9", 5, CSV_RECORD_OK);
	check_utf8("four-byte", "\xf0\x9f\x98\x80", 4, CSV_RECORD_OK);
	check_utf8("overlong", "\xc0\xaf", 2, CSV_RECORD_INVALID_UTF8);
	check_utf8("overlong three-byte", "\xe0\x80\xaf", 3, CSV_RECORD_INVALID_UTF8);
	check_utf8("surrogate", "\xed\xa0\x80", 3, CSV_RECORD_INVALID_UTF8);
	check_utf8("above U+10FFFF", "\xf4\x90\x80\x80", 4, CSV_RECORD_INVALID_UTF8);
	check_utf8("truncated", "abc\xe6\x97", 5, CSV_RECORD_INVALID_UTF8);
	check_utf8("lone continuation", "abcdefgh\x80", 9, CSV_RECORD_INVALID_UTF8);
	check_utf8("NUL after 8 ascii", "abcdefgh\0", 9, CSV_RECORD_NUL_BYTE);
	check_utf8("NUL inside a word", "ab\0defghijk", 11, CSV_RECORD_NUL_BYTE);

	printf("1..%d\n", tests);
	return failures ? 1 : 0;
}
