#!/bin/bash
# Build every libFuzzer target (fuzz/fuzz_*.c) with clang, ASan and UBSan, linking the
# portable core sources directly (not the Makefile's gcc objects).
# Usage: fuzz/build.sh OUTDIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
cd "$(dirname "$0")/.."
out=$1
mkdir -p "$out"
CC=${CLANG:-$(command -v clang-14 || command -v clang)}
flags=(-std=c17 -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE -g -O1 -Wall -Wextra -Werror
	-Wno-unused-function -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-fno-omit-frame-pointer -Isrc -Ifuzz $(pkg-config --cflags smbclient))
# shellcheck disable=SC2207
libs=($(pkg-config --libs libcrypto libargon2 libsodium smbclient tss2-esys tss2-mu tss2-tctildr tss2-rc) -lpthread)
# (the Windows back ends, *_win32.c, are for make windows only)
# the vault targets (fuzz_vault*.c) drive src/vault (and src/fsck) over the in-memory store
srcs=$(ls src/{base,crypto,format,codec,keys,names,store,coord,vault,fsck}/*.c | grep -v '_win32\.c$')
for t in fuzz/fuzz_*.c; do
	name=$(basename "$t" .c)
	echo "build.sh: $name" >&2
	"$CC" "${flags[@]}" -o "$out/$name" "$t" $srcs "${libs[@]}"
done
# the seed generator of fuzz_vault (a plain program, same sanitizers)
echo "build.sh: vault_seeds" >&2
"$CC" "${flags[@]/-fsanitize=fuzzer,address,undefined/-fsanitize=address,undefined}" \
	-o "$out/vault_seeds" fuzz/vault_seeds.c $srcs "${libs[@]}"
echo "build.sh: built $(ls fuzz/fuzz_*.c | wc -l) targets in $out" >&2
