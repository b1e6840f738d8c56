"""French in a real browser (chromium, real daphne): the map, an event page and the flow dashboard, chosen by
the browser's language or by the switcher, with no English left.

"No English left" is checked on every text the page shows (popups, the shortcuts list and the event page's
folded forms opened first): none may be an English text of the catalogues whose French differs, nor hold
one of the English words below. The test data has French names, so whatever English shows is Vigil's.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from cameras.tests.factories import CameraFactory
from conftest import PASSWORD
from core.stored_text import in_installation_language
from detection.models import DetectionModel
from detection.services import count_sample_record
from events.models import Event, ThreatRule
from events.services import DEMO_CAMERAS_RULE
from events.tests.scenes import back_online, crowd_event, offline_event
from flow import crossing
from flow.models import CountingLine
from flow.services import crossings_record
from vigilsite.tests.test_translations import po_entries

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# English that must never be on a French page, as words (case-sensitive where a capital makes it Vigil's).
ENGLISH_WORDS = [
    r"\bthe\b", r"\bThe\b", r"\band\b", r"\bof\b", r"\bCamera", r"\bcamera", r"\bEvent", r"\bevent",
    r"\bAcknowledge", r"\backnowledge", r"\bStatus\b", r"\bSeverity\b", r"\bResolve", r"\bDispatch", r"\bSnooze",
    r"\bOpen\b", r"\bLive\b", r"\bLast\b", r"\bFirst\b", r"\bseen\b", r"\bPeople\b", r"\bpeople\b", r"\bentries\b",
    r"\bexits\b", r"\bLog out\b", r"\bperson\b", r"\bCritical\b", r"\bNew\b", r"\bHistory\b",
    r"\bRecommended\b", r"\bpeak\b", r"\bDownload\b", r"\bshortcuts\b", r"\bKeyboard\b", r"\bSound\b",
    r"\bnow\b", r"\bago\b", r"\bThreat\b", r"\bflow\b", r"\bzone [a-z]+:", r"\bwindow\b", r"\bhours?\b",
]  # fmt: skip

# Every text node the user can see, with what the page shows beside them: the values of buttons and the
# options of visible drop-down lists.
_VISIBLE_TEXTS = """() => {
  const texts = [];
  const shown = (el) => el && el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest("script, style, title, noscript, option, [hidden]")) continue;
    if (node.textContent.trim() && shown(el)) texts.push(node.textContent);
  }
  for (const button of document.querySelectorAll("input[type=submit], input[type=button]")) {
    if (shown(button)) texts.push(button.value);
  }
  for (const list of document.querySelectorAll("select")) {
    if (shown(list)) texts.push(...[...list.options].map((option) => option.text));
  }
  return texts;
}"""


def _normal(text: str) -> str:
    return " ".join(text.split())


def _catalogue_english() -> tuple[set[str], list[re.Pattern]]:
    """The English texts of the French catalogues that French says otherwise: whole texts, and patterns
    for the ones with placeholders (a placeholder stands for any text)."""
    plain, patterns = set(), []
    for domain in ("django", "djangojs"):
        for entry in po_entries(settings.BASE_DIR / "locale" / "fr" / "LC_MESSAGES" / f"{domain}.po"):
            for english, french in [
                (entry.msgid, entry.msgstr.get(0, "")),
                (entry.msgid_plural, entry.msgstr.get(1, "")),
            ]:
                if not english or _normal(english) == _normal(french) or "<" in english:
                    continue  # no English, the same in French, or markup: split into nodes, left to the words
                if re.search(r"%(\([^)]+\))?[sd]", english):
                    parts = re.split(r"%(?:\([^)]+\))?[sd]", _normal(english).replace("%%", "%"))
                    if sum(len(p.strip()) for p in parts) >= 4:  # "%(n)s h" says nothing English
                        patterns.append(re.compile(".+?".join(re.escape(p) for p in parts)))
                elif len(english.strip()) > 1:
                    plain.add(_normal(english))
    return plain, patterns


def _english_left(page: Page, *, names: set[str] = frozenset(), identifiers: bool = False) -> list[str]:
    """What is English on the page. ``names``: texts that are names people gave (data, in any language);
    ``identifiers``: the pages where labels are typed as identifiers (``person, person_down``)."""
    plain, patterns = _catalogue_english()
    data = {in_installation_language(DEMO_CAMERAS_RULE)["name"], *names}  # the demo rule's name, in the map's note
    texts = [_normal(text) for text in page.evaluate(_VISIBLE_TEXTS) if _normal(text) not in data]
    if identifiers:
        texts = [re.sub(r"\b(person_down|person|vehicle|camera_offline)\b", "<label>", text) for text in texts]
    left = [f"catalogue text in English: {text!r}" for text in texts if text in plain]
    left += [f"catalogue text in English: {text!r}" for text in texts
             if text not in plain and any(p.fullmatch(text) for p in patterns)]  # fmt: skip
    everything = "\n".join(texts)
    for word in ENGLISH_WORDS:
        for match in re.finditer(word, everything):
            line = everything[everything.rfind("\n", 0, match.start()) + 1 : everything.find("\n", match.end())]
            left.append(f"English word {word!r} in {line!r}")
    return left


def _assert_french(page: Page) -> None:
    left = _english_left(page)
    assert not left, f"{page.url} shows English:\n" + "\n".join(left)


def _french_data() -> tuple[Event, CountingLine]:
    """An event of a rule with French words, on a camera with a French name; a counting camera with crossings."""
    ThreatRule.objects.create(
        name="Attroupement à l'arrêt",
        labels=["person"],
        severity="critical",
        danger_radius_m=120,
        recommended_actions="Prévenir l'agent de l'arrêt.\nFaire dégager le quai.",
    )
    event = crowd_event(camera_name="Arrêt Bastille", rule_name="Attroupement à l'arrêt")
    # A demo camera too, so that the map's "what you are looking at" note shows.
    portique = CameraFactory(name="Portique Nord", district="Bastille", tags=["demo"])
    line = CountingLine.objects.create(camera=portique, name="Portique", start=[0.1, 0.5], end=[0.9, 0.5])
    now = timezone.now()
    found = [(crossing.Crossing(line.pk, i, "person", crossing.IN if i < 4 else crossing.OUT, 0),
              now - timedelta(minutes=i)) for i in range(5)]  # fmt: skip
    crossings_record(lines={line.pk: line}, found=found)
    count_sample_record(camera=portique, captured_at=now - timedelta(minutes=2), counts={"person": 3})
    return event, line


def _vigils_own_events() -> tuple[Event, Event]:
    """Events whose texts Vigil wrote itself: a camera offline now, and one Vigil resolved when its camera came
    back (its history has Vigil's note)."""
    offline = offline_event(camera_name="Quai Est")
    resolved = back_online(offline_event(camera_name="Passerelle Sud"))
    return offline, resolved


def _log_in(browser, server, user, *, locale: str) -> Page:
    """A page of a browser whose language is ``locale`` (its Accept-Language), logged in on the map."""
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(f"{server.url}/accounts/login/?next=/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[type=submit]")
    expect(page.locator("body")).to_have_attribute("data-connection", "live", timeout=20_000)
    return page


def _map_shows_everything(page: Page, event: Event) -> None:
    """The event's popup open, the layers list unfolded: every text of the map on screen."""
    page.evaluate("document.querySelector('.leaflet-control-layers').classList.add('leaflet-control-layers-expanded')")
    expect(page.locator(f'#feed li[data-event-id="{event.pk}"]')).to_be_visible(timeout=15_000)
    page.keyboard.press("j")  # the first event of the feed, opened (the map centred on it)
    popup = page.locator(f'.event-popup[data-event-id="{event.pk}"]')
    expect(popup).to_be_visible()
    # The popup lays itself out again once its snapshot has loaded; the feed's focus scrolled the page.
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=popup.locator("img").element_handle())
    page.evaluate("window.scrollTo(0, 0)")
    # Opened again with the picture in the cache: Leaflet pans a popup into view only when it opens.
    page.evaluate(
        "(id) => { const m = window.vigilMap.events.get(id).marker; m.closePopup(); m.openPopup(); }", event.pk
    )
    expect(popup).to_be_visible()
    page.wait_for_timeout(500)


