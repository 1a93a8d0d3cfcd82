#!/bin/sh
# SPDX-License-Identifier: MIT
# Usage: check-docs.sh SOURCE_ROOT TUNECHO TUNECHO_8 TUNECHO_CONF_5 [LOAD LOAD_1]
#
# Keeps the documentation true to the code. Fails, naming what is missing,
# unless:
#  - every short and long option printed by `tunecho --help` is in
#    tunecho(8), and every long option of its OPTIONS section is in --help;
#  - every config key the parser accepts (the `!strcmp(name, "KEY")` of
#    set_global() and set_iface() in src/lib/config.c) is defined in
#    tunecho.conf(5), as a tagged paragraph (.TP) headed `KEY = ...` in the
#    section about [global] or in another one, and appears in README.md
#    (as `KEY`, `KEY = ...` or a `KEY = ...` line of the example);
#  - every drop reason name (the `= "name"` strings of the table in
#    src/lib/stats.c) is in README.md and in tunecho(8), as `name`;
#  - with LOAD and LOAD_1: every option of `tunecho-load --help` is in
#    tunecho-load(1).
set -eu

if [ $# -ne 4 ] && [ $# -ne 6 ]; then
	echo "usage: $0 SOURCE_ROOT TUNECHO TUNECHO_8 TUNECHO_CONF_5 [LOAD LOAD_1]" >&2
	exit 2
fi
src=$1 bin=$2 man8=$3 man5=$4 load=${5:-} man1=${6:-}
readme=$src/README.md
config_c=$src/src/lib/config.c
stats_c=$src/src/lib/stats.c

for f in "$readme" "$config_c" "$stats_c" "$man8" "$man5"; do
	[ -r "$f" ] || { echo "cannot read $f"; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fails=0
missing() {
	echo "MISSING: $*"
	fails=$((fails + 1))
}

# roff source as plain text: "\-" is "-", font changes and "\&" vanish.
plain() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\f\[[^]]*\]//g' \
		-e 's/\\&//g' "$1"
}
plain "$man8" >"$tmp/man8"
plain "$man5" >"$tmp/man5"

# Characters that may not surround a name for it to count as that name.
w='A-Za-z0-9_-'

# has FILE ERE: the pattern occurs in the file.
has() {
	grep -Eq -e "$2" "$1"
}

# A name is matched literally: allow only characters that mean nothing in
# an ERE, so that an odd name fails loudly instead of matching wrongly.
check_name() {
	case $1 in
	'' | *[!A-Za-z0-9_-]*)
		echo "unexpected name '$1' extracted from $2: fix check-docs.sh"
		exit 1
		;;
	esac
}

# --- (a) options -----------------------------------------------------
# help_options PROGRAM OUT: the short and long options of PROGRAM --help,
# one per line. Option lines start with blanks and a dash: "  -c, --config FILE".
help_options() {
	if ! "$1" --help >"$tmp/help"; then
		echo "'$1 --help' failed"
		exit 1
	fi
	grep -E '^[[:space:]]+-' "$tmp/help" >"$tmp/optlines" || true
	{
		sed -n 's/^[[:space:]]*\(-[A-Za-z0-9]\)[,[:space:]].*/\1/p' "$tmp/optlines"
		grep -Eo -e '--[A-Za-z0-9][A-Za-z0-9-]*' "$tmp/optlines" || true
	} | sort -u >"$2"
	[ -s "$2" ] || { echo "no options found in '$1 --help'"; exit 1; }
}
help_options "$bin" "$tmp/options"
nopt=0
while read -r opt; do
	check_name "${opt#-}" "--help"
	nopt=$((nopt + 1))
	has "$tmp/man8" "(^|[^$w])$opt([^$w]|$)" || missing "option $opt (tunecho --help) in $man8"
done <"$tmp/options"

