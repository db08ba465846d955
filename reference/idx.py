"""Reading and writing MNIST's IDX format (big-endian header, then raw uint8 data)."""
from __future__ import annotations

import gzip
import io
import struct
from pathlib import Path

import numpy as np

_IMAGE_MAGIC = 0x00000803  # uint8, 3 dimensions
_LABEL_MAGIC = 0x00000801  # uint8, 1 dimension


def encode_idx(array: np.ndarray) -> bytes:
    """IDX bytes for a uint8 array of images (N, 28, 28) or labels (N,)."""
    if array.dtype != np.uint8:
        raise ValueError(f"IDX data must be uint8, got {array.dtype}")
    magic = {3: _IMAGE_MAGIC, 1: _LABEL_MAGIC}.get(array.ndim)
    if magic is None:
        raise ValueError(f"IDX arrays here have 1 or 3 dimensions, got {array.ndim}")
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array).tobytes()


def decode_idx(data: bytes) -> np.ndarray:
    """The uint8 array stored in IDX bytes."""
    (magic,) = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    if magic >> 8 != 0x08 or ndim not in (1, 3):
        raise ValueError(f"not an uint8 IDX file (magic {magic:#010x})")
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip: no file name and a zero timestamp, so the same input gives the same bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as stream:
        stream.write(data)
    return buffer.getvalue()


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial-{id(data):x}")
    partial.write_bytes(data)
    partial.replace(path)