def _screenshot(page: Page, artifacts_dir: Path, name: str, *, full_page: bool = False) -> None:
    """Into ``artifacts/languages/``: the README's screenshots of both languages are these."""
    folder = artifacts_dir / "languages"
    folder.mkdir(exist_ok=True)
    page.wait_for_timeout(300)  # popups fade in
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


def test_a_french_browser_gets_the_map_the_event_page_and_the_flow_dashboard_in_french(
    browser, asgi_server, make_user, offline_model, artifacts_dir
):
    event, line = _french_data()
    offline, resolved = _vigils_own_events()
    operator = make_user("olga", "Operators", staff=True)
    page = _log_in(browser, asgi_server, operator, locale="fr-FR")
    assert page.evaluate("document.documentElement.lang") == "fr"

    # The map: header, filters, feed, the demo note, the event's popup, the layers, the connection.
    _map_shows_everything(page, event)
    popup = page.locator(f'.event-popup[data-event-id="{event.pk}"]')
    expect(popup).to_contain_text("Actions recommandées")
    expect(popup).to_contain_text("personne")  # the label, as people say it
    expect(popup.get_by_role("button", name="Acquitter")).to_be_visible()
    expect(page.locator("#connection")).to_have_text("En direct")
    expect(page.locator("#demo-note")).to_contain_text("Ce que vous voyez")
    _screenshot(page, artifacts_dir, "map-fr")
    _assert_french(page)
    # The offline camera's event, in the feed and its popup: the title and actions Vigil wrote, in French.
    expect(page.locator(f'#feed li[data-event-id="{offline.pk}"]')).to_contain_text("Caméra hors ligne : Quai Est")
    page.evaluate("(id) => window.vigilMap.events.get(id).marker.openPopup()", offline.pk)
    offline_popup = page.locator(f'.event-popup[data-event-id="{offline.pk}"]')
    expect(offline_popup).to_contain_text("Vérifiez l’alimentation et la liaison réseau de la caméra")  # noqa: RUF001
    _assert_french(page)
    page.keyboard.press("Escape")
    page.keyboard.press("?")  # the keyboard shortcuts
    expect(page.locator("#shortcuts")).to_be_visible()
    _assert_french(page)
    page.keyboard.press("Escape")

    # The event page (the admin's change view), its folded workflow forms opened.
    page.goto(f"{asgi_server.url}/admin/events/event/{event.pk}/change/")
    expect(page.locator("#recommended-actions")).to_contain_text("Actions recommandées")
    expect(page.locator("h1")).to_contain_text(f"Événement n° {event.pk}")
    expect(page.locator(".event-head")).to_contain_text("Critique")
    expect(page.locator("#workflow")).to_contain_text("Envoyer une intervention")
    _screenshot(page, artifacts_dir, "event-page-fr")
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    _assert_french(page)

    # Acknowledged from the page: the message and the history in French too.
    page.locator('#workflow form[data-action="acknowledge"] button').click()
    expect(page.locator(".messagelist")).to_contain_text(f"Événement n° {event.pk} : acquitter — désormais acquitté.")
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    _assert_french(page)

    # The event Vigil resolved: its title, its resolution and the step in its history, in French.
    page.goto(f"{asgi_server.url}/admin/events/event/{resolved.pk}/change/")
    expect(page.locator("#content")).to_contain_text("Caméra hors ligne : Passerelle Sud")
    expect(page.locator("#content")).to_contain_text("Résolu par Vigil : La caméra envoie de nouveau des images.")
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    _assert_french(page)
    page.goto(f"{asgi_server.url}/admin/events/event/?status=all")
    expect(page.locator("#content")).to_contain_text("Caméra hors ligne : Quai Est")
    _assert_french(page)

    # The flow dashboard.
    page.goto(f"{asgi_server.url}/flow/?camera={line.camera_id}")
    expect(page.locator("h1")).to_have_text("Flux de personnes : Portique Nord")
    expect(page.locator(".legend")).to_contain_text("entrées : 4, sorties : 1 sur la dernière heure")
    _screenshot(page, artifacts_dir, "flow-dashboard-fr", full_page=True)
    _assert_french(page)
    page.context.close()


