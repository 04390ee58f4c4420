"""REST call recording and fault injection for the emulated Discord."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Discord-like error bodies for the statuses a fault may inject.
_DEFAULT_ERRORS: dict[int, tuple[int, str]] = {
    400: (50035, "Invalid Form Body"),
    401: (0, "401: Unauthorized"),
    403: (50013, "Missing Permissions"),
    404: (10003, "Unknown Channel"),
    500: (0, "500: Internal Server Error"),
    502: (0, "502: Bad Gateway"),
    503: (0, "503: Service Unavailable"),
    504: (0, "504: Gateway Timeout"),
}


@dataclass
class UploadedFile:
    """A file part received in a multipart request."""

    field: str
    filename: str
    data: bytes
    content_type: str | None = None


@dataclass
class Call:
    """One REST request the client made, and what the emulator answered."""

    method: str
    path: str
    route: str | None
    json: Any
    files: list[UploadedFile]
    query: dict[str, str]
    status: int = 0
    response: Any = None
    timestamp: float = 0.0
    reason: str | None = None
    injected: bool = False

    @property
    def file_names(self) -> list[str]:
        return [f.filename for f in self.files]

    def __repr__(self) -> str:
        return f"<Call {self.method} {self.path} -> {self.status}{' (injected)' if self.injected else ''}>"


class CallLog(list[Call]):
    """The list of recorded calls with filtering helpers."""

    def filter(
        self,
        method: str | None = None,
        route: str | None = None,
        path: str | None = None,
        status: int | None = None,
    ) -> list[Call]:
        """Calls matching all given criteria. ``path`` is a regex searched in the path."""
        out: list[Call] = []
        for c in self:
            if method and c.method != method.upper():
                continue
            if route and c.route != route:
                continue
            if path and not re.search(path, c.path):
                continue
            if status is not None and c.status != status:
                continue
            out.append(c)
        return out

    def last(self, method: str | None = None, route: str | None = None) -> Call:
        found = self.filter(method, route)
        if not found:
            raise LookupError(f"no recorded call {method or '*'} {route or '*'}")
        return found[-1]

    def routes(self) -> list[str]:
        return [f"{c.method} {c.route or c.path}" for c in self]

    @property
    def unknown(self) -> list[Call]:
        """Calls that hit no emulated route (they were answered 404)."""
        return [c for c in self if c.route is None]


@dataclass
class Fault:
    """An injected failure applied to matching REST requests."""

    method: str
    path_regex: str
    status: int = 429
    retry_after: float = 0.2
    times: int = 1
    code: int | None = None
    global_: bool = False
    message: str | None = None
    via: bool = True
    hits: int = 0
    _pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._pattern = re.compile(self.path_regex)

    def matches(self, method: str, path: str) -> bool:
        if self.times >= 0 and self.hits >= self.times:
            return False
        if self.method not in ("*", method.upper()):
            return False
        return self._pattern.search(path) is not None

    @property
    def exhausted(self) -> bool:
        return self.times >= 0 and self.hits >= self.times

    def build(self) -> tuple[int, dict[str, str], dict[str, Any]]:
        """Status, headers and JSON body of the injected response."""
        headers: dict[str, str] = {}
        if self.status == 429:
            reset_after = f"{self.retry_after:.3f}"
            if self.via:
                headers["Via"] = "1.1 google"
            headers.update(
                {
                    "Retry-After": str(max(1, round(self.retry_after))),
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset-After": reset_after,
                    "X-RateLimit-Bucket": "emulated-" + format(abs(hash(self.path_regex)), "x"),
                    "X-RateLimit-Scope": "global" if self.global_ else "user",
                }
            )
            if self.global_:
                headers["X-RateLimit-Global"] = "true"
            body: dict[str, Any] = {
                "message": self.message or "You are being rate limited.",
                "retry_after": self.retry_after,
                "global": self.global_,
            }
            if self.code is not None:
                body["code"] = self.code
            return 429, headers, body
        default_code, default_message = _DEFAULT_ERRORS.get(self.status, (0, "Error"))
        body = {
            "message": self.message or default_message,
            "code": self.code if self.code is not None else default_code,
        }
        return self.status, headers, body
