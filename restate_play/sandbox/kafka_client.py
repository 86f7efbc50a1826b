"""A small Kafka client for the playground: topics, keyed JSON records, tailing (confluent-kafka).

Records are written the way the source documents' console producer reads them
(`--property parse.key=true --property key.separator=:`): one `key:json` per line.
confluent-kafka is imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from restate_play.errors import PlayError

SEPARATOR = ":"
_quiet = logging.getLogger("restate_play.kafka")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


class RecordLineError(PlayError):
    """A `key:json` line that cannot be published; names the line."""


@dataclass(frozen=True)
class KeyedRecord:
    key: str
    value: str  # the JSON text, as given

    @property
    def line(self) -> str:
        return f"{self.key}{SEPARATOR}{self.value}"


@dataclass(frozen=True)
class Published:
    topic: str
    key: str
    value: str
    partition: int
    offset: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "key": self.key,
            "value": self.value,
            "partition": self.partition,
            "offset": self.offset,
        }


@dataclass(frozen=True)
class Consumed:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: str | None
    timestamp_ms: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "key": self.key,
            "value": self.value,
            "timestamp_ms": self.timestamp_ms,
        }


def parse_line(line: str, number: int | None = None, where: str = "line") -> KeyedRecord:
    """`package123:{"location": "Paris"}` → KeyedRecord; a clear error otherwise."""
    label = f"{where} {number}" if number is not None else where
    text = line.rstrip("\r\n")
    key, sep, value = text.partition(SEPARATOR)
    hint = 'Write records as key:json, e.g. package123:{"location": "Pinetree Road 5, Paris"}'
    if not sep:
        raise RecordLineError(f"{label}: no key separator ':' in {text!r}.", hint)
    if not key.strip():
        raise RecordLineError(f"{label}: empty key before ':' in {text!r}.", hint)
    try:
        json.loads(value)
    except ValueError as err:
        raise RecordLineError(f"{label}: the value after the key is not JSON ({err.msg}): {value!r}.", hint) from None
    return KeyedRecord(key, value.strip())


def _config(bootstrap: str, **extra: Any) -> dict[str, Any]:
    return {"bootstrap.servers": bootstrap, "logger": _quiet, "socket.timeout.ms": 10000, **extra}


def _unreachable(bootstrap: str, err: object) -> PlayError:
    return PlayError(
        f"Cannot reach Kafka at {bootstrap}: {err}",
        "Start a sandbox with Kafka (`restate-play serve event-enrichment`), or pass --bootstrap-server HOST:PORT.",
    )


def list_topics(bootstrap: str, timeout: float = 10.0) -> dict[str, int]:
    """Topic name → number of partitions (internal topics left out)."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    admin = AdminClient(_config(bootstrap))
    try:
        meta = admin.list_topics(timeout=timeout)
    except KafkaException as err:
        raise _unreachable(bootstrap, err.args[0].str() if err.args else err) from None
    return {name: len(t.partitions) for name, t in sorted(meta.topics.items()) if not name.startswith("__")}


