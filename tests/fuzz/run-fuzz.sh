#!/bin/sh
# run-fuzz.sh TARGET CORPUS SECONDS: runs a libFuzzer target for SECONDS over the seed corpus.
# New inputs go to a scratch folder, never into the tree. Fails on any crash, leak, sanitizer
# report or timeout; prints libFuzzer's final stats (execs/s, corpus size).
set -eu
target=$1 corpus=$2 secs=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/new"
cd "$work"
"$target" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
	-max_len=70000 "$work/new" "$corpus" 2>"$work/log" || { tail -n 60 "$work/log"; exit 1; }
grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)|^#[0-9]+.*DONE' "$work/log" || true
echo "corpus: $(ls "$work/new" | wc -l) new inputs beside $(ls "$corpus" | wc -l) seeds"
