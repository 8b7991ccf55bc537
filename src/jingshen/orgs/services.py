"""Writes to units and grants. Commands, pages and the API call these, never the models'
save() directly, so that the tree paths and the activity log stay right."""

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.orgs import scope
from jingshen.orgs.models import CrossAuditGrant, Kind, Level, Org, OrgAlias, name_key
from jingshen.tabular import Field, RowError, TableError, read_table

ORG_FIELDS = [
    Field("单位编码", aliases=("单位代码", "组织编码", "组织代码", "编码")),
    Field("单位名称", aliases=("组织名称", "工会名称", "名称")),
    Field("上级单位编码", aliases=("上级编码", "上级单位代码", "上级组织编码", "上级代码")),
    Field("层级", aliases=("级别", "单位层级", "组织层级")),
    Field("单位性质", aliases=("性质", "单位类型", "组织性质")),
    Field("会员人数", aliases=("会员数", "人数", "工会会员人数")),
    Field("别名", required=False, aliases=("单位别名", "曾用名", "简称", "其他名称")),
]

ALIAS_SEPARATORS = re.compile(r"[、;；\r\n]+")
MAX_ALIASES = 20
ALIAS_MAX_LENGTH = 200


def parse_aliases(text: str) -> list[str]:
    """The aliases written in one cell or text box: separated by 、 or ; (or one a line), blanks
    dropped, each once."""
    return list(dict.fromkeys(a.strip() for a in ALIAS_SEPARATORS.split(text or "") if a.strip()))


def alias_problems(code: str, name: str, aliases: list[str], taken: dict[str, tuple[str, str]]) -> tuple[list[str], list[str]]:
    """The aliases of the unit ``code`` (named ``name``) that may be kept, and the reasons the
    others are refused. ``taken`` maps the key (``name_key``) of every unit's code and name to
    that unit's (code, name). An alias equal to the unit's own code or name is dropped: it adds
    nothing."""
    kept, problems, own = [], [], {name_key(code), name_key(name)}
    if len(aliases) > MAX_ALIASES:
        problems.append(f"一个单位最多 {MAX_ALIASES} 个别名。")
    for alias in aliases:
        key = name_key(alias)
        if len(alias) > ALIAS_MAX_LENGTH:
            problems.append(f"别名「{alias[:20]}…」超过 {ALIAS_MAX_LENGTH} 个字符。")
        elif key in own:
            continue
        elif key in taken and taken[key][0] != code:
            other_code, other_name = taken[key]
            problems.append(f"别名「{alias}」与单位「{other_name}（{other_code}）」的编码或名称相同，不能作为别名。")
        elif key not in {name_key(k) for k in kept}:
            kept.append(alias)
    return kept, problems


def _taken_keys(exclude_pk=None) -> dict[str, tuple[str, str]]:
    """name_key of every unit's code and name → (code, name)."""
    taken = {}
    for code, name in Org.objects.exclude(pk=exclude_pk).values_list("code", "name"):
        taken.setdefault(name_key(code), (code, name))
        taken.setdefault(name_key(name), (code, name))
    return taken


def _set_aliases(org: Org, aliases: list[str], current: list[str] | None = None) -> bool:
    """Make ``org``'s aliases exactly ``aliases`` (already checked); whether anything changed."""
    current = current if current is not None else list(org.aliases.values_list("name", flat=True))
    if set(current) == set(aliases):
        return False
    OrgAlias.objects.filter(org=org).exclude(name__in=aliases).delete()
    OrgAlias.objects.bulk_create([OrgAlias(org=org, name=a) for a in aliases if a not in current])
    return True

