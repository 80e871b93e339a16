#!/bin/sh
# The html audit in a real browser: headless Chromium parses the page (the
# DOM it builds has the charts' SVG bars, and no element smuggled in by a
# ticket name) and draws it (the screenshot has the bars' colours). The
# screenshot is kept as $top_builddir/test-artifacts/audit.png.
# Skips without Chromium, unless CLOSELOOP_REQUIRE_CHROMIUM is set (CI).
. "$top_srcdir/tests/cli/lib.sh"

browser=${CLOSELOOP_CHROMIUM:-}
if [ -z "$browser" ]; then
	for b in chromium chromium-browser google-chrome; do
		if command -v "$b" >/dev/null 2>&1; then
			browser=$b
			break
		fi
	done
fi
if [ -z "$browser" ]; then
	if [ -n "${CLOSELOOP_REQUIRE_CHROMIUM:-}" ]; then
		echo "not ok 1 - chromium is not installed (apt-get install chromium, or sh scripts/install-deps)"
		echo "1..1"
		exit 1
	fi
	echo "1..0 # SKIP no chromium (apt-get install chromium)"
	exit 0
fi

# headless ARGS...: the browser, alone in its own profile, bounded in time
headless() {
	timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
		--no-first-run --disable-extensions --hide-scrollbars \
		--user-data-dir="$TRASH/profile" "$@" 2>>"$TRASH/browser.log"
}

printf "[closeloop]\n\tstore = %s/ledger.db\n" "$TRASH" >c.conf

test_expect_success 'the report of a ledger with known answers' '
	closeloop --config c.conf audit >/dev/null &&
	python3 "$top_srcdir/tests/cli/audit-ledger.py" ledger.db &&
	closeloop --config c.conf audit --format html --since 2026-11-10 --until 2026-11-24 -o audit.html
'

test_expect_success 'chromium builds the charts from the page' '
	headless --dump-dom "file://$TRASH/audit.html" >dom.html &&
	python3 - <<-"EOF"
	import re
	d = open("dom.html").read()
	assert "<svg" in d, d[:500]
	for chart in ("chart-wait", "chart-reminders", "chart-closes"):
	    assert "id=\"%s\"" % chart in d, chart
	bars = re.findall(r"<rect class=\"bar (\w+)\"[^>]*?width=\"(\d+)\"", d)
	kinds = {}
	for k, w in bars:
	    kinds.setdefault(k, []).append(int(w))
	assert len(kinds.get("median", [])) == 5 and min(kinds["median"]) > 0, kinds
	assert len(kinds.get("p90", [])) == 5 and min(kinds["p90"]) > 0, kinds
	r = sorted(kinds.get("rule", []))
	assert len(r) == 3 and r[0] == 0 and r[1] > 0, kinds
	assert sum(1 for w in kinds.get("day", []) if w > 0) >= 1, kinds
	# the hostile ticket name is text, not an element
	assert "<img" not in d and "x:&lt;img src=x onerror=alert(1)&gt;" in d
	assert "<b>" not in d and "&lt;b&gt;mallory&lt;/b&gt;" in d
	EOF
'

test_expect_success 'chromium draws it: a screenshot with the bars in it' '
	headless --screenshot="$TRASH/audit.png" --window-size=1200,2000 \
		"file://$TRASH/audit.html" >/dev/null &&
	test -f audit.png &&
	size=$(wc -c <audit.png) && test "$size" -gt 20000 &&
	python3 "$top_srcdir/tests/cli/png-colours.py" audit.png \
		"#1565c0" "#ef6c00" "#c62828" >colours &&
	cat colours &&
	grep -qx "size 1200x2000" colours &&
	awk "/^colours /{exit !(\$2 > 50)}" colours &&
	awk "/^#1565c0 /{exit !(\$2 > 1000)}" colours &&
	awk "/^#ef6c00 /{exit !(\$2 > 1000)}" colours &&
	awk "/^#c62828 /{exit !(\$2 > 1000)}" colours &&
	mkdir -p "$top_builddir/test-artifacts" &&
	cp audit.png "$top_builddir/test-artifacts/audit.png" &&
	cp audit.html "$top_builddir/test-artifacts/audit.html"
'
test_done
