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
REPORT_MAX = 1024 * 1024  # one report message from the harness; anything longer is not ours
REPORT_KINDS = frozenset({"started", "findings", "crash", "missing_entry_points", "no_model", "predictions", "done"})
TRACE_KINDS = frozenset({"started", "finding", "probe_error", "done"})  # the tracer's (checker.child.tracer)
MAX_REPEATS = 100  # messages of one repeatable kind in a run; more is a flood


def report_frame(message: dict) -> bytes:
    """One message of the harness's report pipe: a 4-byte length, then the JSON body (which holds the nonce)."""
    body = json.dumps(message, default=str).encode()
    return _HEADER.pack(len(body)) + body


class ReportTampered(ValueError):
    """The report pipe held something the harness never writes: a byte out of frame, a forged or repeated
    message. The run's evidence cannot be trusted."""


def read_report(stream, nonce: str, kinds: frozenset = REPORT_KINDS, repeatable: frozenset = frozenset()):
    """Yield the child's messages from `stream` (a binary file) until its end, reading at most REPORT_MAX
    bytes at a time. Raises ReportTampered at the first thing that is not one of this run's messages: a kind not
    in `kinds`, or one sent twice (those in `repeatable`, up to MAX_REPEATS times)."""
    seen, repeats = set(), 0
    while header := stream.read(_HEADER.size):
        if len(header) < _HEADER.size:
            raise ReportTampered("the report ended in the middle of a message")
        (length,) = _HEADER.unpack(header)
        if length > REPORT_MAX:
            raise ReportTampered(f"a report message of {length:,} bytes (out of frame, or flooded)")
        body = stream.read(length)
        if len(body) < length:
            raise ReportTampered("the report ended in the middle of a message")
        try:
            message = json.loads(body)
        except ValueError:
            raise ReportTampered("an unreadable report message") from None
        if not isinstance(message, dict) or message.pop("nonce", None) != nonce:
            raise ReportTampered("a report message without this run's nonce")
        kind = message.get("kind")
        if kind not in kinds or (kind in seen and kind not in repeatable):
            raise ReportTampered(f"an unexpected report message ({str(kind)[:40]!r})")
        repeats += kind in repeatable
        if repeats > MAX_REPEATS:
            raise ReportTampered("too many report messages")
        seen.add(kind)
        yield message


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

    def readable(self) -> bool:
        """Whether a message (or the end of the stream) is waiting (never blocks)."""
        return bool(self._buffer) or bool(select.select([self.sock], [], [], 0)[0])

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
