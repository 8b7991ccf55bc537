"""疑点筛查 pages: start a run, follow it, rank units, filter flags, read a flag with its
voucher, and the rule catalogue. Views check access, call services, render."""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jingshen.audits import findings as audit_findings
from jingshen.knowledge import citations
from jingshen.ledger import books
from jingshen.ledger.roles import AccountRole
from jingshen.orgs.models import Kind, Level, Org
from jingshen import querystring, xlsx_export
from jingshen.xlsx_export import Column, Sheet, too_large
from jingshen.orgs import scope
from jingshen.screening import access, applicability, custom, params, services
from jingshen.screening.forms import CustomRuleForm, RuleParamForm, StartRunForm
from jingshen.screening.models import CustomRule, ScreeningRun
from jingshen.screening.rules import CATEGORIES, LEVELS, SEVERITIES, load_rules
from jingshen.screening.scoring import BANDS, band


@querystring.posts(StartRunForm)
def index(request):
    user = request.user
    screenable = scope.orgs_for(user, scope.SCREEN)
    years = sorted(set(access.screenable_datasets(user).values_list("fiscal_year", flat=True)), reverse=True)
    if request.method == "POST":
        if not access.may_screen(user):
            raise Http404("您的角色不能发起疑点筛查。")
        offered = {r.code for _, group in _rule_groups(user) for r in group}
        form = StartRunForm(request.POST)
        if not form.is_valid():
            for name, errors in form.errors.items():
                messages.error(request, f"{form.fields[name].label}：{''.join(errors)}")
            return redirect("screening:index")
        data = form.cleaned_data
        org = scope.get_org_for_user(user, data["org"] or user.org.code, scope.SCREEN)
        codes = data["rules"] or None  # none sent: the whole pack
        if codes is None and data["choosing_rules"]:
            messages.error(request, "请至少选择一条规则。")
            return redirect("screening:index")
        if codes and set(codes) >= offered:
            # every rule offered is ticked: the whole pack, with the custom rules of the chosen
            # scope (those of units below the user's own are not in the list)
            codes = None
        try:
            engine = data["engine"] if settings.SPARK_CONFIGURED and data["engine"] else None
            run = services.start_in_background(year=data["year"], org=org, rule_codes=codes, actor=user, engine=engine)
        except (PermissionError, ValueError) as exc:
            messages.error(request, str(exc))
            return redirect("screening:index")
        return redirect("screening:run", run_id=run.pk)
    context = {
        "years": years,
        "orgs": screenable.exclude(level="grassroots").order_by("path"),
        "runs": access.runs_for(user).select_related("scope_org", "started_by")[:20],
        "may_screen": access.may_screen(user),
        "rule_count": len(load_rules()),
        "rule_groups": _rule_groups(user),
        "engines": StartRunForm.base_fields["engine"].choices if settings.SPARK_CONFIGURED else None,
        "default_engine": settings.SCREENING_ENGINE,
    }
    return render(request, "screening/index.html", context)


def _rule_groups(user) -> list[tuple[str, list]]:
    """The rules a run can choose from, by category: the pack, then the custom rules that
    apply to the user's unit."""
    groups = [(c, sorted((r for r in load_rules().values() if r.category == c), key=lambda r: r.code)) for c in CATEGORIES]
    groups = [(c, rules) for c, rules in groups if rules]
    own = custom.rules_for_org(user.org)
    if own:
        groups.append(("自定义规则", own))
    return groups


# The unit risk ranking's sort orders: (value, label); a leading "-" is descending.
RANK_SORTS = [("-score", "风险分从高到低"), ("score", "风险分从低到高"), ("-flags", "疑点数从多到少"), ("-high", "高风险疑点从多到少"),
              ("-vouchers", "疑点凭证从多到少"), ("-amount", "涉及金额从大到小"), ("org_code", "单位编码")]
RANK_PER_PAGE = 50


