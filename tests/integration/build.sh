#!/bin/bash
# build.sh OUTDIR - compile the integration test tools into OUTDIR with cc.
# Standalone on purpose: it does not use the root Makefile.
set -euo pipefail
if [ $# -ne 1 ]; then
	echo "usage: build.sh OUTDIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
out=$(mkdir -p "$1" && cd "$1" && pwd)
CC=${CC:-cc}
CFLAGS=${CFLAGS:--std=c17 -O2 -g -D_GNU_SOURCE -Wall -Wextra -Werror -Wmissing-prototypes \
	-Wstrict-prototypes -Wshadow -Wformat=2 -Wno-format-nonliteral}
build() {
	local name=$1
	shift
	echo "build.sh: $name" >&2
	# shellcheck disable=SC2086
	(cd "$here" && $CC $CFLAGS -o "$out/$name" "$@" -pthread)
}
build posix_suite posix_suite.c posix_io.c posix_ns.c posix_meta.c posix_conf.c posix_perm.c posix_kernel.c util.c
build fsx fsx.c util.c
build concurrency concurrency.c util.c
build handle_tool handle_tool.c util.c
