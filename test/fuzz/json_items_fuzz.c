/*
 * json_items_fuzz.c
 *	  libFuzzer harness for the JSON core (src/json_items.c).
 *
 * Input layout: two option bytes, then the document.
 *
 *	 byte 0	bits 0-1: the call A under test (json_parse_product, _items,
 *			_clicks, _array_text); bit 2: between the two parses of the
 *			document, parse it with another call B as well, bits 3-4
 *			choosing B among the three others; bits 5-7: the junk byte
 *			appended in the last step (x ] } , NUL " FF [)
 *	 byte 1	when not 0: first parse the first byte1/256 of the document
 *			with A, leaving the reused tokener wherever that prefix ends
 *
 * Steps, all on one parser created for the input: the optional prefix,
 * then A on the document, B (optional), A again, and A on the document
 * followed by the junk byte.  Every document is a malloc'd copy freed
 * right after the call, so a result pointing into the input instead of the
 * parser is a heap-use-after-free when it is read.
 *
 * Every result is compared with an independent oracle: a small RFC 8259
 * parser written here, with the extra rules of json_items.h (no \u0000 in
 * strings or keys, numbers within value_numeric's 1000 digits / exponent
 * 1000, integers beyond 64 bits kept as written) and of PostgreSQL's jsonb (no unescaped
 * control characters, no unpaired UTF-16 surrogates), plus json-c's nesting
 * limit (MAX_DEPTH).  It decides the status (OK / WRONG_TYPE / EMPTY /
 * INVALID) and every field (ids, prices and their sign, qty, counts, the
 * item problems); a promotion_info or array text must parse (oracle and
 * json-c strict) to a tree equal to the source's.  Besides: texts have no
 * NUL inside their length, ids are non-empty, prices pass value_numeric
 * with the same sign, qty >= 1 for items that are ITEM_OK or
 * ITEM_NEGATIVE_PRICE (ITEM_NO_ID outranks ITEM_BAD_QTY, so an item
 * without an id may have qty 0), counts >= 0; results of A survive B
 * (ASan checks they still lie in live memory, and they must be
 * unchanged), the second
 * parse of A gives the same results as the first, and a valid document
 * followed by junk is JSON_INVALID.  A failed check prints what it saw and
 * the escaped input, and calls abort().
 *
 * Build: see test/fuzz/run_fuzz.sh.
 */
#include "json_items.h"
#include "values.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* json-c's JSON_TOKENER_DEFAULT_DEPTH: deeper documents fail to parse */
#define MAX_DEPTH		32
#define MAX_DIGITS		1000	/* value_numeric's limits (values.h) */
#define MAX_EXPONENT	1000
#define NOPTS			2

enum
{
	K_PRODUCT, K_ITEMS, K_CLICKS, K_ARRAY
};
static const char *const kind_names[4] = {"product", "items", "clicks", "array_text"};
static const char *const status_names[4] = {"OK", "INVALID", "WRONG_TYPE", "EMPTY"};

static const char *step_name;
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

	fprintf(stderr, "\n*** json_items invariant failed (%s): ", step_name ? step_name : "?");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n*** input (options + document, %zu bytes): \"", cur_input_len);
	print_escaped(stderr, cur_input, cur_input_len);
	fprintf(stderr, "\"\n");
	abort();
}

#define CHECK(cond, ...) \
	do { if (!(cond)) fail(__VA_ARGS__); } while (0)

/* ---------------------------------------------------------------------
 * The oracle: an RFC 8259 parser into a small tree.
 * ---------------------------------------------------------------------
 */
typedef enum
{
	N_NULL, N_TRUE, N_FALSE, N_NUMBER, N_STRING, N_ARRAY, N_OBJECT
} NodeType;

typedef struct Node Node;
struct Node
{
	NodeType	type;
	const char *text;			/* N_NUMBER: the text json-c serialises it to; */
	size_t		text_len;		/* N_STRING: the decoded bytes */
	bool		is_int;			/* N_NUMBER without fraction or exponent */
	bool		big;			/* an integer beyond 64 bits */
	Node	  **kids;			/* N_ARRAY elements, N_OBJECT values */
	char	  **keys;			/* N_OBJECT: decoded keys */
	size_t	   *key_lens;
	size_t		n;
};

/* everything the oracle allocates, freed after each input */
static void **arena;
static size_t arena_len,
			arena_cap;

static void *
oalloc(size_t size)
{
	void	   *p = calloc(1, size ? size : 1);

	if (p == NULL)
		abort();
	if (arena_len == arena_cap)
	{
		arena_cap = arena_cap ? arena_cap * 2 : 256;
		arena = realloc(arena, arena_cap * sizeof(void *));
		if (arena == NULL)
			abort();
	}
	arena[arena_len++] = p;
	return p;
}

static void
ofree_all(void)
{
	for (size_t i = 0; i < arena_len; i++)
		free(arena[i]);
	arena_len = 0;
}

typedef struct OParser
{
	const unsigned char *s;
	size_t		len;
	size_t		pos;
	int			depth;
	const char *why;			/* why the document is invalid */
} OParser;

