"""The webhook events of a rescore: `account.stage_changed` and `account.risk_band_changed`.

Whatever rescores accounts under the live profile (a write's rescore, an import, a full or
partial recompute, the daily catch-up, a new profile version going live) reads their latest
standings before and after, in bulk, and emits one event per account whose stage or risk band
moved, in the rescore's transaction. An account scored for the first time has not changed and
gets none. When no endpoint wants either event, nothing is read: one query in all.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from accounts.models import Account
from config.bulk import id_chunks
from scoring.engine import Profile, Stage, WeekPoint
from scoring.models import ScoreSnapshot, ScoringProfile
from webhooks import events, outbox

STANDING_EVENTS = frozenset({events.STAGE_CHANGED, events.RISK_BAND_CHANGED})
BAND_ORDER = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True)
class Latest:
    """An account's latest weekly standing, as its snapshot stores it."""

    week_ending: datetime.date
    score: float
    stage: str
    decline_risk: float

    @classmethod
    def of(cls, point: WeekPoint) -> Latest:
        # Rounded as the snapshot stores them, so the band is the one the pages show.
        return cls(
            point.week_ending,
            round(point.score, 2),
            point.stage.value,
            round(point.decline_risk, 2),
        )


def latest_standings(*, profile_id: int, account_ids: Collection[int] | None) -> dict[int, Latest]:
    """The latest standing of each account (None: every account) under the profile: one
    query, or one per chunk of ids where the database limits a statement's parameters."""
    rows = ScoreSnapshot.objects.filter(profile_id=profile_id, is_latest=True).order_by()
    fields = ("account_id", "week_ending", "score", "stage", "decline_risk")
    if account_ids is None:
        return {row[0]: Latest(*row[1:]) for row in rows.values_list(*fields)}
    found: dict[int, Latest] = {}
    for part in id_chunks(list(account_ids), spare=2):
        chunk = rows.filter(account_id__in=part).values_list(*fields)
        found.update((row[0], Latest(*row[1:])) for row in chunk)
    return found


@dataclass
class StandingWatch:
    """Standings read before a rescore, to compare with the ones after it."""

    kinds: frozenset[str]
    profile: ScoringProfile
    before: dict[int, Latest]

    def emit(
        self,
        *,
        after: dict[int, Latest] | None = None,
        account_ids: Collection[int] | None = None,
        after_profile: ScoringProfile | None = None,
    ) -> int:
        """Emit the events of what moved; `after` as computed, or (None) read for
        `account_ids` (None: every account) under `after_profile` (default: the same
        profile). The number of events."""
        now_profile = after_profile or self.profile
        if after is None:
            after = latest_standings(profile_id=now_profile.pk, account_ids=account_ids)
        moves = _Moves(
            self.before, after, self.profile.engine_profile(), now_profile.engine_profile()
        )
        changed = moves.changed_ids()
        if not changed:
            return 0
        accounts = _accounts(changed)
        written = 0
        for kind in sorted(self.kinds):
            written += outbox.events_emit(
                kind=kind, payloads=moves.payloads(kind, accounts, now_profile.version)
            )
        return written


def standings_watch(
    *, profile: ScoringProfile, account_ids: Collection[int] | None
) -> StandingWatch | None:
    """Read the standings of `account_ids` (None: all) before a rescore under `profile`, if it
    is the live one and some endpoint wants to hear of moves; else None (one query)."""
    if not profile.is_active:
        return None
    kinds = outbox.kinds_wanted() & STANDING_EVENTS
    if not kinds:
        return None
    return StandingWatch(
        kinds, profile, latest_standings(profile_id=profile.pk, account_ids=account_ids)
    )


def _accounts(account_ids: list[int]) -> dict[int, dict[str, Any]]:
    """{id: {id, external_id, name}} of the accounts that moved (in chunks, as above)."""
    found: dict[int, dict[str, Any]] = {}
    for part in id_chunks(account_ids):
        rows = Account.objects.filter(pk__in=part).values_list("id", "external_id", "name")
        found.update((pk, {"id": pk, "external_id": ext, "name": name}) for pk, ext, name in rows)
    return found


@dataclass
class _Moves:
    before: dict[int, Latest]
    after: dict[int, Latest]
    bands_before: Profile
    bands_after: Profile

    def _pairs(self) -> Iterator[tuple[int, Latest, Latest]]:
        for account_id, now in self.after.items():
            was = self.before.get(account_id)
            if was is not None:
                yield account_id, was, now

    def _stage_moved(self, was: Latest, now: Latest) -> bool:
        return was.stage != now.stage

    def _band_moved(self, was: Latest, now: Latest) -> bool:
        return self.bands_before.risk_band(was.decline_risk) != self.bands_after.risk_band(
            now.decline_risk
        )

    def changed_ids(self) -> list[int]:
        return sorted(
            account_id
            for account_id, was, now in self._pairs()
            if self._stage_moved(was, now) or self._band_moved(was, now)
        )

    def payloads(
        self, kind: str, accounts: dict[int, dict[str, Any]], version: int
    ) -> Iterator[dict[str, Any]]:
        moved = self._stage_moved if kind == events.STAGE_CHANGED else self._band_moved
        for account_id, was, now in self._pairs():
            if account_id in accounts and moved(was, now):
                yield self._payload(kind, accounts[account_id], was, now, version)

    def _payload(
        self, kind: str, account: dict[str, Any], was: Latest, now: Latest, version: int
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "account": account,
            "profile_version": version,
            "before": _standing(was, self.bands_before),
            "after": _standing(now, self.bands_after),
        }
        if kind == events.STAGE_CHANGED:
            up = Stage(now.stage) > Stage(was.stage)
        else:
            up = BAND_ORDER[data["after"]["risk_band"]] > BAND_ORDER[data["before"]["risk_band"]]
        data["direction"] = "up" if up else "down"
        return data


def _standing(latest: Latest, bands: Profile) -> dict[str, Any]:
    return {
        "week_ending": latest.week_ending.isoformat(),
        "score": latest.score,
        "stage": latest.stage,
        "stage_label": Stage(latest.stage).label,
        "decline_risk": latest.decline_risk,
        "risk_band": bands.risk_band(latest.decline_risk),
    }