# The reverse, for the OPTIONS section: no option documented that is gone.
sed -n '/^\.SH "*OPTIONS"*$/,/^\.SH/p' "$tmp/man8" |
	grep -Eo -e "(^|[^$w])--[A-Za-z0-9][A-Za-z0-9-]*" | sed 's/^[^-]*//' | sort -u >"$tmp/man8long" || true
while read -r opt; do
	grep -qx -e "$opt" "$tmp/options" ||
		missing "option $opt of OPTIONS in $man8 is not printed by tunecho --help (gone?)"
done <"$tmp/man8long"

# --- (b) config keys ---------------------------------------------------
# The keys compared by name in set_global() and set_iface(), up to the
# closing brace of each function.
awk '
	/^static void set_global\(/ { where = "global"; next }
	/^static void set_iface\(/ { where = "iface"; next }
	/^}/ { where = "" }
	where != "" {
		line = $0
		while (match(line, /!strcmp\(name, "[^"]*"\)/)) {
			key = substr(line, RSTART + 15, RLENGTH - 17)
			print where, key
			line = substr(line, RSTART + RLENGTH)
		}
	}
' "$config_c" >"$tmp/keys"
for section in global iface; do
	grep -q "^$section " "$tmp/keys" ||
		{ echo "no keys of set_$section() found in $config_c: fix check-docs.sh"; exit 1; }
done
# The headings of tunecho.conf(5)'s tagged paragraphs (the line after
# .TP), split by whether their .SH title names [global].
awk -v g="$tmp/man5-global" -v i="$tmp/man5-iface" '
	/^\.SH/ { global = /global/ }
	prev ~ /^\.TP/ { print > (global ? g : i) }
	{ prev = $0 }
' "$tmp/man5"
: >>"$tmp/man5-global"
: >>"$tmp/man5-iface"
nkey=0
while read -r section key; do
	check_name "$key" "$config_c"
	nkey=$((nkey + 1))
	# tunecho.conf(5): the heading of a tagged paragraph, "KEY = ...", in
	# the section of the page about [global] or in another one.
	has "$tmp/man5-$section" "^\.[A-Z]+[[:space:]]+\"?${key} =" ||
		missing "config key '$key' ([${section}]) in $man5"
	# README.md: `key`, `key = ...`, or a "key = value" line of the example.
	has "$readme" "\`${key}( = [^\`]*)?\`|^[[:space:]]*${key}[[:space:]]*=" ||
		missing "config key '$key' ([${section}]) in $readme"
done <"$tmp/keys"

# --- (c) drop reasons --------------------------------------------------
sed -n 's/^[[:space:]]*\[TUNECHO_DROP_[A-Z_]*\][[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' \
	"$stats_c" >"$tmp/reasons"
[ -s "$tmp/reasons" ] || { echo "no drop reason names found in $stats_c: fix check-docs.sh"; exit 1; }
nreason=0
while read -r reason; do
	check_name "$reason" "$stats_c"
	nreason=$((nreason + 1))
	has "$readme" "\`$reason\`" || missing "drop reason '$reason' in $readme"
	has "$tmp/man8" "(^|[^$w])$reason([^$w]|$)" || missing "drop reason '$reason' in $man8"
done <"$tmp/reasons"

# --- (d) tunecho-load's options --------------------------------------
if [ -n "$load" ]; then
	help_options "$load" "$tmp/loadopts"
	plain "$man1" >"$tmp/man1"
	while read -r opt; do
		check_name "${opt#-}" "tunecho-load --help"
		nopt=$((nopt + 1))
		has "$tmp/man1" "(^|[^$w])$opt([^$w]|$)" ||
			missing "option $opt (tunecho-load --help) in $man1"
	done <"$tmp/loadopts"
fi

if [ "$fails" -ne 0 ]; then
	echo "$fails documentation gaps (checked $nopt options, $nkey config keys, $nreason drop reasons)"
	exit 1
fi
echo "documented: $nopt options, $nkey config keys, $nreason drop reasons"
