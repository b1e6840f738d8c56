"""Threat rules as plain functions: which cameras, when, which detections match, and for how long."""

from __future__ import annotations

import logging
import time as time_module
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, time

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.translation import gettext, ngettext
from shapely.geometry import Point, Polygon

from cameras.models import Camera
from core.geometry import box_overlap
from core.redis import redis_client
from core.vision import Detection
from events.models import RuleSnooze, ThreatRule

logger = logging.getLogger(__name__)


def rules_for_camera(camera: Camera, *, at: datetime | None = None) -> list[ThreatRule]:
    """The enabled rules that apply to ``camera``: all cameras, chosen ones, or its district; with ``at``
    (a frame's time), not those an operator snoozed on this camera until after it.

    With ``at`` (the detect path, once a frame) the answer comes from this process' cache while the
    rules' version in Redis is the one it was read under (see ``rules_changed``), at most
    ``RULES_CACHE_SECONDS``: one Redis read a frame instead of the rules' query.
    """
    if at is None:
        return _rules_query(camera)
    version = _rules_version()
    key = (camera.pk, camera.district)  # the camera row is read fresh for each batch: a new district is a new key
    cached = _rules_cache.get(key)
    if version is None or cached is None or cached[0] != version or _monotonic() - cached[1] > RULES_CACHE_SECONDS:
        rules = _rules_query(camera)
        snoozes = list(RuleSnooze.objects.filter(camera=camera, rule__in=rules).values_list("rule_id", "until"))
        cached = (version, _monotonic(), rules, snoozes)
        if version is not None:
            _rules_cache[key] = cached
    _, _, rules, snoozes = cached
    snoozed = {rule_id for rule_id, until in snoozes if until > at}
    return [rule for rule in rules if rule.pk not in snoozed]


def _rules_query(camera: Camera) -> list[ThreatRule]:
    scoped = (
        Q(scope=ThreatRule.Scope.ALL)
        | Q(scope=ThreatRule.Scope.CAMERAS, cameras=camera)
        | Q(scope=ThreatRule.Scope.DISTRICT, district__iexact=camera.district or None)
    )
    return list(ThreatRule.objects.filter(scoped, enabled=True).distinct())


# Safety net only: every change to a rule, its cameras or a snooze moves the version (``rules_changed``).
RULES_CACHE_SECONDS = 60.0
RULES_VERSION_KEY = "vigil:rules-version"
_rules_cache: dict[tuple[int, str], tuple[str | None, float, list[ThreatRule], list]] = {}
_monotonic = time_module.monotonic


def _rules_version() -> str | None:
    """The rules' current version (a token; a Redis that lost it gets a new one); None if Redis is away."""
    try:
        client = redis_client()
        version = client.get(RULES_VERSION_KEY)
        if version is None:
            client.set(RULES_VERSION_KEY, uuid.uuid4().hex, nx=True)
            version = client.get(RULES_VERSION_KEY)
    except Exception as exc:  # the cache is an optimisation: without Redis the rules are read each time
        logger.warning("rules version unreadable (%s): reading the rules from the database", exc)
        return None
    return version.decode() if isinstance(version, bytes) else version


def rules_changed() -> None:
    """A rule, its cameras or a snooze changed: every process reads the rules again.

    Moved now and again after the commit: a worker that read the old rows between the two would
    otherwise keep them under the new version.
    """

    def bump() -> None:
        try:
            redis_client().set(RULES_VERSION_KEY, uuid.uuid4().hex)
        except Exception as exc:
            logger.warning("rules version not moved (%s): workers follow within %ss", exc, RULES_CACHE_SECONDS)

    _rules_cache.clear()
    bump()
    transaction.on_commit(bump)


def rules_cache_forget() -> None:
    """Tests: rows roll back and ids are reused between tests."""
    _rules_cache.clear()


def rule_active_at(rule: ThreatRule, moment: datetime) -> bool:
    """Whether ``moment`` (in the site's time zone) is inside the rule's active hours."""
    return hours_contain(rule.active_from, rule.active_until, moment)


def hours_contain(start: time | None, end: time | None, moment: datetime) -> bool:
    """Whether ``moment`` (site time zone) is inside ``start``-``end``; no hours means always."""
    if start is None or end is None:
        return True
    now: time = timezone.localtime(moment).time()
    if start <= end:
        return start <= now < end
    return now >= start or now < end  # across midnight, e.g. 22:00-06:00


# A box this close to a border (fraction of the picture) touches the edge: boxes of people cut by the
# frame end 0.3-1.9 % short of it on the shared clips (docs: person down); 1 % let some of them through.
EDGE_MARGIN = 0.03
# Two sightings are one object when their boxes overlap at least this much (intersection over union).
SAME_OBJECT_IOU = 0.3
# A followed object not seen again within this long (or the camera's own frame spacing, if longer)
# is forgotten; seen later, its clock starts afresh.
SIGHTING_GAP_SECONDS = 2.5
# Sightings an object needs besides the time: two pictures far apart are not "seen for N seconds".
SIGHTINGS_MIN = 3
SIGHTINGS_MAX = 100  # objects one rule follows on one camera (a crowd rule follows the busiest few)
SIGHTINGS_CAP = 1_000_000  # hits kept per object: enough to say "many"


