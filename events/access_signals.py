"""Signals that make open WebSockets check their session again (connected in ``EventsConfig.ready``).

They only *nudge* the sockets, after the commit; each socket then reads the database itself
(``events.socket_access.socket_access``), so a nudge can never grant anything.
"""

from __future__ import annotations

from typing import Any

from django.contrib import auth
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.broadcast import EVENTS_GROUP, group_send_on_commit
from events.socket_access import session_digest, user_group

RECHECK = {"type": "access.recheck"}


def _recheck_user(user_pk: Any) -> None:
    group_send_on_commit(user_group(user_pk), RECHECK)


def _recheck_everyone() -> None:
    group_send_on_commit(EVENTS_GROUP, RECHECK)


def _session_ended(session_key: str | None, user_pk: Any) -> None:
    if session_key and user_pk is not None:
        group_send_on_commit(user_group(user_pk), {"type": "session.ended", "session": session_digest(session_key)})


def on_user_logged_out(sender, request, user, **kwargs) -> None:
    # Sent before the session is flushed: the socket closes on the key, not on a database read.
    session = getattr(request, "session", None)
    _session_ended(getattr(session, "session_key", None), getattr(user, "pk", None))


def on_session_deleted(sender, instance: Session, **kwargs) -> None:
    """A session deleted by logout or by an administrator."""
    # ``clearsessions`` deletes expired sessions by the thousand; their sockets are closed already.
    if instance.expire_date > timezone.now():
        _session_ended(instance.session_key, instance.get_decoded().get(auth.SESSION_KEY))


def on_user_saved(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    # A new user has no sockets yet; a login only stamps last_login.
    if not created and set(update_fields or ()) != {"last_login"}:
        _recheck_user(instance.pk)


def on_user_deleted(sender, instance, **kwargs) -> None:
    _recheck_user(instance.pk)


def on_user_relations_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """``user.groups`` / ``user.user_permissions`` changed, from either side."""
    if not action.startswith("post_"):
        return
    if not reverse:
        _recheck_user(instance.pk)
    elif pk_set is None:  # a group's or permission's users cleared: they are not known any more
        _recheck_everyone()
    else:
        for user_pk in pk_set:
            _recheck_user(user_pk)


def on_group_changed(sender, **kwargs) -> None:
    """A group's permissions changed, or a group was deleted: every member may be affected."""
    action = kwargs.get("action")
    if action is None or action.startswith("post_"):
        _recheck_everyone()


def signals_connect() -> None:
    """Connect the receivers above (called once, from ``EventsConfig.ready``)."""
    from django.contrib.auth.signals import user_logged_out
    from django.db.models.signals import m2m_changed, post_delete, post_save

    User = auth.get_user_model()
    uid = "events.socket_access."
    user_logged_out.connect(on_user_logged_out, dispatch_uid=uid + "logout")
    post_delete.connect(on_session_deleted, sender=Session, dispatch_uid=uid + "session")
    post_save.connect(on_user_saved, sender=User, dispatch_uid=uid + "user_saved")
    post_delete.connect(on_user_deleted, sender=User, dispatch_uid=uid + "user_deleted")
    for relation in (User.groups, User.user_permissions):
        m2m_changed.connect(on_user_relations_changed, sender=relation.through, dispatch_uid=uid + relation.field.name)
    m2m_changed.connect(on_group_changed, sender=Group.permissions.through, dispatch_uid=uid + "group_permissions")
    post_delete.connect(on_group_changed, sender=Group, dispatch_uid=uid + "group_deleted")
