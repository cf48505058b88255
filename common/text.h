/*
 * What counts as printable text, decided once for tjd and tjctl.
 *
 * Every string tjd handles can come from someone else: Docker (names,
 * labels, filters), the configuration, a swarm peer, a client.  Three
 * questions are asked of such text, always with the same answers:
 *
 *   Is it printable ASCII?  Bytes 0x20 (space) to 0x7e ('~').  Not C0
 *   controls, not DEL (0x7f), and not any byte >= 0x80: a UTF-8 sequence
 *   is never printable ASCII.  Asked of what reaches the kernel (rule
 *   comments), log lines and error messages that quote input.
 *   text_is_printable(), text_sanitize(), text_sanitize_in_place().
 *
 *   Does it hold a control character?  C0 (< 0x20) or DEL.  Bytes >= 0x80
 *   are not controls at this level: names and labels may be UTF-8.  Asked
 *   of fields that are stored and relayed.  text_has_control().
 *
 *   What does a terminal show?  Whole characters of well-formed UTF-8
 *   (RFC 3629) that are not C0 or C1 controls or DEL; anything else is
 *   one '?'.  tjctl's printer walks text with text_utf8_next() and
 *   text_is_control_codepoint().
 *
 * All functions take a length, so they work on JSON strings with embedded
 * NUL bytes (a NUL is a control character) as well as on C strings.
 */
#ifndef TJD_COMMON_TEXT_H
#define TJD_COMMON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True for one byte of printable ASCII, ' ' through '~'. */
bool text_printable_byte(unsigned char c);
/* True when all len bytes of s are printable ASCII (so also when len is 0). */
bool text_is_printable(const char *s, size_t len);
/* True when all len bytes of s are printable ASCII other than space. */
bool text_is_graphic(const char *s, size_t len);
/* True when the len bytes of s hold a C0 control character (NUL included) or DEL. */
bool text_has_control(const char *s, size_t len);

/*
 * Copies the len bytes of src into dst (size bytes, size > 0), every byte
 * that is not printable ASCII replaced by `replacement`, and NUL-terminates
 * it.  Text that does not fit is cut and ends in "..." (when size >= 4).
 * Returns the length of dst.
 */
size_t text_sanitize(char *dst, size_t size, const char *src, size_t len, char replacement);
/*
 * Replaces, in the C string s, every byte that is not printable ASCII and
 * every byte listed in `also` (NULL for none) by `replacement`.
 */
void text_sanitize_in_place(char *s, const char *also, char replacement);

/*
 * Length (1 to 4) of the well-formed UTF-8 sequence at the start of the
 * len bytes of s, with its code point in *codepoint; 0 when the bytes are
 * not one (overlong form, surrogate, past U+10FFFF, cut short) or len is 0.
 */
size_t text_utf8_next(const char *s, size_t len, uint32_t *codepoint);
/* True when the len bytes of s are well-formed UTF-8 throughout. */
bool text_is_utf8(const char *s, size_t len);
/* True for C0 controls, DEL and C1 controls (U+0080 to U+009F). */
bool text_is_control_codepoint(uint32_t codepoint);

#endif
