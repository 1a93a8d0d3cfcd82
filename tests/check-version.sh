#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: check-version.sh VERSION LIBRARY HEADER SYMFILE
# The one version scheme: soname = libtunecho.so.MAJOR, file
# libtunecho.so.MAJOR.MINOR.PATCH, symbol version node TUNECHO_MAJOR, and the
# header's TUNECHO_VERSION_* macros, all from meson's project version.
set -eu
version=$1 lib=$2 header=$3 symfile=$4
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
patch=${rest#*.}
fail=0
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = "libtunecho.so.$major" ] || { echo "soname $soname, want libtunecho.so.$major"; fail=1; }
real=$(basename "$(readlink -f "$lib")")
[ "$real" = "libtunecho.so.$version" ] || { echo "file $real, want libtunecho.so.$version"; fail=1; }
node=$(sed -n 's/^\(TUNECHO_[0-9]*\) {$/\1/p' "$symfile")
[ "$node" = "TUNECHO_$major" ] || { echo "symbol version node $node, want TUNECHO_$major"; fail=1; }
used=$(readelf --dyn-syms -W "$lib" | grep -c "tunecho_version@@TUNECHO_$major" || true)
[ "$used" = 1 ] || { echo "tunecho_version is not in node TUNECHO_$major"; fail=1; }
for part in MAJOR:$major MINOR:$minor PATCH:$patch; do
	grep -q "#define TUNECHO_VERSION_${part%%:*} ${part#*:}\$" "$header" ||
		{ echo "$header: TUNECHO_VERSION_${part%%:*} is not ${part#*:}"; fail=1; }
done
[ $fail = 0 ] && echo "version $version: soname, file, symbol node and header agree"
exit $fail
