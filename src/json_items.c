/*-------------------------------------------------------------------------
 *
 * json_items.c
 *	  The JSON fields of sales and sales_orders, parsed with json-c.
 *
 * src/json_items.c
 *
 *-------------------------------------------------------------------------
 */
#include "json_items.h"
#include "values.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* one parsed document per kind, kept until that kind is parsed again */
enum
{
	SLOT_PRODUCT,
	SLOT_ITEMS,
	SLOT_CLICKS,
	SLOT_ARRAY,
	NSLOTS
};

struct JsonParser
{
	json_tokener *tok;
	json_object *roots[NSLOTS];
	JsonItem   *items;
	int			items_cap;
	JsonClick  *clicks;
	int			clicks_cap;
};

JsonParser *
json_parser_create(void)
{
	JsonParser *p = calloc(1, sizeof(JsonParser));

	if (p == NULL)
		return NULL;
	p->tok = json_tokener_new();
	if (p->tok == NULL)
	{
		free(p);
		return NULL;
	}
	json_tokener_set_flags(p->tok, JSON_TOKENER_STRICT);
	return p;
}

void
json_parser_free(JsonParser *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < NSLOTS; i++)
		json_object_put(p->roots[i]);
	json_tokener_free(p->tok);
	free(p->items);
	free(p->clicks);
	free(p);
}

const char *
json_item_problem_text(ItemProblem problem)
{
	switch (problem)
	{
		case ITEM_OK:
			return "valid";
		case ITEM_NOT_OBJECT_OR_PAIR:
			return "is neither an object nor an [id, qty] pair";
		case ITEM_NO_ID:
			return "has no id";
		case ITEM_BAD_QTY:
			return "has no integer qty of at least 1";
		case ITEM_NEGATIVE_PRICE:
			return "has a negative price";
	}
	return "is invalid";
}

/* The text json-c serialises a value to (numbers as they were written). */
static JsonText
serialised(json_object *o)
{
	JsonText	t;

	t.s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	t.len = t.s ? strlen(t.s) : 0;
	return t;
}

/*
 * Whether a parsed tree is JSON as RFC 8259 and jsonb understand it: json-c
 * also takes NaN and Infinity, \u0000 inside strings, and saturates
 * integers beyond 64 bits.
 */
static bool
valid_tree(json_object *o)
{
	switch (json_object_get_type(o))
	{
		case json_type_double:
			{
				JsonText	t = serialised(o);
				bool		negative;

				return t.s != NULL && value_numeric(t.s, t.len, &negative);
			}
		case json_type_int:
			return json_object_get_int64(o) != INT64_MIN &&
				json_object_get_uint64(o) != UINT64_MAX;
		case json_type_string:
			return memchr(json_object_get_string(o), '\0',
						  json_object_get_string_len(o)) == NULL;
		case json_type_array:
			for (size_t i = 0; i < json_object_array_length(o); i++)
				if (!valid_tree(json_object_array_get_idx(o, i)))
					return false;
			return true;
		case json_type_object:
			{
				json_object_object_foreach(o, key, value)
				{
					(void) key;
					if (!valid_tree(value))
						return false;
				}
				return true;
			}
		default:
			return true;
	}
}

/*
 * Parses a whole document into the given slot.  Returns JSON_OK with *out
 * set (NULL for the literal null), or JSON_INVALID.
 */
static JsonStatus
parse_document(JsonParser *p, int slot, const char *s, size_t len, json_object **out)
{
	json_object *o;
	size_t		end;
	bool		fed_delimiter = false;

	json_object_put(p->roots[slot]);
	p->roots[slot] = NULL;
	*out = NULL;

	json_tokener_reset(p->tok);
	o = json_tokener_parse_ex(p->tok, s, (int) len);
	/* a scalar (a number, null) waits for a delimiter: give it one */
	if (o == NULL && json_tokener_get_error(p->tok) == json_tokener_continue)
	{
		o = json_tokener_parse_ex(p->tok, " ", 1);
		fed_delimiter = true;
	}
	if (json_tokener_get_error(p->tok) != json_tokener_success)
	{
		json_object_put(o);
		return JSON_INVALID;
	}
	/* only JSON whitespace may follow the document */
	end = fed_delimiter ? len : json_tokener_get_parse_end(p->tok);
	for (; end < len; end++)
		if (s[end] != ' ' && s[end] != '\t' && s[end] != '\n' && s[end] != '\r')
		{
			json_object_put(o);
			return JSON_INVALID;
		}
	if (o != NULL && !valid_tree(o))
	{
		json_object_put(o);
		return JSON_INVALID;
	}
	p->roots[slot] = o;
	*out = o;
	return JSON_OK;
}

