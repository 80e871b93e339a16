/*
 * audit_html.c: the audit as one self-contained HTML page for people who
 * would rather look than read: the counts as big numbers, three charts
 * (reply wait per owner, reminders per rule, closes without a reply per
 * day) drawn as inline SVG, then a table per list. No script, no external
 * file: it can be mailed, attached to a ticket or opened offline.
 *
 * Every string from the ledger (ticket ids, names, reasons, tracker
 * errors) comes from trackers and commit messages, so it is escaped for
 * HTML wherever it lands, SVG text and title attributes included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "audit_int.h"

/* Bars per chart; the tables have the rest. */
#define CHART_MAX_BARS 20
/* Columns of the per-day chart; longer periods are bucketed. */
#define CHART_MAX_COLUMNS 92
#define CHART_WIDTH 640

int cl__html_escape(cl_buf *buf, const char *s)
{
	const char *p, *run;

	if (s == NULL)
		return 0;
	for (p = run = s; *p; p++) {
		const char *rep;

		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		cl__buf_put(buf, run, (size_t)(p - run));
		cl__buf_puts(buf, rep);
		run = p + 1;
	}
	return cl__buf_put(buf, run, (size_t)(p - run));
}

/* Escaped text, or a dash for none. */
static void h(cl_buf *b, const char *s)
{
	if (s == NULL || *s == '\0')
		cl__buf_puts(b, "&ndash;");
	else
		cl__html_escape(b, s);
}

static void h_time(cl_buf *b, int64_t t)
{
	char tb[32];

	h(b, cl__audit_time(tb, sizeof(tb), t));
}

static void h_span(cl_buf *b, int64_t s)
{
	char sb[32];

	cl__buf_puts(b, cl__audit_span(sb, sizeof(sb), s));
}

static const char style[] =
	"<style>\n"
	":root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bad:#c62828;"
	"--ok:#2e7d32;--warn:#ef6c00;--accent:#1565c0;--light:#90caf9}\n"
	"body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,"
	"'DejaVu Sans',sans-serif;color:var(--ink);margin:0;"
	"background:#f5f7fa}\n"
	"main{max-width:1120px;margin:0 auto;padding:24px}\n"
	"h1{font-size:28px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 8px}\n"
	".period{color:var(--muted);margin:0 0 20px}\n"
	".tiles{display:grid;grid-template-columns:repeat(auto-fill,"
	"minmax(170px,1fr));gap:12px}\n"
	".tile{background:#fff;border-radius:8px;padding:14px 16px;"
	"border-top:4px solid var(--line);box-shadow:0 1px 2px #0001}\n"
	".tile .big{display:block;font-size:36px;font-weight:700;"
	"line-height:1.1}\n"
	".tile .label{display:block;color:var(--muted);font-size:14px}\n"
	".tile .sub{display:block;color:var(--muted);font-size:12px;"
	"margin-top:4px}\n"
	".tile.bad{border-top-color:var(--bad)}.tile.bad .big{color:var(--bad)}\n"
	".tile.warn{border-top-color:var(--warn)}"
	".tile.warn .big{color:var(--warn)}\n"
	".tile.ok{border-top-color:var(--ok)}.tile.ok .big{color:var(--ok)}\n"
	".tile.info{border-top-color:var(--accent)}\n"
	".charts{display:grid;grid-template-columns:repeat(auto-fit,"
	"minmax(480px,1fr));gap:16px;margin-top:24px}\n"
	"figure{background:#fff;border-radius:8px;margin:0;padding:16px;"
	"box-shadow:0 1px 2px #0001}\n"
	"figcaption{font-weight:600;margin-bottom:8px}\n"
	"svg{max-width:100%;height:auto;font-size:12px}\n"
	"svg text{fill:var(--ink)}svg .axis{stroke:var(--line)}\n"
	".bar.p90{fill:var(--light)}.bar.median{fill:var(--accent)}\n"
	".bar.rule{fill:var(--warn)}.bar.day{fill:var(--bad)}\n"
	".legend span{display:inline-block;width:10px;height:10px;"
	"margin:0 4px 0 12px}\n"
	"table{border-collapse:collapse;width:100%;background:#fff;"
	"font-size:14px}\n"
	"th,td{text-align:left;padding:6px 8px;border-bottom:1px solid "
	"var(--line);vertical-align:top;overflow-wrap:anywhere}\n"
	"th{background:#eef2f7}td.n{text-align:right}\n"
	".more{color:var(--muted);font-style:italic}\n"
	".none{color:var(--muted)}\n"
	"footer{color:var(--muted);margin:32px 0 0;font-size:13px}\n"
	"</style>\n";

