"""The report as one self-contained HTML file: inline CSS, inline SVG lanes, a small inline script
for details on hover and click, the details themselves as inline JSON. No network, opens from disk.

All lanes share one x scale (`Scale`), so the crash and restart lines, drawn once over the whole
timeline, cross every lane, the ledger and the state rows at the same moment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from importlib import resources
from typing import Any

from restate_play.report.model import Group, Lane, LedgerMark, Report, StateChange
from restate_play.views.timeline import Retry, Span, command_at, fmt_duration, fmt_seconds, nice_step

LABEL_W = 250  # px: the names column
PLOT_W = 950  # px: the time axis
ROW = 20  # px: one row (a compact lane, a waterfall command, a ledger action)
MAX_PAYLOAD = 2000  # characters of a payload kept in the details
CHAR_W = 6.2  # px: about one character of the 11 px labels


@dataclass(frozen=True)
class Scale:
    t0: float
    t1: float

    def x(self, t: float) -> float:
        return round(LABEL_W + (t - self.t0) / (self.t1 - self.t0) * PLOT_W, 1)

    def plus(self, t: float) -> str:
        return f"+{t - self.t0:.3f} s"


class Details:
    """What a click or hover shows, one record per element (its index is the element's data-d)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, title: str, **fields: Any) -> int:
        kept = {k: _trim(v) for k, v in fields.items() if v not in (None, "", [], {})}
        self.items.append({"title": title, **kept})
        return len(self.items) - 1

    def json(self) -> str:
        # In a <script> element: "</" would end it early.
        return json.dumps(self.items, ensure_ascii=False, default=str).replace("</", "<\\/")


def _trim(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_PAYLOAD:
        return value[:MAX_PAYLOAD] + f"… ({len(value)} characters)"
    return value


def _asset(name: str) -> str:
    return resources.files("restate_play.report").joinpath(name).read_text(encoding="utf-8")


def render(report: Report) -> str:
    scale = Scale(report.t0 - (report.t1 - report.t0) * 0.01, report.t1 + (report.t1 - report.t0) * 0.02)
    details = Details()
    timeline = "".join(
        [
            axis_svg(report, scale, details),
            *(group_html(g, report, scale, details) for g in report.groups),
            ledger_svg(report.ledger, scale, details),
            state_svg(report.state_changes, scale, details),
            moments_html(report, scale, details),
        ]
    )
    verdict = "PASSED" if report.passed else "FAILED"
    held = sum(bool(c.get("passed")) for c in report.checks)
    title = f"restate-play · {report.pattern} · {report.title}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{_asset("report.css")}</style>
</head><body>
<header><h1>{escape(title)}</h1>
<p class="verdict {verdict.lower()}" id="verdict">{verdict}: {held}/{len(report.checks)} expectations held
 · scenario <code>{escape(report.scenario)}</code> · {len(report.lanes)} invocations
 · {len(report.ledger)} ledger actions ({report.repeats} repeated) · {moments_count(report)}</p>
{f'<p class="error">error: {escape(report.error)}</p>' if report.error else ""}
{story_html(report.story)}</header>
<main>
<section class="timeline" id="timeline" style="width:{LABEL_W + PLOT_W + 20}px">{timeline}</section>
{storm_html(report.storm)}
{replay_html(report.replay)}
{checks_html(report.checks)}
{final_state_html(report.final_state)}
<p class="legend">Bars: a journal command from when it was journaled to its result (green done, red failed,
amber still open). ✕ a failed attempt Restate retried. Red line: a crash (SIGKILL); green line: the restart.
Ledger ↻: the same action with the same arguments ran again. Hover or click anything for its details.</p>
</main>
<aside id="details"><p class="hint">Hover or click a bar, a mark or a line for its details.</p></aside>
<script type="application/json" id="details-data">{details.json()}</script>
<script>{_asset("report.js")}</script>
</body></html>
"""


def story_html(story: list[str]) -> str:
    if not story:
        return ""
    return '<ol class="story">' + "".join(f"<li>{escape(s)}</li>" for s in story) + "</ol>"


def axis_svg(report: Report, scale: Scale, details: Details) -> str:
    total = scale.t1 - scale.t0
    step = nice_step(total, 10)
    parts = []
    k = 0
    while report.t0 + k * step <= scale.t1:
        x = scale.x(report.t0 + k * step)
        label = fmt_seconds(k * step)
        parts.append(f'<line x1="{x}" x2="{x}" y1="18" y2="26"/><text x="{x + 2}" y="14">{label}</text>')
        k += 1
    return (
        f'<svg class="axis" width="{LABEL_W + PLOT_W}" height="28"><text x="4" y="14" class="head">time since '
        f"the first request</text>{''.join(parts)}</svg>"
    )


def span_svg(span: Span, lane: Lane, scale: Scale, y: float, h: float, details: Details) -> str:
    x = scale.x(span.start)
    if span.end is not None:
        width, cls = max(2.0, scale.x(span.end) - x), "fail" if span.result == "failure" else "ok"
    elif span.completed:  # needs no result (state, output, one-way send): a moment
        width, cls = 2.0, "fail" if span.result == "failure" else "point"
    else:
        width, cls = max(2.0, scale.x(lane.end or scale.t1) - x), "open"
    d = details.add(
        f"{span.type} {span.label}",
        invocation=lane.invocation.id,
        journal_index=span.index,
        journaled=scale.plus(span.start),
        result_at=scale.plus(span.end) if span.end is not None else None,
        duration=fmt_duration(span.duration) if span.end is not None else None,
        result=span.result or ("still waiting" if not span.completed else None),
        value=span.value,
        failure=span.failure,
        detail=span.detail or None,
    )
    return (
        f'<rect class="span {cls}" data-d="{d}" data-name="{escape(span.label)}" x="{x}" y="{y}" '
        f'width="{round(width, 1)}" height="{h}"/>'
    )


def inside_label(span: Span, scale: Scale) -> str:
    """A command's name inside its bar, when the bar is wide enough for it (one row per lane)."""
    width = scale.x(span.end or span.start) - scale.x(span.start)
    if width < len(span.label) * CHAR_W + 6:
        return ""
    return f'<text class="inside" x="{scale.x(span.start) + 3}" y="14">{escape(span.label)}</text>'


def retries_svg(lane: Lane, retries: list[Retry], scale: Scale, y: float, details: Details) -> str:
    out = []
    for retry in retries:
        d = details.add(
            "Retried attempt",
            invocation=lane.invocation.id,
            at=scale.plus(retry.at),
            hit=getattr(command_at(lane.spans, retry), "label", None),
            after_journal_entry=retry.index,
            code=retry.code,
            error=retry.message,
        )
        out.append(f'<text class="retry" data-d="{d}" x="{scale.x(retry.at) - 4}" y="{y}">✕</text>')
    return "".join(out)


def lane_details(lane: Lane, scale: Scale, details: Details) -> int:
    inv = lane.invocation
    return details.add(
        f"{lane.label} · {inv.target}",
        invocation=inv.id,
        status=inv.status + (f" ({inv.completion_result})" if inv.completion_result else ""),
        created=scale.plus(lane.start),
        completed=scale.plus(lane.end) if lane.end else None,
        duration=fmt_duration(lane.end - lane.start) if lane.end else None,
        retries=inv.retry_count or len(lane.retries) or None,
        invoked_by=inv.invoked_by_id or inv.invoked_by,
        idempotency_key=inv.idempotency_key,
        input=lane.input,
        failure=inv.completion_failure or inv.last_failure,
        curl=lane.curl,
        timeline=f"restate-play invocations timeline {inv.id}",
    )


def lane_svg(lane: Lane, scale: Scale, y: int, waterfall: bool, details: Details) -> tuple[str, int]:
    """One invocation: a header row with its life and spans; in waterfall mode a row per command."""
    inv = lane.invocation
    cls = "lane failed" if lane.failed else "lane"
    d = lane_details(lane, scale, details)
    end = lane.end or scale.t1
    label = f"{lane.label} · {inv.target}"
    parts = [
        f'<g class="{cls}" data-id="{escape(inv.id)}" data-target="{escape(inv.target)}" transform="translate(0,{y})">',
        f'<text class="label" data-d="{d}" x="4" y="14">{escape(label[:38])}</text>',
        f'<rect class="life" data-d="{d}" x="{scale.x(lane.start)}" y="8" '
        f'width="{round(max(2.0, scale.x(end) - scale.x(lane.start)), 1)}" height="4"/>',
    ]
    rows = 1
    if waterfall:
        row_of = {}
        for span in lane.spans:
            top = rows * ROW
            parts.append(f'<text class="entry" x="16" y="{top + 14}">{escape(span.label[:34])}</text>')
            parts.append(span_svg(span, lane, scale, top + 4, 12, details))
            row_of[span.index] = rows
            rows += 1
        for retry in lane.retries:  # on the row of the command it hit
            hit = command_at(lane.spans, retry)
            row = row_of.get(hit.index, 0) if hit else 0
            parts.append(retries_svg(lane, [retry], scale, row * ROW + 15, details))
    else:
        parts += [span_svg(span, lane, scale, 3, 14, details) for span in lane.spans]
        parts += [inside_label(span, scale) for span in lane.spans if span.end is not None]
        parts.append(retries_svg(lane, lane.retries, scale, 15, details))
    parts.append("</g>")
    return "".join(parts), rows


def lanes_svg(lanes: list[Lane], scale: Scale, waterfall: bool, details: Details) -> str:
    body, y = [], 0
    for lane in lanes:
        svg, rows = lane_svg(lane, scale, y, waterfall, details)
        body.append(svg)
        y += rows * ROW + (4 if waterfall else 0)
    return f'<svg class="lanes" width="{LABEL_W + PLOT_W}" height="{y}">{"".join(body)}</svg>'


def group_html(group: Group, report: Report, scale: Scale, details: Details) -> str:
    lanes = lanes_svg(group.lanes, scale, report.waterfall, details)
    if not group.folded:
        return lanes
    strip = "".join(
        f'<rect class="density" x="{scale.x(lane.start)}" y="2" '
        f'width="{round(max(1.5, scale.x(lane.end or scale.t1) - scale.x(lane.start)), 1)}" height="14"/>'
        for lane in group.lanes
    )
    failed = f", {group.failed} failed" if group.failed else ""
    retried = sum(bool(lane.retries) for lane in group.lanes)
    summary = f"{group.target}: {len(group.lanes)} invocations{failed}{f', {retried} retried' if retried else ''}"
    return (
        f'<details class="group" data-target="{escape(group.target)}"><summary>'
        f'<svg class="strip" width="{LABEL_W + PLOT_W}" height="18"><text class="label" x="4" y="13">'
        f"▸ {escape(summary)}</text>{strip}</svg></summary>{lanes}</details>"
    )


def ledger_svg(marks: list[LedgerMark], scale: Scale, details: Details) -> str:
    if not marks:
        return ""
    actions = list(dict.fromkeys(m.action for m in marks))
    parts = [f'<text class="head" x="4" y="14">World ledger: {len(marks)} actions</text>']
    for row, action in enumerate(actions, start=1):
        of_action = [m for m in marks if m.action == action]
        repeats = sum(m.repeat for m in of_action)
        extra = f" ↻{repeats}" if repeats else ""
        label = f"{escape(action)} ×{len(of_action)}{extra}"
        parts.append(f'<text class="entry" x="16" y="{row * ROW + 14}">{label}</text>')
        for m in of_action:
            d = details.add(
                f"ledger #{m.seq}: {m.action}",
                at=scale.plus(m.at),
                args=m.args,
                invocation=m.invocation,
                runs=f"{m.occurrence} of {m.times} with these arguments",
                note="a repeat: the same action with the same arguments ran again" if m.repeat else None,
            )
            cls = "ledger-mark repeat" if m.repeat else "ledger-mark"
            x = scale.x(m.at)
            parts.append(
                f'<g class="{cls}" data-d="{d}" data-action="{escape(m.action)}">'
                f'<circle cx="{x}" cy="{row * ROW + 10}" r="5"/>'
                + (f'<text x="{x + 6}" y="{row * ROW + 8}">↻{m.occurrence}</text>' if m.repeat else "")
                + "</g>"
            )
    height = (len(actions) + 1) * ROW + 4
    return f'<svg class="ledger" width="{LABEL_W + PLOT_W}" height="{height}">{"".join(parts)}</svg>'


def state_svg(changes: list[StateChange], scale: Scale, details: Details) -> str:
    if not changes:
        return ""
    rows = list(dict.fromkeys((c.service, c.key, c.name) for c in changes))
    parts = [f'<text class="head" x="4" y="14">State changes: {len(changes)}</text>']
    for row, (service, key, name) in enumerate(rows, start=1):
        label = f"{service}/{key} {name}"
        parts.append(f'<text class="entry" x="16" y="{row * ROW + 14}">{escape(label[:36])}</text>')
        of_row = [c for c in changes if (c.service, c.key, c.name) == (service, key, name)]
        for c, following in zip(of_row, [*of_row[1:], None], strict=True):
            d = details.add(
                f"state {label}",
                at=scale.plus(c.at),
                value=c.value if c.value is not None else "(cleared)",
                invocation=c.invocation,
            )
            x = scale.x(c.at)
            value = (c.value if c.value is not None else "∅")[:24]
            room = (scale.x(following.at) if following else LABEL_W + PLOT_W + 200) - x
            fits = room > len(value) * CHAR_W + 8  # else the value is in the details only
            text = f'<text x="{x + 5}" y="{row * ROW + 14}">{escape(value)}</text>' if fits else ""
            parts.append(
                f'<g class="state-change" data-d="{d}"><rect x="{x - 3}" y="{row * ROW + 5}" width="6" height="10"/>'
                f"{text}</g>"
            )
    height = (len(rows) + 1) * ROW + 4
    return f'<svg class="state" width="{LABEL_W + PLOT_W}" height="{height}">{"".join(parts)}</svg>'


def moments_html(report: Report, scale: Scale, details: Details) -> str:
    out = []
    for m in report.moments:
        d = details.add(m.label, at=scale.plus(m.at), record=m.detail)
        cls = "crash-line" if m.kind == "crash" else "restart-line"
        out.append(
            f'<div class="{cls}" data-d="{d}" style="left:{scale.x(m.at) - 1}px" title="{escape(m.label)}">'
            f"<span>{'✖' if m.kind == 'crash' else '↺'} {escape(m.label)}</span></div>"
        )
    return "".join(out)


def checks_html(checks: list[dict[str, Any]]) -> str:
    if not checks:
        return ""
    rows = "".join(
        f'<tr class="{"held" if c.get("passed") else "broken"}"><td>{"✔" if c.get("passed") else "✘"}</td>'
        f"<td>{escape(str(c.get('description', '')))}</td><td>{escape(str(c.get('detail') or ''))}</td></tr>"
        for c in checks
    )
    return f'<h2>Expectations</h2><table class="checks">{rows}</table>'


def final_state_html(state: list[dict[str, Any]]) -> str:
    if not state:
        return ""
    shown = state[-50:]
    rows = "".join(
        f"<tr><td>{escape(str(s.get('service')))}</td><td>{escape(str(s.get('key')))}</td>"
        f"<td>{escape(str(s.get('name')))}</td>"
        f"<td><code>{escape(json.dumps(s.get('value'), default=str))}</code></td></tr>"
        for s in shown
    )
    more = f" (the last {len(shown)} of {len(state)})" if len(state) > len(shown) else ""
    return f'<h2>Final state{more}</h2><table class="final-state">{rows}</table>'


def storm_html(storm: dict[str, Any] | None) -> str:
    if not storm:
        return ""
    lat = storm.get("latency_ms") or {}
    cells = " · ".join(f"{k} {v} ms" for k, v in lat.items())
    return (
        f'<h2>Storm</h2><p class="storm">{storm.get("requests")} requests, {storm.get("concurrency")} at once: '
        f"{storm.get('answered')} answered 2xx in {storm.get('duration', 0):.2f} s, "
        f"{storm.get('requests_per_second', 0):.0f} req/s; latency {escape(cells)}</p>"
    )


def moments_count(report: Report) -> str:
    crashes = sum(m.kind == "crash" for m in report.moments)
    restarts = len(report.moments) - crashes
    return f"{crashes} crash{'es' if crashes != 1 else ''}, {restarts} restart{'s' if restarts != 1 else ''}"


def replay_html(replay: dict[str, Any] | None) -> str:
    """crash-demo: which steps were replayed from the journal after the restart, which ran anew."""
    if not replay or not replay.get("steps"):
        return ""
    rows = "".join(
        f"<tr><td>{escape(str(step.get('name')))}</td><td>"
        + (
            "replayed from the journal: its recorded result was reused"
            if step.get("journaled_before_crash")
            else "executed after the restart"
        )
        + "</td></tr>"
        for step in replay["steps"]
    )
    target = escape(str(replay.get("target", "")))
    return f'<h2>Replay after the {target} crash</h2><table class="replay">{rows}</table>'
