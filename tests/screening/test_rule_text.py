"""Nothing for developers on the users' screens: the rule pack's user-visible texts (name, logic,
explanation, parameter labels, meanings and sources, citations) and every page that shows them
carry no development notes, no regular-expression syntax, no English role codes and no SQL.
The notes stay in the rule files' ``notes`` / ``source_note`` fields, which users never see."""

import re
from html.parser import HTMLParser

import pytest

from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.roles import AccountRole
from jingshen.orgs.models import Level
from jingshen.screening.models import ScreeningRun
from jingshen.screening.rules import RULES_DIR, RuleError, load_rule, load_rules, user_texts
from jingshen.screening.templatetags.rule_text import citations, keywords, pattern, rule_text
from tests.ledger.conftest import write
from tests.screening.conftest import entry

# What a developer writes and a user must not read. Kept apart from the loader's own list
# (rules.DEVELOPER_NOTES) so that weakening that list does not weaken this test.
CODES = sorted({c for c, _ in AccountRole.choices} | {c for c, _ in Level.choices})
DEVELOPER = [
    re.compile(r"README|§|domain", re.IGNORECASE),
    re.compile(r"\[(confirmed|weak|unverified)|\b(confirmed|weak|unverified)\b|weak:", re.IGNORECASE),
    re.compile(r"未核实|已核实|较弱|演示数据|演示账套"),
    re.compile(r"\\[a-zA-Z]|\(\?[a-zA-Z]|[^\s|]\|[^\s|]|\.\*|\^\(|\)\$"),  # \b, (?i), a|b, .*, ^( … )$
    re.compile(r"\b(admin|director|team_lead|auditor|auditee_contact|leader)\b", re.IGNORECASE),
    re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, CODES)) + r")(?![\w-])", re.IGNORECASE),
    re.compile(r"\b[a-z]+[_.][a-z]+\b"),  # identifiers such as orgs.member_count
    re.compile(r"\b(SELECT|FROM|WHERE|JOIN|GROUP BY|HAVING|UNION|regexp_matches|coalesce|levenshtein|DuckDB|Spark)\b",
               re.IGNORECASE),
]


def developer_notes(text: str) -> list[str]:
    return [m.group(0) for p in DEVELOPER for m in p.finditer(text)]


def test_the_markers_are_recognised():
    """The test's own list catches what the rule files held before (guards a silent pass)."""
    for text in ("domain README §5：经验默认值 [unverified]", "Nigrini [weak: 同上]", "^(other-payable|borrowing)$",
                 "(?i)\\b卡", "会员人数（orgs.member_count）", "只有 director 可以", "SELECT summary FROM texts"):
        assert developer_notes(text), text
    assert not developer_notes("《安徽省基层工会经费收支管理实施办法（试行）》（2018）规定的上限；经审实务常用值，可按本地规定调整")


def test_no_rule_shows_users_developer_notes():
    rules = load_rules()
    assert len(rules) == 48
    for code, rule in rules.items():
        for where, text in user_texts(rule):
            assert not developer_notes(text), f"{code} {where}: {developer_notes(text)}"
        for p in rule.params.values():
            assert p.source, f"{code}.{p.name}: the source of its default, for users"
            shown = keywords(p.default) if p.type == "text" else None
            for item in shown or ():
                assert not developer_notes(item), f"{code}.{p.name} shows {item}"


def test_the_notes_stay_with_the_rules_for_developers():
    rules = load_rules()
    assert "[unverified]" in rules["JS-FEST-002"].notes
    assert "README" in rules["JS-AP-001"].params["days"].source_note
    assert "未核实" in rules["JS-HOSP-001"].basis[0].source_note
    assert "未核实" not in str(rules["JS-HOSP-001"].basis[0]) and "未核实" not in rules["JS-HOSP-001"].basis_text()


@pytest.mark.parametrize("field, text", [
    ("description", "按会员人数（orgs.member_count）计算"),
    ("param_source", "domain README §5：经验默认值 [unverified]"),
    ("meaning", "匹配 other-payable 科目"),
    ("basis_note", "不得发放购物卡（原文措辞未核实）"),
    ("name", "发放购物卡 [weak]"),
])
def test_the_loader_refuses_a_rule_that_would_show_users_developer_notes(tmp_path, field, text):
    source = (RULES_DIR / "JS-CARD-001.toml").read_text(encoding="utf-8")
    edits = {
        "description": lambda s: s.replace('description = """\n', f'description = """\n{text}', 1),
        "param_source": lambda s: re.sub(r'^source = ".*"$', f'source = "{text}"', s, count=1, flags=re.M),
        "meaning": lambda s: s.replace('[params.pattern]\n', f'[params.pattern]\nmeaning = "{text}"\n', 1),
        "basis_note": lambda s: re.sub(r'^note = ".*"$', f'note = "{text}"', s, count=1, flags=re.M),
        "name": lambda s: re.sub(r'^name = ".*"$', f'name = "{text}"', s, count=1, flags=re.M),
    }
    path = tmp_path / "JS-CARD-001.toml"
    path.write_text(edits[field](source), encoding="utf-8")
    with pytest.raises(RuleError, match="developer notes"):
        load_rule(path)