class FlagQuery(querystring.ExportForm):
    """The run page's filters: the flag list's, and the unit ranking's (prefixed ``rank_``).
    ``?format=xlsx`` exports the flag list, with ``table=ranking`` the ranking."""

    rule = querystring.text("规则", max_length=40)
    category = querystring.choice("类别", [(c, c) for c in CATEGORIES])
    severity = querystring.choice("风险等级", [(s, s) for s in SEVERITIES])
    org = querystring.text("单位编码", max_length=40)
    period = querystring.period()
    amount_min = querystring.AmountField("金额不低于")
    amount_max = querystring.AmountField("金额不高于")
    page = querystring.page()
    rank_q = querystring.text("排名·单位", max_length=100)
    rank_level = querystring.choice("排名·层级", Level.choices)
    rank_kind = querystring.choice("排名·单位性质", Kind.choices)
    rank_band = querystring.choice("排名·风险档次", [(key, label) for key, label, _ in BANDS])
    rank_sort = querystring.choice("排名·排序", RANK_SORTS, "-score")
    rank_page = querystring.page()
    table = querystring.choice("导出表格", [("ranking", "单位风险排名")])


@querystring.query(FlagQuery)
def run(request, run_id):
    user = request.user
    run = access.get_run_for_user(user, run_id)
    running = run.status == ScreeningRun.Status.RUNNING
    if request.headers.get("HX-Request") and running:
        return render(request, "screening/_progress.html", {"run": run})
    if running or run.status == ScreeningRun.Status.FAILED:
        return render(request, "screening/run.html", {"run": run, "running": running, "method": _method(run)})
    visible = set(scope.orgs_for(user, scope.VIEW_FLAGS).values_list("pk", flat=True))
    ranking, ranking_applied = ranking_table(run, visible, request.query)
    exporting = request.query.wants_xlsx()
    if exporting and request.query.value("table") == "ranking":
        return xlsx_export.response(request, ranking_sheet(run, ranking, ranking_applied), f"单位风险排名-筛查{run.pk}.xlsx",
                                    f"ranking-{run.pk}.xlsx", org=run.scope_org, obj=run)
    flags = access.flags_for(user, run).select_related("org")
    flags, applied = _filter_flags(request.query, flags)
    flags = flags.order_by(*FLAG_ORDER)
    if exporting:
        total = flags.count()
        if total > xlsx_export.EXPORT_MAX_ROWS:
            return too_large(request, total)
        return xlsx_export.response(request, flags_sheet(run, flags, applied), f"疑点清单-筛查{run.pk}.xlsx", f"flags-{run.pk}.xlsx",
                                    org=run.scope_org, obj=run)
    page = Paginator(flags, 50).get_page(request.query.value("page"))
    method = _method(run)
    context = {
        "run": run,
        "ranking": Paginator(ranking, RANK_PER_PAGE).get_page(request.query.value("rank_page")),
        "ranking_filtered": bool(ranking_applied),
        "chart": [{"name": u["org_name"], "score": u["score"]} for u in sorted(ranking, key=lambda u: u["rank"])[:20]],
        "levels": Level.choices, "kinds": Kind.choices, "bands": [(key, label) for key, label, _ in BANDS],
        "rank_sorts": RANK_SORTS,
        "page": page,
        "filters": request.query.data,  # shown again in the filter form (escaped)
        "rules": sorted((m["code"], m["name"]) for m in method),
        "categories": CATEGORIES,
        "severities": SEVERITIES,
        "method": method,
        "not_applicable": applicability.summary(
            run.not_applicable, {m["code"]: m["name"] for m in method},
            set(run.datasets.filter(org_id__in=visible).values_list("org__code", flat=True)),
        ),
        "unconfirmed": _unconfirmed(run, visible),
    }
    return render(request, "screening/run.html", context)


