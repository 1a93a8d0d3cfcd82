#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: check-exports.sh NM LIBRARY
# Fails when the shared library (or the static archive, libtunecho.a)
# exports a symbol outside the tunecho_ prefix, or exports nothing at all.
set -eu
nm=$1 lib=$2
case $lib in
*.a) dyn="-g" ;;  # global symbols of the archive's objects
*) dyn="-D" ;;
esac
syms=$("$nm" $dyn --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' | sed 's/@.*//')
[ -n "$syms" ] || { echo "no exported symbols in $lib"; exit 1; }
bad=$(printf '%s\n' "$syms" | grep -v -e '^tunecho_' -e '^TUNECHO_[0-9]*$' || true)
if [ -n "$bad" ]; then
	echo "symbols outside the tunecho_ prefix exported by $lib:"
	printf '%s\n' "$bad" | sed 's/^/  /'
	exit 1
fi
echo "$(printf '%s\n' "$syms" | grep -c '^tunecho_') symbols, all tunecho_*"
