/*
 * A one-line progress note for slow steps of a command: "veilfs: unlocking: Argon2id 64 MiB,
 * 3 passes..." on stderr, printed only when the step is still running after a second, so
 * that quick runs stay silent. One note at a time per process.
 */
#ifndef VEILFS_CLI_PROGRESS_H
#define VEILFS_CLI_PROGRESS_H

#include <stdint.h>

/*
 * Start the note "<what>: Argon2id <memory> MiB, <passes> passes..." for a password KDF of
 * that cost; it is printed after PROGRESS_DELAY_MS (or $VEILFS_PROGRESS_DELAY_MS) unless
 * progress_end() comes first. Silently does nothing when a thread cannot be started.
 */
void progress_kdf_begin(const char *what, uint32_t memory_kib, uint32_t passes);
/* End the note: stop its timer (nothing printed), or finish its line. */
void progress_end(void);

#endif
