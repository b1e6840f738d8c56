"""Writes about events."""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cameras.bursts import camera_burst_request
from cameras.frames import Frame
from cameras.models import Camera
from core import snapshots
from core.bounds import COUNTER_MAX, fit
from core.isolation import is_outage
from core.stored_text import StoredText, english, in_installation_language, is_stored, stored
from core.vision import Detection
from events import rules as threat_rules
from events.models import Event, EventAction, RuleStreak, ThreatRule
from events.signals import event_closed, event_opened, event_status_changed, event_updated

logger = logging.getLogger(__name__)


def _fits(field: str, text: str) -> str:
    """``text`` cut to the Event column's length: a long rule and camera name must not fail the insert."""
    return fit(text, Event._meta.get_field(field).max_length)


# --- Threat rules → detection events ---------------------------------------------------------


@transaction.atomic(savepoint=False)  # inside the frame's transaction (or a rule's savepoint)
def rules_apply(
    *,
    camera: Camera,
    frame: Frame,
    detections: list[Detection] | None,
    track_ids: list[int | None] | None = None,
    live: bool = False,
) -> list[Event]:
    """Run the camera's rules on one processed frame; returns the events opened or updated.

    Called once per frame (the caller's count sample makes a frame unique), so streaks and hit
    counts are never advanced twice by a redelivered task. ``track_ids`` (stream cameras: one per
    detection, None where untracked) tell rules that follow objects which boxes are the same one.
    ``detections`` None is a picture the motion gate found unchanged: only rules that follow
    objects over time run, on what they saw last (someone lying still does not move the picture).
    ``live``: the frame was just captured, so a rule may ask its camera for a burst of pictures.
    """
    touched = []
    for rule in threat_rules.rules_for_camera(camera, at=frame.captured_at):
        if detections is None and not rule.sustain_seconds:
            continue
        try:
            with transaction.atomic():  # a savepoint: a rule that fails takes back only its own writes
                event = _rule_apply(
                    rule=rule, camera=camera, frame=frame, detections=detections, track_ids=track_ids, live=live
                )
        except Exception as exc:
            if is_outage(exc):
                raise  # the database is away: the task retries the whole frame
            logger.exception(
                "threat rule #%s failed on a frame of camera #%s; the other rules go on", rule.pk, camera.pk
            )
            continue
        if event is not None:
            touched.append(event)
    return touched


def _rule_apply(
    *,
    rule: ThreatRule,
    camera: Camera,
    frame: Frame,
    detections: list[Detection] | None,
    track_ids: list[int | None] | None = None,
    live: bool = False,
) -> Event | None:
    if rule.sustain_seconds:
        return _sustained_rule_apply(
            rule=rule, camera=camera, frame=frame, detections=detections, track_ids=track_ids, live=live
        )
    matched = []
    if threat_rules.rule_active_at(rule, frame.captured_at):
        matched = threat_rules.rule_matches(rule, detections, frame_size=(frame.width, frame.height))
    firing = threat_rules.rule_fires(rule, matched)
    if _streak_advance(rule=rule, camera=camera, captured_at=frame.captured_at, matched=firing) < rule.hold_frames:
        return None
    return event_open_or_update(camera=camera, rule=rule, frame=frame, detections=detections, matched=matched)


def _streak_advance(*, rule: ThreatRule, camera: Camera, captured_at: datetime, matched: bool) -> int:
    """Count matching frames in a row; the row lock also serialises event writes per rule and camera."""
    if not matched:
        # The common case on a quiet camera: at most one UPDATE, no row created, nothing when already 0.
        RuleStreak.objects.filter(rule=rule, camera=camera, streak__gt=0, last_frame_at__lte=captured_at).update(
            streak=0, last_frame_at=captured_at
        )
        return 0
    streak, _ = RuleStreak.objects.select_for_update().get_or_create(
        rule=rule, camera=camera, defaults={"last_frame_at": captured_at}
    )
    if captured_at < streak.last_frame_at:
        # A late, older frame (another worker's batch) does not move the streak.
        return streak.streak
    streak.streak = min(streak.streak + 1, COUNTER_MAX)
    streak.last_frame_at = captured_at
    streak.save(update_fields=["streak", "last_frame_at"])
    return streak.streak