static bool
o_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
o_skip_ws(OParser *p)
{
	while (p->pos < p->len && o_ws(p->s[p->pos]))
		p->pos++;
}

static bool
o_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static Node *
o_error(OParser *p, const char *why)
{
	if (p->why == NULL)
		p->why = why;
	return NULL;
}

static bool
o_fail(OParser *p, const char *why)
{
	o_error(p, why);
	return false;
}

static bool
o_literal(OParser *p, const char *word)
{
	size_t		n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return false;
	p->pos += n;
	return true;
}

static int
o_hex4(OParser *p)
{
	int			v = 0;

	if (p->len - p->pos < 4)
		return -1;
	for (int i = 0; i < 4; i++)
	{
		unsigned char c = p->s[p->pos + i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	p->pos += 4;
	return v;
}

/* a string at p->pos (the opening quote), decoded into *out */
static bool
o_string(OParser *p, char **out, size_t *out_len)
{
	char	   *buf = oalloc(p->len - p->pos);	/* decoded is never longer */
	size_t		n = 0;

	p->pos++;
	for (;;)
	{
		unsigned char c;

		if (p->pos >= p->len)
			return o_fail(p, "unterminated string");
		c = p->s[p->pos++];
		if (c == '"')
			break;
		if (c < 0x20)
			return o_fail(p, "unescaped control character in a string");
		if (c != '\\')
		{
			buf[n++] = (char) c;
			continue;
		}
		if (p->pos >= p->len)
			return o_fail(p, "unterminated escape");
		c = p->s[p->pos++];
		switch (c)
		{
			case '"':
			case '\\':
			case '/':
				buf[n++] = (char) c;
				break;
			case 'b':
				buf[n++] = '\b';
				break;
			case 'f':
				buf[n++] = '\f';
				break;
			case 'n':
				buf[n++] = '\n';
				break;
			case 'r':
				buf[n++] = '\r';
				break;
			case 't':
				buf[n++] = '\t';
				break;
			case 'u':
				{
					long		cp = o_hex4(p);

					if (cp < 0)
						return o_fail(p, "bad \\u escape");
					if (cp == 0)
						return o_fail(p, "\\u0000");
					if (cp >= 0xDC00 && cp <= 0xDFFF)
						return o_fail(p, "unpaired low surrogate");
					if (cp >= 0xD800 && cp <= 0xDBFF)
					{
						long		lo;

						if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
							return o_fail(p, "unpaired high surrogate");
						p->pos += 2;
						lo = o_hex4(p);
						if (lo < 0xDC00 || lo > 0xDFFF)
							return o_fail(p, "unpaired high surrogate");
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					}
					if (cp < 0x80)
						buf[n++] = (char) cp;
					else if (cp < 0x800)
					{
						buf[n++] = (char) (0xC0 | (cp >> 6));
						buf[n++] = (char) (0x80 | (cp & 0x3F));
					}
					else if (cp < 0x10000)
					{
						buf[n++] = (char) (0xE0 | (cp >> 12));
						buf[n++] = (char) (0x80 | ((cp >> 6) & 0x3F));
						buf[n++] = (char) (0x80 | (cp & 0x3F));
					}
					else
					{
						buf[n++] = (char) (0xF0 | (cp >> 18));
						buf[n++] = (char) (0x80 | ((cp >> 12) & 0x3F));
						buf[n++] = (char) (0x80 | ((cp >> 6) & 0x3F));
						buf[n++] = (char) (0x80 | (cp & 0x3F));
					}
					break;
				}
			default:
				return o_fail(p, "bad escape");
		}
	}
	*out = buf;
	*out_len = n;
	return true;
}

/* digits a (len na) compared with digits b, both without leading zeros */
static int
cmp_digits(const char *a, size_t na, const char *b)
{
	size_t		nb = strlen(b);

	if (na != nb)
		return na < nb ? -1 : 1;
	return memcmp(a, b, na);
}

static Node *
o_number(OParser *p)
{
	size_t		start = p->pos;
	size_t		int_start;
	size_t		digits = 0;
	bool		neg = false;
	Node	   *node;

	if (p->s[p->pos] == '-')
	{
		neg = true;
		p->pos++;
	}
	int_start = p->pos;
	if (p->pos < p->len && p->s[p->pos] == '0')
	{
		p->pos++, digits++;
		if (p->pos < p->len && o_digit(p->s[p->pos]))
			return o_error(p, "a leading zero");
	}
	else if (p->pos < p->len && p->s[p->pos] >= '1' && p->s[p->pos] <= '9')
		while (p->pos < p->len && o_digit(p->s[p->pos]))
			p->pos++, digits++;
	else
		return o_error(p, "bad number");
	node = oalloc(sizeof(Node));
	node->type = N_NUMBER;
	node->is_int = true;
	if (p->pos < p->len && p->s[p->pos] == '.')
	{
		size_t		f = ++p->pos;

		while (p->pos < p->len && o_digit(p->s[p->pos]))
			p->pos++, digits++;
		if (p->pos == f)
			return o_error(p, "no digit after the decimal point");
		node->is_int = false;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E'))
	{
		size_t		e;
		long		exponent = 0;

		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		e = p->pos;
		while (p->pos < p->len && o_digit(p->s[p->pos]))
		{
			if (exponent < 100000)
				exponent = exponent * 10 + (p->s[p->pos] - '0');
			p->pos++;
		}
		if (p->pos == e)
			return o_error(p, "no digit in the exponent");
		if (exponent > MAX_EXPONENT)
			return o_error(p, "exponent beyond 1000");
		node->is_int = false;
	}
	node->text = (const char *) p->s + start;
	node->text_len = p->pos - start;
	if (digits > MAX_DIGITS)
		return o_error(p, "more than 1000 digits");
	/* beyond int64 (negative) or uint64 (positive): kept as written */
	node->big = node->is_int &&
		cmp_digits((const char *) p->s + int_start, p->pos - int_start,
				   neg ? "9223372036854775808" : "18446744073709551615") > 0;
	/* json-c keeps the value, not the text: -0 is 0 */
	if (node->is_int && node->text_len == 2 && memcmp(node->text, "-0", 2) == 0)
		node->text = "0", node->text_len = 1;
	return node;
}

static Node *o_value(OParser *p);

static Node *
o_container(OParser *p, bool object)
{
	Node	   *node = oalloc(sizeof(Node));
	size_t		cap = 0;
	Node	  **kids = NULL;
	char	  **keys = NULL;
	size_t	   *key_lens = NULL;
	char		close = object ? '}' : ']';

	node->type = object ? N_OBJECT : N_ARRAY;
	if (++p->depth > MAX_DEPTH)
		return o_error(p, "nesting deeper than json-c's limit");
	p->pos++;
	o_skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close)
	{
		p->pos++;
		p->depth--;
		return node;
	}
	for (;;)
	{
		Node	   *kid;
		char	   *key = NULL;
		size_t		key_len = 0;

		o_skip_ws(p);
		if (object)
		{
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return o_error(p, "object key expected");
			if (!o_string(p, &key, &key_len))
				return NULL;
			o_skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return o_error(p, "':' expected");
			p->pos++;
		}
		kid = o_value(p);
		if (kid == NULL)
			return NULL;
		if (node->n == cap)
		{
			Node	  **k2;
			char	  **s2;
			size_t	   *l2;

			cap = cap ? cap * 2 : 4;
			k2 = oalloc(cap * sizeof(Node *));
			s2 = oalloc(cap * sizeof(char *));
			l2 = oalloc(cap * sizeof(size_t));
			if (node->n)
			{
				memcpy(k2, kids, node->n * sizeof(Node *));
				memcpy(s2, keys, node->n * sizeof(char *));
				memcpy(l2, key_lens, node->n * sizeof(size_t));
			}
			kids = k2, keys = s2, key_lens = l2;
		}
		kids[node->n] = kid;
		keys[node->n] = key;
		key_lens[node->n] = key_len;
		node->n++;
		o_skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',')
		{
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close)
		{
			p->pos++;
			break;
		}
		return o_error(p, "',' or end of container expected");
	}
	node->kids = kids;
	node->keys = keys;
	node->key_lens = key_lens;
	p->depth--;
	return node;
}

static Node *
o_value(OParser *p)
{
	Node	   *node;

	o_skip_ws(p);
	if (p->pos >= p->len)
		return o_error(p, "value expected");
	switch (p->s[p->pos])
	{
		case '{':
			return o_container(p, true);
		case '[':
			return o_container(p, false);
		case '"':
			node = oalloc(sizeof(Node));
			node->type = N_STRING;
			{
				char	   *str;

				if (!o_string(p, &str, &node->text_len))
					return NULL;
				node->text = str;
			}
			return node;
		case 't':
		case 'f':
		case 'n':
			node = oalloc(sizeof(Node));
			if (o_literal(p, "true"))
				node->type = N_TRUE;
			else if (o_literal(p, "false"))
				node->type = N_FALSE;
			else if (o_literal(p, "null"))
				node->type = N_NULL;
			else
				return o_error(p, "bad literal");
			return node;
		default:
			if (p->s[p->pos] == '-' || o_digit(p->s[p->pos]))
				return o_number(p);
			return o_error(p, "unexpected character");
	}
}

/* The whole document: its tree, or NULL with *why set. */
static Node *
oracle_parse(const unsigned char *s, size_t len, const char **why)
{
	OParser		p = {s, len, 0, 0, NULL};
	Node	   *root = o_value(&p);

	if (root != NULL)
	{
		o_skip_ws(&p);
		if (p.pos != len)
			root = o_error(&p, "text after the document");
	}
	*why = p.why;
	return root;
}

/* The value of the last member named key, NULL when absent or null. */
static Node *
o_member(Node *obj, const char *key)
{
	size_t		klen = strlen(key);

	for (size_t i = obj->n; i-- > 0;)
		if (obj->key_lens[i] == klen && memcmp(obj->keys[i], key, klen) == 0)
			return obj->kids[i]->type == N_NULL ? NULL : obj->kids[i];
	return NULL;
}

static bool
o_equal(const Node *a, const Node *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type)
	{
		case N_NUMBER:
		case N_STRING:
			return a->text_len == b->text_len && memcmp(a->text, b->text, a->text_len) == 0;
		case N_ARRAY:
			if (a->n != b->n)
				return false;
			for (size_t i = 0; i < a->n; i++)
				if (!o_equal(a->kids[i], b->kids[i]))
					return false;
			return true;
		case N_OBJECT:
			{
				/* as json-c keeps them: one member per key, the last value */
				size_t		distinct_a = 0,
							distinct_b = 0;

				for (size_t i = 0; i < a->n; i++)
				{
					bool		later = false;

					for (size_t j = i + 1; j < a->n && !later; j++)
						later = a->key_lens[j] == a->key_lens[i] &&
							memcmp(a->keys[j], a->keys[i], a->key_lens[i]) == 0;
					if (later)
						continue;
					distinct_a++;
					for (size_t j = b->n;; j--)
					{
						if (j == 0)
							return false;
						if (b->key_lens[j - 1] == a->key_lens[i] &&
							memcmp(b->keys[j - 1], a->keys[i], a->key_lens[i]) == 0)
						{
							if (!o_equal(a->kids[i], b->kids[j - 1]))
								return false;
							break;
						}
					}
				}
				for (size_t i = 0; i < b->n; i++)
				{
					bool		later = false;

					for (size_t j = i + 1; j < b->n && !later; j++)
						later = b->key_lens[j] == b->key_lens[i] &&
							memcmp(b->keys[j], b->keys[i], b->key_lens[i]) == 0;
					distinct_b += !later;
				}
				return distinct_a == distinct_b;
			}
		default:
			return true;
	}
}

