#!/usr/bin/env bash
# Generate the deterministic multi-file C project that the build workload compiles.
# Usage: gen-cproject.sh DIR NUNITS. DIR gets include/ (40 headers), src/ (NUNITS units plus
# main.c) and a Makefile (gcc -O2, -MMD dependency files, one linked program `app` that
# prints a checksum). Same NUNITS -> byte-identical tree.
set -euo pipefail

dir=$1 units=$2 nheaders=40
rm -rf "$dir"
mkdir -p "$dir/include" "$dir/src"

for ((h = 0; h < nheaders; h++)); do
	{
		printf '#ifndef H_%03d_H\n#define H_%03d_H\n#include <stdint.h>\n#include <string.h>\n' "$h" "$h"
		printf 'struct rec%03d { uint32_t a, b; uint64_t c; char name[16]; };\n' "$h"
		for ((f = 0; f < 8; f++)); do
			printf 'static inline uint32_t h%03d_mix%d(uint32_t x)\n{\n' "$h" "$f"
			printf '\tx ^= x >> %d; x *= 0x%08xu; x ^= x >> %d;\n' $((13 + f)) $((0x9e3779b1 + h * 97 + f * 13)) $((15 - f))
			printf '\treturn x + %du;\n}\n' $((h * 8 + f))
		done
		printf '#endif\n'
	} >"$dir/include/h_$(printf %03d "$h").h"
done

for ((u = 0; u < units; u++)); do
	{
		for ((k = 0; k < 8; k++)); do
			printf '#include "h_%03d.h"\n' $(((u * 7 + k * 5) % nheaders))
		done
		printf '#include <stdio.h>\n#include <stdlib.h>\n\n'
		printf 'static const uint32_t table[64] = {'
		for ((i = 0; i < 64; i++)); do printf '%du,' $(((u * 2654435761 + i * 40503) % 4294967291)); done
		printf '};\n\n'
		for ((f = 0; f < 12; f++)); do
			hh=$(((u * 7 + (f % 8) * 5) % nheaders))
			printf 'static uint32_t step%d(uint32_t s)\n{\n\tfor (int i = 0; i < 64; i++) {\n' "$f"
			printf '\t\ts = h%03d_mix%d(s ^ table[(i * %d) & 63]);\n' "$hh" $((f % 8)) $((f * 2 + 1))
			printf '\t\tif (s %% %d == 0)\n\t\t\ts += %d;\n\t}\n\treturn s;\n}\n\n' $((f + 3)) "$f"
		done
		printf 'uint32_t unit%d(uint32_t s);\nuint32_t unit%d(uint32_t s)\n{\n' "$u" "$u"
		for ((f = 0; f < 12; f++)); do printf '\ts = step%d(s);\n' "$f"; done
		printf '\treturn s;\n}\n'
	} >"$dir/src/unit$u.c"
done

{
	printf '#include <stdint.h>\n#include <stdio.h>\n\n'
	for ((u = 0; u < units; u++)); do printf 'uint32_t unit%d(uint32_t s);\n' "$u"; done
	printf '\nint main(void)\n{\n\tuint32_t s = 1;\n'
	for ((u = 0; u < units; u++)); do printf '\ts = unit%d(s);\n' "$u"; done
	printf '\tprintf("%%u\\n", s);\n\treturn 0;\n}\n'
} >"$dir/src/main.c"

cat >"$dir/Makefile" <<'MK'
CC ?= cc
CFLAGS = -O2 -Wall -Iinclude -MMD -MP
SRCS := $(wildcard src/*.c)
OBJS := $(SRCS:src/%.c=obj/%.o)

app: $(OBJS)
	$(CC) -o $@ $^

obj/%.o: src/%.c | obj
	$(CC) $(CFLAGS) -c -o $@ $<

obj:
	mkdir -p obj

-include $(OBJS:.o=.d)
MK
