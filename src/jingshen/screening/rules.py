"""The rule pack: one TOML file per rule in rules/, holding its SQL (DuckDB dialect) and its
metadata. Rules refer to account roles and to the calendar table, never to account codes or
day-of-week functions, so the same SQL runs on any chart and transpiles to Spark SQL.

``family`` (optional) names a group of rules that detect the same fact from different sides;
scoring counts a family once per voucher and per unit (docs/scoring.md).

Inside ``sql``, ``{{name}}`` is replaced by the value of parameter ``name`` as a SQL literal.
The query reads the tables the engine provides (see engine.py) and returns one row per flag
with at least: org, fiscal_year, period, voucher_type, voucher_no, line_no, amount (voucher
fields NULL for unit-level rules). Any other column it returns can be used in ``explanation``
as {column}; declared parameters as {param.name}.

An explanation is a template, never a format string: ``compile_template`` accepts only plain
``{column}`` and ``{param.<declared name>}`` fields (``{{`` and ``}}`` for braces), with no
attribute or index access, conversion (``!r``) or format spec, and the explainer renders it by
joining literal text and the shown values (str.format would let ``{param.__class__...}`` reach
Python objects). The loader (``_check``) refuses any other field, as services.save_custom_rule does for custom rules.

What a rule needs of the data (``[requires]``): ``columns`` of the lines that must not be empty
in every line of a dataset (``reviewer``, ``attachments``, ``counterparty``, ``invoice_no``,
``settlement``, ``preparer``), account ``roles`` the unit's chart must have, and ``budget`` /
``payroll`` (true: the unit-year must have an imported budget or 工资总额, rows in the engine's
``budgets`` or ``payroll`` table). A statistical
rule states its minimum sample (``[sample]``: a query giving each unit's sample size ``n``, the
parameter holding the minimum, and what is counted, in Chinese). A rule does not apply to a
unit lacking any of these; the run records which rules did not apply where, and why
(applicability.py): "not applicable" is neither risk nor "clean".

A voucher- or line-level rule whose condition holds for a large share of a unit's vouchers
(parameter ``systemic_share``, default ``systemic_share`` of the file or 30 %) reports one
unit-level finding instead of a flag per voucher (runner.py); ``systemic_explanation`` (optional)
words it, with the fields of SYSTEMIC_FIELDS.

A keyword rule also has ``texts``: a query over the ``texts`` table (each distinct 摘要 and
往来单位) returning summary, counterparty and any columns of its own for the texts the rule looks
for. Its ``sql`` then reads that result as ``matched`` and the lines with those texts as
``text_lines``, joined on summary and counterparty (engine.py): the engine reads the lines once
for all the keyword rules of a run instead of once per rule.

Negated words. A text that negates a word must not decide a flag the way the bare word would:
“退还购物卡押金”, “未发放购物卡”, “不含烟酒”, “禁止宴请宣传”, “非招待用餐”, “无住宿” are not card,
liquor, banquet or lodging spending, and “非工作餐” must not exempt a meal the way “工作餐” does.
Inside ``sql`` or ``texts``, ``{{negated(a, b, …)}}`` (names of text parameters) is replaced by
one SQL string literal: a regular expression matching the negated forms of those parameters'
words — a negation word (``NEGATORS``: 不, 未, 非, 无, 没有, 禁止, 严禁, 不得, 拒收, 退还 …),
optionally one verb (``NEGATED_VERBS``: 发放, 使用, 安排, 购买, 含, 报销 …), then one of the words
(``negated_pattern``). RE2, the engines' regular expressions, has no look-behind, so "a word not
preceded by a negation" is written the other way round: remove the negated forms first, then test
the words on what is left::

    regexp_replace(summary, {{negated(pattern, allowed)}}, ' ', 'g')   -- then regexp_matches(…, {{pattern}})

Removing them with the trigger *and* the allow words at once treats both alike: a negated trigger
word no longer flags, a negated allow word no longer exempts (“非蛋糕券的购物卡” is flagged). The
negation must touch the word (or be one verb away): “N characters before” would read 无锡 in
“无锡宴请” as a negation. Words in which a negation character negates nothing (``NOT_NEGATIONS``:
南非, 有无 …) are removed by the same expression and leave the words after them standing (“南非旅游”
is a trip abroad). The pattern is part of each such rule's version (``load_rule``), so a change to
it is a new rule version. Rules whose words are a list to strip before matching (look-alikes such
as “招待所”, “旅游客运”) do not negate those; a rule that strips its *allow* words instead of
testing them (JS-BONUS-001) keeps a negated allow word's text for the trigger test (its file).
"""

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from operator import itemgetter
from pathlib import Path
from string import Formatter