def create_topics(bootstrap: str, topics: Iterable[str], partitions: int = 1, timeout: float = 10.0) -> list[str]:
    """Create the topics that do not exist yet; returns the ones created."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient, NewTopic

    wanted = [t for t in dict.fromkeys(topics) if t not in list_topics(bootstrap, timeout)]
    if not wanted:
        return []
    admin = AdminClient(_config(bootstrap))
    futures = admin.create_topics(
        [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in wanted], request_timeout=timeout
    )
    created = []
    for topic, future in futures.items():
        try:
            future.result(timeout)
            created.append(topic)
        except KafkaException as err:
            if err.args and err.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS:
                continue
            raise PlayError(f"Creating Kafka topic {topic!r} at {bootstrap} failed: {err}") from None
    return created


def topic_offsets(bootstrap: str, topic: str, timeout: float = 10.0) -> list[tuple[int, int, int]]:
    """(partition, low, high) watermarks of each partition of a topic."""
    from confluent_kafka import Consumer, KafkaException

    consumer = Consumer(_config(bootstrap, **{"group.id": "restate-play-inspect", "enable.auto.commit": False}))
    try:
        meta = consumer.list_topics(topic, timeout=timeout)
        out = []
        for p in sorted(meta.topics[topic].partitions):
            low, high = consumer.get_watermark_offsets(_tp(topic, p), timeout=timeout)
            out.append((p, low, high))
        return out
    except KafkaException as err:
        raise _unreachable(bootstrap, err) from None
    finally:
        consumer.close()


def _tp(topic: str, partition: int, offset: int | None = None):
    from confluent_kafka import TopicPartition

    return TopicPartition(topic, partition) if offset is None else TopicPartition(topic, partition, offset)


class Publisher:
    """Keyed produce with delivery reports: each record's partition and offset, in order."""

    def __init__(self, bootstrap: str, timeout: float = 15.0):
        from confluent_kafka import Producer

        self.bootstrap = bootstrap
        self.timeout = timeout
        # Idempotent producer: a retried send never lands twice in the topic.
        settings = {"enable.idempotence": True, "linger.ms": 0, "message.timeout.ms": int(timeout * 1000)}
        self._producer = Producer(_config(bootstrap, **settings))

    def publish(self, topic: str, records: Iterable[KeyedRecord]) -> list[Published]:
        results: list[Published | Exception] = []

        def report(rec: KeyedRecord, index: int):
            def on_delivery(err, msg) -> None:
                results[index] = (
                    PlayError(f"Publishing {rec.line!r} to {topic} failed: {err.str()}")
                    if err is not None
                    else Published(topic, rec.key, rec.value, msg.partition(), msg.offset())
                )

            return on_delivery

        for rec in records:
            results.append(PlayError(f"Publishing {rec.line!r} to {topic}: no delivery report"))
            self._producer.produce(
                topic, key=rec.key.encode(), value=rec.value.encode(), on_delivery=report(rec, len(results) - 1)
            )
            self._producer.poll(0)
        left = self._producer.flush(self.timeout)
        if left:
            raise _unreachable(self.bootstrap, f"{left} record(s) not delivered within {self.timeout:.0f} s")
        for item in results:
            if isinstance(item, Exception):
                raise item
        return [r for r in results if isinstance(r, Published)]


def publish_lines(
    bootstrap: str,
    topic: str,
    lines: Iterable[str],
    on_published: Callable[[Published], None] = lambda _p: None,
    where: str = "line",
) -> list[Published]:
    """Publish `key:json` lines in order, each as soon as it is read (stdin may be interactive).

    On an invalid line, everything before it is already published (and reported); then the
    line's error is raised. Blank lines are skipped, like the console producer's empty input.
    """
    publisher = Publisher(bootstrap)
    done: list[Published] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        record = parse_line(line, number, where)
        for published in publisher.publish(topic, [record]):
            done.append(published)
            on_published(published)
    return done


def tail(
    bootstrap: str,
    topic: str,
    from_beginning: bool = False,
    stop: Callable[[], bool] = lambda: False,
    poll: float = 0.2,
) -> Iterator[Consumed]:
    """Records of every partition as they arrive (no consumer group offsets are committed)."""
    from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaException

    consumer = Consumer(
        _config(
            bootstrap,
            **{"group.id": f"restate-play-tail-{time.time_ns()}", "enable.auto.commit": False},
        )
    )
    try:
        try:
            meta = consumer.list_topics(topic, timeout=10)
        except KafkaException as err:
            raise _unreachable(bootstrap, err) from None
        info = meta.topics.get(topic)
        if info is None or info.error is not None or not info.partitions:
            raise PlayError(f"No topic {topic!r} at {bootstrap}.", "See `restate-play kafka topics`.")
        start = OFFSET_BEGINNING if from_beginning else OFFSET_END
        consumer.assign([_tp(topic, p, start) for p in sorted(info.partitions)])
        while not stop():
            msg = consumer.poll(poll)
            if msg is None or msg.error() is not None:
                continue
            ts_type, ts = msg.timestamp()
            yield Consumed(
                msg.topic(),
                msg.partition(),
                msg.offset(),
                msg.key().decode("utf-8", "replace") if msg.key() is not None else None,
                msg.value().decode("utf-8", "replace") if msg.value() is not None else None,
                ts if ts_type else None,
            )
    finally:
        consumer.close()
