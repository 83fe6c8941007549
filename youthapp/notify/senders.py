"""Push senders behind one interface. Each serves some device platforms; the dispatcher
hands it one device's token and one message, and it says how that went."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PushMessage:
    """What goes to the phone: already worded (discreetly where it must be)."""

    notification_id: str
    kind: str
    title: str
    body: str
    data: dict[str, str]
    urgent: bool


class Outcome(enum.Enum):
    DELIVERED = "delivered"
    GONE = "gone"  # the token is no longer valid: stop sending to that device
    RETRY = "retry"  # a passing failure (timeout, 5xx, 429): try again later


class PushSender(Protocol):
    platforms: tuple[str, ...]

    def send(self, push_token: str, message: PushMessage) -> Outcome: ...


class RecordingSender:
    """Keeps what it was handed (for tests, benchmarks and a dry run)."""

    def __init__(self, platforms: tuple[str, ...] = ("ios", "android", "web")) -> None:
        self.platforms = platforms
        self.sent: list[tuple[str, PushMessage]] = []

    def send(self, push_token: str, message: PushMessage) -> Outcome:
        self.sent.append((push_token, message))
        return Outcome.DELIVERED
