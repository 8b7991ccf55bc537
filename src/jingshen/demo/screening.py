"""A province-wide screening of the demo's 2025 vouchers, so the portal's 风险预警 ranks every
unit with data (the demo projects screen only their county). Idempotent."""

from jingshen.orgs.models import Org
from jingshen.screening.models import ScreeningRun
from jingshen.screening.services import run_screening

YEAR = 2025


def ensure_province_run() -> ScreeningRun:
    root = Org.objects.filter(parent__isnull=True).order_by("path").first()
    done = ScreeningRun.objects.filter(scope_org=root, fiscal_year=YEAR, status=ScreeningRun.Status.DONE).first()
    return done or run_screening(year=YEAR, org=root)
