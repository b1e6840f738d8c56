"""django-celery-beat's periodic task admin: Vigil's own entries for superusers only, and a form that
answers bad input with field errors.

Its form's ``clean()`` reads ``cleaned_data["task"]``, which is missing when the task field itself
was refused (a NUL, more than 200 characters): a KeyError, so a 500. And its JSON check of the
arguments catches ValueError only, not the RecursionError of JSON nested a few thousand deep.
"""

from celery.schedules import ParseException
from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import CrontabScheduleAdmin, PeriodicTaskAdmin, PeriodicTaskForm
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from core.admin_input import TOO_DEEP
from system.periodic import managed_entries_q, periodic_task_is_managed


class SafePeriodicTaskForm(PeriodicTaskForm):
    def clean(self):
        if "task" not in self.cleaned_data and not self.cleaned_data.get("regtask"):
            return self.cleaned_data  # the task field's own error says what is wrong
        return super().clean()

    def _clean_json(self, field):
        try:
            return super()._clean_json(field)
        except RecursionError:
            raise forms.ValidationError(TOO_DEEP, code="invalid") from None


admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class VigilPeriodicTaskAdmin(PeriodicTaskAdmin):
    """Entries Vigil writes itself (system entries, camera captures) are changed by superusers only;
    only superusers add entries (one names any task with any arguments)."""

    form = SafePeriodicTaskForm

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and periodic_task_is_managed(obj) and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and periodic_task_is_managed(obj) and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def response_action(self, request, queryset):
        if not request.user.is_superuser:  # actions (enable, disable, run, delete) skip Vigil's own entries
            skipped = list(queryset.filter(managed_entries_q()).values_list("name", flat=True)[:20])
            if skipped:
                names = ", ".join(skipped)
                note = gettext("Left alone (Vigil's own entries, superusers only): %(names)s.") % {"names": names}
                self.message_user(request, note, messages.WARNING)
            queryset = queryset.exclude(managed_entries_q())
        return super().response_action(request, queryset)


admin.site.unregister(CrontabSchedule)


@admin.register(CrontabSchedule)
class VigilCrontabScheduleAdmin(CrontabScheduleAdmin):
    """The add form, drawn again after an error, shows the typed schedule read by celery: one it
    cannot read (``minute=-1``) raised while the page was drawn (a 500) instead of the field's error."""

    @admin.display(description=_("Human readable"))
    def human_readable(self, schedule: CrontabSchedule) -> str:
        try:
            return schedule.human_readable
        except (ParseException, ValueError, IndexError):
            return "(not a valid schedule)"
