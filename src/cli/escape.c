/*
 * Escaping untrusted strings for standard output (escape.h): JSON strings and terminal
 * text. Validates UTF-8 itself (RFC 3629) rather than trusting the locale.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "cli/escape.h"

/*
 * Length of the valid UTF-8 sequence at p (at most n bytes), or 0 when p does not start
 * one (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
 */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* A JSON string: control characters escaped, invalid UTF-8 bytes as U+FFFD. */
void escape_json(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, len;

	putchar('"');
	while (i < n) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			printf("\\%c", c);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			printf("\\u%04x", c);
			i++;
		} else if ((len = utf8_len(p + i, n - i)) == 0) {
			fputs("\\ufffd", stdout);
			i++;
		} else {
			fwrite(p + i, 1, len, stdout);
			i += len;
		}
	}
	putchar('"');
}

/*
 * A path for a terminal: control characters, backslashes, invalid UTF-8 bytes (and, when
 * quoted, single quotes) written as \xNN, so that no name can move the cursor or forge a
 * line.
 */
static void put_text(const char *s, bool quoted)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, len;

	if (quoted)
		putchar('\'');
	while (i < n) {
		unsigned char c = p[i];

		if (c < 0x20 || c == 0x7f || (quoted && c == '\'') || c == '\\' ||
		    (len = utf8_len(p + i, n - i)) == 0) {
			printf("\\x%02x", c);
			i++;
		} else {
			fwrite(p + i, 1, len, stdout);
			i += len;
		}
	}
	if (quoted)
		putchar('\'');
}

void escape_text_quoted(const char *s)
{
	put_text(s, true);
}

void escape_text(const char *s)
{
	put_text(s, false);
}
