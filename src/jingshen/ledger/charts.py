"""Charts of accounts: loading them from files, and the effective chart of a unit.

The built-in default is the 2010 union chart (《工会会计制度》) with its role mapping, in
``data/union-2010.csv``; another standard chart is added as a data file of the same shape.
"""

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from django.db import transaction

from jingshen.activity.services import record
from jingshen.ledger.models import Account, Chart, RoleStatus
from jingshen.ledger.roles import CATEGORY_WORDS, AccountRole, Category, resolve_role
from jingshen.paths import PACKAGE_DIR
from jingshen.tabular import Field, RowError, TableError, read_table, with_mapping

BUILTIN_CHART = PACKAGE_DIR / "ledger" / "data" / "union-2010.csv"
BUILTIN_CHART_NAME = "工会会计制度（2010）"

ACCOUNT_FIELDS = [
    Field("科目编码", aliases=("科目代码", "会计科目编码", "科目编号")),
    Field("科目名称", aliases=("会计科目名称", "科目全名")),
    Field("科目类别", aliases=("科目类型", "类别", "科目性质")),
    Field("余额方向", aliases=("方向", "借贷方向", "余额借贷方向")),
    Field("上级科目编码", required=False, aliases=("上级科目代码", "上级编码", "上级科目")),
    Field("科目角色", required=False, aliases=("角色",)),
]
DIRECTION_WORDS = {"借": "D", "借方": "D", "贷": "C", "贷方": "C"}
ROLE_WORDS = {value: value for value in AccountRole.values} | {label: value for value, label in AccountRole.choices}


@dataclass
class ChartResult:
    chart: Chart
    accounts: int
    suggested: int

    def summary(self) -> str:
        text = f"科目表「{self.chart.name}」共 {self.accounts} 个科目"
        if self.suggested:
            text += f"，其中 {self.suggested} 个科目的角色为系统建议，请在页面上确认"
        return text + "。"


def import_chart(path, *, org=None, standalone: bool = False, name: str | None = None, actor=None, display=None,
                 mapping: dict[str, str] | None = None) -> ChartResult:
    """Load a chart file as the default chart (org=None) or as ``org``'s own chart.
    All-or-nothing; roles an auditor has confirmed survive a re-import."""
    path = Path(path)
    display = display or path.name
    table = read_table(path, with_mapping(ACCOUNT_FIELDS, mapping), display)
    errors: list[RowError] = []
    base: dict[str, Account] = {}  # the default chart under an extending chart: parents and roles
    standard: dict[str, Account] = {}  # the default chart's accounts, to recognise them by code and name
    if org is not None:
        standard = {a.code: a for a in default_chart().accounts.all()}
        if not standalone:
            base = standard

    parsed: dict[str, dict] = {}
    for row, v in table.rows:
        code = v["科目编码"].strip()
        if not code:
            errors.append(RowError(display, row, "科目编码", "", "科目编码不能为空。"))
            continue
        if code in parsed:
            errors.append(RowError(display, row, "科目编码", code, f"科目编码重复，与第 {parsed[code]['row']} 行相同。"))
            continue
        category = CATEGORY_WORDS.get(v["科目类别"].strip())
        if category is None:
            errors.append(RowError(display, row, "科目类别", v["科目类别"], "未知的科目类别，应为：资产、负债、净资产、收入、支出。"))
        direction = DIRECTION_WORDS.get(v["余额方向"].strip())
        if direction is None:
            errors.append(RowError(display, row, "余额方向", v["余额方向"], "余额方向应为“借”或“贷”。"))
        role_text = v.get("科目角色", "").strip()
        role = ROLE_WORDS.get(role_text, None) if role_text else ""
        if role is None:
            errors.append(RowError(display, row, "科目角色", role_text, "未知的科目角色。"))
        parsed[code] = {
            "row": row,
            "name": v["科目名称"].strip(),
            "category": category,
            "direction": direction,
            "parent": v.get("上级科目编码", "").strip(),
            "role": role or "",
        }
    known = set(parsed) | set(base)
    for code, p in parsed.items():
        if p["parent"]:
            if p["parent"] not in known:
                errors.append(RowError(display, p["row"], "上级科目编码", p["parent"], "上级科目不存在。"))
            elif p["parent"] == code:
                errors.append(RowError(display, p["row"], "上级科目编码", code, "上级科目不能是本科目自己。"))
        else:
            p["parent"] = _prefix_parent(code, known)
        if not p["name"]:
            errors.append(RowError(display, p["row"], "科目名称", "", "科目名称不能为空。"))
    if errors:
        raise TableError(sorted(errors, key=lambda e: e.row or 0))

    with transaction.atomic():
        if org is None:
            chart = Chart.objects.filter(is_default=True).first() or Chart(is_default=True)
            chart.name = name or chart.name or path.stem
        else:
            chart = Chart.objects.filter(org=org).first() or Chart(org=org)
            chart.name = name or f"{org.name}科目表"
            chart.extends_default = not standalone
        chart.source_name = display
        chart.save()
        confirmed = {a.code: a.role for a in chart.accounts.filter(role_status=RoleStatus.CONFIRMED)}
        chart.accounts.all().delete()
        accounts = _with_roles(parsed, base, confirmed, standard)
        Account.objects.bulk_create([Account(chart=chart, **a) for a in accounts])
        suggested = sum(a["role_status"] == RoleStatus.SUGGESTED for a in accounts)
        record(
            "ledger.import_chart",
            f"导入科目表「{chart.name}」（{display}），{len(accounts)} 个科目",
            actor=actor,
            org=org,
            obj=chart,
        )
    return ChartResult(chart, len(accounts), suggested)