import duckdb

from jingshen.ledger.roles import AccountRole

RULES_DIR = Path(__file__).resolve().parent / "rules"
CATEGORIES = ("合规", "财务", "预算", "资产", "跨级", "统计")
LEVELS = {"line": "分录", "voucher": "凭证", "unit": "单位"}
SEVERITIES = ("高", "中", "低")
REQUIRED_COLUMNS = ("org", "fiscal_year", "period", "voucher_type", "voucher_no", "line_no", "amount")
# The columns of the lines a rule may require (``[requires] columns``), as users know them.
DATA_COLUMNS = {
    "reviewer": "审核人", "preparer": "制单人", "attachments": "附件数", "counterparty": "往来单位",
    "invoice_no": "票据号", "settlement": "结算方式",
}
# The fields a systemic finding's explanation may use (runner.systemic_flag fills them).
SYSTEMIC_FIELDS = ("vouchers", "hits", "share", "amount", "examples", "rule_name")
SYSTEMIC_SHARE = 0.3  # default share of a unit's vouchers above which a rule's hits are one finding
SYSTEMIC_EXPLANATION = (
    "本年 {vouchers} 张凭证中 {hits} 张（{share}）触发“{rule_name}”，涉及金额 {amount} 元，例如 {examples}："
    "属普遍存在的问题，作为内部控制缺陷提示一次，不逐张列入疑点清单。"
)
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
# {{negated(a, b)}}: the negated forms of text parameters' words, as one literal (module docstring)
NEGATED = re.compile(r"\{\{\s*negated\(\s*(\w+(?:\s*,\s*\w+)*)\s*\)\s*\}\}")
# Negation words, longest first where one begins another (the regular expression takes the first
# alternative that leads to a match, so the order only matters for what is removed, not whether).
NEGATORS = ("没有", "禁止", "严禁", "不得", "不准", "不许", "不予", "无需", "不需", "拒收", "拒绝", "退还", "退回",
            "不", "未", "非", "无", "免于")
# A verb may stand between the negation and the word: 未发放购物卡, 不安排住宿, 不含烟酒.
NEGATED_VERBS = ("发放", "使用", "安排", "购买", "购置", "提供", "包含", "包括", "涉及", "报销", "组织", "接受",
                 "收受", "赠送", "列支", "开支", "支付", "属于", "需要", "发", "用", "购", "买", "含", "是", "设")
# Words in which a negation character negates nothing; removed with the negated forms, so that the
# word after them still counts (南非旅游 is a trip abroad, 有无住宿 asks about lodging).
NOT_NEGATIONS = ("南非", "北非", "西非", "东非", "有无", "是非", "除非")


def negated_pattern(*patterns: str) -> str:
    """A regular expression (RE2) matching the negated forms of the words of ``patterns``, and the
    words of ``NOT_NEGATIONS``: remove its matches from a text, then test the words on the rest."""
    words = "|".join(f"(?:{p})" for p in patterns)
    return (f"(?:{'|'.join(NOT_NEGATIONS)})|(?:{'|'.join(NEGATORS)})(?:{'|'.join(NEGATED_VERBS)})?(?:{words})")


