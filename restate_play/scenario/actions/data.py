"""sql, expect_sql, publish: the pattern's PostgreSQL and Kafka."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, field_validator, model_validator

from restate_play.scenario.actions.base import Action, Doc, Expectation, Strict, Verdict, action, problem

if TYPE_CHECKING:
    from restate_play.scenario.runner import ScenarioRunner

QUERY_DOC = "an SQL query on the pattern's database, like 'SELECT * FROM users ORDER BY userid'"


def _query(query: str, field: str) -> str:
    if not query.strip():
        raise problem(field, QUERY_DOC, query)
    return query


@action
class Sql(Action):
    name: ClassVar[str] = "sql"
    summary: ClassVar[str] = "Run a query on the pattern's PostgreSQL and show the rows (narration)."
    example: ClassVar[str] = 'sql = "SELECT userid, credits FROM users ORDER BY userid"'
    sql: str = Field(description=QUERY_DOC)

    @field_validator("sql")
    @classmethod
    def _nonempty(cls, query: str) -> str:
        return _query(query, "sql")

    async def play(self, run: ScenarioRunner) -> None:
        from restate_play.sandbox.sql_rows import text_table

        run.reporter.note(f"SQL> {self.sql}")
        for line in text_table(await run.sql_rows(self.sql)):
            run.reporter.note(f"  {line}")


class SqlQuery(Strict):
    query: str = Field(description=QUERY_DOC)
    rows: list[dict[str, Any]] | None = Doc("The exact result, in order: [ { userid = 'B', credits = 1012 } ].")
    count: int | None = Doc("How many rows.", ge=0)

    @field_validator("query")
    @classmethod
    def _nonempty(cls, query: str) -> str:
        return _query(query, "query")

    @model_validator(mode="after")
    def _something(self) -> SqlQuery:
        if self.rows is None and self.count is None:
            raise problem("rows", "'rows' (the exact result, in order) or 'count' (how many rows)")
        return self


@action
class ExpectSql(Expectation[list[dict[str, Any]]]):
    name: ClassVar[str] = "expect_sql"
    summary: ClassVar[str] = "Rows of a query on the pattern's PostgreSQL: exactly these, or this many."
    example: ClassVar[str] = (
        "expect_sql = { query = \"SELECT credits FROM users WHERE userid = 'A'\", rows = [ { credits = 988 } ] }"
    )
    expect_sql: SqlQuery = Field(description="The query and the rows it must return.")

    async def observe(self, run: ScenarioRunner) -> list[dict[str, Any]]:
        return await run.sql_rows(self.expect_sql.query)

    def judge(self, seen: list[dict[str, Any]]) -> Verdict:
        import json

        from restate_play.sandbox.sql_rows import text_table

        q = self.expect_sql
        ok = (q.rows is None or seen == q.rows) and (q.count is None or len(seen) == q.count)
        parts = [json.dumps(q.rows)] if q.rows is not None else []
        parts += [f"{q.count} row(s)"] if q.count is not None else []
        return Verdict(f"SQL {q.query} → {' and '.join(parts)}", ok, " | ".join(text_table(seen)) or "no rows")


@action
class Publish(Action):
    name: ClassVar[str] = "publish"
    summary: ClassVar[str] = "Publish keyed JSON records to a Kafka topic; Restate's subscription invokes a handler."
    example: ClassVar[str] = 'publish = "social-media-posts"\nrecords = [\'u1:{"content": "Hi!"}\']\nas = ["first"]'
    publish: str = Field(description="A Kafka topic name, like 'social-media-posts'.", min_length=1)
    records: list[str] = Field(description='"key:json" strings, like \'u1:{"content": "Hi!"}\'.', min_length=1)
    labels: list[str] = Doc(
        "Labels of the invocations the records trigger, in order ('' for none).", default_factory=list, alias="as"
    )

    @field_validator("records")
    @classmethod
    def _parseable(cls, records: list[str]) -> list[str]:
        from restate_play.sandbox.kafka_client import RecordLineError, parse_line

        for number, record in enumerate(records, start=1):
            try:
                parse_line(record, number, "record")
            except RecordLineError as err:
                raise problem("records", f"key:json records ({err.message.rstrip('.')})", record) from None
        return records

    @model_validator(mode="after")
    def _labels_fit(self) -> Publish:
        if len(self.labels) > len(self.records):
            raise problem("as", "a list of labels, one per record in order ('' for none)", self.labels)
        return self

    @property
    def record_labels(self) -> list[str | None]:
        return [x or None for x in self.labels] + [None] * (len(self.records) - len(self.labels))

    def defines(self) -> list[str]:
        return [label for label in self.labels if label]

    async def play(self, run: ScenarioRunner) -> None:
        await run.publish(self)
