"""What a first run creates, so that a newcomer sees Vigil working without any setup."""

import pytest
from django.core.management import call_command

from cameras.models import Camera
from events.models import ThreatRule
from flow.models import CountingLine
from system.services import demo_seed


@pytest.mark.django_db
def test_the_demo_has_a_stream_camera_with_a_counting_line_and_rules_that_fire_on_its_cameras(settings, media_dir):
    settings.DEMO_MEDIA = media_dir
    settings.SOURCE_FOLDERS = [*settings.SOURCE_FOLDERS, media_dir]
    said = demo_seed()

    concourse = Camera.objects.get(source_url__endswith="/concourse.mp4")
    assert concourse.capture_mode == Camera.CaptureMode.STREAM
    assert set(Camera.objects.exclude(pk=concourse.pk).values_list("capture_mode", flat=True)) == {"interval"}
    [line] = CountingLine.objects.all()
    assert line.camera == concourse and line.enabled
    demo = ThreatRule.objects.get(name="People in view (demo)")
    assert demo.scope == ThreatRule.Scope.CAMERAS and set(demo.cameras.all()) == set(Camera.objects.all())
    assert {"Crowd building up", "Person down", "After-hours presence"} <= set(
        ThreatRule.objects.values_list("name", flat=True)
    )
    assert f"demo counting line 'Across the concourse' created on '{concourse.name}'" in said
    assert demo_seed() == []  # a second start creates nothing


@pytest.mark.django_db
def test_seed_demo_says_what_it_created_and_the_photos_demo_has_no_line(settings, capsys):
    settings.DEMO_MEDIA = None  # a fresh machine without the shared clips: the photos shipped with ultralytics
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "Demo camera 'Central Station Concourse' created (interval snapshots)" in out
    assert "Demo threat rule 'People in view (demo)' created on the demo cameras" in out
    assert not CountingLine.objects.exists()


@pytest.mark.django_db
def test_a_french_installation_seeds_its_demo_in_french(settings, media_dir):
    """VIGIL_LANGUAGE=fr: the demo's rules, line and camera descriptions are written in French, once (they are
    then the installation's data, edited like any other)."""
    settings.LANGUAGE_CODE = "fr"
    settings.DEMO_MEDIA = media_dir
    settings.SOURCE_FOLDERS = [*settings.SOURCE_FOLDERS, media_dir]
    demo_seed()

    rules = dict(ThreatRule.objects.values_list("name", "recommended_actions"))
    assert set(rules) == {
        "Foule qui grossit",
        "Personne à terre",
        "Présence hors des heures",
        "Personnes visibles (démo)",
    }
    assert rules["Personne à terre"].startswith("1. Regardez l’instantané : quelqu’un est-il allongé au sol ?")  # noqa: RUF001
    assert CountingLine.objects.get().name == "À travers le hall"
    concourse = Camera.objects.get(source_url__endswith="/concourse.mp4")
    assert concourse.description == "Caméra de démonstration qui passe concourse.mp4 en boucle."
    assert ThreatRule.objects.get(name="Personnes visibles (démo)").cameras.count() == Camera.objects.count()
