/*
 * json_batch_test.c
 *	  Unit tests of src/json_batch.c: a chunk of JSON fields parsed at once,
 *	  in the calling thread or on a second one, gives every field what
 *	  json_items.c gives it alone, and the results outlive the next field's
 *	  parse.  Run under ASan and TSan by test/run_tests.sh.
 */
#include "json_batch.h"

#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static int
same_text(JsonText a, JsonText b)
{
	if (a.s == NULL || b.s == NULL)
		return a.s == b.s;
	return a.len == b.len && memcmp(a.s, b.s, a.len) == 0;
}

static int
same_item(const JsonItem *a, const JsonItem *b)
{
	return a->problem == b->problem && a->is_pair == b->is_pair && a->qty == b->qty &&
		same_text(a->id, b->id) && same_text(a->price, b->price) &&
		same_text(a->curr, b->curr) && same_text(a->name, b->name) &&
		same_text(a->unit, b->unit) && same_text(a->promotion_info, b->promotion_info);
}

/* Does f hold what json_items.c finds in its input on its own? */
static int
matches_alone(JsonParser *p, const JsonField *f)
{
	JsonProduct prod;
	JsonItem   *items;
	JsonClick  *clicks;
	JsonText	text;
	int			n;
	JsonStatus	st;

	if (f->s == NULL)
		return f->status == JSON_INVALID && f->nitems == 0 && f->nclicks == 0 &&
			f->text.s == NULL && f->product.id.s == NULL;
	switch (f->kind)
	{
		case JSON_KIND_PRODUCT:
			st = json_parse_product(p, f->s, f->len, &prod);
			return st == f->status && same_text(prod.id, f->product.id) &&
				same_text(prod.name, f->product.name) && same_text(prod.curr, f->product.curr) &&
				same_text(prod.price, f->product.price) &&
				prod.has_qty == f->product.has_qty && prod.qty == f->product.qty;
		case JSON_KIND_ITEMS:
			st = json_parse_items(p, f->s, f->len, &items, &n);
			if (st != f->status || n != f->nitems)
				return 0;
			for (int i = 0; i < n; i++)
				if (!same_item(&items[i], &f->items[i]))
					return 0;
			return 1;
		case JSON_KIND_CLICKS:
			st = json_parse_clicks(p, f->s, f->len, &clicks, &n);
			if (st != f->status || n != f->nclicks)
				return 0;
			for (int i = 0; i < n; i++)
				if (!same_text(clicks[i].id, f->clicks[i].id) || clicks[i].count != f->clicks[i].count)
					return 0;
			return 1;
		case JSON_KIND_ARRAY_TEXT:
			st = json_parse_array_text(p, f->s, f->len, &text);
			return st == f->status && same_text(text, f->text);
	}
	return 0;
}

/* deterministic pseudo-random numbers */
static unsigned long long rng = 88172645463325252ULL;

static unsigned
next_rand(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned) (rng % n);
}

/* A JSON document for a field of the given kind, sometimes broken. */
static char *
make_doc(JsonKind kind, int i, size_t long_name)
{
	char	   *name = malloc(long_name + 16);
	char	   *doc;
	size_t		cap;

	memset(name, 'a' + i % 26, long_name);
	snprintf(name + long_name, 16, "%d", i);
	cap = long_name + 512;
	doc = malloc(cap);
	switch (next_rand(8) == 0 ? 99 : (int) kind)
	{
		case JSON_KIND_PRODUCT:
			snprintf(doc, cap, "{\"curr\":\"USD\",\"id\":\"P%d\",\"name\":\"%s\",\"price\":%d.%02d,\"qty\":%d}",
					 i, name, i % 500, i % 100, 1 + i % 4);
			break;
		case JSON_KIND_ITEMS:
			if (i % 3 == 0)
				snprintf(doc, cap, "[[\"P%d\",%d],[\"P%d\",%d]]", i, 1 + i % 5, i + 1, i % 3);
			else
				snprintf(doc, cap, "[{\"id\":\"P%d\",\"qty\":%d,\"price\":%d.99,\"curr\":\"USD\","
						 "\"name\":\"%s\",\"unit\":\"pcs\",\"promotion_info\":{\"code\":\"X%d\"}},"
						 "{\"id\":%d,\"qty\":1}]", i, 1 + i % 7, i % 300, name, i, i);
			break;
		case JSON_KIND_CLICKS:
			snprintf(doc, cap, "[[\"P%d\",%d],[\"P%d\",%d]]", i, i % 9, i + 2, 1 + i % 4);
			break;
		case JSON_KIND_ARRAY_TEXT:
			snprintf(doc, cap, "[{\"promo\":\"%s\",\"pct\":%d.5}, 1.10, null]", name, i % 50);
			break;
		default:
			/* not valid JSON, valid JSON of the wrong shape, or an empty array */
			snprintf(doc, cap, "%s", i % 3 == 0 ? "[1.,2]" : i % 3 == 1 ? "{\"a\":1}" : "[]");
			break;
	}
	free(name);
	return doc;
}

