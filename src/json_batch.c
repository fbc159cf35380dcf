/*-------------------------------------------------------------------------
 *
 * json_batch.c
 *	  Many JSON fields parsed at once, optionally on a second thread.
 *
 * Results are copied into an arena of malloc'd blocks that a new parse
 * reuses from the start, so a batch settles at the size of its largest
 * chunk.
 *
 * src/json_batch.c
 *
 *-------------------------------------------------------------------------
 */
#include "json_batch.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE	(256 * 1024)

typedef struct Block
{
	struct Block *next;
	size_t		size;
	size_t		used;
	char		data[];
} Block;

struct JsonBatch
{
	JsonParser *parser;
	Block	   *blocks;			/* every block, in order of use */
	Block	   *current;		/* the block allocations come from */

	/* json_batch_start's thread and its work */
	bool		running;
	pthread_t	thread;
	JsonField  *fields;
	int			nfields;
	int			rc;
};

JsonBatch *
json_batch_create(void)
{
	JsonBatch  *b = calloc(1, sizeof(JsonBatch));

	if (b == NULL)
		return NULL;
	b->parser = json_parser_create();
	if (b->parser == NULL)
	{
		free(b);
		return NULL;
	}
	return b;
}

void
json_batch_free(JsonBatch *b)
{
	if (b == NULL)
		return;
	json_batch_wait(b);
	json_parser_free(b->parser);
	while (b->blocks != NULL)
	{
		Block	   *next = b->blocks->next;

		free(b->blocks);
		b->blocks = next;
	}
	free(b);
}

/* size bytes of the arena, aligned for any struct; NULL when out of memory */
static void *
arena_alloc(JsonBatch *b, size_t size)
{
	size = (size + 15) & ~(size_t) 15;
	while (b->current != NULL && b->current->size - b->current->used < size)
	{
		/* blocks after the current one are free since the last reset */
		if (b->current->next == NULL)
			break;
		b->current = b->current->next;
		b->current->used = 0;
	}
	if (b->current == NULL || b->current->size - b->current->used < size)
	{
		size_t		bsize = size > BLOCK_SIZE ? size : BLOCK_SIZE;
		Block	   *blk = malloc(sizeof(Block) + bsize);

		if (blk == NULL)
			return NULL;
		blk->size = bsize;
		blk->used = 0;
		/* a new block goes after the current one: the rest stays for later */
		if (b->current == NULL)
		{
			blk->next = b->blocks;
			b->blocks = blk;
		}
		else
		{
			blk->next = b->current->next;
			b->current->next = blk;
		}
		b->current = blk;
	}
	b->current->used += size;
	return b->current->data + b->current->used - size;
}

/* Copies a text into the arena; false when out of memory. */
static bool
keep(JsonBatch *b, JsonText *t)
{
	char	   *copy;

	if (t->s == NULL)
		return true;
	copy = arena_alloc(b, t->len + 1);
	if (copy == NULL)
		return false;
	memcpy(copy, t->s, t->len);
	copy[t->len] = '\0';
	t->s = copy;
	return true;
}

/* Copies n elements of size bytes into the arena (none: NULL); false when out of memory. */
static bool
keep_array(JsonBatch *b, void **dst, const void *src, int n, size_t size)
{
	*dst = NULL;
	if (n == 0)
		return true;
	*dst = arena_alloc(b, size * n);
	if (*dst == NULL)
		return false;
	memcpy(*dst, src, size * n);
	return true;
}

/* Parses one field and moves what it found into the arena. */
static bool
parse_field(JsonBatch *b, JsonField *f)
{
	f->status = JSON_INVALID;
	f->items = NULL;
	f->nitems = 0;
	f->clicks = NULL;
	f->nclicks = 0;
	f->text.s = NULL;
	f->text.len = 0;
	memset(&f->product, 0, sizeof(f->product));
	if (f->s == NULL)
		return true;

	switch (f->kind)
	{
		case JSON_KIND_PRODUCT:
			f->status = json_parse_product(b->parser, f->s, f->len, &f->product);
			return keep(b, &f->product.id) && keep(b, &f->product.name) &&
				keep(b, &f->product.curr) && keep(b, &f->product.price);

		case JSON_KIND_ITEMS:
			{
				JsonItem   *items;

				f->status = json_parse_items(b->parser, f->s, f->len, &items, &f->nitems);
				if (!keep_array(b, (void **) &f->items, items, f->nitems, sizeof(JsonItem)))
					return false;
				for (int i = 0; i < f->nitems; i++)
				{
					JsonItem   *it = &f->items[i];

					if (!keep(b, &it->id) || !keep(b, &it->price) || !keep(b, &it->curr) ||
						!keep(b, &it->name) || !keep(b, &it->unit) ||
						!keep(b, &it->promotion_info))
						return false;
				}
				return true;
			}

		case JSON_KIND_CLICKS:
			{
				JsonClick  *clicks;

				f->status = json_parse_clicks(b->parser, f->s, f->len, &clicks, &f->nclicks);
				if (!keep_array(b, (void **) &f->clicks, clicks, f->nclicks, sizeof(JsonClick)))
					return false;
				for (int i = 0; i < f->nclicks; i++)
					if (!keep(b, &f->clicks[i].id))
						return false;
				return true;
			}

		case JSON_KIND_ARRAY_TEXT:
			f->status = json_parse_array_text(b->parser, f->s, f->len, &f->text);
			return keep(b, &f->text);
	}
	return true;
}

int
json_batch_parse(JsonBatch *b, JsonField *fields, int n)
{
	/* the previous results are no longer needed */
	b->current = b->blocks;
	if (b->current != NULL)
		b->current->used = 0;

	for (int i = 0; i < n; i++)
		if (!parse_field(b, &fields[i]))
			return -1;
	return 0;
}

static void *
batch_thread_main(void *arg)
{
	JsonBatch  *b = arg;

	b->rc = json_batch_parse(b, b->fields, b->nfields);
	return NULL;
}

int
json_batch_start(JsonBatch *b, JsonField *fields, int n)
{
	sigset_t	all,
				old;
	int			rc;

	if (b->running)
		return -1;
	b->fields = fields;
	b->nfields = n;
	b->rc = 0;

	/* the thread inherits this mask: signals stay with the calling thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&b->thread, NULL, batch_thread_main, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -1;
	b->running = true;
	return 0;
}

int
json_batch_wait(JsonBatch *b)
{
	if (!b->running)
		return 0;
	pthread_join(b->thread, NULL);
	b->running = false;
	return b->rc;
}
