"""factory_boy factories for the events app: threat rules and events with only what a test names set.

``ThreatRuleFactory()`` saves a rule through ``full_clean()`` (as the admin does: a test cannot rely on
a rule the form would refuse); ``ThreatRuleFactory.build()`` makes one without the database, for the
rule-matching functions. ``EventFactory()`` is an open system event on a fresh camera, written as a row
(no signals): for tests of what is done *to* an event; tests of how events open call the services.
"""

from __future__ import annotations

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from cameras.tests.factories import CameraFactory
from events.models import Event, ThreatRule


class ThreatRuleFactory(DjangoModelFactory):
    class Meta:
        model = ThreatRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    labels = factory.LazyFunction(lambda: ["person"])
    min_confidence = 0.3

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        rule = model_class(*args, **kwargs)
        rule.full_clean()
        rule.save()
        return rule


class EventFactory(DjangoModelFactory):
    class Meta:
        model = Event

    kind = Event.Kind.SYSTEM
    camera = factory.SubFactory(CameraFactory)
    label = "camera_offline"
    title = factory.LazyAttribute(lambda event: f"{event.camera.name} offline")
    severity = "high"
    latitude = factory.SelfAttribute("camera.latitude")
    longitude = factory.SelfAttribute("camera.longitude")
    first_seen = factory.LazyFunction(timezone.now)
    last_seen = factory.SelfAttribute("first_seen")
