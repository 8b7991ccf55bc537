"""Who reads what on the 门户, on the actions of orgs/scope.py.

- 通知公告 of a unit are published and withdrawn (``scope.NOTIFY``) by its administrator and
  经审负责人, in the unit's name. They are received by the users of that unit and of every unit
  below it (``received_notices``: the user's own unit and the units above it), while not
  withdrawn. A unit above reads, without receiving them, the notices of the units it may see
  (``notices_for``: oversight of what the units below publish); the publishers of a unit also
  read its withdrawn notices.
- 风险预警 reads ``screening.models.CurrentRisk`` of the units whose flags the user may see
  (``scope.VIEW_FLAGS``: never an audited unit's contact).
- Single notices answer 404 outside the scope of the action asked for (``get_notice_for_user``)."""

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from jingshen.orgs import scope
from jingshen.portal.models import Notice, NoticeRead
from jingshen.screening.models import CurrentRisk


def _signed_in(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.org_id is not None and bool(user.org.path)


def received_notices(user):
    """The notices addressed to the user: of their own unit and of every unit above, not withdrawn."""
    if not _signed_in(user) or not user.is_active:
        return Notice.objects.none()
    return Notice.objects.filter(org_id__in=user.org.ancestor_ids(), withdrawn_at__isnull=True)


def notices_for(user, action: str = scope.VIEW):
    """The notices the user may open: with VIEW, those received, those (not withdrawn) of the
    units the user may see, and every notice of a unit they publish for; with NOTIFY, only the
    notices of the units they publish for (to withdraw them)."""
    if not _signed_in(user) or not user.is_active:
        return Notice.objects.none()
    publishes = Q(org__in=scope.orgs_for(user, scope.NOTIFY).values("pk"))
    if action == scope.NOTIFY:
        return Notice.objects.filter(publishes)
    if action != scope.VIEW:
        raise ValueError(f"unknown action for notices {action!r}")
    live = Q(withdrawn_at__isnull=True) & (Q(org_id__in=user.org.ancestor_ids()) | Q(org__in=scope.visible_orgs(user).values("pk")))
    return Notice.objects.filter(live | publishes)


def with_read(queryset, user):
    """Annotate ``is_read``: whether the user opened the notice."""
    return queryset.annotate(is_read=Exists(NoticeRead.objects.filter(notice=OuterRef("pk"), user=user)))


def get_notice_for_user(user, notice_id: int, action: str = scope.VIEW) -> Notice:
    notice = notices_for(user, action).select_related("org", "published_by").filter(pk=notice_id).first()
    if notice is None:
        raise Http404("通知公告不存在或不在您的权限范围内。")
    return notice


def may_publish(user) -> bool:
    return scope.may(user, scope.NOTIFY)


def publishing_units(user):
    """The units the user publishes notices for (their own, for an administrator or 经审负责人)."""
    return scope.orgs_for(user, scope.NOTIFY).order_by("path")


def risks_for(user):
    """The current risk of the units whose flags the user may see."""
    if not scope.may(user, scope.VIEW_FLAGS):
        return CurrentRisk.objects.none()
    return CurrentRisk.objects.restrict(user, scope.VIEW_FLAGS)