/* ------------------------------------------------------------------ */
/* Tiles                                                               */
/* ------------------------------------------------------------------ */

static void tile_text(cl_buf *b, const char *id, const char *cls,
	const char *big, const char *label, const char *sub)
{
	cl__buf_printf(b, "<div class=\"tile %s\" id=\"tile-%s\">"
		"<span class=\"big\">%s</span><span class=\"label\">%s</span>",
		cls, id, big, label);
	if (sub)
		cl__buf_printf(b, "<span class=\"sub\">%s</span>", sub);
	cl__buf_puts(b, "</div>\n");
}

static void tile(cl_buf *b, const char *id, const char *cls, size_t n,
	const char *label, const char *sub)
{
	char big[24];

	snprintf(big, sizeof(big), "%zu", n);
	tile_text(b, id, cls, big, label, sub);
}

static void tiles(cl_buf *b, const cl_audit *a)
{
	char sub[96], m[32], p[32];

	cl__buf_puts(b, "<section class=\"tiles\">\n");
	snprintf(sub, sizeof(sub), "%zu reopened by closeloop",
		a->cnr_reopened);
	tile(b, "closed", a->closed_no_reply.total ? "bad" : "ok",
		a->closed_no_reply.total, "closed without a reply", sub);
	tile(b, "overrides", a->overrides.total ? "bad" : "ok",
		a->overrides.total, "overrides", NULL);
	tile(b, "unverified", a->unverified.total ? "bad" : "ok",
		a->unverified.total, "pushes accepted unverified", NULL);
	tile(b, "unowned", a->unowned.total ? "warn" : "ok", a->unowned.total,
		"open tickets without an owner", NULL);
	tile(b, "handoffs", a->handoffs.total ? "warn" : "ok",
		a->handoffs.total, "handoffs not acknowledged", NULL);
	tile(b, "waiting", a->waiting.total ? "warn" : "ok", a->waiting.total,
		"fixed, customer not answered", NULL);
	snprintf(sub, sizeof(sub), "%zu escalated", a->escalated);
	tile(b, "reminders", "info", a->reminders.total, "reminders sent", sub);
	snprintf(sub, sizeof(sub), "90th percentile %s; %zu repl%s",
		cl__audit_span(p, sizeof(p), a->wait_p90), a->waits.n,
		a->waits.n == 1 ? "y" : "ies");
	tile_text(b, "wait", "info", a->waits.n ? cl__audit_span(m, sizeof(m),
		a->wait_median) : "&ndash;", "median wait from work done to "
		"customer reply", sub);
	cl__buf_puts(b, "</section>\n");
}

/* ------------------------------------------------------------------ */
/* Charts                                                              */
/* ------------------------------------------------------------------ */

/* A bar's length for v of max over width pixels; at least 2 for v > 0,
 * so that a small value is still seen. */
static int bar_len(int64_t v, int64_t max, int width)
{
	double w;

	if (v <= 0 || max <= 0)
		return 0;
	w = (double)v / (double)max * width;
	return w < 2 ? 2 : (int)(w + 0.5);
}

static void no_data(cl_buf *b, const char *what)
{
	cl__buf_printf(b, "<svg class=\"chart empty\" width=\"%d\" "
		"height=\"40\" viewBox=\"0 0 %d 40\" role=\"img\">"
		"<text x=\"0\" y=\"24\" class=\"none\">%s</text></svg>\n",
		CHART_WIDTH, CHART_WIDTH, what);
}

static int cmp_p90_desc(const void *x, const void *y)
{
	const cl__audit_group *const *a = x, *const *b = y;

	if ((*a)->p90 != (*b)->p90)
		return (*a)->p90 < (*b)->p90 ? 1 : -1;
	return strcmp((*a)->name, (*b)->name);
}

