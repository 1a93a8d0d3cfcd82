#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: check-exports.sh NM LIBRARY
# Fails when the shared library exports a symbol outside the tunecho_ prefix,
# or exports nothing at all.
set -eu
nm=$1 lib=$2
syms=$("$nm" -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' | sed 's/@.*//')
[ -n "$syms" ] || { echo "no exported symbols in $lib"; exit 1; }
bad=$(printf '%s\n' "$syms" | grep -v -e '^tunecho_' -e '^TUNECHO_[0-9]*$' || true)
if [ -n "$bad" ]; then
	echo "symbols outside the tunecho_ prefix exported by $lib:"
	printf '%s\n' "$bad" | sed 's/^/  /'
	exit 1
fi
echo "$(printf '%s\n' "$syms" | grep -c '^tunecho_') symbols, all tunecho_*"