NEGATION_VERSION = negated_pattern("")  # hashed into the version of the rules that use it
# Engine-specific calendar functions give different answers in DuckDB and Spark (see
# ENGINEERING-NOTES): rules join the calendar table instead.
FORBIDDEN = re.compile(r"\b(dayofweek|isodow|dayname|strftime|weekday|dow)\s*\(", re.IGNORECASE)
# What must not reach a user's screen (issue 12, item 7: nothing for developers on the users' screens):
# certainty markers and references to the domain notes, regular-expression syntax, English role
# codes (the users' and the accounts'), identifiers and SQL. Development notes belong in the
# ``notes`` / ``source_note`` fields, which are never shown.
DEVELOPER_NOTES = re.compile(
    r"README|§|domain|\[(?:confirmed|weak|unverified)|\b(?:confirmed|weak|unverified)\b|未核实|已核实|较弱|演示数据|演示账套"
    r"|\\[a-zA-Z]|\(\?[a-zA-Z]|[^\s|]\|[^\s|]|\.\*|\^\(|\)\$"
    r"|\b(?:admin|director|team_lead|auditor|auditee_contact|leader)\b"
    r"|(?-i:\b[a-z]+(?:[-_.][a-z]+)+\b)"
    r"|\b(?:SELECT|FROM|WHERE|JOIN|GROUP BY|ORDER BY|HAVING|UNION|COALESCE|NULL|regexp_\w+|levenshtein|DuckDB|Spark)\b",
    re.IGNORECASE,
)


def developer_notes(text: str) -> list[str]:
    """The pieces of ``text`` that are meant for developers, not for users (empty if none)."""
    return [m.group(0) for m in DEVELOPER_NOTES.finditer(text or "")]


class RuleError(ValueError):
    pass


def reads_table(sql: str, table: str) -> bool:
    """Whether a statement reads ``table`` (FROM or JOIN it)."""
    return re.search(rf"\b(?:from|join)\s+{table}\b", sql, re.IGNORECASE) is not None


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    type: str  # number | integer | text
    default: object
    source: str  # where the default comes from, as a user reads it (shown in the catalogue)
    min: object = None
    max: object = None
    meaning: str = ""  # what the parameter does, in plain Chinese (shown under the label)
    source_note: str = ""  # developers' notes on the default: certainty, references (never shown)

    def shown(self, value) -> str:
        """The value as an explanation shows it: amounts with thousands separators."""
        if self.type == "text":
            return str(value)
        number = Decimal(str(value))
        return f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,.2f}"

    def literal(self, value) -> str:
        if self.type == "text":
            return "'" + str(value).replace("'", "''") + "'"
        number = Decimal(str(value))
        if self.type == "integer" and number != number.to_integral_value():
            raise RuleError(f"参数「{self.label}」应为整数。")
        if self.min is not None and number < Decimal(str(self.min)) or self.max is not None and number > Decimal(str(self.max)):
            raise RuleError(f"参数「{self.label}」应在 {self.min}～{self.max} 之间。")
        return str(number)

    def check(self, value) -> None:
        """Refuse, with a Chinese message, a value a user sets that a run could not use: out of
        range, or, for a text parameter (every one is a regular expression), a pattern the
        engine's regular expressions (RE2) reject. Checked when the value is set, not on every
        run."""
        self.literal(value)
        if self.type == "text":
            with duckdb.connect() as con:
                try:
                    con.execute("SELECT regexp_matches('', ?)", [str(value)]).fetchall()
                except duckdb.Error:
                    raise RuleError(f"参数「{self.label}」的值“{value}”不是有效的正则表达式："
                                    "请检查括号是否成对、特殊字符是否转义。") from None