def _prefix_parent(code: str, known) -> str:
    """The longest other code that is a prefix of ``code`` (101 is the parent of 10101)."""
    for end in range(len(code) - 1, 0, -1):
        if code[:end] in known:
            return code[:end]
    return ""


def _with_roles(parsed: dict, base: dict, confirmed: dict, standard: dict | None = None) -> list[dict]:
    """Resolve each account's role, first that applies:

    1. confirmed by an auditor (CONFIRMED; survives a re-import);
    2. given in the file's 科目角色 column (BUILTIN);
    3. the default chart's role, for an account with the same code and name as one of it
       (BUILTIN: the unit restates a standard account);
    4. suggested by the account's own name, when its parent has no role or a generic one
       (roles.GENERIC_ROLES) and the name suggests a specific one (SUGGESTED): 50302 会议费
       under 503 业务支出 is a meeting account;
    5. inherited from the parent (INHERITED);
    6. suggested by the name when nothing else applies (SUGGESTED), else none (NONE).

    Parents first, so inheritance chains."""
    standard = standard or {}
    roles: dict[str, str] = {code: a.role for code, a in base.items()}
    parents = {code: p["parent"] for code, p in parsed.items()}
    out = []
    for code in sorted(parsed, key=len):
        p = parsed[code]
        known = standard.get(code)
        if code in confirmed:
            role, status = confirmed[code], RoleStatus.CONFIRMED
        elif p["role"]:
            role, status = p["role"], RoleStatus.BUILTIN
        elif known is not None and known.role and known.name == p["name"]:
            role, status = known.role, RoleStatus.BUILTIN
        else:
            role, how = resolve_role(p["name"], p["category"], roles.get(p["parent"], ""))
            status = {"named": RoleStatus.SUGGESTED, "inherited": RoleStatus.INHERITED}.get(how, RoleStatus.NONE)
        roles[code] = role
        out.append(
            {
                "code": code,
                "name": p["name"],
                "category": p["category"],
                "direction": p["direction"],
                "parent_code": p["parent"],
                "is_leaf": code not in set(parents.values()),
                "role": role,
                "role_status": status,
            }
        )
    return out


def default_chart() -> Chart:
    """The default chart; the built-in 2010 union chart is loaded the first time it is needed."""
    chart = Chart.objects.filter(is_default=True).first()
    if chart is None:
        chart = import_chart(BUILTIN_CHART, name=BUILTIN_CHART_NAME).chart
    return chart


def effective_accounts(org) -> dict[str, dict]:
    """The accounts a unit posts to: its own chart, on top of the default unless standalone.
    Each is a dict of the Account fields plus ``own`` (from the unit's chart), ``is_leaf`` and
    ``role_confirmed`` (``_mark_confirmed``)."""
    return _effective_charts([org])[org.code]


# Where a role is taken as settled: an auditor confirmed it, or it came from the standard chart or
# the chart file's 科目角色 column. An inherited role is settled when its parent's is (and still is
# the parent's); a role suggested from a name, and a missing role, are not.
SETTLED = (RoleStatus.CONFIRMED, RoleStatus.BUILTIN)
FIELDS = ("code", "name", "category", "direction", "parent_code", "role", "role_status")