def ranking_table(run, visible: set[int], query: FlagQuery) -> tuple[list[dict], list[tuple[str, str]]]:
    """The run's unit ranking (stored on the run when it ended) as the page's table: the units
    the user may see, each with its rank among them, level, kind and band, filtered and sorted
    by the ``rank_`` parameters; and the filters applied as (label, value)."""
    ranked = [u for u in run.ranking if u["org_id"] in visible]
    facts = {pk: (level, kind) for pk, level, kind in
             Org.objects.filter(pk__in=[u["org_id"] for u in ranked]).values_list("pk", "level", "kind")}
    levels, kinds = dict(Level.choices), dict(Kind.choices)
    rows = []
    for position, u in enumerate(ranked, start=1):
        level, kind = facts.get(u["org_id"], ("", ""))
        key, label = band(u["score"])
        rows.append({**u, "rank": position, "amount": Decimal(u["amount"]), "level": level, "level_label": levels.get(level, ""),
                     "kind": kind, "kind_label": kinds.get(kind, ""), "band": key, "band_label": label})
    applied = []
    if query.given("rank_q"):
        text = query.value("rank_q").strip().lower()
        rows = [u for u in rows if text in u["org_code"].lower() or text in u["org_name"].lower()]
        applied.append(("单位", query.value("rank_q")))
    for name, field, labels in (("rank_level", "level", levels), ("rank_kind", "kind", kinds),
                                ("rank_band", "band", {key: label for key, label, _ in BANDS})):
        if query.given(name):
            rows = [u for u in rows if u[field] == query.value(name)]
            applied.append((query.fields[name].label.removeprefix("排名·"), labels[query.value(name)]))
    sort = query.value("rank_sort")
    if sort != "-score":  # the stored order is by score, highest first
        key = sort.lstrip("-")
        rows.sort(key=lambda u: u["rank"])
        rows.sort(key=lambda u: u[key], reverse=sort.startswith("-"))
        applied.append(("排序", dict(RANK_SORTS)[sort]))
    return rows, applied


def ranking_sheet(run, rows: list[dict], applied: list[tuple[str, str]]) -> Sheet:
    """The ranking as a worksheet, with the page's filters and order."""
    scope_name = f"{run.scope_org.name}及下级单位" if run.scope_org else "全部单位"
    chosen = "；".join(f"{label}：{value}" for label, value in applied)
    return Sheet(
        title="单位风险排名",
        heading=[f"{run.fiscal_year} 年单位风险排名：{scope_name}（筛查 #{run.pk}）", f"筛选条件：{chosen or '无'}"],
        columns=[Column("排名", "int", 6), Column("单位编码", width=12), Column("单位名称", width=28), Column("层级", width=8),
                 Column("单位性质", width=12), Column("风险分", width=8), Column("风险档次", width=8), Column("疑点", "int", 8),
                 Column("高风险疑点", "int", 10), Column("疑点凭证", "int", 10), Column("涉及金额", "money", 16),
                 Column("往期审计发现", "int", 12)],
        rows=((u["rank"], u["org_code"], u["org_name"], u["level_label"], u["kind_label"], u["score"], u["band_label"], u["flags"],
               u["high"], u["vouchers"], u["amount"], u.get("findings", 0)) for u in rows),
    )


def _unconfirmed(run, visible: set[int]) -> list[dict]:
    """The run's units (those the user may see) with account roles the rules relied on but no one
    confirmed, with those accounts and their role names."""
    names = dict(Org.objects.filter(code__in=run.unconfirmed_roles, pk__in=visible).values_list("code", "name"))
    return [{"org": code, "name": names[code], "accounts": [(a, n, AccountRole(r).label) for a, n, r in accounts]}
            for code, accounts in sorted(run.unconfirmed_roles.items()) if code in names]


# The flag list's order: the vouchers an auditor should pursue first (their combined score,
# scoring.py), a unit-level finding by its own score among them, a voucher's flags together.
FLAG_ORDER = (Coalesce("voucher_score", "score").desc(), "org__code", "period", "voucher_type", "voucher_no", "-score",
              "line_no", "id")



def _method(run) -> list[dict]:
    """The rules of a run as recorded (version, parameter values, units with their own
    settings), for the audit papers: how this screening was done."""
    rules = load_rules()
    own = dict(CustomRule.objects.filter(code__in=[e["code"] for e in run.rules if e["code"] not in rules])
               .values_list("code", "name"))
    method = []
    for entry in run.rules:
        rule = rules.get(entry["code"])
        labels = {name: p.label for name, p in rule.params.items()} if rule else {}
        method.append({
            "code": entry["code"],
            "name": rule.name if rule else own.get(entry["code"], "自定义规则（已删除）"),
            "version": entry.get("version", ""),
            "family": entry.get("family", ""),
            "params": [(labels.get(name, name), value) for name, value in entry["params"].items()],
            "own_settings": sum(len(g["orgs"]) for g in entry.get("groups", []) if g["params"] != entry["params"]),
        })
    return method


def _filter_flags(query: FlagQuery, flags):
    """The flag list's filters: the filtered flags and the filters applied as (label, value).
    A filter with a bad value is left out (and the page says so: ``querystring.query``)."""
    applied = []
    for key, lookup in (("rule", "rule"), ("category", "category"), ("severity", "severity"), ("org", "org__code"),
                        ("period", "period"), ("amount_min", "amount__gte"), ("amount_max", "amount__lte")):
        if query.given(key):
            value = query.value(key)
            flags = flags.filter(**{lookup: value})
            applied.append((query.fields[key].label, f"{value:,}" if key.startswith("amount") else str(value)))
    return flags, applied


