"""The HTML report: one self-contained file with lanes, crash lines, the ledger lane and details."""

from __future__ import annotations

import json
import re

from test_report_model import doc, trip

from restate_play.report import html, model


def render(**more) -> str:
    return html.render(model.build(doc(**more)))


def details_of(page: str) -> list[dict]:
    data = re.search(r'<script type="application/json" id="details-data">(.*?)</script>', page, re.S).group(1)
    return json.loads(data)


def test_it_loads_nothing_from_elsewhere():
    page = render()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<style>" in page and "<script>" in page


def test_lanes_crash_lines_and_the_ledger_lane_are_there():
    page = render()
    assert page.count('<g class="lane"') == 1
    assert page.count('class="crash-line"') == 1 and page.count('class="restart-line"') == 1
    assert page.count('class="ledger-mark"') == 2 and page.count('class="ledger-mark repeat"') == 1
    assert "car.book ×2 ↻1" in page
    assert "Book flight" in page and "SetState status" in page


def test_the_verdict_counts_the_expectations():
    page = render(
        expectations=[{"description": "a", "passed": True}, {"description": "b", "passed": False}], passed=False
    )
    assert "FAILED: 1/2 expectations held" in page


def test_every_element_with_details_points_at_one():
    page = render()
    items = details_of(page)
    indexes = {int(i) for i in re.findall(r'data-d="(\d+)"', page)}
    assert indexes == set(range(len(items)))
    lane = next(i for i in items if i["title"].startswith("trip"))
    assert lane["curl"].startswith("curl ") and lane["input"] == '{"customerId": "4711"}'
    retry = next(i for i in items if i["title"] == "Retried attempt")
    assert retry["error"] == "broken pipe"


def test_a_payload_cannot_end_the_script_early():
    inv = trip()
    inv["journal"][0]["value"] = '"</script><script>alert(1)</script>"'
    page = render(invocations=[inv])
    assert page.count("</script>") == 2  # the details' and the code's own
    assert any("alert(1)" in str(i.get("input")) for i in details_of(page))


def test_names_are_escaped():
    inv = trip()
    inv["journal"][1]["name"] = "<b>Book</b>"
    page = render(invocations=[inv])
    assert "<b>Book</b>" not in page and "&lt;b&gt;Book&lt;/b&gt;" in page


def test_many_invocations_are_folded_groups_with_a_summary():
    many = [{**trip(f"inv_{i}", i * 0.01), "target": f"product/p{i}/reserve"} for i in range(300)]
    page = render(invocations=many, requests=[])
    assert page.count('<details class="group"') == 1 and page.count('<g class="lane"') == 300
    assert "BookingWorkflow/run: 300 invocations, 300 retried" in page


def test_beyond_a_waterfall_a_lane_is_one_row_with_names_in_the_wide_bars():
    page = render(invocations=[trip(f"inv_{i}", i * 0.3) for i in range(20)], requests=[])
    assert page.count('<g class="lane"') == 20 and 'class="entry"' not in page.split('class="ledger"')[0]
    assert page.count('<text class="inside"') == 20  # Book car, 2.3 s wide; Book flight's 0.5 s is too narrow