@dataclass(frozen=True)
class Basis:
    regulation: str
    version: str = ""
    article: str = ""
    note: str = ""  # what the provision says, as a user reads it
    source_note: str = ""  # developers' notes on the citation (never shown)

    def __str__(self) -> str:
        text = f"《{self.regulation}》"
        if self.version:
            text += f"（{self.version}）"
        if self.article:
            text += self.article
        if self.note:
            text += f"：{self.note}"
        return text


@dataclass(frozen=True)
class Sample:
    """A statistical rule's minimum sample: ``sql`` gives each unit's sample size (columns org,
    n); a unit with n below the value of parameter ``min`` is 样本不足 for the rule."""

    sql: str
    min: str  # the parameter holding the minimum
    what: str  # what is counted, as users read it: "不少于 {param.min_amount} 元的借方金额"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    category: str
    level: str
    severity: str
    weight: float
    description: str
    explanation: str
    sql: str
    version: str
    params: dict[str, Param] = field(default_factory=dict)
    basis: tuple[Basis, ...] = ()
    # Rules that see the same fact from different sides (e.g. a banquet with liquor is flagged
    # by JS-HOSP-001 and JS-HOSP-002) share a family: a voucher's score counts the family once.
    family: str = ""
    # A keyword rule's query over ``texts``, read by ``sql`` as ``matched`` (module docstring).
    texts: str = ""
    # result columns stored with each flag as its ``details`` (a unit-level rule's facts that
    # have no contract column, e.g. the first and last missing number of a voucher gap)
    details: tuple[str, ...] = ()
    # what the rule needs of a dataset and its chart (module docstring)
    requires_columns: tuple[str, ...] = ()
    requires_roles: tuple[str, ...] = ()
    requires_budget: bool = False  # the unit-year's budget (table budgets)
    requires_payroll: bool = False  # the unit-year's 工资总额 (table payroll)
    sample: Sample | None = None
    # the wording of a systemic finding (module docstring); "" for SYSTEMIC_EXPLANATION
    systemic_explanation: str = ""
    # Developers' notes: certainty of the sources, implementation remarks (never shown to users).
    notes: str = ""

    @property
    def level_label(self) -> str:
        return LEVELS[self.level]

    @property
    def systemic(self) -> bool:
        """Whether the rule's hits on many of a unit's vouchers become one finding."""
        return "systemic_share" in self.params

    def defaults(self) -> dict:
        return {name: p.default for name, p in self.params.items()}

    def render(self, values: dict | None = None) -> str:
        """The SQL with parameter values (defaults overridden by ``values``) as literals."""
        return self._render(self.sql, values)

    def render_texts(self, values: dict | None = None) -> str:
        """The ``texts`` query with parameter values, as ``render``; empty text without one."""
        return self._render(self.texts, values)

    def _render(self, template: str, values: dict | None) -> str:
        merged = self.defaults() | (values or {})

        def negated(m: re.Match) -> str:
            names = [n.strip() for n in m.group(1).split(",")]
            for name in names:
                self.params[name].literal(merged[name])  # range and type checks, as for a placeholder
            pattern = negated_pattern(*(str(merged[name]) for name in names))
            return "'" + pattern.replace("'", "''") + "'"

        template = NEGATED.sub(negated, template)
        return PLACEHOLDER.sub(lambda m: self.params[m.group(1)].literal(merged[m.group(1)]), template)

    def roles(self, values: dict | None = None) -> set[str]:
        """The account roles the rule tests (with these parameter values): the role codes quoted
        in its SQL, those a role pattern parameter matches, and cash and bank for a rule reading
        ``payments``. With ``ledger.charts.unconfirmed_roles(orgs, roles=...)`` this names the
        accounts whose unsettled role a run's flags depend on."""
        from jingshen.ledger.roles import AccountRole

        sql = self.render(values) + self.render_texts(values)
        found = {code for code in re.findall(r"'([a-z-]+)'", sql) if code in AccountRole.values}
        merged = self.defaults() | (values or {})
        for name, p in self.params.items():
            value = merged.get(name)
            if p.type == "text" and isinstance(value, str) and re.fullmatch(r"[\x20-\x7e]+", value):
                try:
                    matcher = re.compile(value)
                except re.error:
                    continue
                found |= {code for code in AccountRole.values if matcher.search(code)}
        if reads_table(sql, "payments"):
            found |= {AccountRole.CASH.value, AccountRole.BANK.value}
        return found

    def basis_text(self) -> str:
        return "；".join(str(b) for b in self.basis)

    def explain(self, row: dict, values: dict | None = None) -> str:
        return self.explainer(list(row), values)(tuple(row.values()))

    def explainer(self, columns: list[str], values: dict | None = None):
        """A function filling the explanation from one result row (a tuple in ``columns``
        order). The template is compiled and the parameter values are shown once; per row, only
        the columns the template uses are shown and joined with the literal text: a run explains
        hundreds of thousands of rows. RuleError if the template names a column the rows lack."""
        merged = self.defaults() | (values or {})
        shown_params = {k: self.params[k].shown(v) for k, v in merged.items() if k in self.params}
        skeleton: list[str | None] = []  # literal text, with None where a column's value goes
        used: list[int] = []  # the row index of each None, in order
        literal = ""
        for text, kind, name in compile_template(self.explanation, self.params):
            literal += text
            if kind == "param":
                literal += shown_params[name]
            elif kind == "column":
                if name not in columns:
                    raise RuleError(f"说明模板引用了查询结果中没有的列：{name}")
                skeleton += [literal, None]
                used.append(columns.index(name))
                literal = ""
        skeleton.append(literal)
        shown_as = _SHOWN.get
        join = "".join
        if not used:
            return lambda row: literal
        pick = itemgetter(*used) if len(used) > 1 else (lambda row, i=used[0]: (row[i],))

        def explain(row: tuple) -> str:
            parts = skeleton[:]
            parts[1::2] = [shown_as(type(v), str)(v) for v in pick(row)]
            return join(parts)

        return explain


