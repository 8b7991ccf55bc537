"""Who may see or act on import jobs, datasets and conversion templates: the unit scope of
``orgs/scope.py`` applied to them. Views and the API get single objects here (404 for anything
outside the scope of the action); services receive objects already checked."""

from django.db.models import Q
from django.http import Http404

from jingshen.ledger.models import ColumnMapping, Dataset, ImportJob
from jingshen.orgs import scope


def jobs_for(user, action: str = scope.VIEW):
    """Import jobs uploaded by users of units on which the user may perform ``action``; for any
    action but viewing, also only jobs whose chosen unit (if any) is in that scope."""
    jobs = ImportJob.objects.restrict(user, action)
    if action != scope.VIEW:
        jobs = jobs.filter(Q(org__isnull=True) | Q(org__in=scope.orgs_for(user, action).values("pk")))
    return jobs


def get_job_for_user(user, job_id: int, action: str = scope.VIEW) -> ImportJob:
    job = jobs_for(user, action).select_related("created_by", "org").filter(pk=job_id).first()
    if job is None:
        raise Http404("导入任务不存在或不在您的权限范围内。")
    return job


def datasets_for(user, action: str = scope.VIEW):
    return Dataset.objects.restrict(user, action).select_related("org")


def get_dataset_for_user(user, dataset_id: int, kind: str | None = None, action: str = scope.VIEW) -> Dataset:
    """The dataset if the user may perform ``action`` on its unit (and it is of ``kind``), else
    404: a foreign dataset answers exactly like one that does not exist."""
    datasets = datasets_for(user, action)
    if kind is not None:
        datasets = datasets.filter(kind=kind)
    dataset = datasets.filter(pk=dataset_id).first()
    if dataset is None:
        raise Http404("数据集不存在或不在您的权限范围内。")
    return dataset


def mappings_for(user, kind: str | None = None):
    """Conversion templates a user may use: those of units they see, and of units above them
    (a province's templates serve its cities and counties)."""
    if user.org is None:
        return ColumnMapping.objects.none()
    qs = ColumnMapping.objects.filter(
        Q(pk__in=ColumnMapping.objects.restrict(user, scope.VIEW).values("pk")) | Q(owner_org_id__in=user.org.ancestor_ids())
    )
    return qs.filter(kind=kind) if kind else qs
