#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: check-install.sh BUILD_ROOT CC
# Installs the build into a scratch DESTDIR, then builds and runs a program
# that knows tunecho only through `pkg-config --cflags --libs tunecho`.
set -eu
build=$1 cc=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet >/dev/null
pc=$(find "$tmp/root" -name tunecho.pc)
[ -n "$pc" ] || { echo "tunecho.pc was not installed"; exit 1; }
for f in include/tunecho.h libtunecho.so.2 libtunecho.a sbin/tunecho; do
	find "$tmp/root" -path "*/$f" | grep -q . || { echo "$f was not installed"; exit 1; }
done

export PKG_CONFIG_PATH="${pc%/*}" PKG_CONFIG_SYSROOT_DIR="$tmp/root"
cat >"$tmp/embed.c" <<'C'
#include <event2/event.h>
#include <stdio.h>
#include <tunecho.h>

int main(void)
{
	struct event_base *base = event_base_new();
	struct tunecho *t = NULL;
	int r = tunecho_new(&t, base);

	printf("tunecho %s: %d\n", tunecho_version(), r);
	tunecho_free(t);
	event_base_free(base);
	return r != 0;
}
C
# shellcheck disable=SC2046
"$cc" -std=c99 -Wall -Werror -o "$tmp/embed" "$tmp/embed.c" $(pkg-config --cflags --libs tunecho)
so=$(find "$tmp/root" -name libtunecho.so.2)
libdir=${so%/*}
out=$(LD_LIBRARY_PATH="$libdir" "$tmp/embed")
echo "$out"
[ "$out" = "tunecho $(pkg-config --modversion tunecho): 0" ]
LD_LIBRARY_PATH="$libdir" ldd "$tmp/embed" | grep -q "$tmp/root.*libtunecho.so.2"
