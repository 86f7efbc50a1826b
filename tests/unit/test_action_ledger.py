"""expect_ledger, expect_concurrency, expect_spans: validation, and verdicts on synthetic ledgers."""

import pytest
from scenario_helpers import entries, rejected, step

from restate_play.scenario.actions.ledger import Gaps, LedgerSeen


def ledger(query: str):
    return step(f"[[step]]\nexpect_ledger = {query}\n")


@pytest.mark.parametrize(
    "query, fragments",
    [
        ('{ action = "x" }', ["'expect_ledger.count'"]),
        ('{ order = ["a"], count = 1 }', ["'expect_ledger.order'", "not both"]),
        ('{ action = "a", field = "size" }', ["'expect_ledger.field'", "'values'"]),
        ('{ action = "a", field = "size", values = 3 }', ["'expect_ledger.values'", "a list"]),
        ('{ action = "a", flat = true, count = 1 }', ["'expect_ledger.field'"]),
        ('{ action = "a", count = 1, at_most = 1 }', ["'expect_ledger.at_most'", "not with 'count'"]),
        ('{ action = "a", at_most = "one" }', ["'expect_ledger.at_most'", "an integer"]),
        ('{ action = "a", count = true }', ["'expect_ledger.count'", "an integer"]),
        ('{ action = "a", count = 1, among_first = "20" }', ["'expect_ledger.among_first'", "first N"]),
        ('{ action = "a", count = 1, since = 3 }', ["'expect_ledger.since'", "a string"]),
        ('{ action = "a", count = 2, gaps = 0.2 }', ["'expect_ledger.gaps'", "a table"]),
        (
            '{ action = "a", count = 2, gaps = { mean = 1 } }',
            ["'expect_ledger.gaps.mean'", "unknown", "first, max, min, within"],
        ),
        ('{ action = "a", count = 2, gaps = { min = -1 } }', ["'expect_ledger.gaps.min'", "≥ 0"]),
        ('{ action = "a", count = 2, gaps = { within = 1 } }', ["'expect_ledger.gaps.within'", "together"]),
        ('{ action = "a", count = 2, gaps = { first = 0, within = 1 } }', ["'expect_ledger.gaps.first'"]),
        ('{ action = "a", count = 2, gaps = { min = 2, max = 1 } }', ["'expect_ledger.gaps.max'", "at least min"]),
        ('{ order = ["a"], gaps = { min = 1 } }', ["'expect_ledger.gaps'", "not with 'order'"]),
        ('{ action = "a", cuont = 1 }', ["'expect_ledger.cuont'", "Did you mean 'count'?"]),
    ],
)
def test_expect_ledger_rejects_with_the_field(query, fragments):
    rejected(f"[[step]]\nexpect_ledger = {query}\n", "step 1 (expect_ledger)", *fragments)


def test_since_must_name_an_earlier_label():
    rejected('[[step]]\nexpect_ledger = { action = "a", count = 0, since = "ghost" }\n', "'since'", "ghost")


BOOKINGS = entries(
    (1.0, "flight.book", {"customer": "c1"}),
    (2.0, "car.book", {"customer": "c1"}),
    (3.0, "flight.book", {"customer": "c2"}),
    (4.0, "flight.cancel", {"customer": "c1"}),
)


def test_counts_where_and_ranges():
    seen = LedgerSeen(BOOKINGS)
    assert ledger('{ action = "flight.book", count = 2 }').judge(seen).ok
    verdict = ledger('{ action = "flight.book", where = { customer = "c1" }, count = 2 }').judge(seen)
    assert not verdict.ok and verdict.observed == "1×" and '{"customer": "c1"}' in verdict.expectation
    assert ledger('{ action = "car.book", at_least = 0, at_most = 1 }').judge(seen).ok
    assert not ledger('{ action = "flight.book", at_most = 1 }').judge(seen).ok
    assert ledger('{ action = "flight.book", at_least = 2 }').judge(seen).ok


def test_order_is_checked_among_the_named_actions_only():
    seen = LedgerSeen(BOOKINGS)
    ok = ledger('{ order = ["flight.book", "car.book", "flight.cancel"], where = { customer = "c1" } }')
    assert ok.judge(seen).ok
    wrong = ledger('{ order = ["car.book", "flight.book"], where = { customer = "c1" } }').judge(seen)
    assert not wrong.ok and wrong.observed == "saw flight.book → car.book"