/* Reply wait per owner: the p90 bar, the median bar over it. */
static int wait_chart(cl_buf *b, const cl_audit *a)
{
	const int label_w = 150, value_w = 130, row_h = 26;
	const int bar_w = CHART_WIDTH - label_w - value_w;
	size_t n = a->owner_map.count, shown, i;
	const cl__audit_group **order;
	int64_t max = 0;
	int height;

	cl__buf_puts(b, "<figure id=\"chart-wait\"><figcaption>Time from work "
		"done to customer reply, per owner (worst first)</figcaption>\n"
		"<div class=\"legend\"><span style=\"background:#1565c0\">"
		"</span>median<span style=\"background:#90caf9\"></span>90th "
		"percentile</div>\n");
	if (n == 0) {
		no_data(b, "no customer reply after work done in the period");
		cl__buf_puts(b, "</figure>\n");
		return 0;
	}
	if ((order = cl__calloc(n, sizeof(*order))) == NULL)
		return CL_ENOMEM;
	memcpy(order, a->owner_order, n * sizeof(*order));
	qsort(order, n, sizeof(*order), cmp_p90_desc);
	shown = n < CHART_MAX_BARS ? n : CHART_MAX_BARS;
	max = order[0]->p90 > 0 ? order[0]->p90 : 1;
	height = (int)shown * row_h + 8;
	cl__buf_printf(b, "<svg class=\"chart\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"reply wait "
		"per owner\">\n", CHART_WIDTH, height, CHART_WIDTH, height);
	for (i = 0; i < shown; i++) {
		const cl__audit_group *g = order[i];
		int y = (int)i * row_h + 4;

		cl__buf_printf(b, "<g class=\"row\"><title>");
		cl__html_escape(b, g->name);
		cl__buf_printf(b, ": %zu repl%s, median ", g->samples.n,
			g->samples.n == 1 ? "y" : "ies");
		h_span(b, g->median);
		cl__buf_puts(b, ", p90 ");
		h_span(b, g->p90);
		cl__buf_printf(b, "</title><text x=\"%d\" y=\"%d\" "
			"text-anchor=\"end\">", label_w - 8, y + 15);
		cl__html_escape(b, g->name);
		cl__buf_printf(b, "</text><rect class=\"bar p90\" x=\"%d\" "
			"y=\"%d\" width=\"%d\" height=\"18\" data-value=\"%lld\"/>"
			"<rect class=\"bar median\" x=\"%d\" y=\"%d\" width=\"%d\" "
			"height=\"18\" data-value=\"%lld\"/><text x=\"%d\" "
			"y=\"%d\">", label_w, y, bar_len(g->p90, max, bar_w),
			(long long)g->p90, label_w, y,
			bar_len(g->median, max, bar_w), (long long)g->median,
			label_w + bar_len(g->p90, max, bar_w) + 6, y + 15);
		h_span(b, g->median);
		cl__buf_puts(b, " / ");
		h_span(b, g->p90);
		cl__buf_puts(b, "</text></g>\n");
	}
	cl__buf_puts(b, "</svg>\n");
	if (n > shown)
		cl__buf_printf(b, "<p class=\"more\">and %zu more owners in the "
			"table below</p>\n", n - shown);
	cl__buf_puts(b, "</figure>\n");
	free(order);
	return 0;
}

