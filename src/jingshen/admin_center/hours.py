"""学时统计: training hours per person per year (people × years), or, for one year, per person
and kind (people × 集中培训 / 以审代训 / 轮岗交流 / 交叉互审). One aggregate query over the
training records of the staff given; nothing is stored."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import ExtractYear

from jingshen.admin_center.models import StaffProfile, TrainingKind, TrainingRecord

YEARS_SHOWN = 5  # the people × years table shows the last five years with records


@dataclass
class HoursRow:
    staff: StaffProfile
    cells: list[Decimal] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum(self.cells, Decimal(0))


@dataclass
class HoursTable:
    columns: list[tuple[str, str]]  # (key, heading)
    rows: list[HoursRow]
    totals: list[Decimal]

    @property
    def grand_total(self) -> Decimal:
        return sum(self.totals, Decimal(0))


def hours_table(staff, year: int | None = None) -> HoursTable:
    """The table for the staff in ``staff`` (a queryset the caller has restricted): by year
    (the last ``YEARS_SHOWN`` years that have records) or, with ``year``, by kind in that year.
    A record counts in the year it starts. People without hours are listed with zeros."""
    records = TrainingRecord.objects.filter(staff__in=staff.values("pk"))
    if year is None:
        sums = records.annotate(y=ExtractYear("start_date")).values("staff_id", "y").annotate(h=Sum("hours"))
        years = sorted({r["y"] for r in sums})[-YEARS_SHOWN:]
        columns = [(str(y), f"{y} 年") for y in years]
        cell = {(r["staff_id"], str(r["y"])): r["h"] for r in sums}
    else:
        sums = records.filter(start_date__year=year).values("staff_id", "kind").annotate(h=Sum("hours"))
        columns = list(TrainingKind.choices)
        cell = {(r["staff_id"], r["kind"]): r["h"] for r in sums}
    rows = []
    for person in staff.select_related("org").order_by("org__path", "name", "id"):
        rows.append(HoursRow(person, [cell.get((person.pk, key)) or Decimal(0) for key, _ in columns]))
    totals = [sum((r.cells[i] for r in rows), Decimal(0)) for i in range(len(columns))]
    return HoursTable(columns, rows, totals)
