"""Content-addressed blob store: the bytes of every file the library keeps, named by SHA-256.

``BlobStore`` is the interface the document service needs; ``LocalBlobStore`` keeps blobs in
a directory (``ab/cd/abcd...``). An S3-compatible bucket would implement the same four
methods (key = the hash) without anything else changing.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BlobNotFound(KeyError):
    pass


class BlobStore(Protocol):
    async def put(self, data: bytes) -> str: ...

    async def get(self, sha256: str) -> bytes: ...

    async def exists(self, sha256: str) -> bool: ...

    async def delete(self, sha256: str) -> None: ...


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LocalBlobStore:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path_of(self, sha256: str) -> Path:
        # The name is a hash we computed; anything else (a path trick) never reaches the disk.
        if not _SHA256.match(sha256):
            raise BlobNotFound(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _put(self, data: bytes) -> str:
        sha = sha256_of(data)
        path = self.path_of(sha)
        if path.exists():
            return sha
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a crash never leaves a truncated blob under its final name.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def _get(self, sha256: str) -> bytes:
        try:
            return self.path_of(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise BlobNotFound(sha256) from exc

    async def put(self, data: bytes) -> str:
        return await asyncio.to_thread(self._put, data)

    async def get(self, sha256: str) -> bytes:
        return await asyncio.to_thread(self._get, sha256)

    async def exists(self, sha256: str) -> bool:
        try:
            return self.path_of(sha256).exists()
        except BlobNotFound:
            return False

    async def delete(self, sha256: str) -> None:
        try:
            self.path_of(sha256).unlink(missing_ok=True)
        except BlobNotFound:
            return
