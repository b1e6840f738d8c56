"""Texts Vigil writes itself (a camera-offline event's title and actions, its own notes in a history) are stored
once, in English beside their message key, and each reader gets them in their own language: the admin's list,
the event page, the API (by Accept-Language) and the live socket."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.utils import translation

from cameras.tests.factories import CameraFactory
from core.broadcast import broadcast_on_commit, broadcasts_flush
from events.models import Event, EventAction
from events.payloads import event_payload
from events.tests.factories import EventFactory, ThreatRuleFactory
from events.tests.scenes import back_online, offline_event
from events.tests.sockets import SITE_HEADERS
from events.workflow import rule_snooze
from vigilsite.asgi import application

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}

TITLE = {"en": "Camera offline: Quai Est", "fr": "Caméra hors ligne : Quai Est"}
ACTIONS = {
    "en": "Check the camera's power and network link; see its last error.",
    "fr": "Vérifiez l’alimentation et la liaison réseau de la caméra ; voyez sa dernière erreur.",  # noqa: RUF001
}
BACK = {"en": "The camera sends frames again.", "fr": "La caméra envoie de nouveau des images."}
RESOLVED = {"en": f"Resolved by Vigil: {BACK['en']}", "fr": f"Résolu par Vigil : {BACK['fr']}"}


@pytest.fixture
def resolved(db) -> Event:
    return back_online(offline_event(camera_name="Quai Est"))


@pytest.fixture
def operator(client, make_user) -> Iterator[Client]:
    """A logged-in operator's browser; the language its requests ask for stays theirs.

    The test client runs LocaleMiddleware in this thread, which activates the request's language and leaves
    it so: the override puts back the one before when the test ends.
    """
    client.force_login(make_user("olga", "Operators", staff=True))
    with translation.override(translation.get_language()):
        yield client


@pytest.mark.django_db
def test_the_database_keeps_the_english_text_and_the_key_to_say_it_in_any_language(resolved):
    assert resolved.status == Event.Status.RESOLVED
    assert (resolved.title, resolved.recommended_actions, resolved.resolution_note) == (
        TITLE["en"], ACTIONS["en"], BACK["en"],
    )  # fmt: skip
    assert resolved.texts == {
        "title": {"key": "camera_offline.title", "params": {"camera": "Quai Est"}},
        "recommended_actions": {"key": "camera_offline.actions", "params": {}},
        "resolution_note": {"key": "camera_back", "params": {}},
    }
    step = EventAction.objects.get(event=resolved, action="resolve")
    assert step.user is None and step.note == RESOLVED["en"]
    assert step.texts == {
        "note": {"key": "resolved_by_vigil", "params": {"note": {"key": "camera_back", "params": {}}}}
    }


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_admins_list_and_the_event_page_say_it_in_the_readers_language(resolved, operator, language):
    other = "fr" if language == "en" else "en"
    headers = FRENCH if language == "fr" else ENGLISH
    listed = operator.get("/admin/events/event/?status=all", **headers).content.decode()
    assert TITLE[language] in listed and TITLE[other] not in listed

    page = operator.get(f"/admin/events/event/{resolved.pk}/change/", **headers)
    assert page.status_code == 200
    html = page.content.decode()
    shown = [TITLE[language], ACTIONS[language].replace("'", "&#x27;"), RESOLVED[language], BACK[language]]
    assert [text for text in shown if text not in html] == []
    hidden = [TITLE[other], ACTIONS[other].replace("'", "&#x27;"), RESOLVED[other]]
    assert [text for text in hidden if text in html] == []


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_api_says_it_in_the_language_the_request_asks_for(resolved, operator, language):
    headers = FRENCH if language == "fr" else ENGLISH
    body = operator.get(f"/api/events/{resolved.pk}/", **headers).json()
    assert (body["title"], body["recommended_actions"], body["resolution_note"]) == (
        TITLE[language], ACTIONS[language], BACK[language],
    )  # fmt: skip
    assert body["texts"]["title"] == {"key": "camera_offline.title", "params": {"camera": "Quai Est"}}
    listed = operator.get("/api/events/?format=geojson", **headers).json()  # what the map loads
    assert [feature["properties"]["title"] for feature in listed["features"]] == [TITLE[language]]
    history = operator.get(f"/api/events/{resolved.pk}/history/", **headers).json()
    assert [step["note"] for step in history] == [RESOLVED[language]]


@pytest.mark.django_db
def test_a_french_operators_snooze_is_stored_in_english_and_read_in_french(make_user):
    event = EventFactory(camera=CameraFactory(name="Quai Est"), rule=ThreatRuleFactory(name="Attroupement"))
    with translation.override("fr"):  # as in a French operator's request
        rule_snooze(event=event, minutes=30, user=make_user("olga", "Operators"), note="Travaux sur le quai")
    step = EventAction.objects.get(event=event, action="snooze")
    assert step.note.startswith("Snoozed “Attroupement” on “Quai Est” for 30 min, until ")
    assert step.note.endswith(": Travaux sur le quai")
    with translation.override("fr"):
        from core.stored_text import shown

        said = shown(step, "note")
    french = "Règle « Attroupement » mise en sourdine sur « Quai Est » pendant 30 min, jusqu’à "  # noqa: RUF001
    assert said.startswith(french)
    assert said.endswith(" : Travaux sur le quai")


@pytest.mark.django_db(transaction=True)
def test_each_socket_gets_the_broadcast_in_its_readers_language(settings, client, make_user):
    event = offline_event(camera_name="Quai Est")
    client.force_login(make_user("vera", "Viewers"))
    session = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    by_cookie = [*SITE_HEADERS, (b"cookie", f"{session}; {settings.LANGUAGE_COOKIE_NAME}=fr".encode())]
    by_browser = [*SITE_HEADERS, (b"cookie", session.encode()), (b"accept-language", b"fr-FR,fr;q=0.9")]
    english = [*SITE_HEADERS, (b"cookie", session.encode()), (b"accept-language", b"en-GB")]

    def broadcast_from_a_french_request():
        with translation.override("fr"), transaction.atomic():
            broadcast_on_commit("event.status", event_payload(Event.objects.get(pk=event.pk)))
        broadcasts_flush()

    async def scenario():
        sockets = [
            WebsocketCommunicator(application, "/ws/events/", headers=h) for h in (by_cookie, by_browser, english)
        ]
        for socket in sockets:
            connected, _ = await socket.connect(timeout=5)
            assert connected
        await sync_to_async(broadcast_from_a_french_request)()
        received = [(await socket.receive_json_from(timeout=5))["data"] for socket in sockets]
        for socket in sockets:
            await socket.disconnect()
        return received

    received = async_to_sync(scenario)()
    assert [(data["title"], data["recommended_actions"]) for data in received] == [
        (TITLE["fr"], ACTIONS["fr"]), (TITLE["fr"], ACTIONS["fr"]), (TITLE["en"], ACTIONS["en"]),
    ]  # fmt: skip


@pytest.mark.django_db
def test_the_migration_gives_vigils_older_texts_their_keys_and_leaves_edited_ones(resolved, make_user):
    event = EventFactory(camera=CameraFactory(name="Quai Ouest"), rule=ThreatRuleFactory(name="Attroupement"))
    rule_snooze(event=event, minutes=15, user=make_user("olga", "Operators"), note="Travaux")
    edited = EventFactory(title="Camera offline (gate): Quai Sud")  # not as Vigil wrote it
    steps = {step.pk: step.texts for step in EventAction.objects.all()}
    assert sorted(text["note"]["key"] for text in steps.values()) == ["resolved_by_vigil", "rule_snoozed"]
    Event.objects.update(texts={})
    EventAction.objects.update(texts={})  # as rows written before the keys were kept

    importlib.import_module("events.migrations.0017_vigils_texts_of_existing_rows").forwards(apps, None)

    assert Event.objects.get(pk=resolved.pk).texts == resolved.texts
    assert {step.pk: step.texts for step in EventAction.objects.all()} == steps
    assert Event.objects.get(pk=edited.pk).texts == {}
