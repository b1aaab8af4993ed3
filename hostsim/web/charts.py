"""Charts as inline SVG (pygal), each with a data table behind it, for the admin dashboard and
addon pages.

Rendered entirely on the server: no script, no stylesheet or font fetched, so a page with a chart
works without any network. The SVG is ``role="img"`` named by the chart's title and described by
its description; the same numbers, as exact text (``Decimal`` money formatted by Babel), are in a
``<table>`` with a caption inside a ``<details>``, for screen readers and for anyone who would
rather read than look.
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from typing import Any

import pygal
from babel.numbers import format_decimal
from markupsafe import Markup, escape
from pygal.style import Style

from hostsim.plugins.types import Chart

_ids = itertools.count(1)

# Dark text on the admin style's white cards (--ink, --muted, --line); bar colours dark enough
# for the white value labels printed on them to keep their contrast.
STYLE = Style(
    background="transparent", plot_background="transparent",
    foreground="#1d2430", foreground_strong="#1d2430", foreground_subtle="#dde2ea",
    colors=("#1f4e8c", "#1c7c43", "#9a3412", "#6b21a8", "#0f766e", "#7c2d12"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=15, major_label_font_size=15, value_font_size=14, legend_font_size=15,
    title_font_size=16, no_data_font_size=18, opacity="1", opacity_hover="1",
    guide_stroke_color="#dde2ea", major_guide_stroke_color="#c4cbd6",
)


def chart_has_data(chart: Chart) -> bool:
    return any(v for series in chart.series for v in series.values)


def render_chart(chart: Chart, *, height: int = 320) -> Markup:
    """``chart`` as a ``<figure>``: the SVG (or "Nothing to show yet.") and its data table.

    The drawing is as wide as its bars need (480 units for up to 12); on a screen too narrow to
    keep its text readable it keeps a minimum width and scrolls sideways, as wide tables do.
    The few layout styles are inline so the chart looks the same in any theme.
    """
    uid = f"chart-{next(_ids)}"
    width = max(480, 26 * len(chart.labels) + 100)
    minimum = int(width * 0.8) if len(chart.labels) > 6 else 0
    parts = ['<figure class="chart" style="margin:0">']
    if chart_has_data(chart):
        parts.append(f'<div class="chart-scroll" style="overflow-x:auto">{_svg(chart, uid, width, height, minimum)}</div>')
    else:
        parts.append('<p class="muted chart-empty">Nothing to show yet.</p>')
    parts.append(data_table(chart))
    parts.append("</figure>")
    return Markup("".join(parts))


def data_table(chart: Chart) -> str:
    """The chart's numbers as a table with a caption, inside a ``<details>``."""
    heading = escape(chart.label_heading or "")
    head = "".join(f'<th scope="col" class="num">{escape(s.name)}</th>' for s in chart.series)
    rows = []
    for i, label in enumerate(chart.labels):
        cells = "".join(f'<td class="num">{escape(s.text(i))}</td>' for s in chart.series)
        rows.append(f'<tr><th scope="row">{escape(label)}</th>{cells}</tr>')
    body = "".join(rows) or f'<tr><td colspan="{len(chart.series) + 1}">Nothing yet.</td></tr>'
    return (f'<details class="chart-data"><summary>Data table</summary><div class="table-wrap" tabindex="0">'
            f'<table><caption>{escape(chart.title)}</caption><thead><tr><th scope="col">{heading}</th>{head}</tr>'
            f'</thead><tbody>{body}</tbody></table></div></details>')


def _svg(chart: Chart, uid: str, width: int, height: int, minimum: int) -> str:
    kind = pygal.HorizontalBar if chart.horizontal else pygal.Bar
    drawing = kind(
        js=[], disable_xml_declaration=True, explicit_size=False, width=width, height=height,
        style=STYLE, show_legend=len(chart.series) > 1, legend_at_bottom=True,
        print_values=len(chart.labels) <= 12,  # a month of days: labels would overlap; the table has them
        print_values_position="top", print_zeroes=False, show_y_guides=not chart.horizontal,
        x_label_rotation=0 if chart.horizontal or len(chart.labels) <= 6 else 45, margin=12,
        truncate_label=-1, truncate_legend=-1, include_x_axis=True, zero=0, max_scale=8,
        value_formatter=lambda v: format_decimal(v, locale="en_US"),  # the axis: 1,000 not 1000
    )
    drawing.x_labels = list(chart.labels)
    ticks = _whole_number_ticks(chart)
    if ticks:
        drawing.y_labels = ticks  # counts: no 0.4 of an invoice on the axis
    for series in chart.series:
        # float only places the bar; every number shown is the exact text of the value.
        drawing.add(series.name, [
            {"value": float(v), "formatter": (lambda _v, t=series.text(i) if v else "": t)}
            for i, v in enumerate(series.values)])
    return _accessible(drawing.render_tree(), chart, uid, minimum)


def _whole_number_ticks(chart: Chart, most: int = 8) -> list[int]:
    """Axis ticks at whole numbers (a step of 1, 2 or 5 times a power of ten) when every value is
    whole and small enough that the default ticks would fall between them; else [] (pygal's)."""
    values = [v for series in chart.series for v in series.values]
    if not values or any(v != int(v) or v < 0 for v in values):
        return []
    top = int(max(values))
    if top > 100:
        return []
    step = next(s for s in (1, 2, 5, 10, 20, 50) if -(-max(top, 1) // s) <= most)
    return list(range(0, -(-max(top, 1) // step) * step + 1, step))


def _accessible(root: ET.Element, chart: Chart, uid: str, minimum: int) -> str:
    """Strip what an inline chart must not carry (pygal's config script and comments, the
    per-label hover titles a screen reader would read as noise), name it and describe it."""
    _prune(root)
    for key in [k for k in root.attrib if k not in ("viewBox", "class")]:
        del root.attrib[key]
    root.set("id", uid)
    root.set("role", "img")
    root.set("aria-labelledby", f"{uid}-title")
    root.set("focusable", "false")
    # Never blown up past 1.25 times its size on a wide page (text larger than the page's own).
    width = int(root.get("viewBox", "0 0 480 0").split()[2])
    root.set("style", f"display:block;width:100%;height:auto;max-width:{width * 5 // 4}px"
             + (f";min-width:{minimum}px" if minimum else ""))
    title = ET.Element("title", {"id": f"{uid}-title"})
    title.text = chart.title
    desc = ET.Element("desc", {"id": f"{uid}-desc"})
    desc.text = chart.description or chart.title
    if chart.description:
        root.set("aria-describedby", f"{uid}-desc")
    root.insert(0, desc)
    root.insert(0, title)
    text = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    # pygal scopes its stylesheet by the root id it made up; keep that scoping on ours.
    return re.sub(r"#chart-[0-9a-f-]{36}", f"#{uid}", text)


def _prune(node: ET.Element) -> None:
    for child in list(node):
        tag: Any = child.tag
        if tag is ET.Comment or tag in ("script", "title"):
            node.remove(child)
        else:
            _prune(child)


__all__ = ["STYLE", "chart_has_data", "data_table", "render_chart"]