def _sustained_rule_apply(
    *,
    rule: ThreatRule,
    camera: Camera,
    frame: Frame,
    detections: list[Detection] | None,
    track_ids: list[int | None] | None,
    live: bool,
) -> Event | None:
    """A rule with ``sustain_seconds``: it fires only for objects that matched that long, one by one.

    The objects followed live on the rule's streak row (locked: one detect worker at a time), so
    frames of one camera handled by several workers build one history; a late, older frame moves
    nothing and opens nothing. On an interval camera, a new suspicion asks for a burst of pictures
    so it is confirmed or dropped within seconds, not after several intervals.
    """
    at = frame.captured_at
    state = RuleStreak.objects.select_for_update().filter(rule=rule, camera=camera).first()
    if detections is None:  # an unchanged picture still shows what the last processed one showed
        if state is None or at <= state.last_frame_at:
            return None
        last = state.last_frame_at.timestamp()
        found = [
            (Detection.from_dict(s.detection), s.track)
            for s in map(threat_rules.Sighting.from_dict, state.sightings)
            if abs(s.seen - last) < 1e-3 and s.detection  # seen on it (times went through JSON)
        ]
    else:
        ids = track_ids if track_ids is not None and len(track_ids) == len(detections) else [None] * len(detections)
        track_of = {id(d): track for d, track in zip(detections, ids, strict=True)}
        matched = []
        if threat_rules.rule_active_at(rule, at):
            matched = threat_rules.rule_matches(rule, detections, frame_size=(frame.width, frame.height))
        found = [(d, track_of[id(d)]) for d in matched]
    if state is None:
        if not found:
            return None  # a quiet camera: no row, no write
        state, _ = RuleStreak.objects.select_for_update().get_or_create(
            rule=rule, camera=camera, defaults={"last_frame_at": at}
        )
    elif at < state.last_frame_at:
        return None  # a late, older frame (another worker's batch)
    elif not found and not state.sightings and not state.streak:
        return None  # nothing followed, nothing seen: nothing to write
    moment = at.timestamp()
    previous = [threat_rules.Sighting.from_dict(s) for s in state.sightings]
    followed = threat_rules.sightings_follow(previous, found, at=moment, gap=threat_rules.sighting_gap_seconds(camera))
    state.streak = min(state.streak + 1, COUNTER_MAX) if threat_rules.rule_fires(rule, [d for d, _ in found]) else 0
    state.last_frame_at = at
    state.sightings = [s.as_dict() for s in followed]
    state.save(update_fields=["streak", "last_frame_at", "sightings"])
    confirmed = threat_rules.sightings_confirmed(followed, at=moment, sustain=rule.sustain_seconds)
    if live and detections is not None and len(confirmed) < len([s for s in followed if s.seen == moment]):
        # Something is suspected but not confirmed yet: look again soon (a no-op on other cameras).
        transaction.on_commit(lambda: camera_burst_request(camera=camera, seconds=rule.sustain_seconds))
    if state.streak < rule.hold_frames or len(confirmed) < rule.min_count:
        return None
    this_frame = {d.box: d for d, _ in found}
    evidence = [this_frame[s.box] for s in confirmed if s.box in this_frame]
    shown = detections if detections is not None else [d for d, _ in found]
    return event_open_or_update(camera=camera, rule=rule, frame=frame, detections=shown, matched=evidence)


