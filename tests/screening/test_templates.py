"""Explanation templates are compiled, never given to str.format: only {column} and
{param.<declared>} fields, refused with a Chinese message otherwise (pack loader, custom save),
and every pack rule renders exactly as it did with str.format."""

import datetime
from decimal import Decimal
from string import Formatter

import pytest

from jingshen.accounts.models import RoleCode
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import Dataset
from jingshen.screening import custom, services
from jingshen.screening.engine import DuckDBEngine
from jingshen.screening.rules import _SHOWN, Param, Rule, RuleError, compile_template, load_rule, load_rules
from tests.conftest import make_user
from tests.ledger.conftest import write
from tests.screening.conftest import entry

RULES = load_rules()
CONTRACT = "org, fiscal_year, period, voucher_type, voucher_no, line_no, amount"
BAD = [
    ("{summary.__class__}", "不能使用"),
    ("{amount.real}", "不能使用"),
    ("{summary[0]}", "不能使用"),
    ("{amount!r}", "不能带 ! 或 :"),
    ("{amount!s}", "不能带 ! 或 :"),
    ("{amount:,.2f}", "不能带 ! 或 :"),
    ("{amount:}", "不能带 ! 或 :"),
    ("{amount:{summary}}", "不能带 ! 或 :"),
    ("{a{b}}", "花括号写法有误"),
    ("{param.__class__}", "未声明的参数"),
    ("{param.__class__.__init__.__globals__}", "不能使用"),
    ("{param.min_amount.__class__}", "不能使用"),
    ("{0}", "不能使用"),
    ("{}", "不能使用"),
    ("{ summary }", "不能使用"),
    ("金额 {amount", "花括号写法有误"),
    ("金额 amount}", "花括号写法有误"),
]


@pytest.mark.parametrize("template,message", BAD)
def test_a_template_with_anything_but_plain_names_is_refused(template, message):
    with pytest.raises(RuleError, match=message):
        compile_template(template, {"min_amount": None})
    with pytest.raises(ValueError, match=message):
        custom.validate_meta(name="x", category="财务", level="line", severity="中", weight="0.5", explanation=template)


def test_plain_fields_braces_and_declared_parameters_compile():
    parts = compile_template("{{原文}} {summary}，{金额}，{param.k}", {"k": None})
    assert [(kind, name) for _, kind, name in parts if kind] == [("column", "summary"), ("column", "金额"), ("param", "k")]
    assert "".join(text for text, _, _ in parts) == "{原文} ，，"
    with pytest.raises(RuleError, match="未声明的参数"):
        compile_template("{param.k}")  # a custom rule has no parameters


def test_values_are_shown_as_text_never_interpreted():
    rule = Rule(code="CU", name="", category="财务", level="line", severity="低", weight=0.5, description="",
                explanation="{{摘要}}：{summary}，{amount} 元，{param.cap} 元", sql="", version="",
                params={"cap": Param("cap", "上限", "number", 1000, "测试")})
    explain = rule.explainer(["summary", "amount"])
    assert explain(("{param.__class__}", Decimal("12345.6"))) == "{摘要}：{param.__class__}，12,345.60 元，1,000 元"
    assert explain((None, None)) == "{摘要}：， 元，1,000 元"
    assert rule.explainer(["summary", "amount"], {"cap": 2500.5})(("x", 1)) == "{摘要}：x，1 元，2,500.50 元"
    with pytest.raises(RuleError, match="没有的列：amount"):
        rule.explainer(["summary"])


def test_the_pack_loader_refuses_a_bad_template(tmp_path):
    head = 'code = "JS-TEST-001"\nname = "测试"\ncategory = "财务"\nlevel = "line"\nseverity = "低"\nweight = 0.5\n'
    head += 'description = "测试"\nsql = "SELECT org FROM lines WHERE abs_amount > {{cap}}"\n'
    head += '[params.cap]\nlabel = "上限"\ndefault = 1000\nsource = "测试"\n'

    def load(explanation):
        path = tmp_path / "JS-TEST-001.toml"
        path.write_text(f'explanation = "{explanation}"\n' + head, encoding="utf-8")
        return load_rule(path)

    assert load("超过 {param.cap} 元：{summary}").explainer(["summary"])(("购物卡",)) == "超过 1,000 元：购物卡"
    for template in ("{param.__class__}", "{summary!r}", "{summary.__class__}", "{0}"):
        with pytest.raises(RuleError, match="explanation: 说明模板中的"):
            load(template)


def str_format_explainer(rule: Rule, columns: list[str], values=None):
    """The explainer as it was (str.format over the trusted pack templates): the reference the
    compiled templates are checked against here and timed against in bench/explain_bench.py."""
    class Params(dict):
        def __getattr__(self, name):
            return self[name]

    merged = rule.defaults() | (values or {})
    params = Params({k: rule.params[k].shown(v) for k, v in merged.items()})
    used = {name.split(".")[0].split("[")[0] for _, name, _, _ in Formatter().parse(rule.explanation) if name}
    wanted = [(name, columns.index(name)) for name in used if name in columns]

    def explain(row):
        return rule.explanation.format(param=params, **{n: _SHOWN.get(type(row[i]), str)(row[i]) for n, i in wanted})

    return explain


