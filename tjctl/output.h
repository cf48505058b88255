/*
 * tjctl's one printer, for text and JSON: every view (status, swarm
 * status) writes what it shows through it.  Every string a view shows
 * comes from tjd or the swarm coordinator, and through them from Docker
 * (names, labels, filters) or another node, so none reaches the terminal
 * as it came:
 *
 *   Text: output_text() shows each character of well-formed UTF-8 as it
 *   is, except C0 and C1 controls and DEL (text_is_control_codepoint());
 *   each of those, and each byte that is not part of well-formed UTF-8
 *   (text_utf8_next()), is shown as one '?'.  Widths count one column per
 *   character shown, so tables stay aligned whatever the input.
 *
 *   JSON: output_json_string() builds a string value, bytes that are not
 *   well-formed UTF-8 replaced by '?' (jansson refuses them); output_json()
 *   prints a document indented by two, keys in insertion order, and
 *   escapes DEL and C1 controls ("\u007F") as jansson escapes C0 ones: the
 *   same string for a parser, nothing a terminal acts on.
 *
 * Well-formed text without controls is printed byte for byte as given.
 */
#ifndef TJD_TJCTL_OUTPUT_H
#define TJD_TJCTL_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Column where every "label:" row's value starts. */
#define OUTPUT_VALUE_COLUMN 22

/* ---- text ---- */

/* Writes s (NULL as "") as described above. */
void output_text(FILE *out, const char *s);
/* Columns output_text() takes for s. */
int output_width(const char *s);
/* Writes s, or "-" when it is empty, padded with spaces to width columns. */
void output_cell(FILE *out, const char *s, int width);
/* Writes the items joined by ", ", or `empty` when there are none. */
void output_list(FILE *out, char *const *items, size_t n, const char *empty);
/* Columns output_list() takes for the items ("-" for none: 1). */
int output_list_width(char *const *items, size_t n);
/* Starts a "label:" row at indent, leaving the cursor at the value column. */
void output_label(FILE *out, int indent, const char *label);
/* Writes a whole "label: value" row; the formatted value goes through output_text(). */
void output_field(FILE *out, int indent, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Writes a "label:" row with one item per line, aligned, or "none". */
void output_field_lines(FILE *out, int indent, const char *label, char *const *items, size_t n);

/* ---- JSON ---- */

/* A JSON string of s (NULL as ""); NULL when out of memory. */
json_t *output_json_string(const char *s);
/* A JSON array of output_json_string()s; NULL when out of memory. */
json_t *output_json_strings(char *const *items, size_t n);
/* Sets object[key] = value (taking it over), noting in *failed a NULL value or no memory. */
void output_json_set(json_t *object, const char *key, json_t *value, bool *failed);
/* Prints the document and a newline; 0, or -1 when out of memory. */
int output_json(FILE *out, const json_t *root);

#endif