# 层级 and 单位性质 as users write them -> stored value.
LEVEL_WORDS = {label: value for value, label in Level.choices} | {
    "全国总工会": Level.NATIONAL,
    "省级": Level.PROVINCE,
    "省总工会": Level.PROVINCE,
    "市级": Level.CITY,
    "地市": Level.CITY,
    "市总工会": Level.CITY,
    "县级": Level.COUNTY,
    "区县": Level.COUNTY,
    "县区": Level.COUNTY,
    "县总工会": Level.COUNTY,
    "基层工会": Level.GRASSROOTS,
    "央企工会": Level.CENTRAL_ENTERPRISE,
}
KIND_WORDS = {label: value for value, label in Kind.choices} | {
    "机关": Kind.UNION_OFFICE,
    "工会机关单位": Kind.UNION_OFFICE,
    "事业": Kind.INSTITUTION,
    "企业工会": Kind.GRASSROOTS_UNION,
}


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        return f"新增 {len(self.created)} 个单位，更新 {len(self.updated)} 个，未变 {self.unchanged} 个。"


def import_orgs(path, *, actor=None, display: str | None = None, within: Org | None = None) -> ImportResult:
    """Load the standard unit template. All-or-nothing: any error refuses the whole file.

    ``within`` (the page 导入单位, for an administrator): every row must end up in the subtree
    of that unit — rows for units elsewhere, parents outside it and new top-level units are
    refused, and the unit itself keeps its parent. ``actor`` must manage it. The command line
    (an operator tool) imports without it."""
    if within is not None and (actor is None or not scope.can(actor, scope.MANAGE, within)):
        raise PermissionError("该单位不在您的管理范围内。")
    path = Path(path)
    display = display or path.name
    table = read_table(path, ORG_FIELDS, display)
    errors: list[RowError] = []

    def err(row, column, value, reason):
        errors.append(RowError(display, row, column, value, reason))

    parsed: dict[str, dict] = {}
    first_row: dict[str, int] = {}
    has_aliases = "别名" in table.columns  # optional: without the column, aliases stay as they are
    for row_no, v in table.rows:
        code = v["单位编码"].strip()
        if not code:
            err(row_no, "单位编码", "", "单位编码不能为空。")
            continue
        if len(code) > 32:
            err(row_no, "单位编码", code, "单位编码不能超过 32 个字符。")
        if code in first_row:
            err(row_no, "单位编码", code, f"单位编码重复，与第 {first_row[code]} 行相同。")
            continue
        first_row[code] = row_no
        name = v["单位名称"].strip()
        if not name:
            err(row_no, "单位名称", "", "单位名称不能为空。")
        level = LEVEL_WORDS.get(v["层级"].strip())
        if level is None:
            allowed = "、".join(label for _, label in Level.choices)
            err(row_no, "层级", v["层级"], f"未知的层级，应为：{allowed}。")
        kind = KIND_WORDS.get(v["单位性质"].strip())
        if kind is None:
            allowed = "、".join(label for _, label in Kind.choices)
            err(row_no, "单位性质", v["单位性质"], f"未知的单位性质，应为：{allowed}。")
        members_text = v["会员人数"].replace(",", "").strip()
        members = None
        if members_text:
            try:
                members = int(float(members_text)) if float(members_text).is_integer() else None
            except ValueError:
                members = None
            if members is None or members < 0:
                err(row_no, "会员人数", v["会员人数"], "会员人数应为不小于 0 的整数。")
                members = None
        parsed[code] = {
            "row": row_no,
            "name": name,
            "parent_code": v["上级单位编码"].strip() or None,
            "level": level,
            "kind": kind,
            "member_count": members,
            "aliases": parse_aliases(v["别名"]) if has_aliases else None,
            "alias_text": v.get("别名", ""),
        }

    existing = {o.code: o for o in Org.objects.select_related("parent")}
    # The parent of every unit after the import: file rows override the database.
    parent_of = {code: (o.parent.code if o.parent else None) for code, o in existing.items()}
    for code, p in parsed.items():
        parent_code = p["parent_code"]
        if parent_code == code:
            err(p["row"], "上级单位编码", parent_code, "上级单位不能是本单位自己。")
            continue
        if parent_code and parent_code not in parsed and parent_code not in existing:
            err(p["row"], "上级单位编码", parent_code, "上级单位在本文件和系统中都不存在。")
            continue
        parent_of[code] = parent_code
    if within is not None:
        _check_within(within, parsed, existing, err)
    if has_aliases:
        # against every unit's code and name as they will be after the import
        taken: dict[str, tuple[str, str]] = {}
        for code, p in parsed.items():
            taken.setdefault(name_key(code), (code, p["name"]))
            taken.setdefault(name_key(p["name"]), (code, p["name"]))
        for code, o in existing.items():
            if code not in parsed:
                taken.setdefault(name_key(code), (code, o.name))
                taken.setdefault(name_key(o.name), (code, o.name))
        for code, p in parsed.items():
            p["aliases"], problems = alias_problems(code, p["name"], p["aliases"], taken)
            for problem in problems:
                err(p["row"], "别名", p["alias_text"], problem)
    for code in parsed:
        cycle = _cycle_from(code, parent_of)
        if cycle and cycle[0] == code:
            path_text = " → ".join(cycle + [code])
            err(parsed[code]["row"], "上级单位编码", parsed[code]["parent_code"], f"上级关系形成循环：{path_text}。")
    if errors:
        errors.sort(key=lambda e: (e.row or 0))
        raise TableError(errors)

    result = ImportResult()
    with transaction.atomic():
        for code, p in parsed.items():
            values = {k: p[k] for k in ("name", "level", "kind", "member_count")}
            org = existing.get(code)
            if org is None:
                existing[code] = Org.objects.create(code=code, **values)
                result.created.append(code)
            elif any(getattr(org, k) != val for k, val in values.items()):
                for k, val in values.items():
                    setattr(org, k, val)
                org.save(update_fields=[*values, "updated_at"])
                result.updated.append(code)
        for code, p in parsed.items():
            org = existing[code]
            parent = existing[p["parent_code"]] if p["parent_code"] else None
            if org.parent_id != (parent.pk if parent else None):
                org.parent = parent
                org.save(update_fields=["parent", "updated_at"])
                if code not in result.created and code not in result.updated:
                    result.updated.append(code)
        if has_aliases:
            current: dict[str, list[str]] = {}
            for code, alias in OrgAlias.objects.filter(org__code__in=list(parsed)).values_list("org__code", "name"):
                current.setdefault(code, []).append(alias)
            for code, p in parsed.items():
                if _set_aliases(existing[code], p["aliases"], current.get(code, [])) and code not in result.created \
                        and code not in result.updated:
                    result.updated.append(code)
        result.unchanged = len(parsed) - len(result.created) - len(result.updated)
        if result.created or result.updated:
            rebuild_paths()
            record(
                "orgs.import",
                f"导入单位文件「{display}」：{result.summary()}",
                actor=actor,
                file=display,
                created=result.created,
                updated=result.updated,
            )
    return result


