"""The storm's HTTP/1.1 client against a scripted loopback server: framing, keep-alive, closes."""

from __future__ import annotations

import asyncio

import pytest

from restate_play.scenario.http1 import ConnectionClosed, Http1Connection, encode_request, split_url


def test_split_url_and_encode_request():
    assert split_url("http://127.0.0.1:8080/product/p1/reserve?delay=1s") == (
        "127.0.0.1",
        8080,
        "/product/p1/reserve?delay=1s",
    )
    with pytest.raises(ValueError, match="only http://"):
        split_url("https://127.0.0.1/x")
    raw = encode_request("POST", "127.0.0.1", 8080, "/a", {"idempotency-key": "k1", "Content-Length": "99"}, b'{"x":1}')
    head, body = raw.split(b"\r\n\r\n")
    assert head.split(b"\r\n") == [
        b"POST /a HTTP/1.1",
        b"host: 127.0.0.1:8080",
        b"idempotency-key: k1",
        b"content-length: 7",  # computed, never the caller's
    ]
    assert body == b'{"x":1}'
    assert encode_request("POST", "h", 1, "/", {}, None).endswith(b"content-length: 0\r\n\r\n")


async def scripted_server(answers: list[bytes]):
    """A server that reads one request per answer and writes the answer; b"CLOSE" closes the socket."""
    seen: list[bytes] = []
    connections = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while answers:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
            )
            seen.append(head + await reader.readexactly(length))
            answer = answers.pop(0)
            if answer == b"CLOSE":
                break
            writer.write(answer)
            await writer.drain()
            framed = any(h in answer.lower() for h in (b"content-length", b"chunked", b" 204 "))
            if b"connection: close" in answer.lower() or not framed:
                break  # an unframed body ends when the connection does
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, port, seen, lambda: connections


def test_framings_keep_alive_and_closes():
    async def main() -> None:
        server, port, seen, connections = await scripted_server(
            [
                b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-restate-id: inv_1\r\n\r\nhello",
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n",
                b"HTTP/1.1 204 No Content\r\n\r\n",
                b"HTTP/1.1 500 Oops\r\nConnection: close\r\ncontent-length: 2\r\n\r\nno",
                b"HTTP/1.1 200 OK\r\n\r\nuntil the end",  # no length: read to EOF, then reconnect
                b"CLOSE",
            ]
        )
        conn = Http1Connection("127.0.0.1", port)
        req = encode_request("POST", "127.0.0.1", port, "/x", {}, b"{}")
        a = await conn.request(req)
        assert (a.status, a.body, a.headers["x-restate-id"]) == (200, b"hello", "inv_1")
        b = await conn.request(req)
        assert (b.status, b.body) == (202, b"abcde")
        c = await conn.request(req)
        assert (c.status, c.body) == (204, b"")
        assert connections() == 1  # three answers, one keep-alive connection
        d = await conn.request(req)
        assert (d.status, d.body) == (500, b"no")
        e = await conn.request(req)  # the server closed after "connection: close": a new connection
        assert (e.status, e.body) == (200, b"until the end")
        assert connections() == 2
        with pytest.raises(ConnectionClosed, match="before the response head"):
            await conn.request(req)  # the server reads the request and closes without answering
        assert connections() == 3 and len(seen) == 6
        await conn.aclose()
        server.close()
        await server.wait_closed()

    asyncio.run(main())


def test_refused_connection_is_an_os_error():
    async def main() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        with pytest.raises(OSError):
            await Http1Connection("127.0.0.1", port).request(b"POST / HTTP/1.1\r\n\r\n")

    asyncio.run(main())


def test_answers_arriving_in_pieces():
    """A head, a chunk size or a body split across reads is waited for, not misread."""
    answers = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Trailer: t\r\n\r\n"
        b"4\r\nwiki\r\n5\r\npedia\r\n0\r\nx-t: 1\r\n\r\n",
        b"HTTP/1.1 201 Created\r\ncontent-length: 11\r\n\r\nhello world",
    ]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for answer in answers:
            await reader.readuntil(b"\r\n\r\n")
            for i in range(0, len(answer), 3):  # three bytes at a time
                writer.write(answer[i : i + 3])
                await writer.drain()
                await asyncio.sleep(0.001)
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        conn = Http1Connection("127.0.0.1", port)
        req = encode_request("POST", "127.0.0.1", port, "/", {}, None)
        first = await conn.request(req)
        assert (first.status, first.body, first.headers["x-trailer"]) == (200, b"wikipedia", "t")
        second = await conn.request(req)
        assert (second.status, second.body) == (201, b"hello world")
        await conn.aclose()
        server.close()
        await server.wait_closed()

    asyncio.run(main())
