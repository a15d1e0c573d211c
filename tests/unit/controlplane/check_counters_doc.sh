#!/bin/sh
# Every counter that `fxr-controlplane --list-counters` prints (generated from the X-macro
# lists) must appear in docs/operations.md as "| `section.name` |", and the document must not
# list a counter the program does not have.
# usage: check_counters_doc.sh FXR-CONTROLPLANE OPERATIONS.MD
set -eu
bin=$1
doc=$2
[ -r "$doc" ] || { echo "no $doc"; exit 1; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT INT TERM
"$bin" --list-counters | cut -f1 | sort > "$tmp"
[ -s "$tmp" ] || { echo "--list-counters printed nothing"; exit 1; }
rc=0
while read -r name; do
	grep -qF "| \`$name\` |" "$doc" || { echo "undocumented counter: $name"; rc=1; }
done < "$tmp"
# the reverse: documented counters that do not exist
grep -oE '^\| `(controlplane|session|throttle|channel)\.[a-z0-9_]+` \|' "$doc" |
	sed -E 's/^\| `([^`]+)` \|/\1/' | sort | comm -13 "$tmp" - | while read -r extra; do
	echo "documented but not a counter: $extra"
	exit 1
done || rc=1
[ $rc -eq 0 ] && echo "$(wc -l < "$tmp") counters documented"
exit $rc