def test_an_english_user_switches_to_french_and_stays_on_the_same_page(
    browser, asgi_server, make_user, offline_model, artifacts_dir
):
    event, line = _french_data()
    operator = make_user("olga", "Operators", staff=True)
    page = _log_in(browser, asgi_server, operator, locale="en-GB")
    assert page.evaluate("document.documentElement.lang") == "en"
    _map_shows_everything(page, event)
    expect(page.locator("#connection")).to_have_text("Live")
    assert len(_english_left(page)) > 20  # the check sees English where there is some
    _screenshot(page, artifacts_dir, "map-en")

    page.get_by_role("button", name="Français").click()
    expect(page.locator("#connection")).to_have_text("En direct", timeout=20_000)
    assert page.url == f"{asgi_server.url}/"
    assert page.evaluate("document.documentElement.lang") == "fr"
    _map_shows_everything(page, event)
    _assert_french(page)

    # The choice holds on every page (a cookie), whatever the browser asks for; the admin has the switcher too.
    page.goto(f"{asgi_server.url}/admin/events/event/{event.pk}/change/")
    expect(page.locator("#recommended-actions h2")).to_have_text("Actions recommandées")
    page.locator("#user-tools").get_by_role("button", name="English").click()
    expect(page.locator("#recommended-actions h2")).to_have_text("Recommended actions")
    assert page.url == f"{asgi_server.url}/admin/events/event/{event.pk}/change/"
    _screenshot(page, artifacts_dir, "event-page-en")
    page.goto(f"{asgi_server.url}/flow/?camera={line.camera_id}")
    expect(page.locator("h1")).to_have_text("People flow: Portique Nord")
    _screenshot(page, artifacts_dir, "flow-dashboard-en", full_page=True)
    page.get_by_role("button", name="Français").click()
    expect(page.locator("h1")).to_have_text("Flux de personnes : Portique Nord")
    assert page.url == f"{asgi_server.url}/flow/?camera={line.camera_id}"
    page.context.close()