def rule_matches(
    rule: ThreatRule, detections: Iterable[Detection], *, frame_size: tuple[int, int] | None = None
) -> list[Detection]:
    """The detections the rule counts: right label, confident enough, standing in the zone, and of
    the box shape, size and place it asks for.

    ``frame_size`` (width, height in pixels) turns the normalised box into its real shape; without
    it the picture is taken as square.
    """
    labels = set(rule.labels)
    zone = Polygon(rule.zone) if rule.zone else None
    return [
        d
        for d in detections
        if (not labels or d.label in labels)
        and d.confidence >= rule.min_confidence
        and (zone is None or zone.covers(Point(d.foot)))
        and box_passes(rule, d.box, frame_size=frame_size)
    ]


def box_passes(
    rule: ThreatRule, box: tuple[float, float, float, float], *, frame_size: tuple[int, int] | None = None
) -> bool:
    """Whether a box has the shape, size and place the rule asks for (all pass by default)."""
    x1, y1, x2, y2 = box
    if rule.ignore_edge and min(x1, y1, 1 - x2, 1 - y2) <= EDGE_MARGIN:
        return False
    if (x2 - x1) * (y2 - y1) * 100 < rule.min_box_percent:
        return False
    if rule.box_shape == ThreatRule.BoxShape.ANY:
        return True
    width, height = frame_size or (1, 1)
    wide = (x2 - x1) * width > (y2 - y1) * height
    return wide if rule.box_shape == ThreatRule.BoxShape.LYING else not wide


def rule_fires(rule: ThreatRule, matched: list[Detection]) -> bool:
    return len(matched) >= rule.min_count


# --- Evidence over time (``sustain_seconds``) ------------------------------------------------------


@dataclass
class Sighting:
    """An object a rule follows on one camera: where it was first and last seen, since when, by which track."""

    box: tuple[float, float, float, float]  # the latest sighting
    since: float  # epoch seconds of the first sighting in this unbroken run
    seen: float  # epoch seconds of the latest sighting
    track: int | None = None
    detection: dict | None = None  # the latest matching detection (replayed on an unchanged picture)
    hits: int = 1  # frames it was seen on in this run
    anchor: tuple[float, float, float, float] | None = None  # the first sighting's box (None: ``box``)

    def __post_init__(self) -> None:
        if self.anchor is None:
            self.anchor = self.box

    def as_dict(self) -> dict:
        return {**asdict(self), "box": list(self.box), "anchor": list(self.anchor)}

    @classmethod
    def from_dict(cls, data: dict) -> Sighting:
        anchor = tuple(data["anchor"]) if data.get("anchor") else None
        return cls(tuple(data["box"]), float(data["since"]), float(data["seen"]), data.get("track"),
                   data.get("detection"), int(data.get("hits", 1)), anchor)  # fmt: skip


def sighting_gap_seconds(camera: Camera) -> float:
    """How long a followed object may go unseen: one missed picture, at the spacing the camera's frames
    come at (a stream is recorded every ``VIGIL_STREAM_RECORD_SECONDS``, a snapshot camera every interval)."""
    spacing = settings.STREAM_RECORD_SECONDS
    if camera.capture_mode != Camera.CaptureMode.STREAM:
        spacing = max(spacing, camera.capture_interval)
    return max(SIGHTING_GAP_SECONDS, 1.5 * spacing)


def same_object(sighting: Sighting, box: tuple[float, ...], track: int | None) -> float:
    """How well a box continues a sighting (its IoU), or 0 when it is another object.

    The box must overlap where the object was first seen in this run: someone down stays in place,
    while a person or a pram moving by drifts off within a second or two, even when each step
    overlaps the one before. When both come from a tracker the track ids must agree too (two people
    passing the same spot one after the other are two objects).
    """
    if sighting.track is not None and track is not None and sighting.track != track:
        return 0.0
    overlap = box_overlap(sighting.anchor, box)
    return overlap if overlap >= SAME_OBJECT_IOU else 0.0


