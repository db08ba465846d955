"""Messages between the checker and a warm worker: length-prefixed JSON over a Unix stream socket, with file
descriptors passed alongside (SCM_RIGHTS). Both sides import this module; it needs only the standard library."""
from __future__ import annotations

import json
import os
import select
import socket
import struct
import time

_HEADER = struct.Struct("!I")
MAX_MESSAGE = 16 * 1024 * 1024
MAX_FDS = 4


class ConnectionGone(EOFError):
    """The other side closed the socket, or died."""


class Channel:
    """One end of the socket. Bytes read past the end of a message are kept for the next one."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._buffer = b""
        self._fds: list[int] = []

    def send(self, message: dict, fds: list[int] = ()) -> None:
        body = json.dumps(message).encode()
        data = _HEADER.pack(len(body)) + body
        sent = socket.send_fds(self.sock, [data], list(fds)) if fds else self.sock.send(data)
        if sent < len(data):
            self.sock.sendall(data[sent:])

    def receive(self, timeout: float | None = None) -> tuple[dict, list[int]]:
        """The next message and the descriptors sent with it. TimeoutError after `timeout` seconds;
        ConnectionGone at the end of the stream."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while (message := self._take()) is None:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                    raise TimeoutError("no message in time")
            data, fds, _, _ = socket.recv_fds(self.sock, 65536, MAX_FDS)
            self._fds += fds
            if not data:
                raise ConnectionGone("the other side closed the connection")
            self._buffer += data
        fds, self._fds = self._fds, []
        return message, fds

    def at_end(self) -> bool:
        """Whether the other side has closed the connection (never blocks)."""
        if not select.select([self.sock], [], [], 0)[0]:
            return False
        try:
            return self.sock.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def close(self) -> None:
        for fd in self._fds:
            close_quietly(fd)
        self._fds = []
        self.sock.close()

    def _take(self) -> dict | None:
        if len(self._buffer) < _HEADER.size:
            return None
        (length,) = _HEADER.unpack_from(self._buffer)
        if length > MAX_MESSAGE:
            raise ConnectionGone(f"a message of {length} bytes is too large: the stream is corrupt")
        end = _HEADER.size + length
        if len(self._buffer) < end:
            return None
        body, self._buffer = self._buffer[_HEADER.size:end], self._buffer[end:]
        return json.loads(body)


def close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