def test_the_admins_pages_are_in_french_too(browser, asgi_server, make_user, offline_model):
    event, line = _french_data()
    _vigils_own_events()  # their titles on the event list
    admin = make_user("alain", "Administrators", staff=True)
    page = _log_in(browser, asgi_server, admin, locale="fr-FR")
    rule = ThreatRule.objects.get(name="Attroupement à l'arrêt")
    # The detection models' names are data: the ones a fresh install registers are English names.
    models = set(DetectionModel.objects.values_list("name", flat=True))
    left = []
    for path in [
        "/admin/",
        "/admin/dashboard/",
        "/admin/events/event/?status=all",
        f"/admin/events/threatrule/{rule.pk}/change/",
        f"/admin/cameras/camera/{event.camera_id}/change/",
        "/admin/cameras/camera/",
        f"/admin/flow/countingline/{line.pk}/change/",
        "/admin/flow/occupancy/",
        "/admin/notifications/notificationchannel/add/",
        "/admin/detection/detectionmodel/",
    ]:
        page.goto(f"{asgi_server.url}{path}")
        expect(page.locator("#content")).to_be_visible()
        page.evaluate("document.querySelectorAll('details, fieldset.collapse').forEach((d) => { d.open = true; })")
        left += [f"{path}: {text}" for text in _english_left(page, names=models, identifiers=True)]
    assert not left, "\n".join(left)
    page.context.close()
