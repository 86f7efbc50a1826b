"""Pure logic of the cron and rate-limiting ports: next execution times, the token bucket."""

from datetime import UTC, datetime

import pytest

from restate_play.patterns.cron import next_execution_time
from restate_play.patterns.rate_limiting import advance, millis_from_tokens, tokens_from_millis

NOON = datetime(2025, 6, 1, 12, 0, 30, 500000, tzinfo=UTC)


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("* * * * *", datetime(2025, 6, 1, 12, 1, tzinfo=UTC)),  # the document's every minute
        ("0 0 * * *", datetime(2025, 6, 2, 0, 0, tzinfo=UTC)),  # the document's midnight
        ("* * * * * *", datetime(2025, 6, 1, 12, 0, 31, tzinfo=UTC)),  # seconds first, as cron-parser
        ("*/2 * * * * *", datetime(2025, 6, 1, 12, 0, 32, tzinfo=UTC)),
    ],
)
def test_cron_next_execution_time(expression, expected):
    assert next_execution_time(expression, NOON) == expected


def test_cron_next_execution_is_strictly_later():
    on_the_minute = datetime(2025, 6, 1, 12, 1, tzinfo=UTC)
    assert next_execution_time("* * * * *", on_the_minute) == datetime(2025, 6, 1, 12, 2, tzinfo=UTC)


def test_cron_rejects_bad_expressions():
    for bad in ("every minute", "61 * * * *"):
        with pytest.raises(ValueError):
            next_execution_time(bad, NOON)


def test_rate_limiting_bucket_refills_up_to_burst():
    bucket = {"limit": 2, "burst": 3, "tokens": -1.0, "last": 1000.0, "lastEvent": 1500.0}
    assert advance(bucket, 1000.0) == -1.0
    assert advance(bucket, 1500.0) == 0.0  # 2 per second: one token per 500 ms
    assert advance(bucket, 60_000.0) == 3  # never more than the burst
    assert advance(bucket, 500.0) == -1.0  # a clock behind `last` earns nothing


def test_rate_limiting_conversions_and_zero_rate():
    assert millis_from_tokens(4, 1) == 250 and tokens_from_millis(4, 250) == 1
    assert millis_from_tokens(0, 1) == float("inf") and tokens_from_millis(0, 10_000) == 0
