#!/usr/bin/env bash
# Draws the scaling CSV of the benchmark program (`bench --scale`, see src/bin/bench/scale.rs)
# into one PNG per series: time per row (left) and peak RSS (right) against N, raw sqlx (dashed)
# and this ORM (solid), one colour per backend.
#
#   bash orm-tests/bench/plot.sh [CSV] [OUTDIR]     # defaults: $TMPDIR/orm_bench/scale.csv, docs/perf
#
# Needs gnuplot (Debian: apt-get install gnuplot-nox).
set -euo pipefail
csv=${1:-${BENCH_DIR:-${TMPDIR:-/tmp}/orm_bench}/scale.csv}
out=${2:-docs/perf}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# One data file per (series, target, contender): N, µs per row, peak RSS in MiB, sorted by N.
awk -F, -v dir="$work" 'NR > 1 {
    f = dir "/" $2 "." $1 "." $4 ".dat"
    print $3, $6 / 1000, $7 / 1024 | ("sort -n > " f)
}' "$csv"
declare -A title=(
    [select]="select of N rows (all)"
    [eager]="N parents with 10 children each (with_children)"
    [insert-many]="insert_many of N rows"
    [stream]="streaming N rows"
)
declare -A xlabel=([select]="rows" [eager]="parents" [insert-many]="rows" [stream]="rows")
for series in select eager insert-many stream; do
    plots_t=() plots_m=()
    for t in sqlite-file postgres mysql; do
        case $t in sqlite-file) lc=1 ;; postgres) lc=2 ;; *) lc=3 ;; esac
        for c in ours raw; do
            f="$work/$series.$t.$c.dat"
            [ -s "$f" ] || continue
            if [ "$c" = ours ]; then dt=1 label="$t ORM"; else dt=2 label="$t raw"; fi
            plots_t+=("'$f' using 1:2 with linespoints lc $lc dt $dt pt 7 ps 0.6 title '$label'")
            plots_m+=("'$f' using 1:3 with linespoints lc $lc dt $dt pt 7 ps 0.6 title '$label'")
        done
    done
    [ "${#plots_t[@]}" -gt 0 ] || continue
    join() { local IFS=,; echo "$*"; }
    gnuplot <<GP
set terminal pngcairo size 900,330 font ",8" noenhanced
set output "$out/$series.png"
set multiplot layout 1,2 title "${title[$series]}"
set logscale x
set grid
set key top right
set xlabel "N (${xlabel[$series]})"
set ylabel "µs per row"
set logscale y
plot $(join "${plots_t[@]}")
unset logscale y
set yrange [0:*]
set ylabel "peak RSS (MiB)"
set key top left
plot $(join "${plots_m[@]}")
unset multiplot
GP
    echo "$out/$series.png"
done