def compile_template(template: str, params=()) -> list[tuple[str, str, str]]:
    """An explanation template as (literal text, kind, name) parts, kind "column", "param" or
    "" (the last part's literal text only). Only ``{name}`` (an identifier: a result column)
    and ``{param.name}`` of a declared parameter are fields; ``{{`` and ``}}`` are braces.
    Anything else is refused with a Chinese message naming it (RuleError)."""
    try:
        parsed = list(Formatter().parse(template))
    except ValueError:  # a lone brace, a brace inside a field, an unfinished ! or :
        raise RuleError("说明模板的花括号写法有误：引用列请写 {列名}，不能嵌套花括号；"
                        "要显示花括号本身请写 {{ 或 }}。") from None
    parts = []
    rebuilt = []  # the template as parsed, to catch what parse() drops: an empty spec ({amount:})
    for text, field, spec, conversion in parsed:
        rebuilt.append(text.replace("{", "{{").replace("}", "}}"))
        if field is None:
            parts.append((text, "", ""))
            continue
        shown = "{" + field + ("!" + conversion if conversion else "") + (":" + spec if spec else "") + "}"
        if conversion is not None or spec:
            raise RuleError(f"说明模板中的「{shown}」不能带 ! 或 : 格式：请只写 {{列名}}。")
        rebuilt.append("{" + field + "}")
        if field.isidentifier():
            parts.append((text, "column", field))
        elif field.startswith("param.") and field[len("param."):] in params:
            parts.append((text, "param", field[len("param."):]))
        elif field.startswith("param.") and field[len("param."):].isidentifier():
            raise RuleError(f"说明模板中的「{shown}」引用了未声明的参数。")
        else:
            raise RuleError(f"说明模板中的「{shown}」不能使用：只能写 {{列名}}（列名只含字母、数字和下划线），"
                            "不能写空的 {}、序号、.、[ ]、! 或 :。")
    if "".join(rebuilt) != template:
        bad = re.search(r"\{[^{}]*[:!][^{}]*\}", template)
        raise RuleError(f"说明模板中的「{bad.group() if bad else template}」不能带 ! 或 : 格式：请只写 {{列名}}。")
    return parts