@transaction.atomic(savepoint=False)  # inside the frame's transaction (or a rule's savepoint)
def event_open_or_update(
    *,
    camera: Camera,
    rule: ThreatRule,
    frame: Frame,
    detections: list[Detection],
    matched: list[Detection],
) -> Event:
    """Update the rule's open event on this camera if seen within the cooldown, else open a new one."""
    captured_at = frame.captured_at
    event = (
        Event.objects.select_for_update()
        .filter(camera=camera, rule=rule, status__in=Event.OPEN_STATUSES)
        .order_by("-last_seen")
        .first()
    )
    if event is not None and captured_at - event.last_seen <= timedelta(seconds=rule.cooldown_seconds):
        event.camera = camera  # the broadcast names the camera; no query for what is in hand
        better = _evidence_better(event, matched)
        event.hit_count = min(event.hit_count + 1, COUNTER_MAX)
        event.peak_count = max(event.peak_count, len(matched))
        event.last_seen = max(event.last_seen, captured_at)
        fields = ["hit_count", "peak_count", "last_seen", "updated_at"]
        if better:
            _evidence_attach(event, rule=rule, frame=frame, detections=detections, matched=matched)
            fields += ["snapshot", "annotated_snapshot", "snapshot_at", "detections"]
        event.save(update_fields=fields)
        event_updated.send(sender=Event, event=event)
        return event

    label = Counter(d.label for d in matched).most_common(1)[0][0] if matched else ",".join(rule.labels)
    event = Event(
        kind=Event.Kind.DETECTION,
        camera=camera,
        rule=rule,
        label=_fits("label", label),
        title=_fits("title", f"{rule.name}: {camera.name}"),
        severity=rule.severity,
        latitude=camera.latitude,
        longitude=camera.longitude,
        danger_radius_m=rule.danger_radius_m,
        first_seen=captured_at,
        last_seen=captured_at,
        hit_count=1,
        peak_count=len(matched),
        recommended_actions=rule.recommended_actions,
    )
    event.save()  # the snapshot's file name carries the event's id
    _evidence_attach(event, rule=rule, frame=frame, detections=detections, matched=matched)
    event.save(update_fields=["snapshot", "annotated_snapshot", "snapshot_at", "detections"])
    # Only an opening notifies (notifications listens): the updates that follow (one per matching frame) do not.
    event_opened.send(sender=Event, event=event)
    return event


# A frame with as many matches replaces the evidence only when its matches are this much surer together:
# confidences flicker from frame to frame, and each replacement writes and encodes two pictures.
EVIDENCE_CONFIDENCE_GAIN = 1.05


def _evidence_better(event: Event, matched: list[Detection]) -> bool:
    """Whether this frame is better evidence than the event's snapshot: more matched objects, or as many
    matched with surer boxes. The event keeps its best picture (as Frigate's best snapshot), not the newest,
    so an open event's updates usually write no files."""
    kept = [d for d in event.detections or () if d.get("matched")]
    if len(matched) != len(kept):
        return len(matched) > len(kept)
    kept_confidence = sum(float(d.get("confidence", 0)) for d in kept)
    return sum(d.confidence for d in matched) > kept_confidence * EVIDENCE_CONFIDENCE_GAIN


def _evidence_attach(
    event: Event, *, rule: ThreatRule, frame: Frame, detections: list[Detection], matched: list[Detection]
) -> None:
    """Make this frame the event's snapshot pair (old files are removed: storage stays bounded).

    The plain snapshot is the camera's own JPEG, full size and not re-encoded; the annotated copy
    is drawn on the picture the detector saw.
    """
    matched_ids = {id(d) for d in matched}
    others = [d for d in detections if id(d) not in matched_ids]
    pictures = (event.snapshot, event.annotated_snapshot)
    before = [f.name for f in pictures]
    old = [(f.storage, f.name) for f in pictures if f]
    stamp = frame.captured_at.strftime("%Y%m%d-%H%M%S-%f")
    # Named by ids, never by names: a later camera or event with the same name never meets these files.
    base = f"camera-{event.camera_id}/{event.pk}-{stamp}"
    try:
        event.snapshot.save(f"{base}.jpg", ContentFile(frame.jpeg), save=False)
        annotated = snapshots.annotate(frame.image, matched=matched, others=others, zone=rule.zone)
        event.annotated_snapshot.save(f"{base}-annotated.jpg", snapshots.jpeg_file(annotated), save=False)
    except OSError as exc:
        # A full disk costs the pictures, never the event: it opens (or goes on) and notifies without them.
        for picture, name in zip(pictures, before, strict=True):
            if picture.name and picture.name != name:  # the half of a pair that was written goes
                with contextlib.suppress(OSError):
                    picture.storage.delete(picture.name)
            picture.name = name
        logger.error("the pictures of event #%s could not be written, it keeps %s: %s", event.pk,
                     "its earlier ones" if old else "none", exc)  # fmt: skip
        return
    # Old files are deleted after the commit: a rolled-back update must keep pointing at files.
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in old])
    event.snapshot_at = frame.captured_at
    event.detections = [{**d.as_dict(), "matched": id(d) in matched_ids} for d in detections]


