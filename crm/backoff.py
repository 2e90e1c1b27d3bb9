"""The one backoff rule of the project: double from a base delay on each attempt, up to a cap.

Verification retries, monitoring re-checks and alert deliveries all wait this way; each adds its own
jitter where many waiters must not come back in the same second.
"""

from __future__ import annotations

from datetime import timedelta


def doubling_delay(attempt: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """`base` before attempt 1 (and 0), twice that before attempt 2, and so on, never more than `cap`."""
    return min(base * 2 ** max(attempt - 1, 0), cap)
