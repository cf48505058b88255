/* common/jsonfield: typed, bounded getters for untrusted JSON. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonfield.h"

/* Loads a test document, which must parse. */
static json_t *load(const char *text)
{
	char err[256] = "";
	json_t *root = jsonfield_load(text, strlen(text), 4096, "test", err, sizeof(err));

	ck_assert_msg(root != NULL, "%s", err);
	return root;
}

START_TEST(test_load)
{
	char err[256];
	static const char doc[] = "{\"a\":1}";

	ck_assert_ptr_null(jsonfield_load(NULL, 0, 100, "doc", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "doc: no document"));
	ck_assert_ptr_null(
	    jsonfield_load(doc, strlen(doc), strlen(doc) - 1, "doc", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "too large"));
	ck_assert_ptr_null(jsonfield_load("{\"a\":1,\"a\":2}", 13, 100, "doc", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "duplicate"));
	ck_assert_ptr_null(jsonfield_load("{", 1, 100, "doc", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "invalid JSON at line 1"));
	/* a NUL inside a string is refused by the parser already */
	ck_assert_ptr_null(jsonfield_load("[\"a\\u0000\"]", 11, 100, "doc", err, sizeof(err)));
	/* only len bytes are read */
	json_decref(load("[1]"));
	{
		json_t *root = jsonfield_load("[1]garbage", 3, 100, "doc", err, sizeof(err));
		ck_assert_ptr_nonnull(root);
		json_decref(root);
	}
}
END_TEST

START_TEST(test_string)
{
	json_t *root = load("{\"s\":\"x\\u00e9y\",\"n\":null,\"i\":7,\"o\":{}}");
	const char *text;
	size_t len;
	char err[256];

	ck_assert_int_eq(jsonfield_string(root, "s", true, &text, &len, "here", err, sizeof(err)),
			 0);
	ck_assert_uint_eq(len, 4); /* bytes, not characters */
	ck_assert_int_eq(jsonfield_string(root, "n", false, &text, &len, "here", err, sizeof(err)),
			 0);
	ck_assert_ptr_null(text);
	ck_assert_int_eq(
	    jsonfield_string(root, "absent", false, &text, &len, "here", err, sizeof(err)), 0);
	ck_assert_ptr_null(text);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(jsonfield_string(root, "n", true, &text, &len, "here", err, sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "here: missing \"n\"");
	ck_assert_int_eq(jsonfield_string(root, "i", false, &text, &len, "here", err, sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "here: \"i\" is not a string");
	/* an absent object has no members; another type is an error */
	ck_assert_int_eq(jsonfield_string(NULL, "s", false, &text, &len, "here", err, sizeof(err)),
			 0);
	ck_assert_int_eq(jsonfield_string(NULL, "s", true, &text, &len, "here", err, sizeof(err)),
			 -1);
	ck_assert_int_eq(jsonfield_string(json_object_get(root, "i"), "s", false, &text, &len,
					  "here", err, sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "here: not an object");
	json_decref(root);
}
END_TEST

START_TEST(test_object_and_array)
{
	json_t *root = load("{\"o\":{\"k\":1},\"a\":[1,2,3],\"s\":\"x\",\"n\":null}");
	json_t *value;
	char err[256];

	ck_assert_int_eq(jsonfield_object(root, "o", true, &value, "w", err, sizeof(err)), 0);
	ck_assert(json_is_object(value));
	ck_assert_int_eq(jsonfield_object(root, "n", false, &value, "w", err, sizeof(err)), 0);
	ck_assert_ptr_null(value);
	ck_assert_int_eq(jsonfield_object(root, "a", false, &value, "w", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "w: \"a\" is not an object");
	ck_assert_int_eq(jsonfield_array(root, "a", true, 3, &value, "w", err, sizeof(err)), 0);
	ck_assert_uint_eq(json_array_size(value), 3);
	ck_assert_int_eq(jsonfield_array(root, "a", true, 2, &value, "w", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "w: \"a\" has more than 2 items");
	ck_assert_ptr_null(value);
	ck_assert_int_eq(jsonfield_array(root, "s", false, 9, &value, "w", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "w: \"s\" is not an array");
	ck_assert_int_eq(jsonfield_array(root, "missing", true, 9, &value, "w", err, sizeof(err)),
			 -1);
	json_decref(root);
}
END_TEST

START_TEST(test_copy)
{
	char out[8], err[256];

	ck_assert_int_eq(
	    jsonfield_copy(out, sizeof(out), "1234567", 7, "w", "Name", err, sizeof(err)), 0);
	ck_assert_str_eq(out, "1234567");
	ck_assert_int_eq(
	    jsonfield_copy(out, sizeof(out), "12345678", 8, "w", "Name", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "w: Name too long (8 bytes, at most 7)");
	ck_assert_int_eq(jsonfield_copy(out, sizeof(out), "a\0b", 3, "w", "Name", err, sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "w: Name contains control characters");
	ck_assert_int_eq(
	    jsonfield_copy(out, sizeof(out), "a\x7f", 2, "w", "Name", err, sizeof(err)), -1);
	/* UTF-8 is not a control */
	ck_assert_int_eq(
	    jsonfield_copy(out, sizeof(out), "caf\xc3\xa9", 5, "w", "Name", err, sizeof(err)), 0);
	ck_assert_int_eq(jsonfield_copy(out, sizeof(out), "", 0, "w", "Name", err, sizeof(err)), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

/* The suite. */
/* A text member copied whole or refused; an id member checked. */
START_TEST(test_text_and_id)
{
	json_t *object = json_loads("{\"Name\":\"web\",\"Bad\":\"a\\u001bb\",\"ID\":\"abc123\","
				    "\"NotID\":\"ab/c\",\"Empty\":\"\"}",
				    0, NULL);
	char text[8], id[65], err[256];

	ck_assert_ptr_nonnull(object);
	ck_assert_int_eq(jsonfield_text(object, "Name", text, sizeof(text), "n", err, sizeof(err)),
			 0);
	ck_assert_str_eq(text, "web");
	ck_assert_int_eq(jsonfield_text(object, "Gone", text, sizeof(text), "n", err, sizeof(err)),
			 0);
	ck_assert_str_eq(text, "");
	ck_assert_int_eq(jsonfield_text(object, "Bad", text, sizeof(text), "n", err, sizeof(err)),
			 -1);
	ck_assert_int_eq(jsonfield_text(object, "ID", text, 4, "n", err, sizeof(err)), -1);
	ck_assert_int_eq(jsonfield_id(object, "ID", id, true, "n", err, sizeof(err)), 0);
	ck_assert_str_eq(id, "abc123");
	ck_assert_int_eq(jsonfield_id(object, "NotID", id, false, "n", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "invalid NotID"));
	ck_assert_int_eq(jsonfield_id(object, "Empty", id, false, "n", err, sizeof(err)), 0);
	ck_assert_str_eq(id, "");
	ck_assert_int_eq(jsonfield_id(object, "Gone", id, true, "n", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "missing Gone"));
	json_decref(object);
}
END_TEST

static Suite *jsonfield_suite(void)
{
	Suite *s = suite_create("jsonfield");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_string);
	tcase_add_test(tc, test_object_and_array);
	tcase_add_test(tc, test_copy);
	tcase_add_test(tc, test_text_and_id);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *runner = srunner_create(jsonfield_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
