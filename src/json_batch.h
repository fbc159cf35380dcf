/*-------------------------------------------------------------------------
 *
 * json_batch.h
 *	  Many JSON fields parsed at once, optionally on a second thread.
 *
 * The parse of a chunk of bronze rows: every JSON field of every row is
 * parsed by json_items.c and its results copied into the batch's own
 * memory, so they outlive the next field's parse.  json_batch_start does
 * the same on a new thread, while the caller inserts the previous chunk.
 *
 * Pure C, no PostgreSQL calls: the thread touches only the input bytes (the
 * caller keeps them valid and unchanged until json_batch_wait) and memory it
 * mallocs itself.
 *
 * src/json_batch.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MEDALLION_JSON_BATCH_H
#define MEDALLION_JSON_BATCH_H

#include "json_items.h"

typedef enum JsonKind
{
	JSON_KIND_PRODUCT,			/* json_parse_product */
	JSON_KIND_ITEMS,			/* json_parse_items */
	JSON_KIND_CLICKS,			/* json_parse_clicks */
	JSON_KIND_ARRAY_TEXT		/* json_parse_array_text */
} JsonKind;

/* One field to parse, and what its parse found. */
typedef struct JsonField
{
	/* set by the caller; s == NULL means nothing to parse */
	JsonKind	kind;
	const char *s;
	size_t		len;

	/* set by the parse: JSON_INVALID when s is NULL */
	JsonStatus	status;
	JsonProduct product;		/* JSON_KIND_PRODUCT */
	JsonItem   *items;			/* JSON_KIND_ITEMS */
	int			nitems;
	JsonClick  *clicks;			/* JSON_KIND_CLICKS */
	int			nclicks;
	JsonText	text;			/* JSON_KIND_ARRAY_TEXT */
} JsonField;

typedef struct JsonBatch JsonBatch;

extern JsonBatch *json_batch_create(void);
/* Waits for the batch's thread, if one runs, and frees everything. */
extern void json_batch_free(JsonBatch *batch);

/*
 * Parses fields[0..n) now.  The results point into the batch and stay valid
 * until its next parse.  Returns 0, or -1 when memory ran out.
 */
extern int	json_batch_parse(JsonBatch *batch, JsonField *fields, int n);

/*
 * The same on a new thread, with every signal blocked.  Returns 0 when the
 * thread started, -1 when it could not (then nothing was started).
 */
extern int	json_batch_start(JsonBatch *batch, JsonField *fields, int n);

/* Waits for the thread json_batch_start started: its json_batch_parse result. */
extern int	json_batch_wait(JsonBatch *batch);

#endif							/* MEDALLION_JSON_BATCH_H */
