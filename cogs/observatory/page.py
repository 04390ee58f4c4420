"""The read-only web page of the observatory: the same figures and charts as in Discord,
for people who would rather look at a screen than scroll a channel. Charts are inlined
(data: URIs) so the page is one request and one token check."""

from __future__ import annotations

import base64
from functools import cache

from jinja2 import Environment

from bot.i18n import t

from . import texts
from .charts import Chart
from .figures import Observatory
from .labels import (
    area_text,
    comparison_value,
    gap_kind,
    hours,
    number,
    service_short,
)
from .periods import suggestions

# The page needs nothing from elsewhere: no script, no external style, only inline images.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'self'"
    ),
}

TEMPLATE = """<!doctype html>
<html lang="{{ locale }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{{ page_title }}</title>
<style>
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 0 auto; max-width: 1100px;
       padding: 1rem; color: #1d1d1d; line-height: 1.45; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; } h2 { margin-top: 2rem; color: #1f4e79; }
.meta { color: #555; } .warning { background: #fff4e5; padding: .5rem .8rem; border-radius: 4px; }
.error { background: #fdecea; padding: .5rem .8rem; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .4rem; text-align: left; vertical-align: top; }
th { background: #eef3f8; } td.n { text-align: right; white-space: nowrap; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
ul { padding-left: 1.2rem; } form { margin: .8rem 0; }
</style>
</head>
<body>
<h1>{{ heading }}</h1>
<p class="meta">{{ subtitle }}</p>
<p class="warning">{{ readonly }}</p>
<form method="get">
  <input type="hidden" name="token" value="{{ token }}">
  <label>{{ period_label }} <select name="periode">
  {% for label, value in periods %}<option value="{{ value }}"{% if value == current %} selected{% endif %}>{{ label }}</option>{% endfor %}
  </select></label> <button type="submit">{{ show }}</button>
</form>

<h2>{{ titles.summary }}</h2>
<ul>{% for line in summary %}<li>{{ line }}</li>{% endfor %}</ul>

<h2>{{ titles.comparison }}</h2>
<table><tr>{% for h in comparison_header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in comparison %}<tr><td>{{ row[0] }}</td><td class="n">{{ row[1] }}</td><td class="n">{{ row[2] }}</td><td class="n">{{ row[3] }}</td></tr>{% endfor %}
</table>
<p class="meta">{{ comparison_note }}</p>

<h2>{{ titles.charts }}</h2>
{% for chart in charts %}<figure><img alt="{{ chart.title }}" src="data:image/png;base64,{{ chart.b64 }}"><figcaption>{{ chart.title }}</figcaption></figure>{% endfor %}

<h2>{{ titles.gaps }}</h2>
{% if gaps %}<table><tr>{% for h in gaps_header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in gaps %}<tr><td>{{ row[0] }}</td><td>{{ row[1] }}</td><td>{{ row[2] }}</td><td class="n">{{ row[3] }}</td><td class="n">{{ row[4] }}</td></tr>{% endfor %}
</table>{% else %}<p>{{ no_gap }}</p>{% endif %}
<ul>{% for line in time_lines %}<li>{{ line }}</li>{% endfor %}</ul>

<h2>{{ titles.demand }}</h2>
<ul>{% for line in demand %}<li>{{ line }}</li>{% endfor %}</ul>

<h2>{{ titles.coverage }}</h2>
<table><tr>{% for h in coverage_header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in coverage %}<tr>{% for value in row %}<td{% if loop.index in (3, 4) %} class="n"{% endif %}>{{ value }}</td>{% endfor %}</tr>{% endfor %}
</table>

<h2>{{ titles.freshness }}</h2>
<ul>{% for line in freshness %}<li>{{ line }}</li>{% endfor %}</ul>
<ul>{% for line in charter %}<li>{{ line }}</li>{% endfor %}</ul>

<h2>{{ titles.flow }}</h2>
{% if flow %}<table><tr>{% for h in flow_header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in flow %}<tr><td>{{ row[0] }}</td>{% for value in row[1:] %}<td class="n">{{ value }}</td>{% endfor %}</tr>{% endfor %}
</table>{% else %}<p>{{ no_flow }}</p>{% endif %}

<h2>{{ titles.method }}</h2>
<p class="meta">{{ method }}</p>
</body>
</html>
"""


