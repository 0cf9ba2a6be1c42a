/*
 * The crash simulator's model and checker (test_crash_check.c), driven by the workloads of
 * test_crash.c. A workload changes its model (crash_model_*) before each vault call, so
 * that every state the recording store reports during the call is checked against the
 * last durable version (old) and the one the call makes (new); crash_step_end() then
 * checks the state after the step's fsync against the new version exactly.
 */
#ifndef VEILFS_TESTS_UNIT_TEST_CRASH_H
#define VEILFS_TESTS_UNIT_TEST_CRASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "keys/keys.h"
#include "store/store_record.h"
#include "fsck/fsck.h"
#include "vault/vault.h"

enum {
	CRASH_FILE_MAX = 16384, /* largest file of any workload */
	CRASH_FILES = 8,	/* names in one workload's model */
	CRASH_NAME_MAX = 320,	/* a model path: "d/" + a 255-byte name */
	CRASH_VIOLATIONS = 64,	/* distinct (workload, file, what) */
	CRASH_OPS_SHOWN = 6,	/* recorded-call indices printed per violation */
	CRASH_DEPTH = 3,
	CRASH_INOS = CRASH_FILES * 4, /* lower inodes one step touches */
};

#define CRASH_PW_OLD "crash old password"
#define CRASH_PW_NEW "crash new password"

/* One version of a model entry. */
struct crash_version {
	bool exists;
	size_t len;
	uint8_t data[CRASH_FILE_MAX];
};

/* A name the workload made: its last durable version and the one the step makes. */
struct crash_entry {
	char path[CRASH_NAME_MAX];
	bool is_dir;
	bool whole; /* atomic replace: all old or all new, never a mix */
	int moved;  /* during a rename to a new name: 1 + the index of the other name */
	struct crash_version old, new;
	bool seen; /* found by the current walk */
};

struct crash_violation {
	const char *workload;
	char file[CRASH_NAME_MAX];
	char what[96];
	unsigned count;
	unsigned ops[CRASH_OPS_SHOWN];
	const char *op_names[CRASH_OPS_SHOWN];
};

struct crash_reorder;

struct crash_sim {
	const char *workload;
	struct store *mem; /* the recording store's inner store (borrowed) */
	struct store *rec; /* the recording store (the vault owns it) */
	struct vault *v;
	struct vnode *root;
	int adminfd; /* a root handle of our own on the recording store */
	struct vault_caller who;
	uint8_t master[MASTER_KEY_LEN];
	struct crash_entry e[CRASH_FILES];
	int n;
	const char *pw_old, *pw_new; /* passwords that must open the state */
	/* the current step's writes and fsyncs, by lower inode (for the fsync order check) */
	uint64_t last_write_ino[CRASH_INOS], synced_ino[CRASH_INOS];
	unsigned last_write_at[CRASH_INOS], synced_at[CRASH_INOS];
	int nwrites, nsyncs;
	unsigned states;	 /* all checked, of which: */
	unsigned torn;		 /* states with a torn write */
	unsigned reordered;	 /* states of the reordering model (test_crash_reorder.c) */
	unsigned reorder_sampled; /* calls whose reordered states were sampled, not all */
	struct crash_reorder *reorder;
	unsigned fsck_kinds[FSCK_KIND_COUNT], fsck_states;
	unsigned repaired, repaired_states; /* findings fsck --repair repaired, and in how many states */
	unsigned state_unreadable; /* names that failed to list, look up or read in this state */
	char fsck_log[2048];	   /* "op:kind" of each state with findings */
};

struct crash_label {
	unsigned op;
	const char *op_name;
	const char *kind; /* "torn" (a cut pwrite), "prefix" (after a call), "step-end" */
};

/* The violations found so far (distinct by workload, file and what); *n gets the count. */
const struct crash_violation *crash_violations(int *n);

/* The model entry of path (added, existing in neither version, when new; never NULL). */
struct crash_entry *crash_model_get(struct crash_sim *s, const char *path);
/* The new version of path gets len bytes of p at off (zeros fill a gap). */
void crash_model_write(struct crash_sim *s, const char *path, uint64_t off, const uint8_t *p,
		       size_t len);
void crash_model_truncate(struct crash_sim *s, const char *path, size_t size);
void crash_model_rename(struct crash_sim *s, const char *from, const char *to);
void crash_model_mkdir(struct crash_sim *s, const char *path);

/* The recording store's hook (arg: the struct crash_sim): checks the state it reports. */
void crash_record_hook(void *arg, const struct store_record_event *e);
/* The step is done and fsynced: check the state against its new version exactly. */
void crash_step_end(struct crash_sim *s);
/* Check the state src (a store_mem store, not changed) as what a crash leaves. */
void crash_check_from(struct crash_sim *s, const struct crash_label *l, struct store *src);

/*
 * The reordering model (test_crash_reorder.c): note a recorded call (the live store is
 * s->mem) and, when check, check the reordered states that are new at it.
 */
void crash_reorder_event(struct crash_sim *s, const struct store_record_event *e, bool check);
/* The reordering model's random seed, as text. */
const char *crash_reorder_seed(void);
/* Free the model's state (s->reorder). */
void crash_reorder_free(struct crash_sim *s);

#endif