def test_field_values_catch_lost_and_doubled_items():
    seen = LedgerSeen(entries((0, "batch", {"items": [1, 2], "size": 2}), (1, "batch", {"items": [2, 3], "size": 2})))
    assert ledger('{ action = "batch", field = "size", values = [2, 2] }').judge(seen).ok
    doubled = ledger('{ action = "batch", field = "items", flat = true, values = [1, 2, 3] }').judge(seen)
    assert not doubled.ok and "[1, 2, 2, 3]" in doubled.observed


def test_among_first_ranks_within_the_action():
    rows = [(0, "s", {"p": 2})] * 10 + [(0, "other", {})] + [(0, "s", {"p": 1}), (0, "s", {"p": 2}), (0, "s", {"p": 1})]
    seen = LedgerSeen(entries(*rows, *[(0, "s", {"p": 2})] * 10))
    verdict = ledger('{ action = "s", where = { p = 1 }, among_first = 13, count = 2 }').judge(seen)
    assert verdict.ok and verdict.observed == "2 at positions 11, 13 of 23"
    assert not ledger('{ action = "s", where = { p = 1 }, among_first = 12 }').judge(seen).ok
    assert not ledger('{ action = "s", where = { p = 1 }, among_first = 20, count = 3 }').judge(seen).ok


def test_since_filters_by_the_labels_answer_time():
    from scenario_helpers import steps

    _, since = steps(
        '[[step]]\ncall = "S/h"\nas = "c"\n[[step]]\nexpect_ledger = { action = "t", count = 0, since = "c" }\n'
    )
    rows = entries((1.0, "t", {}), (5.0, "t", {}))
    assert not since.judge(LedgerSeen(rows, since_answered=2.0)).ok  # one ran after the cancel
    assert since.judge(LedgerSeen(rows, since_answered=6.0)).ok
    unanswered = since.judge(LedgerSeen(rows, since_answered=None))
    assert not unanswered.ok and "'c' has no answer yet" in unanswered.observed


def test_gaps_of_a_token_bucket():
    burst = Gaps(first=3, within=0.1, min=0.2, max=0.3)
    problems, seen = burst.check([10.0, 10.01, 10.02, 10.25, 10.5, 10.75])
    assert problems == [] and "first 3 within 0.020 s" in seen
    problems, _ = Gaps(first=3, within=0.1, min=0.2).check([10.0, 10.01, 10.02, 10.03, 10.04])
    assert problems == ["a gap of 0.010 s (< 0.2 s)"]  # a bypassed limiter: everything at once
    problems, _ = Gaps(first=3, within=0.1).check([10.0, 10.25, 10.5, 10.75])
    assert problems == ["the first 3 took 0.500 s (> 0.1 s)"]


def test_gaps_need_enough_entries_and_read_as_words():
    assert Gaps(min=0.5).check([1.0])[0] == ["1 entries: no gap after the first 1 to measure"]
    assert Gaps(first=2, within=0.5).check([1.0])[0] == ["only 1 entries, expected the first 2 together"]
    assert Gaps(max=1.2).check([1.0, 2.0, 3.5])[0] == ["a gap of 1.500 s (> 1.2 s)"]
    assert Gaps(first=3, within=0.15, min=0.15, max=0.5).describe() == (
        "the first 3 within 0.15 s and then 0.15–0.5 s apart"
    )
    assert Gaps(min=0.8).describe() == "then ≥ 0.8 s apart"


def test_a_gaps_verdict_joins_count_and_timing():
    action = ledger('{ action = "call", count = 3, gaps = { min = 0.2 } }')
    verdict = action.judge(LedgerSeen(entries((0.0, "call", {}), (0.1, "call", {}), (0.5, "call", {}))))
    assert (
        not verdict.ok
        and "a gap of 0.100 s (< 0.2 s)" in verdict.observed
        and "then ≥ 0.2 s apart" in verdict.expectation
    )


def test_after_restart_times_each_entry_from_the_last_restart():
    wait = ledger('{ action = "mail", count = 1, after_restart = 1.5 }')
    rows = entries((10.0, "mail", {}))
    assert wait.judge(LedgerSeen(rows, restarted=(8.9, 9.2))).ok  # 0.8 s after: the timer kept running
    assert wait.judge(LedgerSeen(rows, restarted=(9.5, 10.3))).ok  # served while the restart still resumed
    late = wait.judge(LedgerSeen(rows, restarted=(7.5, 8.0)))  # 2 s after: the wait started over
    assert not late.ok and "one came 2.000 s after the restart (> 1.5 s)" in late.observed
    assert "each ≤ 1.5 s after the last restart" in late.expectation
    early = wait.judge(LedgerSeen(rows, restarted=(10.5, 11.0)))
    assert not early.ok and "one came 0.500 s before the restart" in early.observed
    assert "nothing was restarted" in wait.judge(LedgerSeen(rows)).observed
    none = ledger('{ action = "mail", count = 0, after_restart = 1.5 }').judge(LedgerSeen([], restarted=(1.0, 1.2)))
    assert not none.ok and "no entry to time" in none.observed


