#!/bin/sh
# Renders the sample bundle of TestSampleBundle and writes the pictures the
# README shows: docs/bundle-list.png (cover, signatures and greetings),
# docs/bundle-postcards.png (a sheet of postcards) and
# docs/bundle-envelope.png (a DL envelope).
#
#   pdf/testdata/samples.sh        (from the repository root)
#
# Needs pdftoppm (poppler-utils) and ImageMagick's montage and convert.
set -eu

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PDF_SAMPLE_DIR="$tmp" go test -count=1 -run '^TestSampleBundle$' ./pdf/ >/dev/null
list="$tmp/TestSampleBundle_list"
cards="$tmp/TestSampleBundle_postcards"

mkdir -p docs
pdftoppm -png -r 60 "$list/letter-01.pdf" "$list/p"
last=$(ls "$list"/p-*.png | sort | tail -n 1)
montage "$list/p-1.png" "$list/p-2.png" "$last" -tile 3x1 -geometry +8+0 -background '#d0d0d0' \
	-bordercolor '#d0d0d0' -border 8 docs/bundle-list.png

pdftoppm -png -r 60 "$cards/letter-01.pdf" "$cards/p"
last=$(ls "$cards"/p-*.png | sort | tail -n 2 | head -n 1) # a full sheet: the last may be part-filled
convert "$last" -bordercolor '#d0d0d0' -border 8 docs/bundle-postcards.png

pdftoppm -png -r 60 -f 1 -l 1 "$list/envelopes.pdf" "$list/e"
convert "$list"/e-*1.png -bordercolor '#d0d0d0' -border 8 docs/bundle-envelope.png

ls -l docs/bundle-list.png docs/bundle-postcards.png docs/bundle-envelope.png
