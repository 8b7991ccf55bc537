"""One demo user per role, placed so that the 下审一级 scope shows: the province sees all,
a Hangzhou user sees Hangzhou, a Ningbo user sees Ningbo, the 西湖区 county's audit staff run the
demo audit projects on its grassroots units, a contact sees one grassroots unit."""

from jingshen.accounts.models import RoleCode, User
from jingshen.accounts.services import create_user
from jingshen.orgs.models import Org

DEMO_PASSWORD = "jingshen2026"
DEMO_USERS = [
    # username, display name, unit code, roles
    ("admin", "系统管理员", "33", [RoleCode.ADMIN]),
    ("director", "王建国", "33", [RoleCode.DIRECTOR]),
    ("leader", "李明", "33", [RoleCode.LEADER]),
    ("teamlead", "陈静", "3301", [RoleCode.TEAM_LEAD, RoleCode.AUDITOR]),
    ("auditor", "张伟", "3301", [RoleCode.AUDITOR]),
    ("auditor_nb", "刘洋", "3302", [RoleCode.AUDITOR]),
    # the 经审会 of 西湖区总工会, which audits the grassroots units below it (the demo audit projects)
    ("county_director", "周强", "330103", [RoleCode.DIRECTOR]),
    ("county_lead", "吴芳", "330103", [RoleCode.TEAM_LEAD, RoleCode.AUDITOR]),
    ("contact", "赵敏", "330103001", [RoleCode.AUDITEE_CONTACT]),
]


def ensure_demo_users() -> list[tuple[str, str, str]]:
    """Create missing demo users; return (username, unit name, roles) for every demo user."""
    shown = []
    for username, name, code, roles in DEMO_USERS:
        org = Org.objects.get(code=code)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = create_user(org=org, username=username, password=DEMO_PASSWORD, roles=list(roles), display_name=name)
        shown.append((username, org.name, "、".join(user.role_names())))
    return shown
