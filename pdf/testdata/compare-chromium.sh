#!/bin/sh
# Compares pdf.Render with headless Chromium printing the same signature
# rows as an HTML table, in one run on one machine (timings on a shared
# machine vary by ±10 %: compare the ratios, not absolute times).
#
#   pdf/testdata/compare-chromium.sh [rows...]     (from the repository root;
#                                                   default: 1000 10000)
#
# Needs chromium (or CHROMIUM=/path/to/chrome), GNU time at /usr/bin/time and
# pdfinfo. Peak memory is the maximum resident set size GNU time reports: for
# Chromium that of its largest process, for Render that of the process during
# the benchmark (VmHWM). Generated files go to a temporary folder and are
# deleted.
set -eu

chromium=${CHROMIUM:-chromium}
rows=${*:-1000 10000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# html N: N numbered rows with the names, cities and countries the Go
# benchmark prints, on A4 at 10 pt, with a repeated table header.
html() {
	awk -v n="$1" 'BEGIN {
		split("Anna Jonas Алесь Наталля Γιώργος Ελένη ნინო გიორგი Արամ Łukasz Zoë Søren Иван Олена Māris Jürgen", first, " ")
		split("Kowalska Petrauskas Бяляцкі Пінчук Παπαδόπουλος Οικονόμου ბერიძე კაპანაძე Սարգսյան Żak Dubois Nørgaard Петров Шевченко Ozoliņš Müller", last, " ")
		split("Vilnius|Warszawa|Мінск|Αθήνα|თბილისი|Երևան|Berlin||Київ|Rīga", city, "|")
		split("Lithuania|Poland|Belarus|Greece|Georgia|Armenia|Germany|France|Ukraine|Latvia", country, "|")
		print "<!doctype html><html><head><meta charset=utf-8><title>Signatures</title><style>"
		print "@page { size: A4; margin: 20mm 16mm 19mm }"
		print "body { font: 10pt \"DejaVu Sans\", sans-serif; margin: 0 }"
		print "table { width: 100%; border-collapse: collapse }"
		print "th { font-weight: normal; font-size: 7.5pt; color: #666; text-align: left; border-bottom: .2mm solid #aaa }"
		print "td { padding: 0 1mm; height: 4.5mm; white-space: nowrap }"
		print "tr:nth-child(even) td { background: #f2f2f2 }"
		print "td:first-child, th:first-child { text-align: right; color: #666; font-size: 8.5pt; width: 14mm }"
		print "</style></head><body><h1 style=\"font-size: 8.5pt\">Send a message to Ales Bialiatski</h1>"
		print "<table><thead><tr><th>No.</th><th>Name</th><th>City</th><th>Country</th></tr></thead><tbody>"
		for (i = 0; i < n; i++) {
			printf "<tr><td>%d</td><td>%s %s %06d</td><td>%s</td><td>%s</td></tr>\n",
				i + 1, first[i % 16 + 1], last[int(i / 16) % 16 + 1], i + 1, city[i % 10 + 1], country[i % 10 + 1]
		}
		print "</tbody></table></body></html>"
	}'
}

# measure LABEL COMMAND...: prints the wall time and peak RSS of COMMAND.
measure() {
	label=$1
	shift
	/usr/bin/time -v "$@" >"$tmp/out.txt" 2>"$tmp/time.txt" || {
		cat "$tmp/out.txt" "$tmp/time.txt" >&2
		return 1
	}
	secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$tmp/time.txt")
	rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$tmp/time.txt")
	printf '%-28s %8.2f s %8s MB\n' "$label" "$secs" "$rss"
}

echo "== pdf.Render: go test -bench (pages/s and peak memory per bundle)"
go test -c -o "$tmp/pdf.test" ./pdf/
sizes=$(for n in $rows; do printf '%s|' "$((n / 1000))k"; done)
"$tmp/pdf.test" -test.run '^$' -test.bench "^BenchmarkRender\$/^rows\$/^(${sizes%|})\$" -test.benchtime 1x

echo
echo "== the same, each size in its own process, measured like Chromium"
for n in $rows; do
	measure "Render $n rows" "$tmp/pdf.test" -test.run '^$' -test.bench "^BenchmarkRender\$/^rows\$/^$((n / 1000))k\$" -test.benchtime 1x
done

echo
echo "== headless Chromium --print-to-pdf of an HTML table with the same rows"
for n in $rows; do
	html "$n" >"$tmp/rows-$n.html"
	rm -f "$tmp/rows-$n.pdf"
	measure "Chromium $n rows" "$chromium" --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
		--print-to-pdf="$tmp/rows-$n.pdf" "file://$tmp/rows-$n.html"
	if [ -s "$tmp/rows-$n.pdf" ]; then
		pdfinfo "$tmp/rows-$n.pdf" | awk '/^Pages:/ { print "    pages: " $2 }'
	else
		echo "    no PDF written"
	fi
done
