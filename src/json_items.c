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

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* four hex digits at s[i..len), as a code unit */
static bool
hex4(const char *s, size_t len, size_t i, unsigned *out)
{
	unsigned	v = 0;

	if (i > len || len - i < 4)
		return false;
	for (size_t k = i; k < i + 4; k++)
	{
		char		c = s[k];

		v <<= 4;
		if (is_digit(c))
			v |= (unsigned) (c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned) (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned) (c - 'A' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

/* the digits of an integer (n of them, no sign) beyond -2^63 .. 2^64-1 */
static bool
beyond_64_bits(const char *digits, size_t n, bool neg)
{
	const char *max = neg ? "9223372036854775808" : "18446744073709551615";
	size_t		maxlen = strlen(max);

	return n > maxlen || (n == maxlen && memcmp(digits, max, n) > 0);
}

/*
 * A number at s[*i] as RFC 8259 writes it, -?(0|[1-9][0-9]*)(.[0-9]+)?
 * ([eE][+-]?[0-9]+)?, within value_numeric's digits and exponent; *big is
 * set for an integer (no fraction or exponent) beyond 64 bits, which
 * json-c would saturate.  *i moves past it.
 */
static bool
rfc_number(const char *s, size_t len, size_t *i, bool *big)
{
	size_t		p = *i;
	size_t		start;
	bool		neg = false;
	bool		integer = true;

	if (s[p] == '-')
		neg = true, p++;
	start = p;
	if (p < len && s[p] == '0')
		p++;
	else if (p < len && s[p] >= '1' && s[p] <= '9')
		while (p < len && is_digit(s[p]))
			p++;
	else
		return false;
	if (p < len && s[p] == '.')
	{
		size_t		f = ++p;

		while (p < len && is_digit(s[p]))
			p++;
		if (p == f)
			return false;
		integer = false;
	}
	if (p < len && (s[p] == 'e' || s[p] == 'E'))
	{
		size_t		e;

		p++;
		if (p < len && (s[p] == '+' || s[p] == '-'))
			p++;
		e = p;
		while (p < len && is_digit(s[p]))
			p++;
		if (p == e)
			return false;
		integer = false;
	}
	/* 01, 1.2.3, 1e5e5: more number characters follow */
	if (p < len && (is_digit(s[p]) || s[p] == '.' || s[p] == 'e' || s[p] == 'E' ||
					s[p] == '+' || s[p] == '-'))
		return false;
	if (!integer || beyond_64_bits(s + start, p - start, neg))
	{
		bool		negative;

		if (!value_numeric(s + *i, p - *i, &negative))
			return false;
		*big |= integer;
	}
	*i = p;
	return true;
}

/* what rfc_text finds: TEXT_BAD, or TEXT_OK with what needs rewriting */
#define TEXT_BAD	0			/* not JSON as RFC 8259 and jsonb take it */
#define TEXT_OK		1
#define TEXT_PAIRS	2			/* \uD8xx\uDCxx pairs in strings */
#define TEXT_BIG	4			/* integers beyond 64 bits */

/*
 * What json-c's strict mode takes but RFC 8259 and jsonb refuse, or json-c
 * cannot keep.  The parsed tree does not show all of it (a value replaced
 * by a later duplicate key is gone from it, a raw TAB looks like \t), so
 * the text is walked.  No NaN or Infinity; numbers must follow the RFC
 * grammar (json-c takes 1., -.5, 00, -01) within numeric's range; strings,
 * keys included, must not hold an unescaped control character (json-c takes a raw TAB or newline),
 * \u0000 (json-c cuts a key short there) or an unpaired surrogate (json-c
 * makes it U+FFFD).  Safe on any text; its verdict on the structure is
 * json-c's.
 */
static int
rfc_text(const char *s, size_t len)
{
	size_t		i = 0;
	bool		pairs = false;
	bool		big = false;

	while (i < len)
	{
		char		c = s[i];

		if (c == '-' || is_digit(c))
		{
			if (!rfc_number(s, len, &i, &big))
				return TEXT_BAD;
			continue;
		}
		/* NaN, Infinity: json-c's, not JSON */
		if (c == 'N' || c == 'I')
			return TEXT_BAD;
		i++;
		if (c != '"')
			continue;
		/* a string, up to its closing quote */
		while (i < len && s[i] != '"')
		{
			unsigned	u,
						lo;

			if ((unsigned char) s[i] < 0x20)
				return TEXT_BAD;
			if (s[i] != '\\')
			{
				i++;
				continue;
			}
			if (i + 1 < len && s[i + 1] != 'u')
			{
				i += 2;
				continue;
			}
			if (!hex4(s, len, i + 2, &u) || u == 0 || (u >= 0xDC00 && u <= 0xDFFF))
				return TEXT_BAD;
			i += 6;
			if (u >= 0xD800 && u <= 0xDBFF)
			{
				if (len - i < 2 || s[i] != '\\' || s[i + 1] != 'u' ||
					!hex4(s, len, i + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
					return TEXT_BAD;
				i += 6;
				pairs = true;
			}
		}
		i++;
	}
	return TEXT_OK | (pairs ? TEXT_PAIRS : 0) | (big ? TEXT_BIG : 0);
}

/*
 * The text rewritten for json-c (malloc'd, *outlen bytes), for a text
 * rfc_text found fine:
 *
 * - every \uD8xx\uDCxx pair written as its UTF-8 bytes instead: json-c
 *   0.16 decodes a pair whose code point ends in D800-DFFF (U+1D800 to
 *   U+1DFFF, U+2D800 to U+2DFFF, ...) to U+FFFD; raw UTF-8 it keeps as is;
 * - every integer beyond 64 bits followed by a '.': json-c saturates such
 *   an integer, but keeps the text of a decimal, and takes "N." as one.
 *   No JSON number ends in '.', so unmark_big() knows them after parsing.
 */
static char *
rewrite_text(const char *s, size_t len, size_t *outlen)
{
	/* pairs shrink; each marked integer (of 20 digits or more) grows by one */
	char	   *out = malloc(len + len / 20 + 1);
	size_t		n = 0;
	bool		in_string = false;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len;)
	{
		unsigned	hi,
					lo;

		if (!in_string && (s[i] == '-' || is_digit(s[i])))
		{
			/* a number (outside strings, only numbers hold - or digits) */
			size_t		start = i;
			bool		neg = s[i] == '-';
			bool		integer = true;

			i += neg;
			while (i < len && (is_digit(s[i]) || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
							   s[i] == '+' || s[i] == '-'))
				integer &= is_digit(s[i++]);
			memcpy(out + n, s + start, i - start);
			n += i - start;
			if (integer && beyond_64_bits(s + start + neg, i - start - neg, neg))
				out[n++] = '.';
			continue;
		}
		if (!in_string || s[i] != '\\' || i + 1 == len)
		{
			if (s[i] == '"')
				in_string = !in_string;
			out[n++] = s[i++];
			continue;
		}
		if (s[i + 1] == 'u' && hex4(s, len, i + 2, &hi) && hi >= 0xD800 && hi <= 0xDBFF &&
			hex4(s, len, i + 8, &lo))
		{
			unsigned	cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);

			out[n++] = (char) (0xF0 | (cp >> 18));
			out[n++] = (char) (0x80 | ((cp >> 12) & 0x3F));
			out[n++] = (char) (0x80 | ((cp >> 6) & 0x3F));
			out[n++] = (char) (0x80 | (cp & 0x3F));
			i += 12;
			continue;
		}
		/* any other escape, copied whole */
		out[n++] = s[i++];
		out[n++] = s[i++];
	}
	*outlen = n;
	return out;
}

/*
 * The integers rewrite_text() marked with a '.' (decimals to json-c, which
 * keeps their text, as a serializer's userdata): their text again, without
 * it.  False when out of memory.
 */
static bool
unmark_big(json_object *o)
{
	switch (json_object_get_type(o))
	{
		case json_type_double:
			{
				const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
				size_t		n = t ? strlen(t) : 0;
				char	   *copy;

				if (n == 0 || t[n - 1] != '.')
					return true;
				copy = strndup(t, n - 1);
				if (copy == NULL)
					return false;
				json_object_set_serializer(o, json_object_userdata_to_json_string, copy,
										   json_object_free_userdata);
				return true;
			}
		case json_type_array:
			for (size_t k = 0; k < json_object_array_length(o); k++)
				if (!unmark_big(json_object_array_get_idx(o, k)))
					return false;
			return true;
		case json_type_object:
			{
				json_object_object_foreach(o, key, value)
				{
					(void) key;
					if (!unmark_big(value))
						return false;
				}
				return true;
			}
		default:
			return true;
	}
}

/*
 * A fresh tokener after a failed parse: json_tokener_reset (json-c 0.16)
 * leaves a pending high surrogate behind, which the next document's first
 * \u escape then follows (U+FFFD before it, or a pair made with it).
 */
static void
renew_tokener(JsonParser *p)
{
	json_tokener *tok = json_tokener_new();

	if (tok == NULL)
		return;					/* keep the old one: better than none */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	json_tokener_free(p->tok);
	p->tok = tok;
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
	char	   *rewritten = NULL;
	int			check;
	JsonStatus	status = JSON_INVALID;

	json_object_put(p->roots[slot]);
	p->roots[slot] = NULL;
	*out = NULL;

	check = rfc_text(s, len);
	if (check == TEXT_BAD)
		return JSON_INVALID;
	if (check != TEXT_OK)
	{
		rewritten = rewrite_text(s, len, &len);
		if (rewritten == NULL)
			return JSON_INVALID;
		s = rewritten;
	}

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
		renew_tokener(p);
		goto done;
	}
	/* only JSON whitespace may follow the document */
	end = fed_delimiter ? len : json_tokener_get_parse_end(p->tok);
	for (; end < len; end++)
		if (s[end] != ' ' && s[end] != '\t' && s[end] != '\n' && s[end] != '\r')
		{
			json_object_put(o);
			goto done;
		}
	if ((check & TEXT_BIG) && !unmark_big(o))
	{
		json_object_put(o);
		goto done;
	}
	p->roots[slot] = o;
	*out = o;
	status = JSON_OK;
done:
	free(rewritten);
	return status;
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
	bool		negative;

	memset(out, 0, sizeof(JsonProduct));
	if (parse_document(p, SLOT_PRODUCT, s, len, &o) != JSON_OK)
		return JSON_INVALID;
	if (o == NULL || !json_object_is_type(o, json_type_object))
		return JSON_WRONG_TYPE;

	out->id = id_of(member(o, "id"));
	out->name = string_of(member(o, "name"));
	out->curr = string_of(member(o, "curr"));
	if (!number_of(member(o, "price"), &out->price, &negative))
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
