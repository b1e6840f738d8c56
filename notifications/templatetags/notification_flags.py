"""The admin's flag for notifications that ran out of attempts: nobody must miss that an alert was lost."""

from django import template

from notifications.selectors import notifications_failed_count

register = template.Library()


@register.simple_tag
def failed_notifications() -> int:
    return notifications_failed_count()
