/* The one printer of tjctl's views; see output.h for what it shows and how. */
#include "config.h"

#include "tjctl/output.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

/* Maps NULL (never sent by protobuf-c, but cheap to survive) to "". */
static const char *output_str(const char *s)
{
	return s != NULL ? s : "";
}

/*
 * Walks s one character at a time, showing each as itself or as '?'
 * (see output.h); writes to out unless it is NULL.  Returns the columns.
 */
static int output_walk(FILE *out, const char *s)
{
	size_t left = strlen(output_str(s));
	const char *p = output_str(s);
	uint32_t codepoint;
	int width = 0;

	while (left > 0) {
		size_t length = text_utf8_next(p, left, &codepoint);
		if (length == 0 || text_is_control_codepoint(codepoint)) {
			if (out != NULL)
				putc('?', out);
			length = length > 0 ? length : 1;
		} else if (out != NULL) {
			fwrite(p, 1, length, out);
		}
		p += length;
		left -= length;
		width++;
	}
	return width;
}

/* Writes s with controls and invalid UTF-8 shown as '?'. */
void output_text(FILE *out, const char *s)
{
	output_walk(out, s);
}

/* Counts the columns output_text() uses for s. */
int output_width(const char *s)
{
	return output_walk(NULL, s);
}

/* Writes s or "-", padded to width columns. */
void output_cell(FILE *out, const char *s, int width)
{
	const char *shown = output_str(s)[0] != '\0' ? s : "-";
	int pad = width - output_width(shown);

	output_text(out, shown);
	fprintf(out, "%*s", pad > 0 ? pad : 0, "");
}

/* Writes a list joined by ", ", or empty when it has no items. */
void output_list(FILE *out, char *const *items, size_t n, const char *empty)
{
	if (n == 0)
		fputs(empty, out);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputs(", ", out);
		output_text(out, items[i]);
	}
}

/* Columns of a list printed with output_list(); an empty one shows as "-". */
int output_list_width(char *const *items, size_t n)
{
	int width = 0;

	if (n == 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		width += output_width(items[i]) + (i > 0 ? 2 : 0);
	return width;
}

/* Starts a "label:" row at indent, leaving the cursor at the value column. */
void output_label(FILE *out, int indent, const char *label)
{
	int used = indent + (int)strlen(label) + 1;

	fprintf(out, "%*s%s:%*s", indent, "", label,
		used < OUTPUT_VALUE_COLUMN ? OUTPUT_VALUE_COLUMN - used : 1, "");
}

/* Prints a whole "label: value" row; the formatted value is sanitised. */
void output_field(FILE *out, int indent, const char *label, const char *fmt, ...)
{
	char *value = NULL;
	va_list ap;

	output_label(out, indent, label);
	va_start(ap, fmt);
	if (vasprintf(&value, fmt, ap) < 0)
		value = NULL;
	va_end(ap);
	output_text(out, value != NULL ? value : "(out of memory)");
	putc('\n', out);
	free(value);
}

/* Prints a "label:" row whose items go one per line, aligned. */
void output_field_lines(FILE *out, int indent, const char *label, char *const *items, size_t n)
{
	output_label(out, indent, label);
	if (n == 0)
		fputs("none", out);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fprintf(out, "\n%*s", OUTPUT_VALUE_COLUMN, "");
		output_text(out, items[i]);
	}
	putc('\n', out);
}

/* A JSON string; bytes that are not well-formed UTF-8 become '?'. */
json_t *output_json_string(const char *s)
{
	size_t left = strlen(output_str(s));
	uint32_t codepoint;
	json_t *value;
	char *copy, *p;

	if (text_is_utf8(output_str(s), left))
		return json_stringn(output_str(s), left);
	copy = strdup(s);
	if (copy == NULL)
		return NULL;
	for (p = copy; left > 0;) {
		size_t length = text_utf8_next(p, left, &codepoint);
		if (length == 0) {
			*p = '?';
			length = 1;
		}
		p += length;
		left -= length;
	}
	value = json_string(copy);
	free(copy);
	return value;
}

/* A JSON array of strings. */
json_t *output_json_strings(char *const *items, size_t n)
{
	json_t *array = json_array();

	if (array == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (json_array_append_new(array, output_json_string(items[i])) != 0) {
			json_decref(array);
			return NULL;
		}
	}
	return array;
}

/* Adds value under key, noting any failure (value NULL or no memory). */
void output_json_set(json_t *object, const char *key, json_t *value, bool *failed)
{
	/* json_object_set_new() releases value even when it fails. */
	if (json_object_set_new(object, key, value) != 0)
		*failed = true;
}

/*
 * Writes JSON text with the control characters jansson leaves raw, DEL and
 * C1 (jansson escapes C0 in strings; outside them the newlines of the
 * layout stay), as \u escapes.  JSON text outside strings is plain ASCII,
 * so every such character is inside one.
 */
static void output_json_escape(FILE *out, const char *text)
{
	size_t left = strlen(text);
	uint32_t codepoint;

	while (left > 0) {
		size_t length = text_utf8_next(text, left, &codepoint);
		if (length > 0 && codepoint >= 0x7f && text_is_control_codepoint(codepoint))
			fprintf(out, "\\u%04X", (unsigned)codepoint);
		else
			fwrite(text, 1, length > 0 ? length : 1, out);
		length = length > 0 ? length : 1;
		text += length;
		left -= length;
	}
}

/* Prints the document indented, in insertion order, and a newline. */
int output_json(FILE *out, const json_t *root)
{
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (text == NULL)
		return -1;
	output_json_escape(out, text);
	putc('\n', out);
	free(text);
	return 0;
}
