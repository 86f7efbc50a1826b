"""A minimal keep-alive HTTP/1.1 client for the storm's load: one connection, one request at a time.

Why not httpx here: the storm shares 2 cores with restate-server and the service, so the client's
CPU per request decides how fast the sandbox can go. httpx costs ~1 ms of CPU per request (headers,
models, the pool); writing prepared bytes to a socket and reading the answer with asyncio's own
buffering costs a few percent of that, as a load tool (wrk) does. Everything else in the playground
keeps using httpx: it needs timeouts per request, redirects, readable errors, the curl lines.

What it handles: responses with `content-length`, `transfer-encoding: chunked`, or neither (read to
the end, then the connection is closed); `connection: close`; 1xx interim answers. A connection the
server closed while idle is reopened once before the request is written, never after: a POST is not
sent twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

CONNECT_TIMEOUT = 5.0


class ConnectionClosed(ConnectionError):
    """The server closed the connection before the whole answer arrived."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names; a repeated header keeps its last value
    body: bytes


def split_url(url: str) -> tuple[str, int, str]:
    """(host, port, path with query) of an http:// URL."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"only http://host:port URLs are supported, got {url!r}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.hostname, parts.port or 80, path


def encode_request(method: str, host: str, port: int, path: str, headers: dict[str, str], body: bytes | None) -> bytes:
    """The request's bytes, built once per request (or once per storm and reused)."""
    lines = [f"{method} {path} HTTP/1.1", f"host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items() if name.lower() not in ("host", "content-length")]
    lines.append(f"content-length: {len(body or b'')}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


class Http1Connection:
    """One keep-alive connection to host:port; `request` sends prepared bytes and reads one answer."""

    def __init__(self, host: str, port: int, connect_timeout: float = CONNECT_TIMEOUT):
        self.host, self.port, self.connect_timeout = host, port, connect_timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), self.connect_timeout
        )

    def _usable(self) -> bool:
        return self._writer is not None and not self._writer.is_closing() and not self._reader.at_eof()  # type: ignore[union-attr]

    async def request(self, raw: bytes) -> Answer:
        if not self._usable():
            await self.aclose()
            await self._connect()
        reader, writer = self._reader, self._writer
        assert reader is not None and writer is not None
        try:
            writer.write(raw)
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError as err:
                    raise ConnectionClosed("closed before the response head") from err
                status, headers = _parse_head(head)
                if status >= 200 or status == 101:
                    break  # 1xx interim answers (100 Continue, 103) come before the real one
            body, keep = await _read_body(reader, status, headers)
        except BaseException:
            await self.aclose()  # an answer half read leaves the connection unusable
            raise
        if not keep:
            await self.aclose()
        return Answer(status, headers, body)

    async def aclose(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split(" ", 2)[1])
    except (IndexError, ValueError) as err:
        raise ConnectionClosed(f"not an HTTP/1.1 status line: {lines[0]!r}") from err
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return status, headers


async def _read_body(reader: asyncio.StreamReader, status: int, headers: dict[str, str]) -> tuple[bytes, bool]:
    """The body and whether the connection can be reused."""
    keep = headers.get("connection", "").lower() != "close"
    if status in (204, 304) or 100 <= status < 200:
        return b"", keep
    try:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return await _read_chunked(reader), keep
        if "content-length" in headers:
            return await reader.readexactly(int(headers["content-length"])), keep
    except asyncio.IncompleteReadError as err:
        raise ConnectionClosed("closed in the middle of the body") from err
    return await reader.read(), False  # no length: the body ends when the server closes


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, if any, up to the blank line
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)  # the CRLF after each chunk
