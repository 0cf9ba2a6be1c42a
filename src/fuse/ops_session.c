/*
 * Session handlers: INIT (the capabilities asked of the kernel), DESTROY and STATFS.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include "base/buf.h"
#include "base/log.h"
#include "base/secmem.h"
#include "fuse/inode_table.h"
#include "fuse/killpriv.h"
#include "vault/vault.h"
#include "fuse/ops_internal.h"

void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct frontend *f = userdata;

	/* Large writes: libfuse raises max_pages with max_write (its buffer holds 1 MiB). */
	conn->max_write = 1u << 20;
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	if (conn->capable & FUSE_CAP_PARALLEL_DIROPS)
		conn->want |= FUSE_CAP_PARALLEL_DIROPS;
	/*
	 * POSIX ACLs: the kernel checks them and caches them; the vault keeps the mode in
	 * step and does the inheritance, for which it needs the unmasked mode and the umask.
	 */
	if ((conn->capable & FUSE_CAP_POSIX_ACL) && (conn->capable & FUSE_CAP_DONT_MASK))
		conn->want |= FUSE_CAP_POSIX_ACL | FUSE_CAP_DONT_MASK;
	/*
	 * Writeback cache (single client only, see frontend.h): the kernel coalesces small
	 * writes into max_write requests and owns size and mtime while pages are dirty; it
	 * sends setattr for the times and reads pages that a partial-page write needs.
	 */
	if (f->opts.writeback && (conn->capable & FUSE_CAP_WRITEBACK_CACHE))
		conn->want |= FUSE_CAP_WRITEBACK_CACHE;
	else
		conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
	/*
	 * Off: splice (not measured to help: every block is decrypted into a buffer anyway),
	 * export (node ids are not persistent), remote locks (kernel-local locks instead).
	 */
	conn->want &=
	    ~(unsigned)(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE |
			FUSE_CAP_EXPORT_SUPPORT | FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS |
			FUSE_CAP_HANDLE_KILLPRIV);
	conn->time_gran = 1;
	killpriv_conn_init(f, conn);
	log_info("fuse protocol %u.%u, max_write %u, max_readahead %u, writeback cache %s",
		 conn->proto_major, conn->proto_minor, conn->max_write, conn->max_readahead,
		 (conn->want & FUSE_CAP_WRITEBACK_CACHE) ? "on" : "off");
}

void op_destroy(void *userdata)
{
	struct frontend *f = userdata;

	/* The kernel sends no forgets at unmount: drop every node but the root here. */
	log_info("session ends with %llu node ids still known to the kernel (root included), "
		 "after %llu node-id lookups",
		 (unsigned long long)inode_table_count(f->inodes),
		 (unsigned long long)inode_table_gets(f->inodes));
	inode_table_clear(f->inodes);
}

void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct frontend *f = req_frontend(req);
	struct statvfs sv;
	int r;

	(void)ino;
	r = vault_statfs(f->vault, &sv);
	if (r < 0)
		reply_result(req, r);
	else
		fuse_reply_statfs(req, &sv);
}