/* ---------------------------------------------------------------------
 * What the oracle expects of the fields (the rules of json_items.h).
 * ---------------------------------------------------------------------
 */
typedef struct Text
{
	const char *s;
	size_t		len;
} Text;

static const Text no_text = {NULL, 0};

static Text
e_string(const Node *n)
{
	Text		t = no_text;

	if (n != NULL && n->type == N_STRING)
		t.s = n->text, t.len = n->text_len;
	return t;
}

/* an id: a non-empty string or a number's text */
static Text
e_id(const Node *n)
{
	Text		t = no_text;

	if (n != NULL && (n->type == N_NUMBER || (n->type == N_STRING && n->text_len > 0)))
		t.s = n->text, t.len = n->text_len;
	return t;
}

/*
 * PostgreSQL numeric syntax without NaN/Infinity (values.h), written
 * again: trim space/tab/CR/LF, [+-]?, digits with at most one '.', at
 * least one digit, at most 1000, then [eE][+-]?digits with a value of at
 * most 1000.
 */
static bool
e_numeric_syntax(const char *s, size_t len, bool *negative)
{
	size_t		a = 0,
				b = len,
				i;
	size_t		ndigits = 0;
	bool		neg = false,
				nonzero = false,
				dot = false;

	while (a < b && o_ws((unsigned char) s[a]))
		a++;
	while (b > a && o_ws((unsigned char) s[b - 1]))
		b--;
	i = a;
	if (i < b && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	for (; i < b; i++)
	{
		if (s[i] == '.' && !dot)
			dot = true;
		else if (o_digit((unsigned char) s[i]))
		{
			ndigits++;
			if (s[i] != '0')
				nonzero = true;
		}
		else
			break;
	}
	if (ndigits == 0 || ndigits > MAX_DIGITS)
		return false;
	if (i < b && (s[i] == 'e' || s[i] == 'E'))
	{
		size_t		e;
		long		exponent = 0;

		i++;
		if (i < b && (s[i] == '-' || s[i] == '+'))
			i++;
		e = i;
		for (; i < b && o_digit((unsigned char) s[i]); i++)
			if (exponent <= MAX_EXPONENT)
				exponent = exponent * 10 + (s[i] - '0');
		if (i == e || exponent > MAX_EXPONENT)
			return false;
	}
	if (i != b)
		return false;
	*negative = neg && nonzero;
	return true;
}

/* a price: a number, or a string in numeric syntax */
static Text
e_price(const Node *n, bool *negative)
{
	Text		t = no_text;

	*negative = false;
	if (n == NULL || (n->type != N_NUMBER && n->type != N_STRING))
		return t;
	if (!e_numeric_syntax(n->text, n->text_len, negative))
	{
		*negative = false;
		return t;
	}
	t.s = n->text, t.len = n->text_len;
	return t;
}

/* a JSON integer or a string of [0-9]+, from min to 2^63-1 */
static bool
e_integer(const Node *n, int64_t min, int64_t *out)
{
	char		buf[32];
	long long	v;
	char	   *end;

	if (n == NULL || !((n->type == N_NUMBER && n->is_int) || n->type == N_STRING))
		return false;
	if (n->type == N_STRING)
	{
		if (n->text_len == 0)
			return false;
		for (size_t i = 0; i < n->text_len; i++)
			if (!o_digit((unsigned char) n->text[i]))
				return false;
	}
	if (n->text_len >= sizeof(buf))
	{
		/* only leading zeros can make a string of digits this long fit */
		size_t		z = 0;

		while (z < n->text_len - 1 && n->text[z] == '0')
			z++;
		if (n->text_len - z >= sizeof(buf))
			return false;
		memcpy(buf, n->text + z, n->text_len - z);
		buf[n->text_len - z] = '\0';
	}
	else
	{
		memcpy(buf, n->text, n->text_len);
		buf[n->text_len] = '\0';
	}
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno == ERANGE || *end != '\0' || v < min)
		return false;
	*out = v;
	return true;
}

