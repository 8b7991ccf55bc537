"""Every write of the 门户: publishing and withdrawing 通知公告 (checked against ``scope.NOTIFY``
again, in a transaction, logged with activity.record()), and the user's own bookkeeping — which
notices they read and when they last opened the portal. The bookkeeping is not logged: it
changes no data of any unit and would put one log entry in the chain per page view."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.orgs import scope
from jingshen.orgs.models import Org
from jingshen.portal.models import Notice, NoticeRead, PortalVisit

TITLE_MAX = 200
BODY_MAX = 20_000
VISIT_GAP = datetime.timedelta(minutes=30)  # page views closer together are one visit


def _values(notice: Notice) -> dict:
    return {"发布单位": notice.org.code, "标题": notice.title, "置顶": notice.pinned, "正文字数": len(notice.body)}


def publish_notice(actor, *, org: Org, title: str, body: str, pinned: bool = False) -> Notice:
    """Publish a notice of ``org`` (the actor's own unit, for its administrator or 经审负责人)."""
    if not scope.can(actor, scope.NOTIFY, org):
        raise PermissionError("您不能以该单位的名义发布通知公告（只有本单位的系统管理员和经审负责人可以发布）。")
    title, body = title.strip(), body.strip()
    if not title:
        raise ValueError("请填写标题。")
    if len(title) > TITLE_MAX:
        raise ValueError(f"标题不能超过 {TITLE_MAX} 个字。")
    if not body:
        raise ValueError("请填写正文。")
    if len(body) > BODY_MAX:
        raise ValueError(f"正文不能超过 {BODY_MAX:,} 个字。")
    with transaction.atomic():
        notice = Notice.objects.create(org=org, title=title, body=body, pinned=pinned, published_by=actor)
        record("portal.notice_publish", f"发布通知公告「{title}」（{org.name}）", actor=actor, org=org, obj=notice,
               after=_values(notice))
    return notice


def withdraw_notice(actor, notice: Notice) -> bool:
    """Withdraw a notice (it stays, marked 已撤回, for its publishers). False if already withdrawn."""
    if not scope.can(actor, scope.NOTIFY, notice.org):
        raise PermissionError("您不能撤回该单位的通知公告。")
    with transaction.atomic():
        notice = Notice.objects.select_for_update(of=("self",)).select_related("org").get(pk=notice.pk)
        if notice.withdrawn_at is not None:
            return False
        notice.withdrawn_at = timezone.now()
        notice.save(update_fields=["withdrawn_at"])
        record("portal.notice_withdraw", f"撤回通知公告「{notice.title}」（{notice.org.name}）", actor=actor, org=notice.org,
               obj=notice, before={"状态": "已发布"}, after={"状态": "已撤回"})
    return True


def mark_read(user, notice: Notice) -> None:
    """Remember that ``user`` opened ``notice`` (once; later openings change nothing)."""
    if NoticeRead.objects.filter(notice=notice, user=user).exists():
        return
    try:
        with transaction.atomic():
            NoticeRead.objects.create(notice=notice, user=user)
    except IntegrityError:  # the same user opened it twice at once
        pass


def record_visit(user, now=None):
    """Note a visit of the portal's home page and return the start of "new since your last
    visit" (``PortalVisit.previous_at``; None at the first visit). Views of the home page less
    than ``VISIT_GAP`` apart are one visit: going back to the home page does not clear what was
    new when the visit began."""
    now = now or timezone.now()
    with transaction.atomic():
        visit = PortalVisit.objects.select_for_update().filter(user=user).first()
        if visit is None:
            try:
                with transaction.atomic():
                    PortalVisit.objects.create(user=user, seen_at=now)
            except IntegrityError:  # a parallel first visit
                pass
            return None
        previous = visit.seen_at if now - visit.seen_at >= VISIT_GAP else visit.previous_at
        PortalVisit.objects.filter(pk=visit.pk).update(previous_at=previous, seen_at=now)
    return previous