def _check_within(within: Org, parsed: dict, existing: dict, err) -> None:
    """The rows of a file imported under ``within`` stay in its subtree (see ``import_orgs``)."""
    inside = {code for code, o in existing.items() if o.path.startswith(within.path)}
    for code, p in parsed.items():
        parent_code = p["parent_code"]
        if code in existing and code not in inside:
            err(p["row"], "单位编码", code, f"该单位编码已被「{within.name}」以外的单位使用，不能在此导入。")
        elif code == within.code:
            current = existing[code].parent.code if existing[code].parent else None
            if parent_code != current:
                err(p["row"], "上级单位编码", parent_code or "", f"「{within.name}」是本次导入的范围，不能在此修改它的上级单位。")
        elif not parent_code:
            err(p["row"], "上级单位编码", "", f"请填写上级单位编码：导入的单位须位于「{within.name}」之下。")
        elif parent_code not in parsed and parent_code in existing and parent_code not in inside:
            err(p["row"], "上级单位编码", parent_code, f"上级单位不在「{within.name}」之下（您的管理范围）。")


def _cycle_from(code: str, parent_of: dict[str, str | None]) -> list[str] | None:
    """The chain of units from ``code`` upwards if it returns to a unit already on it."""
    seen: list[str] = []
    current = code
    while current is not None:
        if current in seen:
            return seen[seen.index(current) :]
        seen.append(current)
        current = parent_of.get(current)
    return None


