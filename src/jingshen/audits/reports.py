"""An audit project as the command line and exports describe it (one shape for both)."""

import json

from jingshen.audits import rectification, services, workpapers
from jingshen.audits.models import AuditProject, Stage
from jingshen.knowledge import citations


def project_summary(project: AuditProject) -> dict:
    """Code, name, type, units, fiscal years, stage (code and Chinese name), team, the pinned
    datasets and runs, the workpapers, the findings (problem type, amount, description, basis, and the articles cited with their
    frozen text: ``citations`` [{regulation, edition, doc_no, article, label, text, plain}]).
    And the rectification counts (total, done, overdue)."""
    spent = services.hours_by_member(project)
    return {
        "code": project.code,
        "name": project.name,
        "type": project.audit_type.name,
        "owner_org": project.owner_org.code,
        "units": [{"code": u.org.code, "name": u.org.name} for u in project.units.select_related("org").order_by("org__code")],
        "fiscal_years": project.fiscal_years,
        "stage": {"code": project.stage, "name": Stage(project.stage).label},
        "planned_start": project.planned_start.isoformat(),
        "planned_end": project.planned_end.isoformat(),
        "team": [
            {"username": m.user.username, "name": m.user.display_name, "role": m.get_role_display(),
             "hours_budget": m.hours_budget, "hours_spent": float(spent.get(m.pk, 0)), "acknowledged": m.acknowledged_at is not None}
            for m in project.members.select_related("user").order_by("role", "id")
        ],
        "datasets": [
            {"org": p.dataset.org.code, "fiscal_year": p.dataset.fiscal_year, "version": p.dataset.version}
            for p in project.pins.select_related("dataset__org").order_by("dataset__org__code", "dataset__fiscal_year")
        ],
        "screening_runs": sorted(project.screening_runs.values_list("pk", flat=True)),
        "rectification": {k: v for k, v in rectification.counts(rectification.project_items(project)).items() if k != "rate"},
        "workpapers": workpapers.summary(project),  # index number, matter, unit, status
        "findings": [
            {"org": f.org.code, "problem_type": f.problem_type.name, "title": f.title, "amount": str(f.amount),
             "description": f.description, "basis": f.basis, "recommendation": f.recommendation,
             "vouchers": f.vouchers, "verifications": f.verifications.count(),
             "citations": [citations.as_dict(c) for c in citations.citations_of(f)]}
            for f in project.findings.select_related("org", "problem_type").order_by("id")
        ],
    }


def as_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