def _effective_charts(orgs) -> dict[str, dict[str, dict]]:
    """Each unit's effective chart (``effective_accounts``), in three queries whatever the number
    of units: the default chart, the units' own charts and their accounts."""
    default = {a["code"]: a | {"own": False} for a in default_chart().accounts.values(*FIELDS)}
    _mark_confirmed(default)
    default_leaves = _leaves(default)
    own_charts = {c.org_id: c for c in Chart.objects.filter(org__in=orgs)}
    own_accounts: dict[int, list[dict]] = {}
    for a in Account.objects.filter(chart__in=own_charts.values()).values("chart_id", *FIELDS):
        own_accounts.setdefault(a.pop("chart_id"), []).append(a | {"own": True})
    result = {}
    for org in orgs:
        own = own_charts.get(org.pk)
        if own is None:
            result[org.code] = {code: a | {"is_leaf": code in default_leaves} for code, a in default.items()}
            continue
        accounts = {} if not own.extends_default else {code: dict(a) for code, a in default.items()}
        accounts.update({a["code"]: a for a in own_accounts.get(own.pk, [])})
        leaves = _leaves(accounts)
        for code, a in accounts.items():
            a["is_leaf"] = code in leaves
        _mark_confirmed(accounts)
        result[org.code] = accounts
    return result


def _leaves(accounts: dict[str, dict]) -> set[str]:
    parents = {a["parent_code"] for a in accounts.values()}
    return {code for code in accounts if code not in parents}


def _mark_confirmed(accounts: dict[str, dict]) -> None:
    """Set each account's ``role_confirmed`` (SETTLED): True for a confirmed or standard role, or
    one inherited unchanged from a parent whose role is settled; False otherwise."""
    done: dict[str, bool] = {}

    def settled(code: str, seen: frozenset = frozenset()) -> bool:
        if code in done:
            return done[code]
        a = accounts[code]
        if a["role_status"] in SETTLED:
            ok = True
        elif a["role_status"] == RoleStatus.INHERITED:
            parent = accounts.get(a["parent_code"])
            ok = (parent is not None and parent["role"] == a["role"] and a["parent_code"] not in seen
                  and settled(a["parent_code"], seen | {code}))
        else:
            ok = False
        done[code] = ok
        return ok

    for code, a in accounts.items():
        a["role_confirmed"] = settled(code)


CHART_COLUMNS = ("org", "code", "name", "is_leaf", "role", "role_confirmed", "category", "direction")


def effective_charts(orgs) -> dict[str, dict[str, dict]]:
    """``effective_accounts`` of several units, by unit code, in three queries whatever their number."""
    return _effective_charts(list(orgs))


def chart_table(orgs, charts: dict[str, dict[str, dict]] | None = None) -> pa.Table:
    """Effective charts of several units as one Arrow table (org, code, name, is_leaf, role,
    role_confirmed, category, direction, parent: the code of the account above, None for a
    first-level account), for set-based validation and rules in DuckDB. ``charts``: the units'
    ``effective_charts`` when the caller already has them."""
    cols = {k: [] for k in (*CHART_COLUMNS, "parent")}
    charts = _effective_charts(list(orgs)) if charts is None else charts
    for org_code, accounts in charts.items():
        for code, a in accounts.items():
            cols["org"].append(org_code)
            cols["code"].append(code)
            for key in CHART_COLUMNS[2:]:
                cols[key].append(a[key])
            cols["parent"].append(a["parent_code"] if a["parent_code"] in accounts else None)
    return pa.table(cols)


def ancestor_table(charts: dict[str, dict[str, dict]]) -> pa.Table:
    """Each account of the units' effective charts (``effective_charts``) with itself and every
    account above it (org, code, ancestor, distance: 0 for the account itself, 1 for its parent
    …): the roll-up of a detail account into the accounts above it as a join, with no recursive
    query (which not every engine runs)."""
    cols = {k: [] for k in ("org", "code", "ancestor", "distance")}
    for org_code, accounts in charts.items():
        for code in accounts:
            up, seen = code, set()
            while up in accounts and up not in seen:  # a parent cycle stops, as a missing parent does
                cols["org"].append(org_code)
                cols["code"].append(code)
                cols["ancestor"].append(up)
                cols["distance"].append(len(seen))
                seen.add(up)
                up = accounts[up].get("parent_code") or ""
    return pa.table(cols, schema=ANCESTOR_SCHEMA)


ANCESTOR_SCHEMA = pa.schema([("org", pa.string()), ("code", pa.string()), ("ancestor", pa.string()), ("distance", pa.int32())])


