import pytest

from events.models import ThreatRule
from events.services import rule_demo_seed


@pytest.mark.django_db
def test_demo_rules_are_valid_and_created_once():
    created = rule_demo_seed()

    assert {r.name for r in created} == {"Crowd building up", "Person down", "After-hours presence"}
    assert all(r.recommended_actions for r in created)
    assert ThreatRule.objects.get(name="Person down").labels == ["person_down"]
    assert rule_demo_seed() == []