/* ---------------------------------------------------------------------
 * Calls and their results.
 * ---------------------------------------------------------------------
 */
typedef struct Result
{
	int			kind;
	JsonStatus	status;
	JsonProduct product;
	JsonItem   *items;
	int			nitems;
	JsonClick  *clicks;
	int			nclicks;
	JsonText	text;
} Result;

/* Calls kind on a malloc'd copy of the document, freed before returning. */
static void
call(JsonParser *parser, int kind, const unsigned char *doc, size_t len, Result *r)
{
	char	   *copy = malloc(len ? len : 1);

	if (copy == NULL)
		abort();
	if (len)
		memcpy(copy, doc, len);
	memset(r, 0, sizeof(Result));
	r->kind = kind;
	switch (kind)
	{
		case K_PRODUCT:
			r->status = json_parse_product(parser, copy, len, &r->product);
			break;
		case K_ITEMS:
			r->status = json_parse_items(parser, copy, len, &r->items, &r->nitems);
			break;
		case K_CLICKS:
			r->status = json_parse_clicks(parser, copy, len, &r->clicks, &r->nclicks);
			break;
		default:
			r->status = json_parse_array_text(parser, copy, len, &r->text);
			break;
	}
	free(copy);
	CHECK((unsigned) r->status <= JSON_EMPTY, "%s returned status %d", kind_names[kind], (int) r->status);
}

