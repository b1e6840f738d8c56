"""The texts Vigil wrote before it kept them as message keys (``core.stored_text``), recognised by their English
wording, get their keys, so that they too are shown in each reader's language. Rows that do not read exactly
as Vigil wrote them (a text edited by hand) are left as they are: they keep showing their English."""

import re

from django.db import migrations

OFFLINE_TITLE = "Camera offline: "
OFFLINE_ACTIONS = "Check the camera's power and network link; see its last error."
CAMERA_BACK = "The camera sends frames again."
RESOLVED = "Resolved by Vigil: "
SNOOZED = re.compile(r"Snoozed “(?P<rule>.*?)” on “(?P<camera>.*?)” for (?P<minutes>\d+) min, until (?P<until>\d\d:\d\d): (?P<note>.*)", re.S)  # noqa: E501
SNOOZE_ENDED = re.compile(r"Snooze of “(?P<rule>.*?)” on “(?P<camera>.*)” ended early")
TUNED = re.compile(r"Rule “(?P<rule>.*?)” tuned: (?P<changes>.*)", re.S)
BATCH = 500


def _text(key, **params):
    return {"key": key, "params": params}


def _note(text):
    return _text("camera_back") if text == CAMERA_BACK else text


def event_texts(event):
    texts = {}
    if event.kind == "system" and event.label == "camera_offline" and event.title.startswith(OFFLINE_TITLE):
        texts["title"] = _text("camera_offline.title", camera=event.title[len(OFFLINE_TITLE) :])
    if event.recommended_actions == OFFLINE_ACTIONS:
        texts["recommended_actions"] = _text("camera_offline.actions")
    if event.kind == "system" and event.resolution_note == CAMERA_BACK:
        texts["resolution_note"] = _text("camera_back")
    return texts


def action_texts(step):
    note = step.note
    if step.user_id is None and step.action == "resolve" and note.startswith(RESOLVED):
        return {"note": _text("resolved_by_vigil", note=_note(note[len(RESOLVED) :]))}
    if step.action == "snooze":
        if found := SNOOZED.fullmatch(note):
            return {"note": _text("rule_snoozed", **{**found.groupdict(), "minutes": int(found["minutes"])})}
        if found := SNOOZE_ENDED.fullmatch(note):
            return {"note": _text("snooze_ended_early", **found.groupdict())}
    if step.action == "tune" and (found := TUNED.fullmatch(note)):
        return {"note": _text("rule_tuned", **found.groupdict())}
    return {}


def _recognise(model, rows, texts_of):
    changed = []
    for row in rows.iterator(chunk_size=BATCH):
        if texts := texts_of(row):
            row.texts = texts
            changed.append(row)
        if len(changed) >= BATCH:
            model.objects.bulk_update(changed, ["texts"])
            changed = []
    model.objects.bulk_update(changed, ["texts"])


def forwards(apps, schema_editor):
    Event, EventAction = apps.get_model("events", "Event"), apps.get_model("events", "EventAction")
    _recognise(
        Event,
        Event.objects.filter(kind="system").only("kind", "label", "title", "recommended_actions", "resolution_note"),
        event_texts,
    )
    steps = EventAction.objects.filter(action__in=["resolve", "snooze", "tune"]).only("action", "user", "note")
    _recognise(EventAction, steps, action_texts)


class Migration(migrations.Migration):
    dependencies = [("events", "0016_vigils_texts")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