def rebuild_paths() -> None:
    """Recompute the materialised path and depth of every unit, top-down, in bulk."""
    orgs = list(Org.objects.only("id", "parent_id", "path", "depth"))
    children: dict[int | None, list[Org]] = {}
    for o in orgs:
        children.setdefault(o.parent_id, []).append(o)
    changed = []
    stack = [(o, "/", 0) for o in children.get(None, [])]
    while stack:
        org, prefix, depth = stack.pop()
        path = f"{prefix}{org.pk}/"
        if org.path != path or org.depth != depth:
            org.path, org.depth = path, depth
            changed.append(org)
        stack.extend((c, path, depth + 1) for c in children.get(org.pk, []))
    Org.objects.bulk_update(changed, ["path", "depth"], batch_size=1000)


class _Operator:
    """The issuer of grants made by test fixtures and data setup code, with no scope check. Never
    used for a request or a command: those name a user, and ``scope.may_grant`` decides."""

    is_authenticated = False

    def __repr__(self):
        return "OPERATOR"


OPERATOR = _Operator()


def create_grant(
    *,
    target: Org,
    valid_from: datetime.date,
    valid_until: datetime.date,
    purpose: str,
    grantee_org: Org | None = None,
    grantee_user=None,
    actor,
) -> CrossAuditGrant:
    """Grant a cross-audit (交叉互审) on one unit. ``actor`` is the issuing user, who must be
    allowed by ``scope.may_grant`` (PermissionError with the reason otherwise) — for the page, the
    command line and any later caller alike; only ``OPERATOR`` (fixtures) skips the check."""
    if (grantee_org is None) == (grantee_user is None):
        raise ValueError("授权对象必须是一个单位或一个用户，二者只能选其一。")
    if actor is not OPERATOR:
        refusal = scope.grant_refusal(actor, target, grantee_org, grantee_user)
        if refusal:
            raise PermissionError(refusal)
    if valid_until < valid_from:
        raise ValueError("截止日期不能早于起始日期。")
    if not purpose.strip():
        raise ValueError("请填写交叉互审的事由。")
    if len(purpose.strip()) > 500:
        raise ValueError("事由不能超过 500 个字。")
    by = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        grant = CrossAuditGrant.objects.create(
            target=target,
            grantee_org=grantee_org,
            grantee_user=grantee_user,
            valid_from=valid_from,
            valid_until=valid_until,
            purpose=purpose.strip(),
            created_by=by,
        )
        grantee = grantee_user.username if grantee_user else grantee_org.name
        record(
            "orgs.grant",
            f"授权 {grantee} 交叉互审 {target.name}（{valid_from}～{valid_until}）：{grant.purpose}",
            actor=by,
            org=target,
            obj=grant,
        )
    return grant


def revoke_grant(grant: CrossAuditGrant, *, actor, reason: str = "") -> bool:
    """Revoke a grant (its issuer, or whoever may grant on its target: ``scope.may_revoke_grant``);
    the reason goes into the activity log. False when it was already revoked."""
    if actor is not OPERATOR and not scope.may_revoke_grant(actor, grant):
        raise PermissionError("您不能撤销这项交叉互审授权。")
    reason = reason.strip()
    if len(reason) > 300:
        raise ValueError("撤销原因不能超过 300 个字。")
    by = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        grant = CrossAuditGrant.objects.select_for_update().get(pk=grant.pk)
        if grant.revoked_at is not None:
            return False
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at"])
        summary = f"撤销交叉互审授权：{grant}" + (f"，原因：{reason}" if reason else "")
        record("orgs.grant_revoke", summary, actor=by, org=grant.target, obj=grant, reason=reason)
    return True