def flags_sheet(run, flags, applied: list[tuple[str, str]]) -> Sheet:
    """The filtered flag list as a worksheet, in the page's order."""
    scope_name = f"{run.scope_org.name}及下级单位" if run.scope_org else "全部单位"
    chosen = "；".join(f"{label}：{value}" for label, value in applied)
    rows = (
        (f.voucher_score, f.score, f.severity, f.rule, f.rule_name, f.category, f.org.code, f.org.name, f.period, f.voucher_type or None,
         f.voucher_no, f.line_no, f.amount, f.message, f.basis)
        for f in flags.iterator(chunk_size=2000)
    )
    return Sheet(
        title="疑点清单",
        heading=[f"{run.fiscal_year} 年疑点清单：{scope_name}（筛查 #{run.pk}）", f"筛选条件：{chosen or '无'}"],
        columns=[
            Column("凭证风险分", "int", 10), Column("规则风险分", "int", 10), Column("风险等级", width=8), Column("规则编号", width=14),
            Column("规则名称", width=24), Column("类别", width=6), Column("单位编码", width=12),
            Column("单位名称", width=24), Column("会计期间", "int", 8), Column("凭证字", width=7),
            Column("凭证号", "int", 8), Column("分录号", "int", 7), Column("金额", "money", 14),
            Column("疑点说明", width=60), Column("依据", width=40),
        ],
        rows=rows,
    )


def flag(request, flag_id):
    user = request.user
    flag = access.get_flag_for_user(user, flag_id)
    voucher = None
    if flag.voucher_no is not None and flag.dataset is not None:
        voucher = books.voucher(flag.dataset, flag.period, flag.voucher_type, flag.voucher_no)
    rule = load_rules().get(flag.rule)
    others = access.flags_for(user, flag.run).filter(
        org=flag.org, period=flag.period, voucher_type=flag.voucher_type, voucher_no=flag.voucher_no
    ).exclude(pk=flag.pk) if flag.voucher_no is not None else []
    systemic = flag.details.get("systemic") if isinstance(flag.details, dict) else False
    hits = flag.details["flags"][:SYSTEMIC_SHOWN] if systemic else []
    context = {"flag": flag, "voucher": voucher, "rule": rule, "others": others, "systemic": systemic, "hits": hits,
               "hits_total": len(flag.details["flags"]) if systemic else 0,
               "verifications": audit_findings.verifications_of_flag(user, flag)}
    return render(request, "screening/flag.html", context)


SYSTEMIC_SHOWN = 500  # the hits a systemic finding's page lists


def _basis(rule, cited: list) -> list[dict]:
    """A rule's basis lines with their citations (a link to the article when in the library,
    marked 未收录 otherwise) and the rule file's note on what the provision says."""
    if len(cited) != len(rule.basis):  # citations not yet synchronised with the pack (before migrate)
        return [{"citation": None, "text": str(b), "note": ""} for b in rule.basis]
    return [{"citation": c, "text": "", "note": b.note} for c, b in zip(cited, rule.basis)]


def rules(request):
    user = request.user
    effective = params.effective(user.org) if user.org else {}
    verified = audit_findings.rule_statistics(user)  # 疑点核实 in the projects the user may see
    cited = citations.rule_citations()
    catalogue = []
    for rule in sorted(load_rules().values(), key=lambda r: (CATEGORIES.index(r.category), r.code)):
        rows = []
        for name, p in rule.params.items():
            value, override = effective.get((rule.code, name), (p.default, None))
            rows.append({"param": p, "value": value, "override": override})
        catalogue.append({"rule": rule, "params": rows, "verified": verified.get(rule.code),
                          "basis": _basis(rule, cited.get(rule.code, []))})
    context = {
        "catalogue": catalogue,
        "may_set": access.may_configure(user),
        "may_view_custom": access.may_view(user),  # 自定义规则 is for those who see flags
        "presets": sorted(params.presets().items()),
    }
    return render(request, "screening/rules.html", context)


