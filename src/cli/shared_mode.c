/*
 * The shared-mode decision for every client of a vault (shared_mode.h): the mount daemon
 * and the offline commands take it the same way, so that an offline command beside a
 * live shared mount uses the locks that mount uses.
 */
#include <string.h>
#include "base/log.h"
#include "cli/cli.h"
#include "cli/lower.h"
#include "cli/shared_mode.h"

bool shared_mode_parse(const char *word, enum vault_shared_mode *mode)
{
	if (!strcmp(word, "off"))
		*mode = VAULT_SHARED_OFF;
	else if (!strcmp(word, "auto"))
		*mode = VAULT_SHARED_AUTO;
	else if (!strcmp(word, "locks"))
		*mode = VAULT_SHARED_LOCKS;
	else if (!strcmp(word, "lockfiles"))
		*mode = VAULT_SHARED_LOCKFILES;
	else
		return false;
	return true;
}

const char *shared_mode_name(enum vault_shared_mode mode)
{
	return mode == VAULT_SHARED_LOCKS	? "locks"
	       : mode == VAULT_SHARED_LOCKFILES ? "lockfiles"
						: "off";
}

/*
 * A single client cannot probe whether another client would see its locks, so auto
 * decides by the lower file system's type (docs/SHARED.md).
 */
int shared_mode_resolve(const char *cipher_abs, enum vault_shared_mode asked,
			struct vault_options *o)
{
	struct lower_info li;
	bool has_locks;
	int status;

	lower_describe(cipher_abs, &li);
	o->shared = asked;
	if (o->shared == VAULT_SHARED_AUTO) {
		has_locks = lower_has_shared_locks(&li);
		o->shared = has_locks ? VAULT_SHARED_LOCKS : VAULT_SHARED_LOCKFILES;
		log_info("--shared=auto: lower file system type '%s': using %s", li.fstype,
			 has_locks ? "locks" : "lockfiles");
	}
	if (o->shared != VAULT_SHARED_OFF && (status = lower_check_shared(&li, &o->fresh)) != 0)
		return status;
	if (o->shared != VAULT_SHARED_OFF)
		log_info("shared mode %s over '%s' (%s), lower caches distrusted: %s",
			 shared_mode_name(o->shared), cipher_abs,
			 li.fstype[0] ? li.fstype : "unknown type",
			 o->fresh == COORD_FRESH_ALL	 ? "reads and writes"
			 : o->fresh == COORD_FRESH_READS ? "reads"
							 : "none (local)");
	return 0;
}
