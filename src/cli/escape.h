/*
 * Writing untrusted strings (names from the share, paths) on standard output: as JSON
 * strings, and for a terminal with every byte that could move the cursor or forge a line
 * written as \xNN. Shared by fsck and the offline commands.
 */
#ifndef VEILFS_CLI_ESCAPE_H
#define VEILFS_CLI_ESCAPE_H

/* A JSON string: control characters escaped, invalid UTF-8 bytes as U+FFFD. */
void escape_json(const char *s);
/*
 * For a terminal, in single quotes: control characters, quotes, backslashes and invalid
 * UTF-8 bytes as \xNN.
 */
void escape_text_quoted(const char *s);
/* The same without the quotes (quotes kept as they are). */
void escape_text(const char *s);

#endif
