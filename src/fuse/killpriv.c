/*
 * FUSE_HANDLE_KILLPRIV_V2 through libfuse's custom io (see killpriv.h).
 *
 * Why the contract is ours to keep: the kernel (fs/fuse/inode.c process_init_reply) sets
 * SB_NOSEC when the INIT reply carries FUSE_HANDLE_KILLPRIV_V2, and from then on sends the
 * kill flags below instead of clearing the bits itself (fs/fuse/file.c, fs/fuse/dir.c).
 * File capabilities need no care: veilfs offers only user.* extended attributes
 * (vault/vault_xattr.c answers EOPNOTSUPP for security.*), so no "security.capability"
 * can exist on a veilfs file.
 *
 * Why a thread-local flag is enough: libfuse 3.14's multi-threaded loop (fuse_loop_mt.c,
 * fuse_do_work) reads a request (fuse_session_receive_buf_int, which calls our read) and
 * processes it to the end in the same thread before reading the next. Splice reads would
 * bypass our read: op_init turns them off, and killpriv_conn_init() refuses the bit if
 * they are ever wanted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/fuse.h>
#include "base/log.h"
#include "fuse/fuse_internal.h"
#include "fuse/killpriv.h"
#include "vault/vault.h"

enum {
	KILLPRIV_MIN_MINOR = 33, /* protocol 7.33 added FUSE_HANDLE_KILLPRIV_V2 */
	IN_HEADER_LEN = sizeof(struct fuse_in_header),
	OUT_HEADER_LEN = sizeof(struct fuse_out_header),
};

/* The kill flag of the request this thread read last (see the comment at the top). */
static _Thread_local bool request_kill;

/* A request's fixed argument (after the header) as a 32-bit word at offset off, or 0. */
static uint32_t in_word(const char *req, size_t len, size_t off)
{
	uint32_t w = 0;

	if (IN_HEADER_LEN + off + sizeof(w) <= len)
		memcpy(&w, req + IN_HEADER_LEN + off, sizeof(w));
	return w;
}

static void note_init(struct frontend *f, const struct fuse_in_header *h, const char *req,
		      size_t len)
{
	uint32_t major = in_word(req, len, offsetof(struct fuse_init_in, major));
	uint32_t minor = in_word(req, len, offsetof(struct fuse_init_in, minor));
	uint32_t flags = in_word(req, len, offsetof(struct fuse_init_in, flags));
	bool offered = major == FUSE_KERNEL_VERSION && minor >= KILLPRIV_MIN_MINOR &&
		       (flags & FUSE_HANDLE_KILLPRIV_V2);

	atomic_store(&f->killpriv.offered, offered);
	atomic_store(&f->killpriv.init_unique, h->unique);
	atomic_store(&f->killpriv.init_pending, true);
}

/* Whether the request asks to kill set-id bits (the flag libfuse 3.14 drops). */
static bool wants_kill(uint32_t opcode, const char *req, size_t len)
{
	switch (opcode) {
	case FUSE_WRITE:
		return in_word(req, len, offsetof(struct fuse_write_in, write_flags)) &
		       FUSE_WRITE_KILL_SUIDGID;
	case FUSE_SETATTR:
		return in_word(req, len, offsetof(struct fuse_setattr_in, valid)) &
		       FATTR_KILL_SUIDGID;
	case FUSE_OPEN:
		return in_word(req, len, offsetof(struct fuse_open_in, open_flags)) &
		       FUSE_OPEN_KILL_SUIDGID;
	case FUSE_CREATE:
		return in_word(req, len, offsetof(struct fuse_create_in, open_flags)) &
		       FUSE_OPEN_KILL_SUIDGID;
	default:
		return false;
	}
}

static void inspect_request(struct frontend *f, const char *req, size_t len)
{
	struct fuse_in_header h;

	request_kill = false;
	if (len < IN_HEADER_LEN)
		return;
	memcpy(&h, req, sizeof(h));
	if (h.opcode == FUSE_INIT)
		note_init(f, &h, req, len);
	else
		request_kill = wants_kill(h.opcode, req, len);
}

static ssize_t killpriv_read(int fd, void *buf, size_t len, void *userdata)
{
	ssize_t r = read(fd, buf, len);
	int saved = errno;
	struct frontend *f = userdata;

	if (r > 0)
		idle_note_request(f);
	if (!atomic_load(&f->killpriv.disabled))
		inspect_request(userdata, buf, r > 0 ? (size_t)r : 0);
	errno = saved;
	return r;
}

/* Is this reply (header in iov[0], body in iov[1]) the successful answer to INIT? */
static bool is_init_reply(struct frontend *f, const struct iovec *iov, int count)
{
	struct fuse_out_header h;

	if (count < 2 || iov[0].iov_len != OUT_HEADER_LEN)
		return false;
	memcpy(&h, iov[0].iov_base, sizeof(h));
	return h.unique == atomic_load(&f->killpriv.init_unique) && h.error == 0 &&
	       iov[1].iov_len >= offsetof(struct fuse_init_out, flags) + sizeof(uint32_t) &&
	       iov[1].iov_len <= sizeof(struct fuse_init_out);
}

