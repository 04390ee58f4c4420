"""Dropping interactions that can no longer be answered in time.

Discord refuses a first answer later than 3 s after an interaction was created. When a
burst puts the bot behind, handling an interaction that already waited that long only
delays the ones queued behind it, which then miss the deadline too: the bot would stay
behind until the burst ends. Dropping those lets it catch up at once.

How long an interaction waited is its creation time (in its snowflake id, Discord's
clock) subtracted from the bot's clock. The two clocks may disagree by seconds on a badly
synchronised host: the smallest age seen over the last ten minutes (a moment when
nothing was queued) is taken as that offset and removed, so a skewed clock never makes
the bot drop everything.
"""

from __future__ import annotations

from collections import deque

STALE_AFTER_S = 2.5  # the answer needs some time too; past this it cannot make 3 s
WINDOW_S = 600.0
BUCKET_S = 60.0


class QueueAge:
    def __init__(self, *, window_s: float = WINDOW_S, bucket_s: float = BUCKET_S) -> None:
        self.bucket_s = bucket_s
        self.buckets: deque[list[float]] = deque(maxlen=max(1, int(window_s // bucket_s)))

    def waited(self, raw_age_s: float, monotonic_s: float) -> float:
        """Seconds this interaction waited, clock offset removed (never negative)."""
        bucket = monotonic_s // self.bucket_s
        if self.buckets and self.buckets[-1][0] == bucket:
            self.buckets[-1][1] = min(self.buckets[-1][1], raw_age_s)
        else:
            self.buckets.append([bucket, raw_age_s])
        baseline = min(b[1] for b in self.buckets)
        return max(0.0, raw_age_s - baseline)

    def is_stale(self, raw_age_s: float, monotonic_s: float) -> bool:
        return self.waited(raw_age_s, monotonic_s) > STALE_AFTER_S
