/*
 * struct buf: a growable byte buffer.
 *
 * Invariants after buf_init(): data is never NULL (points at a static empty byte until the
 * first growth), len <= cap, and data[len] is a NUL byte so text can be used as a C string.
 * The buffer owns data; buf_detach() hands ownership to the caller.
 */
#ifndef VEILFS_BASE_BUF_H
#define VEILFS_BASE_BUF_H

#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"

struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

void buf_init(struct buf *b);
/* Free the contents (wiping them first); the struct is left unusable until buf_init(). */
void buf_release(struct buf *b);
/* Make room for `extra` more bytes. Returns 0 or -ENOMEM. */
int buf_grow(struct buf *b, size_t extra) MUST_CHECK;
int buf_append(struct buf *b, const void *p, size_t n) MUST_CHECK;
int buf_append_str(struct buf *b, const char *s) MUST_CHECK;
int buf_printf(struct buf *b, const char *fmt, ...) MUST_CHECK __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
/* Return the owned bytes (malloc'd, NUL-terminated) and re-init b. Caller frees. */
uint8_t *buf_detach(struct buf *b, size_t *len);

#endif