def unconfirmed_roles(orgs, roles=None) -> dict[str, list[tuple[str, str, str]]]:
    """For each unit (by code) whose effective chart has any, the detail accounts whose role is
    not settled (``role_confirmed`` false: suggested from the account's name, or inherited from
    such a role), as (code, name, role) sorted by code; ``roles`` (a set of role values, e.g. the
    roles a run's rules test) keeps only those. Units with none are left out. Three queries
    whatever the number of units (``_effective_charts``); the default chart, once loaded with
    its roles, has none."""
    wanted = set(roles) if roles is not None else None
    result = {}
    for org_code, accounts in _effective_charts(list(orgs)).items():
        found = [(code, a["name"], a["role"]) for code, a in sorted(accounts.items())
                 if a["is_leaf"] and a["role"] and not a["role_confirmed"] and (wanted is None or a["role"] in wanted)]
        if found:
            result[org_code] = found
    return result


def add_unit_accounts(org, accounts: list[tuple[str, str, int]], *, display: str, actor=None) -> list[RowError]:
    """Add detail accounts met in a voucher file (``--create-accounts``) to the unit's own chart,
    each under the longest existing code that prefixes it, inheriting its category and direction,
    and its role as ``roles.resolve_role`` decides (a specific role in the name beats a generic
    parent's). Returns errors for codes with no such parent (nothing is created then)."""
    effective = effective_accounts(org)
    errors, new = [], []
    known = set(effective)
    for code, name, row in sorted(accounts, key=lambda a: len(a[0])):
        parent = _prefix_parent(code, known)
        if not parent:
            errors.append(RowError(display, row, "科目编码", code, "科目表中没有它的上级科目，无法自动新增，请先导入科目表。"))
            continue
        p = effective.get(parent) or next(a for a in new if a["code"] == parent)
        role, how = resolve_role(name or "", p["category"], p["role"])
        new.append(
            {
                "code": code,
                "name": name or code,
                "category": p["category"],
                "direction": p["direction"],
                "parent_code": parent,
                "is_leaf": True,
                "role": role,
                "role_status": {"named": RoleStatus.SUGGESTED, "inherited": RoleStatus.INHERITED}.get(how, RoleStatus.NONE),
            }
        )
        known.add(code)
    if errors or not new:
        return errors
    with transaction.atomic():
        chart, _ = Chart.objects.get_or_create(org=org, defaults={"name": f"{org.name}科目表", "source_name": display})
        Account.objects.bulk_create([Account(chart=chart, **a) for a in new])
        Account.objects.filter(chart=chart, code__in={a["parent_code"] for a in new}).update(is_leaf=False)
        record(
            "ledger.create_accounts",
            f"导入凭证「{display}」时为 {org.name} 自动新增科目：" + "、".join(f"{a['code']} {a['name']}" for a in new),
            actor=actor,
            org=org,
            obj=chart,
        )
    return []


def account_roles_for(org) -> list[dict]:
    """The unit's effective accounts with their roles, for the confirmation page."""
    labels = dict(RoleStatus.choices)
    categories = dict(Category.choices)
    accounts = sorted(effective_accounts(org).values(), key=lambda a: a["code"])
    for a in accounts:
        a["status_label"] = labels[a["role_status"]]
        a["category_label"] = categories.get(a["category"], a["category"])
        a["needs_confirmation"] = not a["role_confirmed"]
    return accounts


def confirm_roles(org, choices: dict[str, str], *, actor=None) -> int:
    """Set (and confirm) the roles of a unit's accounts: ``choices`` maps account code to role
    ('' for none). A default-chart account gets a unit-level override only if its role changes."""
    effective = effective_accounts(org)
    unknown = [c for c in choices if c not in effective]
    bad = [r for r in choices.values() if r and r not in AccountRole.values]
    if unknown or bad:
        raise ValueError("提交的科目或角色无效，请刷新页面后重试。")
    changed = []
    with transaction.atomic():
        chart = Chart.objects.filter(org=org).first()
        for code, role in choices.items():
            a = effective[code]
            if a["own"]:
                if a["role"] != role or a["role_status"] != RoleStatus.CONFIRMED:
                    Account.objects.filter(chart=chart, code=code).update(role=role, role_status=RoleStatus.CONFIRMED)
                    changed.append(code)
            elif a["role"] != role:
                if chart is None:
                    chart = Chart.objects.create(org=org, name=f"{org.name}科目表")
                Account.objects.create(
                    chart=chart, code=code, name=a["name"], category=a["category"], direction=a["direction"],
                    parent_code=a["parent_code"], is_leaf=a["is_leaf"], role=role, role_status=RoleStatus.CONFIRMED,
                )
                changed.append(code)
        if changed:
            record("ledger.confirm_roles", f"确认 {org.name} 的科目角色：{'、'.join(changed)}", actor=actor, org=org,
                   codes=changed)
    return len(changed)
