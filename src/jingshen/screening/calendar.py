"""The calendar table rules join instead of calling day-of-week functions: one row per day
with the official holiday and make-up-workday (调休) arrangements from chinese-calendar."""

import datetime

import chinese_calendar
import pyarrow as pa

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def calendar_table(years) -> pa.Table:
    """date, is_weekend, is_holiday (statutory), is_makeup_workday, is_workday, holiday_name.
    Years chinese-calendar does not cover fall back to plain weekends (is_known = false)."""
    cols = {k: [] for k in ("date", "is_weekend", "is_holiday", "is_makeup_workday", "is_workday", "holiday_name", "is_known")}
    for year in sorted(set(years)):
        day = datetime.date(year, 1, 1)
        while day.year == year:
            weekend = day.weekday() >= 5
            try:
                on_holiday, name = chinese_calendar.get_holiday_detail(day)
                workday = chinese_calendar.is_workday(day)
                known = True
            except NotImplementedError:
                on_holiday, name, workday, known = weekend, None, not weekend, False
            statutory = bool(on_holiday and name)
            cols["date"].append(day)
            cols["is_weekend"].append(weekend)
            cols["is_holiday"].append(statutory)
            cols["is_makeup_workday"].append(weekend and workday)
            cols["is_workday"].append(workday)
            cols["holiday_name"].append(HOLIDAY_NAMES.get(name, name) if statutory else None)
            cols["is_known"].append(known)
            day += datetime.timedelta(days=1)
    return pa.table(cols)