# -- expect_concurrency -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "table, fragments",
    [
        ('{ start = "s", at_most = 1 }', ["'expect_concurrency.end'", "required"]),
        ('{ start = "s", end = "e" }', ["'expect_concurrency.at_most'", "'reaches'"]),
        ('{ start = "s", end = "e", at_most = "10" }', ["'expect_concurrency.at_most'", "integer"]),
        ('{ start = "s", end = "e", reaches = true }', ["'expect_concurrency.reaches'", "integer"]),
        ('{ start = "s", end = "e", at_most = 1, by = "k" }', ["'expect_concurrency.by'", "unknown"]),
    ],
)
def test_expect_concurrency_rejects_with_the_field(table, fragments):
    rejected(f"[[step]]\nexpect_concurrency = {table}\n", "(expect_concurrency)", *fragments)


def test_concurrency_counts_the_peak():
    names = ["s", "s", "s", "e", "s", "e", "e", "e"]  # three start, one ends, one more starts: the peak is 3
    seen = entries(*[(i, n, {}) for i, n in enumerate(names)])
    check = lambda bound: step(f'[[step]]\nexpect_concurrency = {{ start = "s", end = "e", {bound} }}\n').judge(seen)  # noqa: E731
    assert check("at_most = 3, reaches = 3").ok
    verdict = check("at_most = 2")
    assert not verdict.ok and verdict.observed == "at most 3 at once" and "never more than 2" in verdict.expectation
    assert not check("reaches = 4").ok


# -- expect_spans -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "table, fragments",
    [
        ('{ start = "a", end = "b" }', ["'expect_spans.by'"]),
        ('{ start = "a", end = "b", by = "k", max_ratio = 0 }', ["'expect_spans.max_ratio'", "> 0"]),
        ('{ start = "a", end = "b", by = "k", concurrent = "yes" }', ["'expect_spans.concurrent'", "true or false"]),
    ],
)
def test_expect_spans_rejects_with_the_field(table, fragments):
    rejected(f"[[step]]\nexpect_spans = {table}\n", "(expect_spans)", *fragments)


def spans(extra: str):
    return step(f'[[step]]\nexpect_spans = {{ start = "s", end = "e", by = "k", {extra} }}\n')


def test_spans_in_parallel_hold():
    seen = entries((0.0, "s", {"k": "a"}), (0.1, "s", {"k": "b"}), (0.5, "e", {"k": "b"}), (1.0, "e", {"k": "a"}))
    verdict = spans("count = 2, concurrent = true, max_ratio = 0.8").judge(seen)
    assert verdict.ok and "wall 1.00 s, sum 1.40 s" in verdict.observed
    assert not spans("concurrent = false").judge(seen).ok


def test_sequential_spans_fail_the_parallel_check():
    seen = entries((0.0, "s", {"k": "a"}), (0.5, "e", {"k": "a"}), (0.5, "s", {"k": "b"}), (1.0, "e", {"k": "b"}))
    verdict = spans("concurrent = true").judge(seen)
    assert not verdict.ok and "after the first ended" in verdict.observed
    verdict = spans("max_ratio = 0.6").judge(seen)
    assert not verdict.ok and "1.00 × sum" in verdict.observed
    assert spans("count = 2, concurrent = false").judge(seen).ok
    assert not spans("count = 3").judge(seen).ok
    assert not spans("count = 0").judge([]).ok  # no spans at all is never a pass


def test_the_rate_limiting_scenarios_gaps_hold_under_load_and_catch_a_broken_limiter():
    shipped = Gaps(first=4, within=0.8, min=0.3, max=0.8)  # scenarios/rate-limiting.toml
    slow_burst = [0.0, 0.2, 0.4, 0.5] + [0.5 + 0.5 * k for k in range(1, 9)]  # three start slowly; 2 per second
    assert shipped.check(slow_burst)[0] == []
    assert shipped.check([0.01 * k for k in range(12)])[0]  # no limiter: all at once
    assert shipped.check([0.0, 0.0, 0.0] + [0.25 * k for k in range(1, 10)])[0]  # 4 per second
    assert shipped.check([0.5 * k for k in range(12)])[0]  # no burst: one token at a time