@require_POST
@querystring.posts(RuleParamForm)
def rule_params(request):
    """Set, clear, or apply a provincial preset of rule parameters for the user's own unit."""
    user = request.user
    if not access.may_configure(user):
        raise Http404("只有经审负责人或系统管理员可以设置规则参数。")
    form = RuleParamForm(request.POST)
    try:
        if not form.is_valid():
            raise ValueError("；".join(f"{form.fields[n].label}：{''.join(e)}" for n, e in form.errors.items()))
        data = form.cleaned_data
        if data["preset"]:
            count = services.apply_preset(user, data["preset"])
            messages.success(request, f"已按预设设置 {count} 个参数，适用于{user.org.name}及下级单位。")
        elif data["clear"]:
            services.clear_param(user, data["rule"], data["param"])
            messages.success(request, "已恢复默认值。")
        else:
            services.set_param(user, data["rule"], data["param"], data["value"], note=data["note"])
            messages.success(request, f"已保存，适用于{user.org.name}及下级单位，下次筛查起生效。")
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
        return redirect("screening:rules")  # the message is at the top of the page: land there
    return redirect(f"{reverse('screening:rules')}#{data['rule']}")


def custom_rules(request):
    user = request.user
    if not access.may_view(user):
        raise Http404("您的角色不能使用疑点筛查。")
    customs = access.customs_for(user)
    visible = set(customs.restrict(user, scope.VIEW_FLAGS).values_list("owner_org", flat=True))
    context = {"customs": customs, "may_write": access.may_configure(user), "visible": visible}
    return render(request, "screening/custom_list.html", context)


@querystring.posts(CustomRuleForm)
def custom_rule(request, rule_id=None):
    """Write or edit a custom rule: check it, try it on one dataset, save it."""
    user = request.user
    if not access.may_view(user):
        raise Http404("您的角色不能使用疑点筛查。")
    rule = access.get_custom_for_user(user, rule_id) if rule_id else None
    editable = access.may_configure(user) and (rule is None or rule.owner_org_id == user.org_id)
    if rule is None and not editable:
        raise Http404("只有经审负责人或系统管理员可以编写自定义规则。")
    datasets = list(access.screenable_datasets(user).order_by("org__code", "-fiscal_year", "-version")[:300])
    fields = ("name", "category", "level", "severity", "weight", "description", "explanation", "basis", "sql")
    form = {f: getattr(rule, f) for f in fields} if rule else {
        "name": "", "category": "财务", "level": "line", "severity": "中", "weight": 0.5, "description": "",
        "explanation": "{summary}，金额 {amount} 元。", "basis": "",
        "sql": ("SELECT l.org, l.fiscal_year, l.period, l.voucher_type, l.voucher_no, l.line_no, l.amount, l.summary\n"
                "FROM lines l\nJOIN accounts a ON a.org = l.org AND a.code = l.account_code\n"
                "WHERE a.category = 'expense' AND l.debit > 0 AND l.summary LIKE '%咨询%'"),
    }
    result, chosen = None, ""
    if request.method == "POST":
        if not editable:
            raise Http404("不能修改其他单位的自定义规则。")
        posted = CustomRuleForm(request.POST)
        valid = posted.is_valid()
        form = {f: posted.cleaned_data.get(f, "") for f in fields}
        form["enabled"] = posted.cleaned_data.get("enabled", False)
        chosen = str(posted.cleaned_data.get("dataset") or "")
        try:
            if not valid:
                raise ValueError(posted.problems())
            if posted.cleaned_data["action"] == "try":
                dataset = next((d for d in datasets if str(d.pk) == chosen), None)
                if dataset is None:
                    raise ValueError("请选择一个用于试运行的数据集。")
                result = custom.dry_run(form["sql"], dataset, form["explanation"])
            else:
                saved = services.save_custom_rule(user, rule, **form)
                messages.success(request, f"已保存自定义规则 {saved.code}，之后{user.org.name}及下级单位的筛查都会运行它。")
                return redirect("screening:custom_rule", rule_id=saved.pk)
        except (PermissionError, ValueError) as exc:
            messages.error(request, str(exc))
    context = {
        "rule": rule, "form": form, "editable": editable, "datasets": datasets, "chosen": chosen, "result": result,
        "categories": CATEGORIES, "severities": SEVERITIES, "levels": LEVELS,
    }
    return render(request, "screening/custom_rule.html", context)
