/* A line diff of two texts; see linediff.h. */
#include "config.h"

#include "common/linediff.h"

#include "common/textbuf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One line of a text: where it starts and how long it is (without '\n'). */
struct linediff_line {
	const char *start;
	size_t length;
};

/* What became of one line of the output. */
enum linediff_op { LINEDIFF_SAME, LINEDIFF_REMOVED, LINEDIFF_ADDED };

struct linediff_step {
	enum linediff_op op;
	const struct linediff_line *line;
};

/* Splits text into lines; NULL on OOM (*count 0 for an empty text). */
static struct linediff_line *linediff_split(const char *text, size_t *count)
{
	struct linediff_line *lines;
	size_t n = 0, total = 0;

	for (const char *p = text; *p != '\0'; p++)
		total += *p == '\n';
	total += text[0] != '\0' && text[strlen(text) - 1] != '\n';
	lines = calloc(total ? total : 1, sizeof(*lines));
	if (lines == NULL)
		return NULL;
	for (const char *p = text; *p != '\0' && n < total;) {
		const char *end = strchr(p, '\n');
		size_t length = end != NULL ? (size_t)(end - p) : strlen(p);

		lines[n].start = p;
		lines[n].length = length;
		n++;
		p += length + (end != NULL);
	}
	*count = n;
	return lines;
}

/* Whether two lines are the same. */
static int linediff_equal(const struct linediff_line *a, const struct linediff_line *b)
{
	return a->length == b->length && memcmp(a->start, b->start, a->length) == 0;
}

/*
 * The steps for the middle parts a[0..n) and b[0..m): a longest common
 * subsequence, or all removed then all added when too large.  Appends to
 * steps; -1 on OOM.
 */
static int linediff_middle(const struct linediff_line *a, size_t n, const struct linediff_line *b,
			   size_t m, struct linediff_step *steps, size_t *count)
{
	uint32_t *table;
	size_t i = 0, j = 0;

	if (n == 0 || m == 0 || (n + 1) > LINEDIFF_MATCH_MAX / (m + 1)) {
		for (size_t k = 0; k < n; k++)
			steps[(*count)++] = (struct linediff_step){LINEDIFF_REMOVED, &a[k]};
		for (size_t k = 0; k < m; k++)
			steps[(*count)++] = (struct linediff_step){LINEDIFF_ADDED, &b[k]};
		return 0;
	}
	/* table[i][j]: the longest common subsequence of a[i..n) and b[j..m) */
	table = calloc((n + 1) * (m + 1), sizeof(*table));
	if (table == NULL)
		return -1;
	for (size_t x = n; x-- > 0;)
		for (size_t y = m; y-- > 0;)
			table[x * (m + 1) + y] =
			    linediff_equal(&a[x], &b[y]) ? table[(x + 1) * (m + 1) + y + 1] + 1
			    : table[(x + 1) * (m + 1) + y] > table[x * (m + 1) + y + 1]
				? table[(x + 1) * (m + 1) + y]
				: table[x * (m + 1) + y + 1];
	while (i < n && j < m) {
		if (linediff_equal(&a[i], &b[j])) {
			steps[(*count)++] = (struct linediff_step){LINEDIFF_SAME, &b[j]};
			i++;
			j++;
		} else if (table[(i + 1) * (m + 1) + j] >= table[i * (m + 1) + j + 1]) {
			steps[(*count)++] = (struct linediff_step){LINEDIFF_REMOVED, &a[i++]};
		} else {
			steps[(*count)++] = (struct linediff_step){LINEDIFF_ADDED, &b[j++]};
		}
	}
	while (i < n)
		steps[(*count)++] = (struct linediff_step){LINEDIFF_REMOVED, &a[i++]};
	while (j < m)
		steps[(*count)++] = (struct linediff_step){LINEDIFF_ADDED, &b[j++]};
	free(table);
	return 0;
}

/* Renders the steps with context; NULL on OOM. */
static char *linediff_render(const struct linediff_step *steps, size_t count, size_t *removed,
			     size_t *added)
{
	struct textbuf text = {0};
	size_t last_shown = SIZE_MAX;
	char *out;

	for (size_t k = 0; k < count; k++) {
		bool near = false;

		if (steps[k].op == LINEDIFF_REMOVED)
			(*removed)++;
		if (steps[k].op == LINEDIFF_ADDED)
			(*added)++;
		for (size_t d = 0; d <= LINEDIFF_CONTEXT * 2 && !near; d++) {
			size_t at = k + d >= LINEDIFF_CONTEXT ? k + d - LINEDIFF_CONTEXT : SIZE_MAX;
			near = at < count && steps[at].op != LINEDIFF_SAME;
		}
		if (!near)
			continue;
		if (last_shown != SIZE_MAX ? k > last_shown + 1 : k > 0)
			textbuf_add(&text, "  ...\n");
		textbuf_add(&text, "%s%.*s\n",
			    steps[k].op == LINEDIFF_SAME      ? "  "
			    : steps[k].op == LINEDIFF_REMOVED ? "- "
							      : "+ ",
			    (int)steps[k].line->length, steps[k].line->start);
		last_shown = k;
	}
	if (last_shown != SIZE_MAX && last_shown + 1 < count)
		textbuf_add(&text, "  ...\n");
	out = textbuf_take(&text);
	return out;
}

char *linediff(const char *old, const char *new, size_t *removed, size_t *added)
{
	struct linediff_line *a = NULL, *b = NULL;
	struct linediff_step *steps = NULL;
	size_t n = 0, m = 0, head = 0, tail = 0, count = 0, r = 0, s = 0;
	char *out = NULL;

	a = linediff_split(old, &n);
	b = linediff_split(new, &m);
	if (a == NULL || b == NULL)
		goto done;
	while (head < n && head < m && linediff_equal(&a[head], &b[head]))
		head++;
	while (tail < n - head && tail < m - head &&
	       linediff_equal(&a[n - 1 - tail], &b[m - 1 - tail]))
		tail++;
	steps = calloc(n + m + 1, sizeof(*steps));
	if (steps == NULL)
		goto done;
	for (size_t k = 0; k < head; k++)
		steps[count++] = (struct linediff_step){LINEDIFF_SAME, &b[k]};
	if (linediff_middle(a + head, n - head - tail, b + head, m - head - tail, steps, &count) <
	    0)
		goto done;
	for (size_t k = m - tail; k < m; k++)
		steps[count++] = (struct linediff_step){LINEDIFF_SAME, &b[k]};
	out = linediff_render(steps, count, &r, &s);
done:
	free(a);
	free(b);
	free(steps);
	if (removed != NULL)
		*removed = r;
	if (added != NULL)
		*added = s;
	return out;
}
