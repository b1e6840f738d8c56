"""Threat rules as plain functions: which cameras, when, and which detections match."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time

from django.db.models import Q
from django.utils import timezone
from shapely.geometry import Point, Polygon

from cameras.models import Camera
from detection.detector import Detection
from events.models import ThreatRule


def rules_for_camera(camera: Camera) -> list[ThreatRule]:
    """The enabled rules that apply to ``camera``: all cameras, chosen ones, or its district."""
    scoped = (
        Q(scope=ThreatRule.Scope.ALL)
        | Q(scope=ThreatRule.Scope.CAMERAS, cameras=camera)
        | Q(scope=ThreatRule.Scope.DISTRICT, district__iexact=camera.district or None)
    )
    return list(ThreatRule.objects.filter(scoped, enabled=True).distinct())  # one query per frame


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


def rule_matches(rule: ThreatRule, detections: Iterable[Detection]) -> list[Detection]:
    """The detections the rule counts: right label, confident enough, standing in the zone."""
    labels = set(rule.labels)
    zone = Polygon(rule.zone) if rule.zone else None
    return [
        d
        for d in detections
        if (not labels or d.label in labels)
        and d.confidence >= rule.min_confidence
        and (zone is None or zone.covers(Point(d.foot)))
    ]


def rule_fires(rule: ThreatRule, matched: list[Detection]) -> bool:
    return len(matched) >= rule.min_count