# How a value of each type is shown in an explanation (anything else: str). Looked up by exact
# type, once per value of hundreds of thousands of flags.
_SHOWN = {
    Decimal: lambda v: f"{v:,.2f}",
    float: lambda v: f"{v:,.2f}" if not v.is_integer() else f"{int(v):,}",
    int: lambda v: f"{v:,}" if abs(v) >= 10000 else str(v),
    type(None): lambda v: "",
}


def load_rule(path: Path) -> Rule:
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{path.name}: {exc}") from None
    params = {
        name: Param(name=name, label=p["label"], type=p.get("type", "number"), default=p["default"], source=p["source"],
                    min=p.get("min"), max=p.get("max"), meaning=p.get("meaning", "").strip(),
                    source_note=p.get("source_note", "").strip())
        for name, p in data.get("params", {}).items()
    }
    level = data["level"]
    if level != "unit" and data.get("systemic_share", SYSTEMIC_SHARE) and "systemic_share" not in params:
        params["systemic_share"] = Param(
            name="systemic_share", label="普遍性问题比例", type="number", default=data.get("systemic_share", SYSTEMIC_SHARE),
            source="默认值", min=0.05, max=1,
            meaning="本规则命中的凭证占一个单位全年凭证的比例达到该值时，视为普遍存在的内部控制问题，"
                    "只对该单位提示一次，不再逐张列入疑点清单和凭证评分。",
        )
    requires = data.get("requires", {})
    sample = data.get("sample")
    rule = Rule(
        code=data["code"],
        name=data["name"],
        category=data["category"],
        level=data["level"],
        severity=data["severity"],
        weight=float(data["weight"]),
        description=data["description"].strip(),
        explanation=data["explanation"].strip(),
        sql=data["sql"],
        version=hashlib.sha256((text + (NEGATION_VERSION if NEGATED.search(text) else "")).encode()).hexdigest()[:12],
        params=params,
        basis=tuple(Basis(**b) for b in data.get("basis", [])),
        family=data.get("family", ""),
        texts=data.get("texts", ""),
        details=tuple(data.get("details", ())),
        requires_columns=tuple(requires.get("columns", ())),
        requires_roles=tuple(requires.get("roles", ())),
        requires_budget=requires.get("budget", False),
        requires_payroll=requires.get("payroll", False),
        sample=Sample(sql=sample["sql"], min=sample["min"], what=sample["what"].strip()) if sample else None,
        systemic_explanation=data.get("systemic_explanation", "").strip(),
        notes=data.get("notes", "").strip(),
    )
    _check(rule, path)
    return rule