/* n fields of every kind; one in ten has no input */
static JsonField *
make_fields(int n, size_t long_name)
{
	JsonField  *fields = calloc(n, sizeof(JsonField));

	for (int i = 0; i < n; i++)
	{
		fields[i].kind = (JsonKind) (i % 4);
		if (i % 10 == 9)
			continue;
		fields[i].s = make_doc(fields[i].kind, i, i % 50 == 0 ? long_name : 8);
		fields[i].len = strlen(fields[i].s);
	}
	return fields;
}

static void
free_fields(JsonField *fields, int n)
{
	for (int i = 0; i < n; i++)
		free((char *) fields[i].s);
	free(fields);
}

static int
all_match(JsonParser *p, const JsonField *fields, int n)
{
	for (int i = 0; i < n; i++)
		if (!matches_alone(p, &fields[i]))
		{
			printf("# field %d (kind %d) differs: %.*s\n", i, (int) fields[i].kind,
				   (int) (fields[i].len > 200 ? 200 : fields[i].len),
				   fields[i].s ? fields[i].s : "(none)");
			return 0;
		}
	return 1;
}

int
main(void)
{
	JsonParser *p = json_parser_create();
	JsonBatch  *b = json_batch_create();
	JsonBatch  *b2 = json_batch_create();
	JsonField  *f1 = make_fields(3000, 300 * 1024);
	JsonField  *f2 = make_fields(1000, 1000);
	JsonField  *f3 = make_fields(2000, 100);
	JsonField	one;
	int			kinds[5] = {0};

	for (int i = 0; i < 3000; i++)
		kinds[f1[i].s == NULL ? 4 : (int) f1[i].kind]++;
	check(kinds[0] > 0 && kinds[1] > 0 && kinds[2] > 0 && kinds[3] > 0 && kinds[4] > 0,
		  "the chunk holds fields of every kind, and fields without input");

	/* in the calling thread */
	check(json_batch_parse(b, f1, 3000) == 0, "parse: 3000 fields, some over a block in size");
	check(all_match(p, f1, 3000), "parse: every field holds what it parses to alone, after all were parsed");
	check(f1[9].s == NULL && f1[9].status == JSON_INVALID && f1[9].nitems == 0,
		  "parse: a field without input is JSON_INVALID with no results");
	check(f1[1].status == JSON_OK && f1[1].nitems == 2 && f1[1].items[0].name.s != NULL &&
		  f1[1].items[0].name.s != NULL && f1[1].items[0].name.s[f1[1].items[0].name.len] == '\0',
		  "parse: texts are copied, and end with a NUL");

	/* the arena is reused: a smaller chunk, then the first again */
	check(json_batch_parse(b, f3, 2000) == 0 && all_match(p, f3, 2000),
		  "parse again: a second chunk on the same batch");
	check(json_batch_parse(b, f1, 3000) == 0 && all_match(p, f1, 3000),
		  "parse again: the big chunk once more, over reused blocks");

	/* on a second thread, while this one parses with its own parser */
	check(json_batch_wait(b2) == 0, "wait: nothing started returns 0 at once");
	check(json_batch_start(b2, f2, 1000) == 0, "start: the thread starts");
	check(json_batch_start(b2, f3, 2000) == -1, "start: refused while the batch's thread runs");
	check(json_batch_parse(b, f3, 2000) == 0, "parse: the calling thread parses meanwhile");
	check(json_batch_wait(b2) == 0, "wait: the thread's parse succeeded");
	check(all_match(p, f2, 1000), "thread: every field holds what it parses to alone");
	check(all_match(p, f3, 2000), "thread: the calling thread's own chunk is intact");

	/* alternating chunks, as parse.c drives them */
	for (int round = 0; round < 4; round++)
	{
		JsonBatch  *cur = round % 2 ? b : b2;
		JsonField  *chunk = round % 2 ? f3 : f1;
		int			n = round % 2 ? 2000 : 3000;

		if (json_batch_start(cur, chunk, n) != 0 || json_batch_wait(cur) != 0 ||
			!all_match(p, chunk, n))
			break;
		kinds[0] = round + 1;
	}
	check(kinds[0] == 4, "thread: four alternating chunks on two batches");

	/* a single field */
	memset(&one, 0, sizeof(one));
	one.kind = JSON_KIND_ARRAY_TEXT;
	one.s = "  [1.50, \"x\"]  ";
	one.len = strlen(one.s);
	check(json_batch_parse(b, &one, 1) == 0 && one.status == JSON_OK &&
		  one.text.len == strlen("[1.50,\"x\"]") && memcmp(one.text.s, "[1.50,\"x\"]", one.text.len) == 0,
		  "array text: serialised with the number's own text");
	one.kind = JSON_KIND_PRODUCT;
	one.s = "[1]";
	one.len = 3;
	check(json_batch_parse(b, &one, 1) == 0 && one.status == JSON_WRONG_TYPE && one.product.id.s == NULL,
		  "product: an array is the wrong type");

	/* freeing a batch whose thread still runs waits for it */
	check(json_batch_start(b2, f1, 3000) == 0, "start: a thread left running");
	json_batch_free(b2);
	check(1, "free: waits for the running thread (TSan and ASan would object otherwise)");

	json_batch_free(b);
	json_parser_free(p);
	free_fields(f1, 3000);
	free_fields(f2, 1000);
	free_fields(f3, 2000);

	return tap_done();
}
