"""Who reads and who writes knowledge (issue 16 items 3 and 6), on the actions of orgs/scope.py.

**Reading.** Everyone logged in reads what is published by their own unit, by any unit above
it (national documents at the root reach everybody; a province's files reach the province) and
by the units they may see below (``scope.knowledge_sources``). A case is read once published, in
the subtree of the unit that approved it (``Case.approved_org``); a draft, submitted or returned
case only by its author and by those who may approve it.

**Writing.** Regulations, guides and standard wordings are published by a unit's administrator
or 经审负责人 for their own unit (``scope.PUBLISH``). Any audit staff member writes cases at
their unit; the 经审负责人 of a unit strictly above the case's unit approves (``scope.PUBLISH``
on that unit), and the case is then published for the approver's subtree.

Single objects answer 404 outside the reader's view (``get_*_for_user``)."""

from django.db.models import Q
from django.http import Http404

from jingshen.knowledge.models import Case, CaseStatus, Guide, Regulation, StandardWording
from jingshen.orgs import scope
from jingshen.orgs.models import Org


def regulations_for(user):
    return Regulation.objects.filter(owner_org__in=scope.knowledge_sources(user))


def guides_for(user):
    return Guide.objects.filter(owner_org__in=scope.knowledge_sources(user))


def wordings_for(user):
    return StandardWording.objects.filter(owner_org__in=scope.knowledge_sources(user))


def approver_orgs(user):
    """The units at which the user approves cases: where they may publish."""
    return scope.orgs_for(user, scope.PUBLISH)


def may_approve(user, case: Case) -> bool:
    """A 经审负责人 (or administrator) of a unit strictly above the case's unit."""
    ancestors = case.owner_org.ancestor_ids()[1:]
    return approver_orgs(user).filter(pk__in=ancestors).exists()


def cases_for(user):
    """Published cases whose approving unit is the reader's own unit or above it, or a unit the
    reader sees below; and the unpublished cases the reader wrote or may approve."""
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    sources = scope.knowledge_sources(user)
    published = Q(status=CaseStatus.PUBLISHED, approved_org__in=sources)
    own = scope.personal("author", user)
    approvable = Q(status=CaseStatus.SUBMITTED)
    approvers = list(approver_orgs(user).values_list("path", flat=True))
    below = Q(pk__in=[])
    for path in approvers:
        below |= Q(owner_org__path__startswith=path) & ~Q(owner_org__path=path)
    return Case.objects.filter(published | own | (approvable & below))


def may_publish_at(user, org: Org) -> bool:
    return scope.can(user, scope.PUBLISH, org)


def _one(queryset, pk, message: str):
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404(message)
    return obj


def get_regulation_for_user(user, pk: int) -> Regulation:
    return _one(regulations_for(user), pk, "法规不存在或不在您的权限范围内。")


def get_case_for_user(user, pk: int) -> Case:
    return _one(cases_for(user), pk, "案例不存在或不在您的权限范围内。")


def get_guide_for_user(user, pk: int) -> Guide:
    return _one(guides_for(user), pk, "知识条目不存在或不在您的权限范围内。")


def get_wording_for_user(user, pk: int) -> StandardWording:
    return _one(wordings_for(user), pk, "定性表述不存在或不在您的权限范围内。")
