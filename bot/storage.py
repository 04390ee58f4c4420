"""Content-addressed file store: bytes are kept once, under their SHA-256.

The interface is small on purpose so that an S3-compatible bucket can replace the local
directory without touching callers.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol


class BlobStore(Protocol):
    """What the document service needs from a store. An S3-compatible bucket implements
    the same four methods with the hash as the object key."""

    async def put(self, data: bytes) -> str: ...
    async def get(self, sha256: str) -> bytes: ...
    async def exists(self, sha256: str) -> bool: ...
    async def delete(self, sha256: str) -> None: ...


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_digest(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 digest")
    return sha256


class LocalBlobStore:
    """Files under ``root/ab/cd/<sha256>``; written atomically (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        sha256 = _check_digest(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _put_sync(self, data: bytes) -> str:
        digest = sha256_of(data)
        path = self.path_for(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    async def put(self, data: bytes) -> str:
        return await asyncio.to_thread(self._put_sync, data)

    async def get(self, sha256: str) -> bytes:
        path = self.path_for(sha256)
        return await asyncio.to_thread(path.read_bytes)

    async def exists(self, sha256: str) -> bool:
        try:
            return self.path_for(sha256).exists()
        except ValueError:
            return False

    async def delete(self, sha256: str) -> None:
        """Forget a blob (only used to undo a write whose database transaction failed)."""
        try:
            path = self.path_for(sha256)
        except ValueError:
            return
        path.unlink(missing_ok=True)