static void reminder_chart(cl_buf *b, const cl_audit *a)
{
	const int label_w = 150, row_h = 30;
	const int bar_w = CHART_WIDTH - label_w - 60;
	size_t i, n = 0, max = 0;
	const char *names[CHART_MAX_BARS];
	size_t counts[CHART_MAX_BARS];
	int height;

	for (i = 0; i < 3; i++) {
		names[n] = cl__audit_rules[i];
		counts[n++] = cl__audit_rule_count(a, cl__audit_rules[i]);
	}
	for (i = 0; i < a->nrules && n < CHART_MAX_BARS; i++) {
		const char *r = a->rules[i].name;

		if (!strcmp(r, cl__audit_rules[0]) ||
		    !strcmp(r, cl__audit_rules[1]) ||
		    !strcmp(r, cl__audit_rules[2]))
			continue;
		names[n] = r;
		counts[n++] = a->rules[i].count;
	}
	for (i = 0; i < n; i++)
		if (counts[i] > max)
			max = counts[i];
	cl__buf_puts(b, "<figure id=\"chart-reminders\"><figcaption>Reminders "
		"sent, per rule</figcaption>\n");
	if (max == 0) {
		no_data(b, "no reminder sent in the period");
		cl__buf_puts(b, "</figure>\n");
		return;
	}
	height = (int)n * row_h + 8;
	cl__buf_printf(b, "<svg class=\"chart\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"reminders per "
		"rule\">\n", CHART_WIDTH, height, CHART_WIDTH, height);
	for (i = 0; i < n; i++) {
		int y = (int)i * row_h + 4;
		int w = bar_len((int64_t)counts[i], (int64_t)max, bar_w);

		cl__buf_printf(b, "<g class=\"row\"><title>");
		cl__html_escape(b, names[i]);
		cl__buf_printf(b, ": %zu</title><text x=\"%d\" y=\"%d\" "
			"text-anchor=\"end\">", counts[i], label_w - 8, y + 16);
		cl__html_escape(b, names[i]);
		cl__buf_printf(b, "</text><rect class=\"bar rule\" x=\"%d\" "
			"y=\"%d\" width=\"%d\" height=\"22\" data-value=\"%zu\"/>"
			"<text x=\"%d\" y=\"%d\">%zu</text></g>\n", label_w, y, w,
			counts[i], label_w + w + 6, y + 16, counts[i]);
	}
	cl__buf_puts(b, "</svg>\n</figure>\n");
}

static void day_label(char *buf, size_t len, int64_t day)
{
	char tb[32];

	if (cl__audit_time(tb, sizeof(tb), day * 86400) == NULL)
		snprintf(tb, sizeof(tb), "1970-01-01");
	snprintf(buf, len, "%.10s", tb);
}

/* The days the chart spans: the period where it has ends, else the days
 * with closes. */
static void day_range(const cl_audit *a, int64_t *first, int64_t *last)
{
	size_t i;

	*first = a->days[0].day;
	*last = a->days[0].day;
	for (i = 1; i < a->ndays; i++) {
		if (a->days[i].day < *first)
			*first = a->days[i].day;
		if (a->days[i].day > *last)
			*last = a->days[i].day;
	}
	if (a->since > 0 && a->since / 86400 < *first)
		*first = a->since / 86400;
	if (a->until > 0 && (a->until - 1) / 86400 > *last)
		*last = (a->until - 1) / 86400;
}

static int day_chart(cl_buf *b, const cl_audit *a)
{
	const int left = 36, top = 10, plot_h = 160;
	const int plot_w = CHART_WIDTH - left - 10;
	int64_t first, last, span, per, ncols, c;
	size_t *cols, max = 0, i;
	char l1[16], l2[16];
	int col_w;

	cl__buf_puts(b, "<figure id=\"chart-closes\"><figcaption>Tickets "
		"closed without a customer reply, per day</figcaption>\n");
	if (a->ndays == 0) {
		no_data(b, "no ticket closed without a reply in the period");
		cl__buf_puts(b, "</figure>\n");
		return 0;
	}
	day_range(a, &first, &last);
	span = last - first + 1;
	per = (span + CHART_MAX_COLUMNS - 1) / CHART_MAX_COLUMNS;
	ncols = (span + per - 1) / per;
	if ((cols = cl__calloc((size_t)ncols, sizeof(*cols))) == NULL)
		return CL_ENOMEM;
	for (i = 0; i < a->ndays; i++) {
		c = (a->days[i].day - first) / per;
		if (c >= 0 && c < ncols)
			cols[c] += a->days[i].count;
	}
	for (c = 0; c < ncols; c++)
		if (cols[c] > max)
			max = cols[c];
	/* a short period gets columns of a sensible width, not one slab */
	col_w = plot_w / (int)(ncols < 14 ? 14 : ncols);
	if (col_w < 2)
		col_w = 2;
	cl__buf_printf(b, "<svg class=\"chart\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"closes without "
		"reply per day\">\n", CHART_WIDTH, plot_h + top + 30,
		CHART_WIDTH, plot_h + top + 30);
	cl__buf_printf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		"y2=\"%d\"/><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%zu"
		"</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n",
		left, top + plot_h, left + plot_w, top + plot_h, left - 6,
		top + 10, max, left - 6, top + plot_h);
	for (c = 0; c < ncols; c++) {
		int hgt = bar_len((int64_t)cols[c], (int64_t)max, plot_h);
		int x = left + (int)c * col_w;

		day_label(l1, sizeof(l1), first + c * per);
		if (per > 1)
			day_label(l2, sizeof(l2), first + c * per + per - 1);
		cl__buf_printf(b, "<rect class=\"bar day\" x=\"%d\" y=\"%d\" "
			"width=\"%d\" height=\"%d\" data-value=\"%zu\"><title>%s%s%s: "
			"%zu</title></rect>\n", x + 1, top + plot_h - hgt,
			col_w > 3 ? col_w - 2 : col_w, hgt, cols[c], l1,
			per > 1 ? " to " : "", per > 1 ? l2 : "", cols[c]);
	}
	day_label(l1, sizeof(l1), first);
	day_label(l2, sizeof(l2), last);
	cl__buf_printf(b, "<text x=\"%d\" y=\"%d\">%s</text>", left,
		top + plot_h + 18, l1);
	if (last != first)
		cl__buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">"
			"%s</text>", left + (int)ncols * col_w, top + plot_h + 18, l2);
	cl__buf_puts(b, "\n</svg>\n");
	if (per > 1)
		cl__buf_printf(b, "<p class=\"more\">one column per %lld days"
			"</p>\n", (long long)per);
	cl__buf_puts(b, "</figure>\n");
	free(cols);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Tables                                                              */