def sightings_follow(
    previous: list[Sighting],
    found: list[tuple[Detection, int | None]],
    *,
    at: float,
    gap: float,
) -> list[Sighting]:
    """This frame's matching detections (with track ids where known) added to the objects followed.

    Each detection continues the best-overlapping object still remembered (one to one) or starts a
    new one; objects unseen for more than ``gap`` seconds are forgotten, so a run broken by a longer
    gap starts again from zero.
    """
    alive = [s for s in previous if at - s.seen <= gap]
    pairs = sorted(
        ((same_object(s, d.box, track), si, di) for si, s in enumerate(alive) for di, (d, track) in enumerate(found)),
        reverse=True,
    )
    taken_s: set[int] = set()
    taken_d: set[int] = set()
    followed: list[Sighting] = []
    for score, si, di in pairs:
        if score <= 0 or si in taken_s or di in taken_d:
            continue
        taken_s.add(si)
        taken_d.add(di)
        detection, track = found[di]
        before = alive[si]
        followed.append(Sighting(detection.box, before.since, at, track if track is not None else before.track,
                                 detection.as_dict(), min(before.hits + 1, SIGHTINGS_CAP), before.anchor))  # fmt: skip
    followed += [Sighting(d.box, at, at, track, d.as_dict()) for di, (d, track) in enumerate(found)
                 if di not in taken_d]  # fmt: skip
    followed += [s for si, s in enumerate(alive) if si not in taken_s]  # missed this frame, within the gap
    followed.sort(key=lambda s: (-s.seen, s.since))
    return followed[:SIGHTINGS_MAX]


def sightings_confirmed(sightings: list[Sighting], *, at: float, sustain: float) -> list[Sighting]:
    """The objects seen on this frame that have been seen, without a long gap, for ``sustain`` seconds
    and on at least ``SIGHTINGS_MIN`` frames."""
    return [s for s in sightings if s.seen == at and at - s.since >= sustain and s.hits >= SIGHTINGS_MIN]


# --- In plain words ----------------------------------------------------------------------------------


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return gettext("%(n)s h") % {"n": seconds // 3600}
    if seconds % 60 == 0 and seconds >= 60:
        return gettext("%(n)s min") % {"n": seconds // 60}
    return gettext("%(n)s s") % {"n": seconds}


def _number(value: float) -> str:
    return f"{value:g}".replace(".", get_format("DECIMAL_SEPARATOR"))


def rule_describe(rule: ThreatRule) -> str:
    """The rule in one or two sentences an operator can check against what they meant (in the user's language)."""
    severity = rule.get_severity_display().lower()
    what = gettext(" or ").join(rule.labels) if rule.labels else gettext("object (any label)")
    details = [gettext("confidence ≥ %(n)s") % {"n": _number(rule.min_confidence)}]
    if rule.box_shape == ThreatRule.BoxShape.LYING:
        details.append(gettext("lying: box wider than tall"))
    elif rule.box_shape == ThreatRule.BoxShape.STANDING:
        details.append(gettext("upright: box taller than wide"))
    if rule.ignore_edge:
        details.append(gettext("not at the picture's edge"))
    if rule.min_box_percent:
        details.append(gettext("at least %(n)s %% of the picture") % {"n": _number(rule.min_box_percent)})
    if rule.zone:
        details.append(gettext("standing in the zone"))
    seen = gettext("at least %(count)s %(what)s (%(details)s)") % {
        "count": rule.min_count, "what": what, "details": ", ".join(details)
    }  # fmt: skip
    if rule.sustain_seconds:
        seen += gettext(" is seen for %(time)s in a row, the same one each time") % {
            "time": _duration(rule.sustain_seconds)
        }
        if rule.hold_frames > 1:
            seen += gettext(" and on %(n)s processed frames in a row") % {"n": rule.hold_frames}
    elif rule.hold_frames > 1:
        seen += gettext(" is seen on %(n)s processed frames in a row") % {"n": rule.hold_frames}
    else:
        seen += gettext(" is seen on one frame")
    if rule.scope == ThreatRule.Scope.DISTRICT:
        where = gettext("on the cameras of district %(district)s") % {"district": rule.district}
    elif rule.scope == ThreatRule.Scope.CAMERAS:
        chosen = rule.cameras.count() if rule.pk else 0
        where = ngettext("on %(n)s chosen camera", "on %(n)s chosen cameras", chosen) % {"n": chosen}
    else:
        where = gettext("on any camera")
    when = gettext("at any time")
    if rule.active_from is not None and rule.active_until is not None:
        when = gettext("between %(start)s and %(end)s (site time)") % {
            "start": f"{rule.active_from:%H:%M}", "end": f"{rule.active_until:%H:%M}"
        }  # fmt: skip
    parts = {"severity": severity, "seen": seen, "where": where, "when": when}
    if severity[:1] in "aeiou":  # English's article; other languages say it their own way
        text = gettext("Opens an %(severity)s event when %(seen)s, %(where)s, %(when)s.") % parts
    else:
        text = gettext("Opens a %(severity)s event when %(seen)s, %(where)s, %(when)s.") % parts
    if rule.cooldown_seconds:
        text += " " + gettext("Seen again within %(time)s, the open event is updated instead.") % {
            "time": _duration(rule.cooldown_seconds)
        }
    if rule.escalate_after_minutes:
        text += " " + gettext("Escalated if still new after %(time)s.") % {
            "time": _duration(rule.escalate_after_minutes * 60)
        }
    if not rule.enabled:
        text = gettext("Switched off: opens nothing. When on: %(text)s") % {"text": text[0].lower() + text[1:]}
    return text
