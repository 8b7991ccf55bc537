"""Which periods a schedule has made due by a day, and which of them a unit's data covers.

A period is named by its last month: every month (按月), months 3, 6, 9, 12 (按季) or 12 (按年).
Its vouchers are due ``lag_months`` months after that month, on ``due_day``. A period is covered
when the unit's latest voucher dataset of the year holds lines of that month or a later one (a
year's file sent in parts grows version by version; data sent for December covers November too,
since an export is of the year to date). A period the unit declared as having no transactions
(零报送, ``NilReturn``) counts as covered too."""

from __future__ import annotations

import datetime

from jingshen.collection.models import Frequency, NilReturn, ReportingSchedule
from jingshen.ledger import books
from jingshen.ledger.models import Dataset

PERIOD_MONTHS = {Frequency.MONTHLY: range(1, 13), Frequency.QUARTERLY: (3, 6, 9, 12), Frequency.YEARLY: (12,)}


def due_date(schedule: ReportingSchedule, year: int, month: int) -> datetime.date:
    months = year * 12 + (month - 1) + schedule.lag_months
    return datetime.date(months // 12, months % 12 + 1, schedule.due_day)


def period_end(year: int, month: int) -> datetime.date:
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return following - datetime.timedelta(days=1)


def due_periods(schedule: ReportingSchedule, today: datetime.date) -> list[tuple[int, int, datetime.date]]:
    """(year, month, due date) of every period of the schedule due by ``today`` (inclusive of the
    due day: data is late the day after), ending on or after ``starts_on``."""
    out = []
    for year in range(schedule.starts_on.year, today.year + 1):
        for month in PERIOD_MONTHS[schedule.frequency]:
            if period_end(year, month) < schedule.starts_on:
                continue
            due = due_date(schedule, year, month)
            if due < today:
                out.append((year, month, due))
    return out


def period_months(frequency: str, month: int) -> list[int]:
    """The months of the period named by ``month`` (its last month) under ``frequency``; ValueError
    when ``month`` does not end a period of that frequency."""
    if month not in PERIOD_MONTHS[frequency]:
        ends = "、".join(map(str, PERIOD_MONTHS[frequency]))
        raise ValueError(f"{Frequency(frequency).label}报送时，期间以期末月份表示（{ends} 月）。")
    if frequency == Frequency.MONTHLY:
        return [month]
    return list(range(month - 2, month + 1)) if frequency == Frequency.QUARTERLY else list(range(1, 13))


def latest_vouchers(org, year: int) -> Dataset | None:
    return Dataset.objects.filter(org=org, fiscal_year=year, kind="vouchers").order_by("-version").first()


def nil_periods(orgs, years) -> set[tuple[int, int, int]]:
    """(org id, year, period) of every nil return (零报送) of these units and years."""
    return set(NilReturn.objects.filter(org__in=orgs, fiscal_year__in=list(years)).values_list("org_id", "fiscal_year", "period"))


def covered_months(orgs, years) -> dict[tuple[int, int], int]:
    """(org id, year) → the last month with lines in the unit's latest voucher dataset of the year."""
    latest: dict[tuple[int, int], Dataset] = {}
    for d in (Dataset.objects.filter(org__in=orgs, fiscal_year__in=list(years), kind="vouchers").select_related("org")
              .order_by("org_id", "fiscal_year", "version")):
        latest[(d.org_id, d.fiscal_year)] = d
    months = books.last_periods(list(latest.values()))
    return {key: months.get(d.pk, 0) for key, d in latest.items()}