/* ------------------------------------------------------------------ */

static void table_start(cl_buf *b, const char *id, const char *title,
	size_t total, const char *const *heads)
{
	cl__buf_printf(b, "<h2 id=\"%s\">%s: %zu</h2>\n", id, title, total);
	if (total == 0) {
		cl__buf_puts(b, "<p class=\"none\">none</p>\n");
		return;
	}
	cl__buf_puts(b, "<table><thead><tr>");
	for (; *heads; heads++)
		cl__buf_printf(b, "<th>%s</th>", *heads);
	cl__buf_puts(b, "</tr></thead><tbody>\n");
}

static void table_end(cl_buf *b, size_t total, size_t shown)
{
	if (total == 0)
		return;
	cl__buf_puts(b, "</tbody></table>\n");
	if (total > shown)
		cl__buf_printf(b, "<p class=\"more\">and %zu more (the JSON and "
			"CSV reports list up to the same limit; narrow the period "
			"to see them)</p>\n", total - shown);
}

static void td(cl_buf *b, const char *s)
{
	cl__buf_puts(b, "<td>");
	h(b, s);
	cl__buf_puts(b, "</td>");
}

static void td_time(cl_buf *b, int64_t t)
{
	cl__buf_puts(b, "<td>");
	h_time(b, t);
	cl__buf_puts(b, "</td>");
}

