"""Demo 通知公告: two of the province (by its 经审负责人) and one of 西湖区总工会 (by its 经审负责人 —
the demo has no city-level 经审负责人 to publish for a city), made through portal.services like a
user would, so the home page shows notices received from above and the contact of a grassroots
unit of 西湖区 sees all three. Idempotent: a notice with the same unit and title is not made twice."""

from jingshen.accounts.models import User
from jingshen.orgs.models import Org
from jingshen.portal import services
from jingshen.portal.models import Notice

NOTICES = [
    # publisher, unit code, title, pinned, body
    ("director", "33", "关于开展 2025 年度工会经费收支审计工作的通知", True,
     "各市、县（市、区）总工会经审会：\n"
     "根据全省工会经审工作安排，请于 2026 年 3 月底前完成对下一级工会 2025 年度经费收支情况的审计，"
     "重点关注福利发放、会议培训和大额资金支出。\n"
     "审计中发现的问题请在平台“审计作业”中逐项登记，按期督促整改。\n"
     "省总工会经费审查委员会办公室"),
    ("director", "33", "关于做好平台上线后往期审计记录录入的提示", False,
     "为使审计覆盖率反映实际情况，请各级经审会在“综合管理 › 往期审计记录”中录入或导入近五年已完成的审计"
     "（单位、年度、审计类型、报告文号）。\n未录入的单位将显示为“从未审计”。"),
    ("county_director", "330103", "西湖区 2026 年第一季度经审工作安排", False,
     "辖区各基层工会：\n区总工会经审会将于一季度对部分基层工会开展经费收支审计，请各单位提前整理 2025 年度凭证和账簿，"
     "按审前调查要求在平台上答复。"),
]


def ensure_demo_notices() -> int:
    """Publish the demo notices that do not exist yet; return how many demo notices there are."""
    for username, code, title, pinned, body in NOTICES:
        org = Org.objects.get(code=code)
        if Notice.objects.filter(org=org, title=title).exists():
            continue
        services.publish_notice(User.objects.get(username=username), org=org, title=title, body=body, pinned=pinned)
    return len(NOTICES)
