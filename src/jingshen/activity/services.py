"""The one way to write the activity log (操作日志)."""

from django.db import models

from jingshen.activity.models import ActivityLog


def record(action: str, summary: str, *, actor=None, org=None, obj: models.Model | None = None, **details):
    """Append one entry. ``summary`` is the Chinese sentence shown to users."""
    return ActivityLog.objects.create(
        action=action,
        summary=summary[:500],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        org=org,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        details=details,
    )
