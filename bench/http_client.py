"""A minimal HTTP/1.1 client on kept-alive connections, for offering load in benchmarks.

General clients queue thousands of waiting requests in ways that cost more time than the
server under test spends; this one keeps a fixed set of connections and hands each request to
whichever is free, so the figures measure the server.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


class KeptAliveClient:
    """GET requests over `connections` persistent connections to one host."""

    def __init__(self, base_url: str, headers: dict[str, str], connections: int = 64) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.headers = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.size = connections
        self._free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )

    async def open(self) -> None:
        """Open the connections."""
        for _ in range(self.size):
            self._free.put_nowait(await asyncio.open_connection(self.host, self.port))

    async def close(self) -> None:
        """Close the connections."""
        while not self._free.empty():
            _, writer = self._free.get_nowait()
            writer.close()

    async def get(self, path: str) -> int:
        """Send GET `path` on a free connection; return the status (the body is read and dropped)."""
        request = f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.headers}\r\n".encode()
        return (await self._exchange(request))[0]

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        """Send a JSON POST on a free connection; return the status (the body is dropped)."""
        return (await self._exchange(self._post(path, body, headers)))[0]

    async def post_reading(
        self, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        """Send a JSON POST on a free connection; return the status and the body."""
        return await self._exchange(self._post(path, body, headers))

    def _post(self, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.headers}{extra}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        reader, writer = await self._free.get()
        try:
            writer.write(request)
            status_line = await reader.readline()
            if not status_line:  # the server closed a connection left idle: open it again
                writer.close()
                reader, writer = await asyncio.open_connection(self.host, self.port)
                writer.write(request)
                status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            return int(status_line.split()[1]), await reader.readexactly(length)
        finally:
            self._free.put_nowait((reader, writer))