@cache
def _template():  # type: ignore[no-untyped-def]
    return Environment(autoescape=True).from_string(TEMPLATE)


def render_page(
    obs: Observatory,
    charts: list[Chart],
    *,
    token: str,
    today_periods: list[tuple[str, str]] | None = None,
    locale: str = "fr",
    freshness_days: int = 182,
) -> str:
    def label(key: str) -> str:
        return t(f"observatory.report.table_{key}", locale)

    periods = today_periods or suggestions(obs.generated_at.date(), locale)
    if obs.period.slug not in {value for _label, value in periods}:
        periods = [(obs.period.label(locale), obs.period.slug), *periods]
    comparison = []
    for c in obs.comparisons:
        current, previous, change = comparison_value(c, locale)
        comparison.append((t(f"observatory.compare.{c.key}", locale), current, previous, change))
    notes = texts.comparison_lines(obs, locale)[len(obs.comparisons) :]
    return _template().render(
        locale=locale,
        page_title=t("observatory.page.title", locale),
        heading=texts.title(obs, locale),
        subtitle=texts.subtitle(obs, locale),
        readonly=t("observatory.page.readonly", locale),
        token=token,
        period_label=t("observatory.page.period_label", locale),
        show=t("observatory.page.show", locale),
        periods=periods,
        current=obs.period.slug,
        titles={
            "summary": t("observatory.section.summary", locale),
            "comparison": t("observatory.section.comparison", locale),
            "charts": t("observatory.page.charts", locale),
            "gaps": t("observatory.section.gaps", locale),
            "demand": t("observatory.section.demand", locale),
            "coverage": t("observatory.section.coverage", locale),
            "freshness": t("observatory.section.freshness", locale),
            "flow": t("observatory.section.flow", locale),
            "method": t("observatory.section.method", locale),
        },
        summary=[
            line.replace("**", "") for line in texts.summary_lines(obs, locale, freshness_days)
        ],
        comparison_header=[
            label("indicator"),
            obs.period.label(locale),
            obs.previous_period.label(locale),
            label("change"),
        ],
        comparison=comparison,
        comparison_note=" ".join(notes),
        charts=[{"title": c.title, "b64": base64.b64encode(c.png).decode("ascii")} for c in charts],
        gaps_header=[label("area"), label("service"), "", label("requests"), label("no_result")],
        gaps=[
            (
                area_text(g.area, locale),
                service_short(g.service, locale),
                gap_kind(g.kind, locale),
                number(g.demand, locale),
                number(g.unanswered, locale),
            )
            for g in obs.main_gaps()
        ],
        no_gap=t("observatory.gap.empty", locale),
        time_lines=texts.procedures_time_lines(obs, locale),
        demand=[line.replace("**", "") for line in texts.demand_lines(obs, locale)],
        coverage_header=[
            label(k) for k in ("area", "service", "places", "hours", "days", "evening", "saturday")
        ],
        coverage=texts.coverage_rows(obs, locale),
        freshness=texts.freshness_lines(obs, locale, freshness_days),
        charter=texts.charter_lines(obs, locale),
        flow_header=[
            label(k)
            for k in (
                "structure",
                "received",
                "acknowledged",
                "redirected",
                "expired",
                "open",
                "sent",
                "median",
            )
        ],
        flow=[
            (
                r.name,
                r.received,
                r.acknowledged,
                r.redirected,
                r.expired,
                r.open,
                r.sent,
                hours(r.median_answer_hours, locale),
            )
            for r in obs.flow.rows
        ],
        no_flow=t("observatory.flow.empty", locale),
        method=t("observatory.report.method", locale),
    )


def error_page(message: str, locale: str = "fr") -> str:
    return (
        _template()
        .environment.from_string(
            '<!doctype html><html lang="{{ l }}"><meta charset="utf-8"><title>{{ t }}</title>'
            "<body><p>{{ m }}</p></body></html>"
        )
        .render(l=locale, t=t("observatory.page.title", locale), m=message)
    )
