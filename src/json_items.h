/*-------------------------------------------------------------------------
 *
 * json_items.h
 *	  The JSON fields of sales and sales_orders, parsed with json-c.
 *
 * Pure C: bytes in, plain structs out, no PostgreSQL calls, so it is unit
 * tested and fuzzed outside the server.  One parser (one json-c tokener,
 * in strict mode) is reused for every field of a load.
 *
 * Numbers keep their exact text: json-c remembers how a number was written,
 * so 125.99 stays "125.99" instead of passing through a double.
 *
 * JSON that json-c accepts but RFC 8259 and PostgreSQL's jsonb do not (NaN,
 * Infinity, numbers like 1., -.5 or 01, an unescaped control character,
 * \u0000 or an unpaired surrogate in a string or key) is treated as
 * invalid, wherever it is in the document; so is a number past
 * value_numeric's 1000 digits or exponent 1000, and nesting deeper than
 * json-c's 32 levels.  An integer beyond 64 bits, which json-c would
 * saturate, keeps its text like any number (it is no qty or count).
 *
 * src/json_items.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MEDALLION_JSON_ITEMS_H
#define MEDALLION_JSON_ITEMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum JsonStatus
{
	JSON_OK = 0,
	JSON_INVALID,				/* not valid JSON */
	JSON_WRONG_TYPE,			/* valid JSON, but not an object / array */
	JSON_EMPTY					/* an empty array where items are needed */
} JsonStatus;

/* A piece of text inside a parsed document: NULL when absent. */
typedef struct JsonText
{
	const char *s;
	size_t		len;
} JsonText;

/* sales.product: {"curr","id","name","price","qty"?, ...} */
typedef struct JsonProduct
{
	JsonText	id;				/* string, or a number's text; absent if empty */
	JsonText	name;
	JsonText	curr;
	JsonText	price;			/* the number's text (a numeric string too) */
	bool		has_qty;		/* qty is a positive integer */
	int64_t		qty;
} JsonProduct;

/* What is wrong with an element of ordered_products. */
typedef enum ItemProblem
{
	ITEM_OK = 0,
	ITEM_NOT_OBJECT_OR_PAIR,	/* neither {...} nor [id, qty] */
	ITEM_NO_ID,					/* no non-empty id */
	ITEM_BAD_QTY,				/* qty missing, or not an integer >= 1 */
	ITEM_NEGATIVE_PRICE
} ItemProblem;

/* An element of ordered_products: an object, or an [id, qty] pair. */
typedef struct JsonItem
{
	ItemProblem problem;
	bool		is_pair;
	JsonText	id;
	int64_t		qty;
	JsonText	price;			/* absent: take the product's price */
	JsonText	curr;
	JsonText	name;
	JsonText	unit;
	JsonText	promotion_info; /* JSON text; absent when missing or null */
} JsonItem;

/* A [product_id, count] pair of clicked_items. */
typedef struct JsonClick
{
	JsonText	id;
	int64_t		count;
} JsonClick;

typedef struct JsonParser JsonParser;

extern JsonParser *json_parser_create(void);
extern void json_parser_free(JsonParser *parser);

/* Results point into the parser and stay valid until the same call again. */
extern JsonStatus json_parse_product(JsonParser *parser, const char *s, size_t len,
									 JsonProduct *product);
extern JsonStatus json_parse_items(JsonParser *parser, const char *s, size_t len,
								   JsonItem **items, int *nitems);
extern JsonStatus json_parse_clicks(JsonParser *parser, const char *s, size_t len,
									JsonClick **clicks, int *nclicks);
/* promo_info: JSON_OK with its text when it is a JSON array */
extern JsonStatus json_parse_array_text(JsonParser *parser, const char *s, size_t len,
										JsonText *text);

extern const char *json_item_problem_text(ItemProblem problem);

#endif							/* MEDALLION_JSON_ITEMS_H */