def _unit(org: Org) -> dict:
    """What the activity log keeps of a unit, before and after a change."""
    return {
        "单位名称": org.name,
        "层级": org.get_level_display(),
        "单位性质": org.get_kind_display(),
        "会员人数": org.member_count,
        "上级单位": f"{org.parent.name}（{org.parent.code}）" if org.parent_id else "",
        "别名": "、".join(org.aliases.values_list("name", flat=True)),
    }


def _check_values(name: str, level: str, kind: str, member_count) -> str:
    name = name.strip()
    if not name:
        raise ValueError("单位名称不能为空。")
    if len(name) > Org._meta.get_field("name").max_length:
        raise ValueError("单位名称不能超过 200 个字符。")
    if level not in Level.values:
        raise ValueError("未知的层级。")
    if kind not in Kind.values:
        raise ValueError("未知的单位性质。")
    if member_count is not None and not 0 <= member_count <= 2_147_483_647:
        raise ValueError("会员人数应为不小于 0 的整数。")
    return name


def create_org(actor, *, parent: Org, code: str, name: str, level: str, kind: str, member_count=None) -> Org:
    """A new unit under ``parent``, which ``actor`` must manage (新建下级单位)."""
    if parent is None or not scope.can(actor, scope.MANAGE, parent):
        raise PermissionError("上级单位不在您的管理范围内。")
    code = code.strip()
    if not code:
        raise ValueError("单位编码不能为空。")
    if len(code) > 32 or "/" in code:
        raise ValueError("单位编码不能超过 32 个字符，也不能含“/”。")
    name = _check_values(name, level, kind, member_count)
    with transaction.atomic():
        if Org.objects.filter(code=code).exists():
            raise ValueError(f"单位编码「{code}」已存在。")
        org = Org.objects.create(code=code, name=name, parent=parent, level=level, kind=kind, member_count=member_count)
        rebuild_paths()
        org.refresh_from_db()
        record("orgs.create", f"新建单位 {org.name}（{org.code}），上级单位 {parent.name}", actor=actor, org=org, obj=org,
               after=_unit(org))
    return org


def update_org(actor, org: Org, *, name: str, level: str, kind: str, member_count=None, parent: Org | None,
               aliases: list[str] | None = None) -> Org:
    """Change a unit (编辑单位), ``actor`` managing it. A new parent must be in the actor's
    MANAGE scope and not the unit itself or below it (no cycle); the tree paths are rebuilt
    after a move. The top of the actor's scope (their own unit) keeps its parent. ``aliases``
    (别名) replace the unit's when given (None: unchanged); one equal to another unit's code or
    name is refused (``alias_problems``)."""
    if not scope.can(actor, scope.MANAGE, org):
        raise PermissionError("该单位不在您的管理范围内。")
    name = _check_values(name, level, kind, member_count)
    if aliases is not None:
        aliases, problems = alias_problems(org.code, name, [a.strip() for a in aliases if a.strip()],
                                           _taken_keys(exclude_pk=org.pk))
        if problems:
            raise ValueError("".join(problems))
    with transaction.atomic():
        org = Org.objects.select_for_update(of=("self",)).select_related("parent").get(pk=org.pk)
        moved = (parent.pk if parent else None) != org.parent_id
        if moved:
            if parent is None or not scope.can(actor, scope.MANAGE, parent):
                raise PermissionError("新的上级单位不在您的管理范围内。")
            parent = Org.objects.get(pk=parent.pk)
            if parent.path.startswith(org.path):
                raise ValueError("不能把单位移到它自己或它的下级单位之下，否则上下级关系会形成循环。")
        before = _unit(org)
        org.name, org.level, org.kind, org.member_count, org.parent = name, level, kind, member_count, parent
        org.save(update_fields=["name", "level", "kind", "member_count", "parent", "updated_at"])
        if aliases is not None:
            _set_aliases(org, aliases)
        if moved:
            rebuild_paths()
            org.refresh_from_db()
        after = _unit(org)
        if after != before:
            summary = f"修改单位 {org.name}（{org.code}）" + (f"，移至 {parent.name} 之下" if moved else "")
            record("orgs.update", summary, actor=actor, org=org, obj=org, before=before, after=after)
    return org