# --- System events ---------------------------------------------------------------------------


@transaction.atomic
def event_open_system(
    *,
    camera: Camera,
    label: str,
    title: str | StoredText,
    detail: str,
    severity: str,
    recommended_actions: str | StoredText = "",
) -> Event:
    """Open a system event for ``camera`` unless one with ``label`` is already open (raised once).

    A title or actions given as a stored text (``core.stored_text``) are shown in each reader's language.
    """
    now = timezone.now()
    existing = (
        Event.objects.select_for_update()
        .filter(camera=camera, kind=Event.Kind.SYSTEM, label=label, status__in=Event.OPEN_STATUSES)
        .first()
    )
    if existing is not None:
        existing.last_seen, existing.detail = now, detail
        existing.save(update_fields=["last_seen", "detail", "updated_at"])
        return existing
    event = Event.objects.create(
        kind=Event.Kind.SYSTEM,
        camera=camera,
        label=_fits("label", label),
        title=_fits("title", english(title)),
        detail=detail,
        severity=severity,
        latitude=camera.latitude,
        longitude=camera.longitude,
        first_seen=now,
        last_seen=now,
        recommended_actions=english(recommended_actions),
        texts=_texts(title=title, recommended_actions=recommended_actions),
    )
    event_opened.send(sender=Event, event=event)
    return event


def _texts(**fields: str | StoredText) -> dict[str, StoredText]:
    """The ``texts`` of a row: those of ``fields`` given as stored texts."""
    return {name: value for name, value in fields.items() if is_stored(value)}


@transaction.atomic
def event_close_system(*, camera: Camera, label: str, note: str | StoredText) -> int:
    """Resolve the open system events ``label`` of ``camera``; returns how many were closed.

    Each close is written in the event's history as operators' steps are (no user: Vigil did it),
    so the history explains every status the event had.
    """
    now = timezone.now()
    events = list(
        Event.objects.select_for_update().filter(
            camera=camera, kind=Event.Kind.SYSTEM, label=label, status__in=Event.OPEN_STATUSES
        )
    )
    for event in events:
        event.camera = camera
        previous = event.status
        event.status, event.resolution_note, event.resolved_at, event.last_seen = (
            Event.Status.RESOLVED, english(note), now, now
        )  # fmt: skip
        event.texts = {**event.texts, **_texts(resolution_note=note)}
        event.save(update_fields=["status", "resolution_note", "resolved_at", "last_seen", "texts", "updated_at"])
        said = stored("resolved_by_vigil", note=note)
        EventAction.objects.create(
            event=event, action=EventAction.Action.RESOLVE, from_status=previous, to_status=event.status, user=None,
            note=english(said), texts={"note": said},
        )  # fmt: skip
        event_status_changed.send(sender=Event, event=event, previous=previous, user=None)
        event_closed.send(sender=Event, event=event, user=None)
    return len(events)


# --- Demo ------------------------------------------------------------------------------------

