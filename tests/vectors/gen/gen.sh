#!/bin/bash
# Rebuild the tests/vectors text files from fixed inputs. Compiles the generator against the
# portable core sources directly (not the Makefile's objects, so a half-finished vault/
# cannot break it) into a temp dir that is removed on exit.
# Usage: tests/vectors/gen/gen.sh [OUTDIR]   (default: tests/vectors)
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=${1:-tests/vectors}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
srcs=$(ls src/{base,crypto,format,keys,names,store}/*.c | grep -v '_win32\.c$')
echo "gen.sh: building generator" >&2
${CC:-cc} -std=c17 -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE -O1 -Wall -Wextra -Werror -Isrc \
	-o "$tmp/gen_vectors" tests/vectors/gen/gen_vectors.c $srcs \
	$(pkg-config --cflags --libs libcrypto libargon2 libsodium smbclient tss2-esys tss2-mu tss2-tctildr tss2-rc) -lpthread
mkdir -p "$out"
"$tmp/gen_vectors" "$out"
echo "gen.sh: wrote $(ls "$out"/*.txt | wc -l) files to $out" >&2