def test_developer_notes_are_welcome_in_the_fields_users_never_see(tmp_path):
    source = (RULES_DIR / "JS-CARD-001.toml").read_text(encoding="utf-8")
    source = re.sub(r'^source_note = ".*"$', 'source_note = "domain README §3 [confirmed]"', source, count=1, flags=re.M)
    source = source.replace('[[basis]]\n', '[[basis]]\nsource_note = "原文措辞未核实 [unverified]"\n', 1)
    source = source.replace('explanation = ', 'notes = "regexp_matches over texts (see engine.py)"\nexplanation = ', 1)
    path = tmp_path / "JS-CARD-001.toml"
    path.write_text(source, encoding="utf-8")
    rule = load_rule(path)
    assert rule.notes.startswith("regexp_matches") and rule.params["pattern"].source_note.startswith("domain")
    assert rule.basis_text() == load_rules()["JS-CARD-001"].basis_text()


def test_a_pattern_reads_as_keywords_role_names_or_a_code_box():
    assert pattern("(购物卡|超市卡|E卡)") == ('<span class="keywords"><span class="kw">「购物卡」</span>'
                                          '<span class="kw">「超市卡」</span><span class="kw">「E卡」</span></span>')
    assert keywords("生日") == ["生日"]
    assert keywords("^(other-payable|borrowing|custodial)$") == ["借入款", "其他应付款", "代管经费"]
    assert keywords("^(other-payable|payable-.*|custodial|borrowing)$") == [
        "应付个人款项", "借入款", "应付上级经费", "应付下级经费", "其他应付款", "代管经费"]
    assert keywords("^(grassroots)$") == ["基层"]
    assert keywords("冲(销)?(借支|借款)") is None
    assert pattern("冲(销)?(借支|<b>)") == '<code class="pattern">冲(销)?(借支|&lt;b&gt;)</code>'
    assert pattern(1500) == "1,500" and pattern(0.006) == "0.006"


def test_a_description_wrapped_in_the_file_reads_as_sentences():
    assert rule_text("甲乙\n丙丁：\n（1）戊\n己；\n（2）庚") == "甲乙丙丁：<br>（1）戊己；<br>（2）庚"
    assert rule_text("<b>\n&") == "&lt;b&gt;&amp;"
    assert rule_text("由 JS-FEST-004 检查") == '由 <span class="nowrap">JS-FEST-004</span> 检查'



def test_a_flags_stored_basis_reads_one_citation_a_line():
    fest = load_rules()["JS-FEST-001"]
    assert citations(fest.basis_text()) == [str(b) for b in fest.basis] and len(fest.basis) == 2
    assert citations("《甲》：乙；丙") == ["《甲》：乙；丙"] and citations("") == []


class _Shown(HTMLParser):
    """The text a user reads in a page's main part: text and the attributes shown on screen or
    read aloud, leaving out scripts and the code boxes that show a pattern as it is."""

    def __init__(self):
        super().__init__()
        self.main = self.skip = 0
        self.parts = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "main":
            self.main += 1
        if tag in ("script", "style") or (tag == "code" and "pattern" in (attrs.get("class") or "")):
            self.skip += 1
        if self.main and not self.skip:
            self.parts += [attrs[a] for a in ("title", "aria-label", "placeholder") if attrs.get(a)]
            if tag == "input" and attrs.get("name") != "value" and attrs.get("type") != "hidden" and attrs.get("value"):
                self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "main":
            self.main -= 1
        if tag in ("script", "style", "code") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if self.main and not self.skip:
            self.parts.append(data)


def shown(html: str) -> str:
    parser = _Shown()
    parser.feed(html)
    return "\n".join(parser.parts)


@pytest.fixture
def books(tree, tmp_path):
    rows = entry(1, "2025-01-20", "50104", "102", "18000.00", "购买慰问购物卡", "银泰百货")
    rows += entry(2, "2025-02-11", "50104", "101", "2600.00", "发放慰问金")
    rows += entry(3, "2025-03-02", "50104", "102", "4900.00", "中秋国庆慰问品", "惠客多超市")
    import_vouchers(write(tmp_path / "v.csv", rows))


def assert_nothing_for_developers(html: str, page: str):
    text = shown(html)
    assert text.strip(), page
    assert not developer_notes(text), f"{page}: {developer_notes(text)}"


@pytest.mark.parametrize("persona", ["prov_director", "a_auditor"])
def test_the_catalogue_shows_users_none_of_it(persona, client_for, tree):
    html = client_for(persona).get("/screening/rules/").content.decode()
    assert_nothing_for_developers(html, "/screening/rules/")
    assert "「购物卡」" in html and "「其他应付款」" in html  # patterns read as keywords, roles by name
    assert "《安徽省基层工会经费收支管理实施办法（试行）》（2018）" in html
    assert "经审实务常用值，可按本地规定调整" in html
    assert 'style="' not in html  # widths come from app.css classes (strict CSP)


def test_the_run_and_flag_pages_show_users_none_of_it(books, client_for):
    client = client_for("a_auditor")
    client.post("/screening/", {"year": "2025", "org": "A"})
    run = ScreeningRun.objects.get()
    assert run.status == "done"
    html = client.get(f"/screening/runs/{run.pk}/").content.decode()
    assert "「其他应付款」" in html  # the method table's role parameters, by name
    assert_nothing_for_developers(html, "run page")
    for flag in run.flags.all():
        page = client.get(f"/screening/flags/{flag.pk}/").content.decode()
        assert_nothing_for_developers(page, f"flag {flag.rule}")
    flag = run.flags.get(rule="JS-CARD-001")
    assert "不得发放购物卡" in client.get(f"/screening/flags/{flag.pk}/").content.decode()
    assert "[weak" not in flag.basis and "未核实" not in flag.basis  # nor in what a flag keeps and exports