_DEMO_RULES = [
    {
        "name": _("Crowd building up"),
        "labels": ["person"],
        "min_count": 10,
        "min_confidence": 0.4,
        "hold_frames": 2,
        "severity": Event.Severity.HIGH,
        "danger_radius_m": 150,
        "cooldown_seconds": 600,
        "recommended_actions": _(
            "1. Check the live picture for pushing or blocked exits.\n"
            "2. Ask station staff to open extra gates.\n3. Dispatch crowd stewards if it keeps growing."
        ),
    },
    {
        # Measured on the shared clips (docs: person down): the model's Fall class fires on walkers, prams
        # and people cut by the frame edge, up to 0.75 confident, so confidence alone separates nothing;
        # no lying box clear of the edge was seen at any confidence. On people lying down (rotated
        # frames) the Fall class gives 0.25-0.67: 0.4 keeps about half of those frames.
        "name": _("Person down"),
        "labels": ["person_down"],
        "min_confidence": 0.4,
        "box_shape": ThreatRule.BoxShape.LYING,
        "ignore_edge": True,
        "min_box_percent": 0.5,
        "sustain_seconds": 3,
        "hold_frames": 1,
        "severity": Event.Severity.CRITICAL,
        "danger_radius_m": 50,
        "cooldown_seconds": 300,
        "escalate_after_minutes": 5,
        "recommended_actions": _(
            "1. Look at the snapshot: is someone lying on the ground?\n"
            "2. Call emergency medical services with the camera's address.\n3. Send the nearest patrol."
        ),
    },
    {
        "name": _("After-hours presence"),
        "labels": ["person"],
        "min_confidence": 0.5,
        "severity": Event.Severity.MEDIUM,
        "danger_radius_m": 30,
        "active_from": "22:00",
        "active_until": "06:00",
        "scope": ThreatRule.Scope.DISTRICT,
        "district": "Centre",
        "recommended_actions": _(
            "1. Check whether cleaning or security staff are scheduled.\n"
            "2. If not, send a patrol and keep the camera on screen."
        ),
    },
]


@transaction.atomic
def rule_demo_seed() -> list[ThreatRule]:
    """Create example threat rules once (demo installs); returns those created now.

    Written in the installation's language (``VIGIL_LANGUAGE``): once seeded they are the operators' rules,
    to edit like any other, not texts of Vigil's to translate for each reader."""
    if ThreatRule.objects.exists():
        return []
    created = []
    for values in _DEMO_RULES:
        rule = ThreatRule(**in_installation_language(values))
        rule.full_clean()
        rule.save()
        created.append(rule)
    return created


# What a newcomer's demo cameras show is people walking about: the rules above may not fire on it
# within minutes (10+ people is rare there, nobody lies down, after hours is at night). Like Frigate's
# default of an event per person seen, this rule shows the event workflow at once, on the demo cameras
# only: one event per camera, updated while people stay in view, a new one after 15 minutes.
DEMO_CAMERAS_RULE = {
    "name": _("People in view (demo)"),
    "labels": ["person"],
    "min_confidence": 0.5,
    "hold_frames": 1,
    "severity": Event.Severity.LOW,
    "danger_radius_m": 20,
    "cooldown_seconds": 900,
    "recommended_actions": _(
        "1. This demo rule opens an event whenever a demo camera sees someone: try "
        "acknowledging, dispatching and resolving it.\n2. Disable it in the admin (Threat rules) when you add "
        "your own cameras."
    ),
}


@transaction.atomic
def rule_demo_cameras_seed(cameras: list[Camera]) -> ThreatRule | None:
    """The demo's own rule on ``cameras`` (just created as demo cameras); None if it exists already."""
    values = in_installation_language(DEMO_CAMERAS_RULE)
    if not cameras or ThreatRule.objects.filter(name=values["name"]).exists():
        return None
    rule = ThreatRule(**values, scope=ThreatRule.Scope.CAMERAS)
    rule.full_clean()
    rule.save()
    rule.cameras.set(cameras)
    return rule