def _values(type_name: str, i: int):
    """Values of a DuckDB result type as the engine hands them to Python: several per type."""
    t = type_name.upper()
    if t.startswith("DECIMAL"):
        return [Decimal("6000.00"), Decimal("-12345.67"), Decimal("0.5"), None][i % 4]
    if t in ("INTEGER", "BIGINT", "HUGEINT", "SMALLINT", "TINYINT", "UBIGINT"):
        return [3, 12000, -45678, None][i % 4]
    if t in ("DOUBLE", "FLOAT", "REAL"):
        return [0.25, 3.0, 123456.789, None][i % 4]
    if t == "BOOLEAN":
        return [True, False, None][i % 3]
    if t == "DATE":
        return [datetime.date(2025, 5, 6), None][i % 2]
    if t.startswith("TIMESTAMP"):
        return [datetime.datetime(2025, 5, 6, 12, 30), None][i % 2]
    return ["支付管理咨询费", "{param.__class__}", "", None][i % 4]


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_pack_rule_renders_as_before_on_its_own_columns(code, tree):
    rule = RULES[code]
    engine = DuckDBEngine([])
    try:
        engine.run_one(rule)  # builds what a keyword rule reads (matched, text_lines)
        cursor = engine.query(rule.render())
        described = [(c[0], str(c[1])) for c in cursor.description]
        cursor.fetchall()
    finally:
        engine.close()
    columns = [name for name, _ in described]
    fields = {name for _, kind, name in compile_template(rule.explanation, rule.params) if kind == "column"}
    assert fields <= set(columns), f"{code}'s explanation names columns its SQL does not return: {fields - set(columns)}"
    rows = [tuple(_values(t, i + j) for j, (_, t) in enumerate(described)) for i in range(8)]
    variants = [None] + [{name: p.max if p.max is not None else p.default} for name, p in rule.params.items()]
    for values in variants:
        old, new = str_format_explainer(rule, columns, values), rule.explainer(columns, values)
        assert [new(r) for r in rows] == [old(r) for r in rows]


@pytest.fixture
def data(tree, tmp_path):
    import_vouchers(write(tmp_path / "v.csv", entry(1, "2025-05-06", "50305", "102", "6000.00", "支付管理咨询费", "某咨询公司")))


def test_save_checks_the_template_against_the_columns_the_query_returns(data):
    lead = make_user("A", "a_director_tpl", RoleCode.DIRECTOR)
    fields = dict(name="咨询费", category="财务", level="line", severity="中", weight="0.5", description="", basis="",
                  enabled=True, sql=f"SELECT {CONTRACT}, summary FROM lines WHERE debit > 0")
    with pytest.raises(ValueError, match="说明模板引用了查询结果中没有的列：counterparty"):
        services.save_custom_rule(lead, None, explanation="{summary}，收款方 {counterparty}", **fields)
    with pytest.raises(ValueError, match="说明模板中的「{summary.__class__}」不能使用"):
        services.save_custom_rule(lead, None, explanation="{summary.__class__}", **fields)
    with pytest.raises(ValueError, match="查询结果缺少列：line_no、amount"):
        services.save_custom_rule(lead, None, explanation="{summary}",
                    **(fields | {"sql": "SELECT org, fiscal_year, period, voucher_type, voucher_no, summary FROM lines"}))
    saved = services.save_custom_rule(lead, None, explanation="{{咨询}} {summary}：{amount} 元", **fields)
    assert saved.code == "CU-A-001"
    result = custom.dry_run(saved.sql, Dataset.objects.get(org__code="A1X"), saved.explanation)
    assert result["preview"] == "{咨询} 支付管理咨询费：6,000.00 元"
    preview = custom.dry_run(saved.sql, Dataset.objects.get(org__code="A1X"), "{summary} {nosuch}")["preview"]
    assert preview == "说明模板引用了查询结果中没有的列：nosuch"


def test_a_stored_rule_with_a_bad_template_is_left_out_of_runs(data, personas):
    """A rule saved before templates were checked is never rendered: the run leaves it out."""
    from jingshen.screening.models import CustomRule

    lead = make_user("A", "a_director_tpl2", RoleCode.DIRECTOR)
    CustomRule.objects.create(owner_org=lead.org, created_by=lead, code="CU-A-001", name="旧规则", category="财务",
                              level="line", severity="中", weight=0.5, explanation="{summary.__class__.__mro__}",
                              sql=f"SELECT {CONTRACT}, summary FROM lines", enabled=True)
    assert custom.rules_for_org(personas["a_auditor"].org) == []