/* A detail field shown as text: strings as they are, the rest as JSON. */
static void td_field(cl_buf *b, json_object *d, const char *key)
{
	json_object *v;

	size_t i, n;

	cl__buf_puts(b, "<td>");
	if (d == NULL || !json_object_object_get_ex(d, key, &v) || v == NULL) {
		h(b, NULL);
	} else if (json_object_is_type(v, json_type_array)) {
		/* a list of tickets or logins: one per line */
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(v, i);

			if (i)
				cl__buf_puts(b, "<br>");
			h(b, json_object_is_type(e, json_type_string) ?
				json_object_get_string(e) :
				json_object_to_json_string(e));
		}
	} else {
		h(b, json_object_is_type(v, json_type_string) ?
			json_object_get_string(v) :
			json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
				JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	cl__buf_puts(b, "</td>");
}

static json_object *parse(const char *detail)
{
	json_object *d = detail ? json_tokener_parse(detail) : NULL;

	if (d && !json_object_is_type(d, json_type_object)) {
		json_object_put(d);
		d = NULL;
	}
	return d;
}

static void closed_table(cl_buf *b, const cl_audit *a)
{
	static const char *const heads[] = { "closed", "ticket", "closed by",
		"owner", "closeloop", "reopened", NULL };
	const cl__audit_list *l = &a->closed_no_reply;
	size_t i;

	table_start(b, "closed-without-reply", "Closed without a reply",
		l->total, heads);
	for (i = 0; i < l->count; i++) {
		json_object *d = parse(l->items[i].detail);

		cl__buf_puts(b, "<tr>");
		td_time(b, l->items[i].time);
		td(b, l->items[i].ticket);
		td(b, l->items[i].actor);
		td(b, l->items[i].owner);
		td_field(b, d, "action");
		td_time(b, l->items[i].later);
		cl__buf_puts(b, "</tr>\n");
		json_object_put(d);
	}
	table_end(b, l->total, l->count);
}

static void override_table(cl_buf *b, const cl_audit *a)
{
	static const char *const heads[] = { "when", "who", "reason",
		"commits", "tickets", NULL };
	const cl__audit_list *l = &a->overrides;
	size_t i;

	table_start(b, "overrides", "Overrides", l->total, heads);
	for (i = 0; i < l->count; i++) {
		json_object *d = parse(l->items[i].detail);

		cl__buf_puts(b, "<tr>");
		td_time(b, l->items[i].time);
		td(b, l->items[i].actor);
		td_field(b, d, "reason");
		td_field(b, d, "commits");
		td_field(b, d, "tickets");
		cl__buf_puts(b, "</tr>\n");
		json_object_put(d);
	}
	table_end(b, l->total, l->count);
}

static void push_table(cl_buf *b, const char *id, const char *title,
	const cl__audit_list *l, const char *field)
{
	static const char *const heads[] = { "when", "who", "tickets",
		"detail", NULL };
	size_t i;

	table_start(b, id, title, l->total, heads);
	for (i = 0; i < l->count; i++) {
		json_object *d = parse(l->items[i].detail);

		cl__buf_puts(b, "<tr>");
		td_time(b, l->items[i].time);
		td(b, l->items[i].actor);
		if (l->items[i].ticket)
			td(b, l->items[i].ticket);
		else
			td_field(b, d, "tickets");
		td_field(b, d, field);
		cl__buf_puts(b, "</tr>\n");
		json_object_put(d);
	}
	table_end(b, l->total, l->count);
}

static void state_table(cl_buf *b, const cl_audit *a, const char *id,
	const char *title, const cl__audit_state_list *l)
{
	static const char *const unowned[] = { "ticket", "open since", "for",
		NULL };
	static const char *const handoff[] = { "ticket", "from", "to",
		"handed over", "for", NULL };
	static const char *const waiting[] = { "ticket", "owner",
		"work done", "by", "commit", "state", "waiting for", NULL };
	size_t i;

	table_start(b, id, title, l->total, l == &a->unowned ? unowned :
		l == &a->handoffs ? handoff : waiting);
	for (i = 0; i < l->count; i++) {
		const cl__audit_ticket *t = l->items[i].t;

		cl__buf_puts(b, "<tr>");
		td(b, t->id);
		if (l == &a->handoffs) {
			td(b, t->ho_from);
			td(b, t->ho_to);
		} else if (l == &a->waiting) {
			td(b, t->owner);
		}
		td_time(b, l->items[i].since);
		if (l == &a->waiting) {
			td(b, t->work_actor);
			cl__buf_puts(b, "<td><code>");
			h(b, t->work_commit);
			cl__buf_printf(b, "</code></td><td>%s</td>",
				t->open ? "open" : "closed");
		}
		cl__buf_puts(b, "<td class=\"n\">");
		h_span(b, a->generated - l->items[i].since);
		cl__buf_puts(b, "</td></tr>\n");
	}
	table_end(b, l->total, l->count);
}

static void reminder_table(cl_buf *b, const cl_audit *a)
{
	static const char *const heads[] = { "when", "ticket", "rule", "to",
		"escalated", "count", NULL };
	const cl__audit_list *l = &a->reminders;
	size_t i;

	table_start(b, "reminders", "Reminders sent", l->total, heads);
	for (i = 0; i < l->count; i++) {
		json_object *d = parse(l->items[i].detail);

		cl__buf_puts(b, "<tr>");
		td_time(b, l->items[i].time);
		td(b, l->items[i].ticket);
		td_field(b, d, "rule");
		td_field(b, d, "to");
		td_field(b, d, "escalated");
		td_field(b, d, "count");
		cl__buf_puts(b, "</tr>\n");
		json_object_put(d);
	}
	table_end(b, l->total, l->count);
}

static void group_table(cl_buf *b, const char *id, const char *title,
	const char *head, const cl__audit_group *const *order, size_t n)
{
	const char *heads[] = { head, "replies", "median", "90th percentile",
		NULL };
	size_t i;

	table_start(b, id, title, n, heads);
	for (i = 0; i < n && i < CL_AUDIT_MAX_ITEMS; i++) {
		cl__buf_puts(b, "<tr>");
		td(b, order[i]->name);
		cl__buf_printf(b, "<td class=\"n\">%zu</td><td class=\"n\">",
			order[i]->samples.n);
		h_span(b, order[i]->median);
		cl__buf_puts(b, "</td><td class=\"n\">");
		h_span(b, order[i]->p90);
		cl__buf_puts(b, "</td></tr>\n");
	}
	table_end(b, n, i);
}

static void type_table(cl_buf *b, const cl_audit *a)
{
	static const char *const heads[] = { "event", "count", NULL };
	size_t i;

	table_start(b, "events", "Ledger events in the period", a->events,
		heads);
	for (i = 0; i < a->ntypes; i++) {
		cl__buf_puts(b, "<tr>");
		td(b, a->types[i].name);
		cl__buf_printf(b, "<td class=\"n\">%zu</td></tr>\n",
			a->types[i].count);
	}
	table_end(b, a->events, a->events);
}

static void tables(cl_buf *b, const cl_audit *a)
{
	closed_table(b, a);
	override_table(b, a);
	push_table(b, "unverified", "Pushes accepted unverified",
		&a->unverified, "tracker_error");
	push_table(b, "rechecked", "Unverified pushes that broke a rule, "
		"re-checked later", &a->rechecked, "problems");
	state_table(b, a, "unowned", "Open tickets without an owner",
		&a->unowned);
	state_table(b, a, "handoffs", "Handoffs not acknowledged",
		&a->handoffs);
	state_table(b, a, "waiting", "Work done, customer not answered yet",
		&a->waiting);
	group_table(b, "wait-owner", "Time from work done to reply, per owner",
		"owner", a->owner_order, a->owner_map.count);
	group_table(b, "wait-project", "Time from work done to reply, per "
		"project", "project", a->project_order, a->project_map.count);
	reminder_table(b, a);
	type_table(b, a);
}

/* ------------------------------------------------------------------ */
/* The page                                                            */
/* ------------------------------------------------------------------ */

int cl__audit_render_html(char **out, const cl_audit *a)
{
	cl_buf b = CL_BUF_INIT;
	char t1[32], t2[32], t3[32];
	const char *from, *to;
	int error;

	from = cl__audit_time(t1, sizeof(t1), a->since) ? t1 : "the beginning";
	to = cl__audit_time(t2, sizeof(t2), a->until) ? t2 : "now";
	cl__buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		"<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
		"content=\"width=device-width, initial-scale=1\">\n"
		"<title>closeloop audit: %s to %s</title>\n%s</head>\n<body>"
		"<main>\n<h1>closeloop audit</h1>\n<p class=\"period\">%s to %s"
		" &middot; generated %s</p>\n", from, to, style, from, to,
		cl__audit_time(t3, sizeof(t3), a->generated) ? t3 : "-");
	tiles(&b, a);
	cl__buf_puts(&b, "<section class=\"charts\">\n");
	if ((error = wait_chart(&b, a)) < 0)
		goto fail;
	reminder_chart(&b, a);
	if ((error = day_chart(&b, a)) < 0)
		goto fail;
	cl__buf_puts(&b, "</section>\n");
	tables(&b, a);
	cl__buf_printf(&b, "<footer>violations: %zu (closed without a reply, "
		"overrides, pushes accepted unverified). Unowned tickets and "
		"unacknowledged handoffs are listed, not counted. Made by "
		"closeloop %s.</footer>\n</main></body></html>\n",
		cl_audit_violations(a), cl_version());
	*out = cl__buf_detach(&b);
	return *out ? 0 : CL_ENOMEM;
fail:
	cl__buf_free(&b);
	return error;
}
