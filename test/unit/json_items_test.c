/*
 * json_items_test.c
 *	  Unit tests of the JSON core (src/json_items.c): SPEC sections 2 and 8.
 */
#include "json_items.h"

#include "tap.h"

#include <stdio.h>
#include <string.h>


static int
text_is(JsonText t, const char *expect)
{
	if (expect == NULL)
		return t.s == NULL;
	return t.s != NULL && t.len == strlen(expect) && memcmp(t.s, expect, t.len) == 0;
}

#define PRODUCT(json) json_parse_product(p, json, strlen(json), &prod)
#define ITEMS(json) json_parse_items(p, json, strlen(json), &items, &n)
#define CLICKS(json) json_parse_clicks(p, json, strlen(json), &clicks, &n)

int
main(void)
{
	JsonParser *p = json_parser_create();
	JsonProduct prod;
	JsonItem   *items;
	JsonClick  *clicks;
	JsonText	t;
	int			n;

	/* sales.product */
	check(PRODUCT("{\"curr\":\"USD\",\"id\":\"P1\",\"name\":\"Widget\",\"price\":125.99,\"qty\":2}") == JSON_OK &&
		  text_is(prod.id, "P1") && text_is(prod.name, "Widget") && text_is(prod.curr, "USD") &&
		  text_is(prod.price, "125.99") && prod.has_qty && prod.qty == 2,
		  "product: every field, price text exact (125.99, not 125.98999999999999)");
	check(PRODUCT("{\"id\":17,\"price\":10}") == JSON_OK && text_is(prod.id, "17") &&
		  text_is(prod.price, "10") && !prod.has_qty, "product: a numeric id is taken as its text");
	check(PRODUCT("{\"id\":1.50}") == JSON_OK && text_is(prod.id, "1.50"), "product: a decimal id keeps its text");
	check(PRODUCT("{\"id\":\"\"}") == JSON_OK && prod.id.s == NULL, "product: an empty id is no id");
	check(PRODUCT("{\"id\":null}") == JSON_OK && prod.id.s == NULL, "product: a null id is no id");
	check(PRODUCT("{\"id\":true}") == JSON_OK && prod.id.s == NULL, "product: a boolean id is no id");
	check(PRODUCT("{\"name\":\"no id\"}") == JSON_OK && prod.id.s == NULL, "product: a missing id");
	check(PRODUCT("{\"id\":\"P\",\"qty\":\"3\"}") == JSON_OK && prod.has_qty && prod.qty == 3, "product: qty as a string of digits");
	check(PRODUCT("{\"id\":\"P\",\"qty\":0}") == JSON_OK && !prod.has_qty, "product: qty 0 is not a positive integer");
	check(PRODUCT("{\"id\":\"P\",\"qty\":1.5}") == JSON_OK && !prod.has_qty, "product: qty 1.5 is not an integer");
	check(PRODUCT("{\"id\":\"P\",\"qty\":\" 3\"}") == JSON_OK && !prod.has_qty, "product: qty \" 3\" is not a string of digits");
	check(PRODUCT("{\"id\":\"P\",\"qty\":-2}") == JSON_OK && !prod.has_qty, "product: a negative qty");
	check(PRODUCT("{\"id\":\"P\",\"price\":\"7.50\"}") == JSON_OK && text_is(prod.price, "7.50"), "product: a price string in numeric syntax");
	check(PRODUCT("{\"id\":\"P\",\"price\":\"cheap\"}") == JSON_OK && prod.price.s == NULL, "product: a price that is not a number");
	check(PRODUCT("{\"id\":\"P\",\"price\":-3}") == JSON_OK && text_is(prod.price, "-3"), "product: a negative price keeps its sign");
	check(PRODUCT("[]") == JSON_WRONG_TYPE, "product: an array is not an object");
	check(PRODUCT("\"P1\"") == JSON_WRONG_TYPE, "product: a string is not an object");
	check(PRODUCT("null") == JSON_WRONG_TYPE, "product: null is not an object");
	check(PRODUCT("{not json") == JSON_INVALID, "product: broken JSON");
	check(PRODUCT("{\"id\":\"P\"} x") == JSON_INVALID, "product: text after the document");
	check(PRODUCT("  {\"id\":\"P\"}\n ") == JSON_OK, "product: surrounding whitespace");
	check(PRODUCT("{'id':'P'}") == JSON_INVALID, "product: single quotes are not JSON");
	check(PRODUCT("{\"id\":\"P\",}") == JSON_INVALID, "product: a trailing comma is not JSON");
	check(PRODUCT("{\"id\":\"P\",\"price\":NaN}") == JSON_INVALID, "product: NaN is not JSON");
	check(PRODUCT("{\"id\":\"a\\u0000b\"}") == JSON_INVALID, "product: \\u0000 is refused (jsonb refuses it)");
	/* integers beyond 64 bits: json-c would saturate them, their text is kept */
	check(PRODUCT("{\"id\":123456789012345678901234567890,\"price\":-99999999999999999999,\"qty\":18446744073709551616}") == JSON_OK &&
		  text_is(prod.id, "123456789012345678901234567890") && text_is(prod.price, "-99999999999999999999") &&
		  !prod.has_qty, "product: integers beyond 64 bits keep their text (a qty there is no positive integer)");
	check(PRODUCT("99999999999999999999") == JSON_WRONG_TYPE, "product: a big integer alone is a number");
	check(json_parse_array_text(p, "[18446744073709551616, {\"a\":[-9223372036854775809,\"12345678901234567890123\"]}, 1.5e3]", 85, &t) == JSON_OK &&
		  text_is(t, "[18446744073709551616,{\"a\":[-9223372036854775809,\"12345678901234567890123\"]},1.5e3]"),
		  "array: integers beyond 64 bits come back as written, anywhere in the tree");
	check(ITEMS("[{\"id\":\"P\",\"qty\":9223372036854775808},{\"id\":\"Q\",\"qty\":1,\"promotion_info\":{\"cap\":99999999999999999999}}]") == JSON_OK &&
		  n == 2 && items[0].problem == ITEM_BAD_QTY && items[1].problem == ITEM_OK &&
		  text_is(items[1].promotion_info, "{\"cap\":99999999999999999999}"),
		  "items: qty 2^63 is no positive integer; a big integer in promotion_info is kept");
	check(CLICKS("[[\"P1\",99999999999999999999]]") != JSON_OK, "clicks: a count beyond 64 bits is not a count");
	{
		/* {"id":"P","n":1 followed by 1000 zeros} */
		char		doc[1100];
		size_t		k = strlen(strcpy(doc, "{\"id\":\"P\",\"n\":1"));

		memset(doc + k, '0', 1000);
		strcpy(doc + k + 1000, "}");
		check(json_parse_product(p, doc, strlen(doc), &prod) == JSON_INVALID,
			  "product: an integer of 1001 digits is past value_numeric's range");
		doc[k + 999] = '}';
		doc[k + 1000] = '\0';
		check(json_parse_product(p, doc, strlen(doc), &prod) == JSON_OK,
			  "product: an integer of 1000 digits is a number");
	}
	check(PRODUCT("") == JSON_INVALID, "product: empty text");
	/* found by fuzzing: what json-c takes and jsonb refuses */
	check(json_parse_array_text(p, "[1.]", 4, &t) == JSON_INVALID, "array: 1. is not a JSON number");
	check(json_parse_array_text(p, "[-.5]", 5, &t) == JSON_INVALID, "array: -.5 is not a JSON number");
	check(PRODUCT("{\"id\":\"P\",\"price\":00.5}") == JSON_INVALID, "product: 00.5 is not a JSON number");
	check(PRODUCT("{\"id\":\"P\tQ\"}") == JSON_INVALID, "product: a raw TAB in a string");
	check(PRODUCT("{\"id\\u0000x\":\"P1\"}") == JSON_INVALID, "product: \\u0000 in a key");
	check(PRODUCT("{\"id\":\"\\ud800\"}") == JSON_INVALID, "product: an unpaired surrogate");
	check(PRODUCT("{\"a\":NaN,\"a\":1}") == JSON_INVALID, "product: NaN hidden by a later duplicate key");
	check(json_parse_array_text(p, "[-9223372036854775808,18446744073709551615]", 43, &t) == JSON_OK,
		  "array: -2^63 and 2^64-1 are valid");
	check(PRODUCT("{\"id\":\"\\ud876\\udc00\"}") == JSON_OK && text_is(prod.id, "\xf0\xad\xa0\x80"),
		  "product: U+2D800 from a surrogate pair (json-c 0.16 makes it U+FFFD)");
	check(json_parse_array_text(p, "[\"\\ud83d\\u", 14, &t) == JSON_INVALID &&
		  PRODUCT("{\"id\":\"\\u00e9\"}") == JSON_OK && text_is(prod.id, "\xc3\xa9"),
		  "product: no surrogate left over from an earlier broken document");
	check(PRODUCT("42") == JSON_WRONG_TYPE, "product: a number is not an object");
	check(PRODUCT("[1,") == JSON_INVALID, "product: an unfinished array");

	/* ordered_products */
	check(ITEMS("[{\"curr\":\"USD\",\"id\":\"P1\",\"name\":\"W\",\"price\":125.99,\"promotion_info\":null,\"qty\":2,\"unit\":\"pcs\"}]") == JSON_OK &&
		  n == 1 && items[0].problem == ITEM_OK && !items[0].is_pair && text_is(items[0].id, "P1") &&
		  items[0].qty == 2 && text_is(items[0].price, "125.99") && text_is(items[0].unit, "pcs") &&
		  items[0].promotion_info.s == NULL, "items: an object (a null promotion_info is absent)");
	check(ITEMS("[[\"P2\", 3], [17, \"4\"]]") == JSON_OK && n == 2 &&
		  items[0].is_pair && text_is(items[0].id, "P2") && items[0].qty == 3 && items[0].price.s == NULL &&
		  text_is(items[1].id, "17") && items[1].qty == 4 && items[1].problem == ITEM_OK,
		  "items: [id, qty] pairs, numeric id and qty string");
	check(ITEMS("[{\"id\":\"P\",\"qty\":1,\"promotion_info\":{\"promo_code\":\"X\",\"discount\":0.1}}]") == JSON_OK &&
		  text_is(items[0].promotion_info, "{\"promo_code\":\"X\",\"discount\":0.1}"), "items: promotion_info kept as JSON");
	check(ITEMS("[{\"id\":\"P\"}]") == JSON_OK && items[0].problem == ITEM_BAD_QTY, "items: a missing qty");
	check(ITEMS("[{\"id\":\"P\",\"qty\":0}]") == JSON_OK && items[0].problem == ITEM_BAD_QTY, "items: qty 0");
	check(ITEMS("[{\"id\":\"P\",\"qty\":2.0}]") == JSON_OK && items[0].problem == ITEM_BAD_QTY, "items: qty 2.0 is not an integer");
	check(ITEMS("[{\"qty\":1}]") == JSON_OK && items[0].problem == ITEM_NO_ID, "items: no id");
	check(ITEMS("[{\"id\":\"\",\"qty\":1}]") == JSON_OK && items[0].problem == ITEM_NO_ID, "items: an empty id");
	check(ITEMS("[{\"id\":\"P\",\"qty\":1,\"price\":-0.01}]") == JSON_OK && items[0].problem == ITEM_NEGATIVE_PRICE, "items: a negative price");
	check(ITEMS("[{\"id\":\"P\",\"qty\":1,\"price\":-0}]") == JSON_OK && items[0].problem == ITEM_OK, "items: -0 is not negative");
	check(ITEMS("[{\"id\":\"P\",\"qty\":1,\"price\":null}]") == JSON_OK && items[0].problem == ITEM_OK && items[0].price.s == NULL, "items: a null price is missing");
	check(ITEMS("[[\"P\"]]") == JSON_OK && items[0].problem == ITEM_NOT_OBJECT_OR_PAIR, "items: a one-element array");
	check(ITEMS("[[\"P\", 1, 2]]") == JSON_OK && items[0].problem == ITEM_NOT_OBJECT_OR_PAIR, "items: a three-element array");
	check(ITEMS("[\"P\"]") == JSON_OK && items[0].problem == ITEM_NOT_OBJECT_OR_PAIR, "items: a bare string");
	check(ITEMS("[[null, 1]]") == JSON_OK && items[0].problem == ITEM_NO_ID, "items: a pair without an id");
	check(ITEMS("[[\"P\", 0]]") == JSON_OK && items[0].problem == ITEM_BAD_QTY, "items: a pair with qty 0");
	check(ITEMS("[]") == JSON_EMPTY, "items: an empty array");
	check(ITEMS("{\"id\":\"P\"}") == JSON_WRONG_TYPE, "items: an object is not an array");
	check(ITEMS("not json") == JSON_INVALID, "items: not JSON");
	check(ITEMS("[[\"P\",1],]") == JSON_INVALID, "items: trailing comma");

	/* clicked_items */
	check(CLICKS("[[\"P1\",\"3\"],[\"P2\",4],[7,\"0\"]]") == JSON_OK && n == 3 &&
		  text_is(clicks[0].id, "P1") && clicks[0].count == 3 && clicks[1].count == 4 &&
		  text_is(clicks[2].id, "7") && clicks[2].count == 0, "clicks: pairs of strings or numbers");
	check(CLICKS("[]") == JSON_OK && n == 0, "clicks: none");
	check(CLICKS("[[\"P1\"]]") != JSON_OK, "clicks: a pair without a count");
	check(CLICKS("[[\"P1\",\"x\"]]") != JSON_OK, "clicks: a count that is not a number");
	check(CLICKS("[[broken") == JSON_INVALID, "clicks: broken JSON");

	/* promo_info */
	check(json_parse_array_text(p, "[{\"promo_code\":\"X\"}]", 20, &t) == JSON_OK &&
		  text_is(t, "[{\"promo_code\":\"X\"}]"), "promo_info: a JSON array");
	check(json_parse_array_text(p, "PROMO_CODE_XYZ", 14, &t) == JSON_INVALID, "promo_info: a plain code");
	check(json_parse_array_text(p, "{}", 2, &t) == JSON_WRONG_TYPE, "promo_info: an object is no array");

	/* results of different kinds stay valid side by side */
	ITEMS("[[\"KEEP\",1]]");
	PRODUCT("{\"id\":\"OTHER\"}");
	check(text_is(items[0].id, "KEEP"), "items survive parsing a product");

	json_parser_free(p);
	return tap_done();
}
