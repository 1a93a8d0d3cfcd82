#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: make-static.sh LD OBJCOPY AR OUT INTERNAL_ARCHIVE
# The static library as clean as the shared one: every object of the
# internal archive linked into one (ld -r), whose hidden symbols (the te_*
# names) then become local (objcopy --localize-hidden); only the exported
# tunecho_* names stay global.
set -eu
ld=$1 objcopy=$2 ar=$3 out=$4 in=$5
obj="$out.o"
"$ld" -r --whole-archive "$in" -o "$obj"
"$objcopy" --localize-hidden "$obj"
rm -f "$out"
"$ar" rcs "$out" "$obj"
rm -f "$obj"
