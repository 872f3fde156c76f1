"""A lean load generator: N concurrent keep-alive HTTP/1.1 clients on one asyncio loop.

Requests are encoded to bytes before the clock starts and responses are read with a minimal
parser, so the generator spends a few microseconds per request; its own CPU share is measured
and reported, so a saturated generator would show. Each client keeps one connection and sends
its next request when the previous answer is in (closed loop), so latency includes queueing in
the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

try:
    import uvloop
except ImportError:  # pragma: no cover - uvicorn[standard] brings it
    uvloop = None  # type: ignore[assignment]


def encode(
    method: str, path: str, *, host: str, headers: dict[str, str], body: Any | None = None
) -> bytes:
    """Return one HTTP/1.1 request as bytes (JSON body, keep-alive)."""
    payload = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


@dataclass
class LoadResult:
    requests: int
    seconds: float
    client_cpu_seconds: float
    latencies: list[float]
    statuses: Counter[int]
    bodies: list[bytes] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def client_cpu_share(self) -> float:
        """The generator's CPU time over wall time (1.0 = one core saturated)."""
        return self.client_cpu_seconds / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """Return the q-th percentile latency in milliseconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = min(len(ordered), max(1, math.ceil(q / 100 * len(ordered))))
        return ordered[rank - 1] * 1000


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length: int | None = None
        chunked = close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if length is not None:
            body = await self.reader.readexactly(length)
        elif chunked:
            body = await self._chunks()
        else:
            body, close = await self.reader.read(), True
        if close:
            await self.close()
        return status, body

    async def _chunks(self) -> bytes:
        assert self.reader is not None
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def _drive(
    host: str,
    port: int,
    requests: Sequence[bytes] | bytes,
    *,
    clients: int,
    seconds: float | None = None,
    keep_bodies: bool = False,
) -> LoadResult:
    """Send `requests` once each, or the one request `requests` over and over for `seconds`."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    bodies: list[tuple[int, bytes]] = []
    connections = [_Connection(host, port) for _ in range(clients)]
    for connection in connections:  # connect before the clock starts
        await connection.exchange(
            encode("GET", "/healthz", host=f"{host}:{port}", headers={"Connection": "keep-alive"})
        )
    clock = time.perf_counter
    sequence = 0
    next_request: Callable[[], bytes | None]
    if isinstance(requests, bytes):
        assert seconds is not None
        deadline = clock() + seconds
        one = requests

        def next_request() -> bytes | None:
            return one if clock() < deadline else None

    else:
        it = iter(requests)

        def next_request() -> bytes | None:
            return next(it, None)

    async def client(connection: _Connection) -> None:
        nonlocal sequence
        while (request := next_request()) is not None:
            mine = sequence
            sequence += 1
            started = clock()
            status, body = await connection.exchange(request)
            latencies.append(clock() - started)
            statuses[status] += 1
            if keep_bodies:
                bodies.append((mine, body))

    cpu = time.process_time()
    started = clock()
    await asyncio.gather(*(client(c) for c in connections))
    elapsed = clock() - started
    cpu = time.process_time() - cpu
    for connection in connections:
        await connection.close()
    bodies.sort(key=lambda item: item[0])
    return LoadResult(
        len(latencies), elapsed, cpu, latencies, statuses, [body for _, body in bodies]
    )


def _run(coroutine: Coroutine[Any, Any, LoadResult]) -> LoadResult:
    if uvloop is not None:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(coroutine)
    return asyncio.run(coroutine)


def run_fixed(
    host: str, port: int, requests: Sequence[bytes], *, clients: int, keep_bodies: bool = False
) -> LoadResult:
    """Send every request once, `clients` at a time; bodies come back in request order."""
    return _run(_drive(host, port, requests, clients=clients, keep_bodies=keep_bodies))


def run_timed(host: str, port: int, request: bytes, *, clients: int, seconds: float) -> LoadResult:
    """Send the same request over and over, `clients` at a time, for `seconds`."""
    return _run(_drive(host, port, request, clients=clients, seconds=seconds))
