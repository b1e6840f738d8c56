"""What the events app tells the apps above it about an event's life. Each is sent inside the transaction
that wrote the event (Django signals are synchronous), so a listener's rows (a notification owed) commit or
roll back with it; a listener that talks to the outside world does so after the commit.

Listeners connect in their own ``AppConfig.ready()``: notifications (plans the messages an opened event
owes), livemap (broadcasts every change to the live sockets).
"""

from django.dispatch import Signal

# A new event, from a threat rule or from Vigil itself (a camera offline): ``event``.
event_opened = Signal()
# An open event seen again (hits, peak, last seen, the newest snapshot): ``event``.
event_updated = Signal()
# An operator's step or Vigil's own changed the event's status or handling (acknowledged, assigned,
# dispatched, a note, resolved, reopened): ``event``, ``previous`` (its status before), ``user`` (None: Vigil).
event_status_changed = Signal()
# The event left the open statuses (resolved or a false alarm), sent after ``event_status_changed``:
# ``event``, ``user`` (None: Vigil). For listeners that care only about the end (clips, metrics).
event_closed = Signal()