def _check(rule: Rule, path: Path) -> None:
    problems = []
    if path.stem != rule.code:
        problems.append(f"file name must be the rule code {rule.code}")
    if rule.category not in CATEGORIES:
        problems.append(f"category {rule.category!r} not in {CATEGORIES}")
    if rule.level not in LEVELS:
        problems.append(f"level {rule.level!r} not in {tuple(LEVELS)}")
    if rule.severity not in SEVERITIES:
        problems.append(f"severity {rule.severity!r} not in {SEVERITIES}")
    if not 0 < rule.weight <= 1:
        problems.append("weight must be in (0, 1]")
    used = set(PLACEHOLDER.findall(rule.sql + rule.texts + (rule.sample.sql if rule.sample else "")))
    if used - set(rule.params):
        problems.append(f"undeclared parameters {sorted(used - set(rule.params))}")
    negated = {n.strip() for m in NEGATED.findall(rule.sql + rule.texts) for n in m.split(",")}
    if bad := sorted(n for n in negated if n not in rule.params or rule.params[n].type != "text"):
        problems.append(f"negated() takes declared text parameters, not {bad}")
    if "{{" in PLACEHOLDER.sub("", NEGATED.sub("", rule.sql + rule.texts)):
        problems.append("a {{ that is neither a {{parameter}} nor {{negated(parameters)}}")
    if FORBIDDEN.search(rule.sql + rule.texts):
        problems.append("day-of-week/strftime functions: join the calendar table instead")
    keyword_tables = {t for t in ("text_lines", "matched") if reads_table(rule.sql, t)}
    if rule.texts and keyword_tables != {"text_lines", "matched"}:
        problems.append("a rule with texts reads its result as matched, joined to text_lines")
    if not rule.texts and "text_lines" in keyword_tables:
        problems.append("text_lines is for a rule with texts")
    if not all(isinstance(name, str) and name.isidentifier() for name in rule.details):
        problems.append("details must be a list of result column names")
    if set(rule.requires_columns) - set(DATA_COLUMNS):
        problems.append(f"requires.columns must be among {sorted(DATA_COLUMNS)}")
    if set(rule.requires_roles) - set(AccountRole.values):
        problems.append(f"requires.roles: unknown roles {sorted(set(rule.requires_roles) - set(AccountRole.values))}")
    if not isinstance(rule.requires_budget, bool) or not isinstance(rule.requires_payroll, bool):
        problems.append("requires.budget and requires.payroll are true or false")
    if rule.sample and rule.sample.min not in rule.params:
        problems.append("sample.min must name a parameter")
    if rule.systemic_explanation and rule.level == "unit":
        problems.append("systemic_explanation is for voucher- and line-level rules")
    if not rule.basis and rule.category == "合规":
        problems.append("a compliance rule needs its legal basis")
    for where, text in user_texts(rule):
        if found := developer_notes(text):
            problems.append(f"{where} shows users developer notes {found}: move them to notes/source_note")
    try:
        compile_template(rule.explanation, rule.params)
    except RuleError as exc:
        problems.append(f"explanation: {exc}")
    for name, template, columns in (("systemic_explanation", rule.systemic_explanation, SYSTEMIC_FIELDS),
                                    ("sample.what", rule.sample.what if rule.sample else "", ())):
        try:
            unknown = {f for _, kind, f in compile_template(template, rule.params) if kind == "column"} - set(columns)
        except RuleError as exc:
            problems.append(f"{name}: {exc}")
            continue
        if unknown:
            problems.append(f"{name}: unknown fields {sorted(unknown)}")
    if problems:
        raise RuleError(f"{path.name}: " + "; ".join(problems))


def user_texts(rule: Rule):
    """(where, text) for every text of a rule that users see; parameter defaults excepted (a
    text parameter's default is a pattern, shown as keywords or in a code box)."""
    yield "name", rule.name
    yield "description", rule.description
    yield "explanation", PLACEHOLDER_FIELDS.sub("", rule.explanation)
    for p in rule.params.values():
        yield f"params.{p.name}.label", p.label
        yield f"params.{p.name}.meaning", p.meaning
        yield f"params.{p.name}.source", p.source
    for i, b in enumerate(rule.basis):
        yield f"basis[{i}]", str(b)
    yield "systemic_explanation", PLACEHOLDER_FIELDS.sub("", rule.systemic_explanation)
    if rule.sample:
        yield "sample.what", PLACEHOLDER_FIELDS.sub("", rule.sample.what)


# The {column} and {param.name} fields of an explanation, which are not shown as written.
PLACEHOLDER_FIELDS = re.compile(r"\{[^{}]*\}")


@cache
def load_rules() -> dict[str, Rule]:
    rules = [load_rule(p) for p in sorted(RULES_DIR.glob("*.toml"))]
    return {r.code: r for r in rules}