static JsonText
no_text(void)
{
	JsonText	t = {NULL, 0};

	return t;
}

/* A string value, or absent. */
static JsonText
string_of(json_object *o)
{
	JsonText	t = no_text();

	if (o != NULL && json_object_is_type(o, json_type_string))
	{
		t.s = json_object_get_string(o);
		t.len = json_object_get_string_len(o);
	}
	return t;
}

static json_object *
member(json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

/* A product id: a non-empty string, or a number's text. */
static JsonText
id_of(json_object *o)
{
	if (o == NULL)
		return no_text();
	switch (json_object_get_type(o))
	{
		case json_type_string:
			{
				JsonText	t = string_of(o);

				return t.len > 0 ? t : no_text();
			}
		case json_type_int:
		case json_type_double:
			return serialised(o);
		default:
			return no_text();
	}
}

/* A number's text: a JSON number, or a string in numeric syntax. */
static bool
number_of(json_object *o, JsonText *text, bool *negative)
{
	JsonText	t;

	if (o == NULL)
		return false;
	switch (json_object_get_type(o))
	{
		case json_type_int:
		case json_type_double:
			t = serialised(o);
			break;
		case json_type_string:
			t = string_of(o);
			break;
		default:
			return false;
	}
	if (t.s == NULL || !value_numeric(t.s, t.len, negative))
		return false;
	*text = t;
	return true;
}

/* A JSON integer, or a string of digits, at least min. */
static bool
integer_of(json_object *o, int64_t min, int64_t *out)
{
	int64_t		v;

	if (o == NULL)
		return false;
	if (json_object_is_type(o, json_type_int))
	{
		if (json_object_get_uint64(o) > (uint64_t) INT64_MAX && json_object_get_int64(o) >= 0)
			return false;
		v = json_object_get_int64(o);
	}
	else if (json_object_is_type(o, json_type_string))
	{
		JsonText	t = string_of(o);

		/* digits only, not trimmed: the string is the number */
		if (t.len == 0 || t.s[0] < '0' || t.s[0] > '9' ||
			t.s[t.len - 1] < '0' || t.s[t.len - 1] > '9' ||
			!value_nonnegative_int(t.s, t.len, &v))
			return false;
	}
	else
		return false;
	if (v < min)
		return false;
	*out = v;
	return true;
}

JsonStatus
json_parse_product(JsonParser *p, const char *s, size_t len, JsonProduct *out)
{
	json_object *o;

	memset(out, 0, sizeof(JsonProduct));
	if (parse_document(p, SLOT_PRODUCT, s, len, &o) != JSON_OK)
		return JSON_INVALID;
	if (o == NULL || !json_object_is_type(o, json_type_object))
		return JSON_WRONG_TYPE;

	out->id = id_of(member(o, "id"));
	out->name = string_of(member(o, "name"));
	out->curr = string_of(member(o, "curr"));
	if (!number_of(member(o, "price"), &out->price, &out->price_negative))
		out->price = no_text();
	out->has_qty = integer_of(member(o, "qty"), 1, &out->qty);
	return JSON_OK;
}

/* Fills one element of ordered_products. */
static void
read_item(json_object *e, JsonItem *item)
{
	memset(item, 0, sizeof(JsonItem));
	if (e != NULL && json_object_is_type(e, json_type_object))
	{
		json_object *promo = member(e, "promotion_info");
		bool		negative;

		item->id = id_of(member(e, "id"));
		if (!integer_of(member(e, "qty"), 1, &item->qty))
			item->problem = ITEM_BAD_QTY;
		/* a price that is not a number counts as missing */
		if (number_of(member(e, "price"), &item->price, &negative))
		{
			if (negative && item->problem == ITEM_OK)
				item->problem = ITEM_NEGATIVE_PRICE;
		}
		else
			item->price = no_text();
		item->curr = string_of(member(e, "curr"));
		item->name = string_of(member(e, "name"));
		item->unit = string_of(member(e, "unit"));
		if (promo != NULL)
			item->promotion_info = serialised(promo);
	}
	else if (e != NULL && json_object_is_type(e, json_type_array) &&
			 json_object_array_length(e) == 2)
	{
		item->is_pair = true;
		item->id = id_of(json_object_array_get_idx(e, 0));
		if (!integer_of(json_object_array_get_idx(e, 1), 1, &item->qty))
			item->problem = ITEM_BAD_QTY;
	}
	else
	{
		item->problem = ITEM_NOT_OBJECT_OR_PAIR;
		return;
	}
	if (item->id.s == NULL)
		item->problem = ITEM_NO_ID;
}

JsonStatus
json_parse_items(JsonParser *p, const char *s, size_t len, JsonItem **items, int *nitems)
{
	json_object *o;
	int			n;

	*items = NULL;
	*nitems = 0;
	if (parse_document(p, SLOT_ITEMS, s, len, &o) != JSON_OK)
		return JSON_INVALID;
	if (o == NULL || !json_object_is_type(o, json_type_array))
		return JSON_WRONG_TYPE;
	n = (int) json_object_array_length(o);
	if (n == 0)
		return JSON_EMPTY;

	if (n > p->items_cap)
	{
		JsonItem   *grown = realloc(p->items, n * sizeof(JsonItem));

		if (grown == NULL)
			return JSON_INVALID;
		p->items = grown;
		p->items_cap = n;
	}
	for (int i = 0; i < n; i++)
		read_item(json_object_array_get_idx(o, i), &p->items[i]);
	*items = p->items;
	*nitems = n;
	return JSON_OK;
}

JsonStatus
json_parse_clicks(JsonParser *p, const char *s, size_t len, JsonClick **clicks, int *nclicks)
{
	json_object *o;
	int			n;

	*clicks = NULL;
	*nclicks = 0;
	if (parse_document(p, SLOT_CLICKS, s, len, &o) != JSON_OK)
		return JSON_INVALID;
	if (o == NULL || !json_object_is_type(o, json_type_array))
		return JSON_WRONG_TYPE;
	n = (int) json_object_array_length(o);
	if (n > p->clicks_cap)
	{
		JsonClick  *grown = realloc(p->clicks, n * sizeof(JsonClick));

		if (grown == NULL)
			return JSON_INVALID;
		p->clicks = grown;
		p->clicks_cap = n;
	}
	for (int i = 0; i < n; i++)
	{
		json_object *e = json_object_array_get_idx(o, i);

		if (e == NULL || !json_object_is_type(e, json_type_array) ||
			json_object_array_length(e) != 2)
			return JSON_WRONG_TYPE;
		p->clicks[i].id = id_of(json_object_array_get_idx(e, 0));
		if (p->clicks[i].id.s == NULL ||
			!integer_of(json_object_array_get_idx(e, 1), 0, &p->clicks[i].count))
			return JSON_WRONG_TYPE;
	}
	*clicks = p->clicks;
	*nclicks = n;
	return JSON_OK;
}

JsonStatus
json_parse_array_text(JsonParser *p, const char *s, size_t len, JsonText *text)
{
	json_object *o;

	*text = no_text();
	if (parse_document(p, SLOT_ARRAY, s, len, &o) != JSON_OK)
		return JSON_INVALID;
	if (o == NULL || !json_object_is_type(o, json_type_array))
		return JSON_WRONG_TYPE;
	*text = serialised(o);
	return JSON_OK;
}
