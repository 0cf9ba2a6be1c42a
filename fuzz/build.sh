#!/bin/bash
# Build every libFuzzer target (fuzz/fuzz_*.c) with clang, ASan and UBSan, linking the
# portable core sources directly (not the Makefile's gcc objects). The core is compiled
# once, into OUTDIR/obj/, and every target links those objects.
# Usage: fuzz/build.sh OUTDIR        (FUZZ_JOBS: parallel compiles, default 2)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
cd "$(dirname "$0")/.."
out=$1
jobs=${FUZZ_JOBS:-2}
rm -rf "$out/obj"
mkdir -p "$out/obj"
CC=${CLANG:-$(command -v clang-14 || command -v clang)}
san=-fsanitize=address,undefined
flags=(-std=c17 -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE -g -O1 -Wall -Wextra -Werror
	-Wno-unused-function -fno-sanitize-recover=all -fno-omit-frame-pointer -Isrc -Ifuzz
	$(pkg-config --cflags smbclient))
# shellcheck disable=SC2207
libs=($(pkg-config --libs libcrypto libargon2 libsodium smbclient tss2-esys tss2-mu tss2-tctildr tss2-rc) -lpthread)
# (the Windows back ends, *_win32.c, are for make windows only)
# the vault targets (fuzz_vault*.c) drive src/vault (and src/fsck) over the in-memory store
srcs=$(ls src/{base,crypto,format,codec,keys,names,store,coord,vault,fsck}/*.c | grep -v '_win32\.c$')
echo "build.sh: compiling $(wc -w <<<"$srcs") core sources ($jobs at a time)" >&2
# each line: OBJ SRC, appended to "... -c -o"; xargs runs $jobs compilers at a time
for s in $srcs; do printf '%s %s\n' "$out/obj/$(echo "${s%.c}" | tr / _).o" "$s"; done |
	xargs -P "$jobs" -n 2 sh -c 'exec "$@"' cc-one "$CC" "${flags[@]}" "$san" \
		-fsanitize=fuzzer-no-link -c -o
objs=("$out"/obj/*.o)
for t in fuzz/fuzz_*.c; do
	name=$(basename "$t" .c)
	echo "build.sh: $name" >&2
	"$CC" "${flags[@]}" "$san" -fsanitize=fuzzer -o "$out/$name" "$t" "${objs[@]}" "${libs[@]}"
done
# the seed generator of fuzz_vault (a plain program, same sanitizers; the core objects'
# coverage hooks resolve to the sanitizer runtime's defaults)
echo "build.sh: vault_seeds" >&2
"$CC" "${flags[@]}" "$san" -o "$out/vault_seeds" fuzz/vault_seeds.c "${objs[@]}" "${libs[@]}"
echo "build.sh: built $(ls fuzz/fuzz_*.c | wc -l) targets in $out" >&2