/* Send the INIT reply with FUSE_HANDLE_KILLPRIV_V2 added, from a copy of its body. */
static ssize_t writev_patched_init(int fd, const struct iovec *iov, int count)
{
	struct fuse_init_out out;
	struct iovec patched[2];

	memset(&out, 0, sizeof(out));
	memcpy(&out, iov[1].iov_base, iov[1].iov_len);
	out.flags |= FUSE_HANDLE_KILLPRIV_V2;
	patched[0] = iov[0];
	patched[1].iov_base = &out;
	patched[1].iov_len = iov[1].iov_len;
	return writev(fd, patched, count);
}

/* Decide, once, on the INIT reply; returns whether to patch it. */
static bool should_patch(struct frontend *f, const struct iovec *iov, int count)
{
	if (!atomic_load_explicit(&f->killpriv.init_pending, memory_order_relaxed) ||
	    !is_init_reply(f, iov, count) || !atomic_exchange(&f->killpriv.init_pending, false))
		return false;
	if (!atomic_load(&f->killpriv.offered)) {
		log_debug("killpriv_v2: not offered by the kernel; set-id bits cleared as before");
		return false;
	}
	if (count != 2 || !atomic_load(&f->killpriv.honour)) {
		log_debug("killpriv_v2: not used (reply layout or splice reads); unchanged");
		return false;
	}
	atomic_store(&f->killpriv.active, true);
	log_debug("killpriv_v2: on (the kernel sets SB_NOSEC; veilfs clears set-id bits)");
	return true;
}

static ssize_t killpriv_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	if (should_patch(userdata, iov, count))
		return writev_patched_init(fd, iov, count);
	return writev(fd, iov, count);
}

static bool killpriv_disabled(void)
{
	const char *e = getenv("VEILFS_KILLPRIV");

	return e && strcmp(e, "0") == 0;
}

void killpriv_install(struct frontend *f)
{
	const struct fuse_custom_io io = {.read = killpriv_read, .writev = killpriv_writev};
	int fd = fuse_session_fd(f->se);

	if (killpriv_disabled()) {
		/* the reader stays: it also notes each request for --idle */
		log_debug("killpriv_v2: off (VEILFS_KILLPRIV=0)");
		atomic_store(&f->killpriv.disabled, true);
	}
	/* Same descriptor: libfuse 3.14 only records io and fd; the mount stays as it is. */
	if (fd < 0 || fuse_session_custom_io(f->se, &io, fd) != 0) {
		log_debug("killpriv_v2: custom io refused; set-id bits cleared as before");
		if (f->opts.idle_ms) {
			log_warn("--idle is off: requests cannot be watched on this session");
			f->opts.idle_ms = 0;
		}
	}
}

void killpriv_conn_init(struct frontend *f, const struct fuse_conn_info *conn)
{
	atomic_store(&f->killpriv.honour, !(conn->want & FUSE_CAP_SPLICE_READ));
}

bool killpriv_take(void)
{
	bool kill = request_kill;

	request_kill = false;
	return kill;
}

/* The mode after a kill: no set-user-ID; no set-group-ID if group-execute is set. */
static mode_t killed_mode(mode_t mode)
{
	mode &= ~(mode_t)S_ISUID;
	if (mode & S_IXGRP)
		mode &= ~(mode_t)S_ISGID;
	return mode;
}

int killpriv_apply(struct frontend *f, struct vnode *n, uint64_t ino)
{
	struct stat st, out;
	mode_t mode;
	int r;

	if ((r = vault_getattr(f->vault, n, &st)) < 0)
		return r;
	mode = killed_mode(st.st_mode);
	if (!S_ISREG(st.st_mode) || mode == st.st_mode)
		return 0;
	log_debug("killpriv_v2: inode %llu mode %o -> %o", (unsigned long long)vnode_ino(n),
		  (unsigned)(st.st_mode & 07777), (unsigned)(mode & 07777));
	st.st_mode = mode;
	if ((r = vault_setattr(f->vault, n, &st, VAULT_SET_MODE, &out)) < 0)
		return r;
	/* Attributes only (offset -1): takes no page lock, so safe inside a request. */
	if (ino)
		(void)fuse_lowlevel_notify_inval_inode(f->se, ino, -1, 0);
	return 0;
}

bool killpriv_caller_capable(fuse_req_t req, int cap)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	unsigned long long caps = 0;
	char path[64], line[256];
	bool found = false;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)ctx->pid);
	fp = ctx->pid > 0 ? fopen(path, "re") : NULL;
	while (fp && !found && fgets(line, sizeof(line), fp))
		found = sscanf(line, "CapEff: %llx", &caps) == 1;
	if (fp)
		fclose(fp);
	return found ? (caps >> cap) & 1 : ctx->uid == 0;
}

int killpriv_fallocate(struct frontend *f, fuse_req_t req, struct vnode *n, uint64_t ino)
{
	struct stat st;
	int r;

	if (!atomic_load_explicit(&f->killpriv.active, memory_order_relaxed))
		return 0;
	/* the cheap test first: most files have no set-id bit */
	if ((r = vault_getattr(f->vault, n, &st)) < 0)
		return r;
	if (killed_mode(st.st_mode) == st.st_mode || killpriv_caller_capable(req, CAP_FSETID))
		return 0;
	return killpriv_apply(f, n, ino);
}
