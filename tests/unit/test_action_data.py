"""sql, expect_sql, publish: the pattern's PostgreSQL and Kafka, as scenario steps."""

import pytest
from scenario_helpers import rejected, step, steps


def test_sql_steps_load():
    show, rows, count = steps(
        '[[step]]\nsql = "SELECT * FROM users"\n'
        '[[step]]\nexpect_sql = { query = "SELECT credits FROM users", rows = [{ credits = 1 }] }\n'
        '[[step]]\nexpect_sql = { query = "SELECT 1", count = 1 }\n'
    )
    assert (
        show.sql == "SELECT * FROM users" and rows.expect_sql.rows == [{"credits": 1}] and count.expect_sql.count == 1
    )


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('sql = ""', "sql"),
        ("expect_sql = { rows = [] }", "expect_sql.query"),
        ('expect_sql = { query = "SELECT 1" }', "expect_sql.rows"),
        ('expect_sql = { query = "SELECT 1", rows = [1, 2] }', "expect_sql.rows"),
        ('expect_sql = { query = "SELECT 1", count = "two" }', "expect_sql.count"),
        ('expect_sql = { query = "SELECT 1", columns = [] }', "expect_sql.columns"),
    ],
)
def test_sql_steps_are_validated(text, field):
    rejected(f"[[step]]\n{text}\n", f"field '{field}'")


def test_expect_sql_compares_rows_and_counts():
    query = 'query = "SELECT userid, credits FROM users", rows = [{ userid = "A", credits = 1 }]'
    exact = step(f"[[step]]\nexpect_sql = {{ {query} }}\n")
    assert exact.judge([{"userid": "A", "credits": 1}]).ok
    verdict = exact.judge([{"userid": "A", "credits": 2}])
    assert not verdict.ok and verdict.observed == "userid  credits | A       2"
    assert not step('[[step]]\nexpect_sql = { query = "SELECT 1", count = 2 }\n').judge([{"x": 1}]).ok


def test_publish_validates_records_and_labels():
    publish, _ = steps(
        '[[step]]\npublish = "t"\nrecords = [\'a:{"x": 1}\', \'b:[1]\']\nas = ["first"]\n[[step]]\nwait_for = "first"\n'
    )
    assert (publish.publish, publish.records, publish.record_labels) == ("t", ['a:{"x": 1}', "b:[1]"], ["first", None])
    rejected("[[step]]\npublish = \"t\"\nrecords = ['a:{\"x\": 1}', 'b:oops']\n", "step 1 (publish)", "record 2")
    rejected('[[step]]\npublish = "t"\nrecords = [\'a:1\']\nas = ["x", "y"]\n', "'as'", "one per record")
    rejected('[[step]]\npublish = "t"\nrecords = []\n', "'records'", "at least 1")