typedef struct Bytes
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Bytes;

static void
bytes_add(Bytes *b, const void *p, size_t n)
{
	if (b->len + n > b->cap)
	{
		size_t		cap = b->cap ? b->cap * 2 : 256;

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
bytes_int(Bytes *b, int64_t v)
{
	bytes_add(b, &v, sizeof(v));
}

/* reads every byte of the text, so ASan sees a text in freed memory */
static void
bytes_text(Bytes *b, JsonText t)
{
	bytes_int(b, t.s != NULL);
	bytes_int(b, (int64_t) t.len);
	if (t.s != NULL)
		bytes_add(b, t.s, t.len);
}

/* every field of a result, as bytes */
static void
serialize(const Result *r, Bytes *b)
{
	b->len = 0;
	bytes_int(b, r->kind);
	bytes_int(b, r->status);
	switch (r->kind)
	{
		case K_PRODUCT:
			bytes_text(b, r->product.id);
			bytes_text(b, r->product.name);
			bytes_text(b, r->product.curr);
			bytes_text(b, r->product.price);
			bytes_int(b, r->product.has_qty);
			bytes_int(b, r->product.qty);
			break;
		case K_ITEMS:
			bytes_int(b, r->nitems);
			for (int i = 0; i < r->nitems; i++)
			{
				const JsonItem *it = &r->items[i];

				bytes_int(b, it->problem);
				bytes_int(b, it->is_pair);
				bytes_text(b, it->id);
				bytes_int(b, it->qty);
				bytes_text(b, it->price);
				bytes_text(b, it->curr);
				bytes_text(b, it->name);
				bytes_text(b, it->unit);
				bytes_text(b, it->promotion_info);
			}
			break;
		case K_CLICKS:
			bytes_int(b, r->nclicks);
			for (int i = 0; i < r->nclicks; i++)
			{
				bytes_text(b, r->clicks[i].id);
				bytes_int(b, r->clicks[i].count);
			}
			break;
		default:
			bytes_text(b, r->text);
			break;
	}
}

static void
show_text(const char *label, const char *s, size_t len, bool present)
{
	fprintf(stderr, "\n    %s: ", label);
	if (!present)
		fprintf(stderr, "(absent)");
	else
	{
		fputc('"', stderr);
		print_escaped(stderr, (const unsigned char *) s, len);
		fputc('"', stderr);
	}
}

static void
expect_text(JsonText got, Text want, const char *what, int index)
{
	bool		same;

	/* absent texts are {NULL, 0} */
	if (got.s == NULL)
		CHECK(got.len == 0, "%s[%d]: absent with length %zu", what, index, got.len);
	if (got.s != NULL)
		CHECK(memchr(got.s, '\0', got.len) == NULL, "%s[%d]: a NUL byte inside its length", what, index);
	same = (got.s == NULL) == (want.s == NULL) &&
		(got.s == NULL || (got.len == want.len && memcmp(got.s, want.s, got.len) == 0));
	if (!same)
	{
		show_text("got", got.s, got.len, got.s != NULL);
		show_text("expected", want.s, want.len, want.s != NULL);
		fail("%s[%d] differs from the oracle's", what, index);
	}
}

/* a JSON text returned by the parser (promotion_info, an array text) */
/* an integer beyond 64 bits anywhere in the tree (json-c alone saturates it) */
static bool
o_has_big(const Node *n)
{
	if (n->type == N_NUMBER)
		return n->big;
	for (size_t i = 0; (n->type == N_ARRAY || n->type == N_OBJECT) && i < n->n; i++)
		if (o_has_big(n->kids[i]))
			return true;
	return false;
}

static void
check_json_text(JsonText got, const Node *source, const char *what, int index)
{
	const char *why;
	Node	   *again;
	json_tokener *tok;
	json_object *o;
	const char *s;

	CHECK(got.s != NULL && got.len > 0, "%s[%d]: no text", what, index);
	CHECK(memchr(got.s, '\0', got.len) == NULL, "%s[%d]: a NUL byte inside its length", what, index);
	/* what jsonb_in will be given: valid JSON, and the same value */
	again = oracle_parse((const unsigned char *) got.s, got.len, &why);
	if (again == NULL)
	{
		show_text("text", got.s, got.len, true);
		fail("%s[%d] is not valid JSON (%s)", what, index, why);
	}
	if (!o_equal(again, source))
	{
		show_text("text", got.s, got.len, true);
		fail("%s[%d] is not the source's value", what, index);
	}
	/*
	 * json-c (strict) reads it back to the same serialisation; not with an
	 * integer beyond 64 bits in it, which json-c alone saturates (the
	 * oracle's reading above covers those)
	 */
	if (o_has_big(source))
		return;
	tok = json_tokener_new();
	if (tok == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, got.s, (int) got.len);
	if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		o = json_tokener_parse_ex(tok, " ", 1);
	CHECK(json_tokener_get_error(tok) == json_tokener_success && o != NULL,
		  "%s[%d]: json-c does not read it back (%s)", what, index,
		  json_tokener_error_desc(json_tokener_get_error(tok)));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (strlen(s) != got.len || memcmp(s, got.s, got.len) != 0)
	{
		show_text("text", got.s, got.len, true);
		show_text("json-c again", s, strlen(s), true);
		fail("%s[%d]: json-c reads it back to another serialisation", what, index);
	}
	json_object_put(o);
	json_tokener_free(tok);
}

/* invariants that do not need the oracle */
static void
check_plain(const Result *r)
{
	bool		negative;

	switch (r->kind)
	{
		case K_PRODUCT:
			if (r->status != JSON_OK)
			{
				static const JsonProduct zero;

				CHECK(memcmp(&r->product, &zero, sizeof(zero)) == 0, "product: fields set without JSON_OK");
				break;
			}
			CHECK(r->product.id.s == NULL || r->product.id.len > 0, "product: an empty id");
			CHECK(r->product.price.s == NULL || value_numeric(r->product.price.s, r->product.price.len, &negative),
				  "product.price: the price text fails value_numeric");
			CHECK(r->product.has_qty ? r->product.qty >= 1 : r->product.qty == 0,
				  "product: has_qty %d with qty %lld", r->product.has_qty, (long long) r->product.qty);
			break;
		case K_ITEMS:
			CHECK(r->status == JSON_OK ? r->nitems > 0 && r->items != NULL : r->nitems == 0 && r->items == NULL,
				  "items: status %s with %d items", status_names[r->status], r->nitems);
			for (int i = 0; i < r->nitems; i++)
			{
				const JsonItem *it = &r->items[i];
				bool		negative = false;

				CHECK((unsigned) it->problem <= ITEM_NEGATIVE_PRICE, "items[%d]: problem %d", i, (int) it->problem);
				CHECK(it->id.s == NULL || it->id.len > 0, "items[%d]: an empty id", i);
				CHECK((it->problem == ITEM_NO_ID || it->problem == ITEM_NOT_OBJECT_OR_PAIR) == (it->id.s == NULL),
					  "items[%d]: problem %d with id %s", i, (int) it->problem, it->id.s ? "present" : "absent");
				if (it->problem == ITEM_OK || it->problem == ITEM_NEGATIVE_PRICE)
					CHECK(it->qty >= 1, "items[%d]: problem %d with qty %lld", i, (int) it->problem, (long long) it->qty);
				else
					CHECK(it->qty == 0 || it->qty >= 1, "items[%d]: qty %lld", i, (long long) it->qty);
				if (it->price.s != NULL)
				{
					CHECK(value_numeric(it->price.s, it->price.len, &negative), "items[%d]: the price text fails value_numeric", i);
					if (it->problem == ITEM_OK)
						CHECK(!negative, "items[%d]: ITEM_OK with a negative price", i);
					if (it->problem == ITEM_NEGATIVE_PRICE)
						CHECK(negative, "items[%d]: ITEM_NEGATIVE_PRICE with a price that is not negative", i);
				}
				else
					CHECK(it->problem != ITEM_NEGATIVE_PRICE, "items[%d]: ITEM_NEGATIVE_PRICE without a price", i);
				if (it->is_pair || it->problem == ITEM_NOT_OBJECT_OR_PAIR)
					CHECK(it->price.s == NULL && it->curr.s == NULL && it->name.s == NULL &&
						  it->unit.s == NULL && it->promotion_info.s == NULL,
						  "items[%d]: a pair or non-item with object fields", i);
			}
			break;
		case K_CLICKS:
			CHECK(r->status == JSON_OK || (r->nclicks == 0 && r->clicks == NULL),
				  "clicks: status %s with %d clicks", status_names[r->status], r->nclicks);
			CHECK(r->status != JSON_EMPTY, "clicks: JSON_EMPTY");
			for (int i = 0; i < r->nclicks; i++)
			{
				CHECK(r->clicks[i].id.s != NULL && r->clicks[i].id.len > 0, "clicks[%d]: no id", i);
				CHECK(r->clicks[i].count >= 0, "clicks[%d]: count %lld", i, (long long) r->clicks[i].count);
			}
			break;
		default:
			CHECK(r->status != JSON_EMPTY, "array_text: JSON_EMPTY");
			CHECK((r->status == JSON_OK) == (r->text.s != NULL), "array_text: status %s with text %s",
				  status_names[r->status], r->text.s ? "present" : "absent");
			break;
	}
}

/* the result of kind on a document the oracle parsed to root (NULL: invalid) */
static void
check_oracle(const Result *r, Node *root, const char *why)
{
	JsonStatus	want;

	if (root == NULL)
		want = JSON_INVALID;
	else
		switch (r->kind)
		{
			case K_PRODUCT:
				want = root->type == N_OBJECT ? JSON_OK : JSON_WRONG_TYPE;
				break;
			case K_ITEMS:
				want = root->type != N_ARRAY ? JSON_WRONG_TYPE : root->n == 0 ? JSON_EMPTY : JSON_OK;
				break;
			case K_CLICKS:
				want = root->type == N_ARRAY ? JSON_OK : JSON_WRONG_TYPE;
				for (size_t i = 0; want == JSON_OK && i < root->n; i++)
				{
					Node	   *e = root->kids[i];
					int64_t		count;

					if (e->type != N_ARRAY || e->n != 2 || e_id(e->kids[0]).s == NULL ||
						!e_integer(e->kids[1], 0, &count))
						want = JSON_WRONG_TYPE;
				}
				break;
			default:
				want = root->type == N_ARRAY ? JSON_OK : JSON_WRONG_TYPE;
				break;
		}
	CHECK(r->status == want, "%s returned %s, the oracle expects %s (%s)",
		  kind_names[r->kind], status_names[r->status], status_names[want],
		  root ? "valid JSON" : why);
	if (want != JSON_OK)
		return;

	switch (r->kind)
	{
		case K_PRODUCT:
			{
				bool		negative;
				int64_t		qty = 0;
				bool		has_qty = e_integer(o_member(root, "qty"), 1, &qty);
				Text		price = e_price(o_member(root, "price"), &negative);

				expect_text(r->product.id, e_id(o_member(root, "id")), "product.id", 0);
				expect_text(r->product.name, e_string(o_member(root, "name")), "product.name", 0);
				expect_text(r->product.curr, e_string(o_member(root, "curr")), "product.curr", 0);
				expect_text(r->product.price, price, "product.price", 0);
				CHECK(r->product.has_qty == has_qty && (!has_qty || r->product.qty == qty),
					  "product: has_qty %d qty %lld, the oracle says %d %lld", r->product.has_qty,
					  (long long) r->product.qty, has_qty, (long long) qty);
				break;
			}
		case K_ITEMS:
			CHECK((size_t) r->nitems == root->n, "items: %d items, the oracle counts %zu", r->nitems, root->n);
			for (int i = 0; i < r->nitems; i++)
			{
				const JsonItem *it = &r->items[i];
				Node	   *e = root->kids[i];
				ItemProblem problem = ITEM_OK;
				bool		pair = false,
							negative = false;
				int64_t		qty = 0;
				Text		id = no_text,
							price = no_text;
				Node	   *promo = NULL;

				if (e->type == N_OBJECT)
				{
					id = e_id(o_member(e, "id"));
					if (!e_integer(o_member(e, "qty"), 1, &qty))
						problem = ITEM_BAD_QTY, qty = 0;
					price = e_price(o_member(e, "price"), &negative);
					if (negative && problem == ITEM_OK)
						problem = ITEM_NEGATIVE_PRICE;
					promo = o_member(e, "promotion_info");
				}
				else if (e->type == N_ARRAY && e->n == 2)
				{
					pair = true;
					id = e_id(e->kids[0]);
					if (!e_integer(e->kids[1], 1, &qty))
						problem = ITEM_BAD_QTY, qty = 0;
				}
				else
					problem = ITEM_NOT_OBJECT_OR_PAIR;
				if (problem != ITEM_NOT_OBJECT_OR_PAIR && id.s == NULL)
					problem = ITEM_NO_ID;

				CHECK(it->problem == problem, "items[%d]: problem %d, the oracle says %d", i, (int) it->problem, (int) problem);
				CHECK(it->is_pair == pair, "items[%d]: is_pair %d, the oracle says %d", i, it->is_pair, pair);
				CHECK(it->qty == qty, "items[%d]: qty %lld, the oracle says %lld", i, (long long) it->qty, (long long) qty);
				expect_text(it->id, id, "items.id", i);
				expect_text(it->price, price, "items.price", i);
				if (e->type == N_OBJECT)
				{
					expect_text(it->curr, e_string(o_member(e, "curr")), "items.curr", i);
					expect_text(it->name, e_string(o_member(e, "name")), "items.name", i);
					expect_text(it->unit, e_string(o_member(e, "unit")), "items.unit", i);
				}
				if (promo == NULL)
					expect_text(it->promotion_info, no_text, "items.promotion_info", i);
				else
					check_json_text(it->promotion_info, promo, "items.promotion_info", i);
			}
			break;
		case K_CLICKS:
			CHECK((size_t) r->nclicks == root->n, "clicks: %d clicks, the oracle counts %zu", r->nclicks, root->n);
			for (int i = 0; i < r->nclicks; i++)
			{
				int64_t		count = -1;

				(void) e_integer(root->kids[i]->kids[1], 0, &count);
				expect_text(r->clicks[i].id, e_id(root->kids[i]->kids[0]), "clicks.id", i);
				CHECK(r->clicks[i].count == count, "clicks[%d]: count %lld, the oracle says %lld", i,
					  (long long) r->clicks[i].count, (long long) count);
			}
			break;
		default:
			check_json_text(r->text, root, "array_text", 0);
			break;
	}
}

static void
check_result(const Result *r, Node *root, const char *why)
{
	check_plain(r);
	check_oracle(r, root, why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char junks[8] = {'x', ']', '}', ',', '\0', '"', '\f', '['};
	JsonParser *parser;
	const unsigned char *doc;
	size_t		len;
	int			kind_a,
				kind_b = -1;
	Node	   *root;
	const char *why;
	Result		first,
				other,
				second,
				junked;
	Bytes		snap = {0},
				again = {0};

	if (size < NOPTS)
		return 0;
	cur_input = data;
	cur_input_len = size;
	doc = data + NOPTS;
	len = size - NOPTS;
	kind_a = data[0] & 3;
	if (data[0] & 4)
		kind_b = (kind_a + 1 + ((data[0] >> 3) & 3) % 3) % 4;

	parser = json_parser_create();
	if (parser == NULL)
		abort();
	root = oracle_parse(doc, len, &why);

	/* a prefix first: the tokener is left in the middle of something */
	if (data[1] != 0)
	{
		size_t		cut = len * data[1] / 256;
		const char *pwhy;
		Node	   *proot = oracle_parse(doc, cut, &pwhy);

		step_name = "prefix";
		call(parser, kind_a, doc, cut, &first);
		check_result(&first, proot, pwhy);
	}

	step_name = "first parse";
	call(parser, kind_a, doc, len, &first);
	check_result(&first, root, why);
	serialize(&first, &snap);

	if (kind_b >= 0)
	{
		step_name = kind_names[kind_b];
		call(parser, kind_b, doc, len, &other);
		check_result(&other, root, why);
		/* A's results still lie in live memory, unchanged */
		step_name = "first parse, after another kind";
		serialize(&first, &again);
		CHECK(again.len == snap.len && memcmp(again.data, snap.data, snap.len) == 0,
			  "the results of %s changed when %s parsed", kind_names[kind_a], kind_names[kind_b]);
	}

	step_name = "second parse";
	call(parser, kind_a, doc, len, &second);
	check_result(&second, root, why);
	serialize(&second, &again);
	CHECK(again.len == snap.len && memcmp(again.data, snap.data, snap.len) == 0,
		  "parsing the same document again gives other results");

	/* a valid document followed by junk is not JSON */
	if (root != NULL)
	{
		unsigned char *j = malloc(len + 1);

		if (j == NULL)
			abort();
		memcpy(j, doc, len);
		j[len] = junks[data[0] >> 5];
		step_name = "document and junk";
		call(parser, kind_a, j, len + 1, &junked);
		free(j);
		CHECK(junked.status == JSON_INVALID, "a valid document followed by the byte 0x%02x: %s",
			  junks[data[0] >> 5], status_names[junked.status]);
		check_plain(&junked);
	}

	json_parser_free(parser);
	free(snap.data);
	free(again.data);
	ofree_all();
	step_name = NULL;
	return 0;
}
