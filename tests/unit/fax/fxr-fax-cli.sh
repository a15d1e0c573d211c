#!/usr/bin/env bash
# fxr-fax's command line: a text document rendered by scripts/make-fax-doc (ghostscript) is
# faxable, goes through `loopback` and comes out equal under tiffcmp; bad input and bad usage
# give their documented exit statuses and one-line errors.
# usage: fxr-fax-cli.sh FXR_FAX MAKE_FAX_DOC
set -u
fax=$1 mkdoc=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$mkdoc" "$dir/doc.tif" 4 "cli test" || fail "make-fax-doc failed"
out=$("$fax" check "$dir/doc.tif") || fail "check rejected a rendered document"
[ "$out" = "ok pages=4 file=$dir/doc.tif" ] || fail "check said: $out"

"$fax" loopback "$dir/doc.tif" "$dir/rx.tif" > "$dir/log" || fail "loopback failed: $(cat "$dir/log")"
grep -q '^received pages=4 result=0 (OK)' "$dir/log" || fail "loopback result: $(cat "$dir/log")"
tiffcmp "$dir/doc.tif" "$dir/rx.tif" > /dev/null || fail "tiffcmp: received fax differs"
"$fax" check "$dir/rx.tif" > /dev/null || fail "the received TIFF-F is not faxable in turn"

echo "plain text" > "$dir/junk.tif"
"$fax" check "$dir/junk.tif" 2> "$dir/err"; rc=$?
[ $rc = 5 ] || fail "check of junk: exit $rc, want 5"
[ "$(wc -l < "$dir/err")" = 1 ] || fail "check of junk: error not one line"
"$fax" loopback "$dir/junk.tif" "$dir/x.tif" 2> /dev/null; rc=$?
[ $rc = 5 ] || fail "loopback of junk: exit $rc, want 5"
[ ! -e "$dir/x.tif" ] || fail "loopback of junk wrote an output file"
"$fax" 2> /dev/null; rc=$?
[ $rc = 2 ] || fail "no command: exit $rc, want 2"
"$fax" loopback "$dir/doc.tif" 2> /dev/null; rc=$?
[ $rc = 2 ] || fail "loopback with one file: exit $rc, want 2"
"$fax" --help | grep -q '^usage: fxr-fax check' || fail "--help"
"$mkdoc" "$dir/z.tif" 0 2> /dev/null && fail "make-fax-doc accepted 0 pages"
echo ok
