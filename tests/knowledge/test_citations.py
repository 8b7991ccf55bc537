"""Citations (issue 16 item 2): parsing what users and rule files write, resolving in the library
the citer reads, freezing the cited text at its edition, plain citations marked 未收录, the rule
pack's data migration and its upgrade after an import, findings' citations on their page, in
the report .docx and in ``audits show --json``, and archived projects refusing changes."""

import datetime
import importlib
import io
import json
from decimal import Decimal

import pytest
from django.apps import apps as django_apps

from jingshen.activity.models import ActivityLog
from jingshen.audits import findings, paperwork, reports, services, workpapers
from jingshen.audits.models import ArchivedError, AuditProject, ProblemType, Stage
from jingshen.cli import main
from jingshen.knowledge import citations, signals
from jingshen.knowledge.citations import cn_to_int, int_to_cn, parse
from jingshen.knowledge.models import Article, Citation, Regulation, RegulationStatus
from jingshen.screening.rules import load_rules
from tests.audits.test_projects import new_project, team  # noqa: F401 (the fixture)

ART_43 = ("工会经费的来源：\n（一）工会会员缴纳的会费；\n（二）建立工会组织的用人单位按每月全部职工工资总额的百分之二向工会拨缴的经费；\n"
          "（三）工会所属的企业、事业单位上缴的收入；\n（四）人民政府的补助；\n（五）其他收入。\n"
          "前款第二项规定的企业、事业单位、社会组织拨缴的经费在税前列支。")
ART_42 = "用人单位工会委员会的专职工作人员的工资、奖励、补贴，由所在单位支付。社会保险和其他福利待遇等，享受本单位职工同等待遇。"


def regulation(org, name="中华人民共和国工会法", edition="2021年修正", articles=None, **fields):
    reg = Regulation.objects.create(owner_org=org, name=name, edition=edition, level=fields.pop("level", "law"), **fields)
    for number, text in (articles or {42: ART_42, 43: ART_43}).items():
        Article.objects.create(regulation=reg, number=number, number_text=f"第{int_to_cn(number)}条", text=text)
    return reg


def the_rules_act(tree):
    return regulation(tree["P"], "基层工会经费收支管理办法", "2017年", {9: "工会经费不得发放购物卡、储值卡、代金券。", 10: "第十条的原文。"},
                      doc_no="总工办发〔2017〕32号", level="acftu")


# --- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, name, doc_no, edition, article, paragraph, item", [
    ("《基层工会经费收支管理办法》（总工办发〔2017〕32号）第九条", "基层工会经费收支管理办法", "总工办发〔2017〕32号", "", 9, None, None),
    ("《中华人民共和国工会法》第四十三条第一款第（二）项", "中华人民共和国工会法", "", "", 43, 1, 2),
    ("工会法第43条", "工会法", "", "", 43, None, None),
    ("根据工会法第４３条第２款", "工会法", "", "", 43, 2, None),
    ("基层工会经费收支管理办法(总工办发[2017]32号)第十条", "基层工会经费收支管理办法", "总工办发〔2017〕32号", "", 10, None, None),
    ("《中华人民共和国工会法》（2021年修正）第四十二条", "中华人民共和国工会法", "", "2021年修正", 42, None, None),
    ("《工会法》第四十三条（二）", "工会法", "", "", 43, None, 2),
    ("《中国工会审计条例》第一百零五条第三项", "中国工会审计条例", "", "", 105, None, 3),
    ("安徽省基层工会经费收支管理实施办法（试行）第五条", "安徽省基层工会经费收支管理实施办法（试行）", "", "", 5, None, None),
    ("《安徽省基层工会经费收支管理实施办法（试行）》（2018）", "安徽省基层工会经费收支管理实施办法（试行）", "", "2018", None, None, None),
    ("本单位财务管理制度", "本单位财务管理制度", "", "", None, None, None),
])
def test_parsing(text, name, doc_no, edition, article, paragraph, item):
    p = parse(text)
    assert (p.name, p.doc_no, p.edition, p.article, p.paragraph, p.item) == (name, doc_no, edition, article, paragraph, item)
    assert p.written == text


def test_numerals_both_ways():
    assert [int_to_cn(n) for n in (1, 10, 12, 20, 43, 100, 105, 110, 120, 999, 1001)] == [
        "一", "十", "十二", "二十", "四十三", "一百", "一百零五", "一百一十", "一百二十", "九百九十九", "一千零一"]
    assert all(cn_to_int(int_to_cn(n)) == n for n in range(1, 2000))
    assert cn_to_int("43") == 43 and cn_to_int("两百") == 200
    assert parse("工会法第43条第1款第2项").label == "第四十三条第一款第二项"


def test_bad_lines_are_refused():
    with pytest.raises(ValueError, match="不能为空"):
        parse("  ")
    with pytest.raises(ValueError, match="过长"):
        parse("《" + "长" * 400 + "》")
    with pytest.raises(ValueError, match="不能超过 50 条"):
        citations.parse_lines("\n".join(f"工会法第{n}条" for n in range(1, 60)))
    # several citations on one line, separated by “；” before a 《
    assert [p.article for p in citations.parse_lines("《工会法》第四十二条；《工会法》第四十三条\n\n工会法第1条")] == [42, 43, 1]


# --- resolving ----------------------------------------------------------------------------------


def test_resolution_by_name_short_name_edition_and_item(tree):
    law = regulation(tree["P"])
    everything = Regulation.objects.all()
    found = citations.resolve(parse("工会法第43条第1款第（二）项"), everything)
    assert found.regulation == law and found.article.number == 43
    assert found.quoted_text == "建立工会组织的用人单位按每月全部职工工资总额的百分之二向工会拨缴的经费；"
    assert found.label == "第四十三条第一款第二项"
    assert citations.resolve(parse("工会法第43条第2款"), everything).quoted_text.startswith("前款第二项规定")
    first = citations.resolve(parse("工会法第43条第一款"), everything).quoted_text
    assert first.startswith("工会经费的来源：\n（一）") and "（五）其他收入。" in first and "前款" not in first
    assert citations.resolve(parse("《中华人民共和国工会法》第四十二条"), everything).quoted_text == ART_42
    # an edition, item or article the library lacks: nothing to freeze
    assert citations.resolve(parse("《中华人民共和国工会法》（2001年修正）第四十二条"), everything).article is None
    assert citations.resolve(parse("工会法第43条第九项"), everything).article is None
    assert citations.resolve(parse("工会法第99条"), everything).article is None
    # a document number picks its regulation; another number does not
    the_rules_act(tree)
    assert citations.resolve(parse("基层工会经费收支管理办法（总工办发[2017]32号）第九条"), everything).quoted_text.startswith("工会经费不得")
    assert citations.resolve(parse("《基层工会经费收支管理办法》（总工发〔2009〕1号）第九条"), everything).regulation is None


def test_without_an_edition_the_current_one_is_cited(tree):
    old = regulation(tree["P"], edition="2009年修正", status=RegulationStatus.REVISED, edition_date=datetime.date(2009, 8, 27))
    new = regulation(tree["P"], edition_date=datetime.date(2021, 12, 24))
    Regulation.objects.filter(pk=old.pk).update(replaced_by=new)
    assert citations.resolve(parse("工会法第42条"), Regulation.objects.all()).regulation == new
    assert citations.resolve(parse("工会法（2009年修正）第42条"), Regulation.objects.all()).regulation == old
    assert citations.resolve(parse("工会法（2009）第42条"), Regulation.objects.all()).regulation == old  # by the edition's year


def test_resolution_only_in_the_library_the_citer_reads(tree, personas, team):
    regulation(tree["B"], "乙市工会经费管理办法", "2024年", {3: "乙市的条文。"}, level="unit")  # 乙市's own rules
    project = new_project(team, tree)
    services.acknowledge_discipline(team["lead"], project)
    f = a_finding(team["lead"], project)
    c = citations.cite(team["lead"], f, "《乙市工会经费管理办法》第三条")
    assert c.plain and c.article is None and c.quoted_text == "" and citations.status_label(c) == "未收录"
    assert "乙市的条文" not in citations.as_html(c)
    # the same line in 乙市's own library resolves
    found = citations.resolve(parse("《乙市工会经费管理办法》第三条"), citations.readable(personas["b_auditor"]))
    assert found.quoted_text == "乙市的条文。"


# --- citing on findings: freezing, plain, archive ------------------------------------------------


def a_finding(user, project, **fields):
    return findings.save_finding(user, project, problem_type=ProblemType.objects.get(name="违规发放"), org=project.units.get().org,
                                 title="以购物卡发放节日慰问", amount=Decimal("12345.60"), description="春节发放超市购物卡",
                                 basis="用工会经费购买购物卡发放，属违规发放", recommendation="收回", **fields)


@pytest.fixture
def open_project(team, tree):
    project = new_project(team, tree)
    services.acknowledge_discipline(team["lead"], project)
    return project


def test_a_new_edition_never_changes_an_old_citation(tree, team, open_project):
    law = regulation(tree["P"])
    f = a_finding(team["lead"], open_project, citations=["工会法第43条第1款第2项"])
    c = f.citations.get()
    assert (c.plain, c.regulation, c.edition, c.article_label) == (False, law, "2021年修正", "第四十三条第一款第二项")
    frozen = c.quoted_text
    # a new edition with other words is imported: the old one is 已修订, the citation keeps its text
    new = regulation(tree["P"], edition="2030年修正", articles={43: "工会经费的来源：\n（一）会费；\n（二）按百分之三拨缴的经费；"},
                     edition_date=datetime.date(2030, 1, 1))
    Regulation.objects.filter(pk=law.pk).update(status=RegulationStatus.REVISED, replaced_by=new)
    signals.content_changed.send(Regulation, instance=new, deleted=False)
    c.refresh_from_db()
    assert c.quoted_text == frozen and c.edition == "2021年修正" and c.article.regulation_id == law.pk
    # saving the finding again with the same line keeps the old citation; a new citation takes the new edition
    f = findings.save_finding(
        team["lead"], open_project, f, problem_type=f.problem_type, org=f.org, title=f.title, amount=f.amount,
        description=f.description, basis=f.basis, citations=[citations.line_of(c), "工会法第43条第1款第2项"])
    old, fresh = f.citations.order_by("position")
    assert old.pk == c.pk and old.quoted_text == frozen
    assert fresh.edition == "2030年修正" and fresh.quoted_text == "按百分之三拨缴的经费；"
    page = citations.as_text(old)
    assert page == "《中华人民共和国工会法》（2021年修正）第四十三条第一款第二项“建立工会组织的用人单位按每月全部职工工资总额的百分之二向工会拨缴的经费；”"


def test_plain_citations_are_kept_as_written_and_marked(tree, team, open_project):
    the_rules_act(tree)
    f = a_finding(team["lead"], open_project, citations=[
        "《某市工会经费使用补充规定》第三条", "《基层工会经费收支管理办法》（总工办发〔2017〕32号）", "本单位财务管理制度"])
    missing, whole, words = f.citations.order_by("position")
    assert missing.plain and missing.regulation is None and citations.line_of(missing) == "《某市工会经费使用补充规定》第三条"
    assert citations.status_label(missing) == "未收录" and "未收录" in citations.as_html(missing)
    assert whole.plain and whole.regulation is not None and citations.status_label(whole) == "未指明条款"
    assert citations.line_of(words) == "本单位财务管理制度" and citations.status_label(words) == "未收录"
    assert citations.as_dict(missing) == {"regulation": "某市工会经费使用补充规定", "edition": "", "doc_no": "", "article": 3,
                                          "label": "第三条", "text": "", "plain": True}
    # HTML is escaped
    hostile = citations.cite(team["lead"], f, "《<script>alert(1)</script>》第一条")
    assert "<script>" not in citations.as_html(hostile) and "&lt;script&gt;" in citations.as_html(hostile)


def test_cite_and_replace_are_checked_and_logged(tree, team, personas, open_project):
    regulation(tree["P"])
    f = a_finding(team["lead"], open_project)
    c = citations.cite(team["lead"], f, "工会法第42条")
    assert not c.plain and c.created_by == team["lead"]
    entry = ActivityLog.objects.filter(action="knowledge.cite").get()
    assert entry.after == {"citations": ["《中华人民共和国工会法》（2021年修正）第四十二条"]}
    kept = citations.replace_citations(team["lead"], f, ["《中华人民共和国工会法》（2021年修正）第四十二条", "工会法第43条"])
    assert kept[0].pk == c.pk and [k.article_number for k in kept] == [42, 43]
    assert citations.replace_citations(team["lead"], f, ["工会法第43条"])[0].pk == kept[1].pk
    assert not Citation.objects.filter(pk=c.pk).exists()
    assert ActivityLog.objects.filter(action="knowledge.replace_citations").count() == 2
    with pytest.raises(PermissionError):
        citations.cite(personas["b_auditor"], f, "工会法第42条")  # not a member
    with pytest.raises(PermissionError):
        citations.cite(team["director"], f, "工会法第42条")  # not a member who acknowledged the discipline
    with pytest.raises(PermissionError):
        citations.replace_citations(team["lead"], "JS-CARD-001", ["工会法第42条"])  # rules follow the pack


def test_an_archived_project_refuses_citation_changes(tree, team, open_project):
    regulation(tree["P"])
    f = a_finding(team["lead"], open_project, citations=["工会法第42条"])
    wp = workpapers.create_workpaper(team["lead"], open_project, org=tree["A1X"], index_no="A-1", matter="节日慰问",
                                     period_text="2025年", procedures="抽查", conclusion="属实", citations=["工会法第43条"])
    AuditProject.objects.filter(pk=open_project.pk).update(stage=Stage.ARCHIVED)
    open_project.refresh_from_db()
    for write in (
        lambda: citations.cite(team["lead"], f, "工会法第43条"),
        lambda: citations.replace_citations(team["lead"], f, []),
        lambda: citations.replace(team["lead"], f, ["工会法第43条"]),
        lambda: citations.cite(team["lead"], wp, "工会法第42条"),
        lambda: findings.save_finding(team["lead"], open_project, f, problem_type=f.problem_type, org=f.org, title="改",
                                      amount="1", description="x", citations=[]),
    ):
        with pytest.raises((ArchivedError, PermissionError)):
            write()
    assert f.citations.count() == 1 and wp.citations.count() == 1
    # an import never upgrades the citations of an archived project
    Citation.objects.filter(finding=f).update(plain=True, article=None, quoted_text="")
    citations.resolve_plain()
    assert Citation.objects.get(finding=f).plain


# --- upgrading plain citations after an import ----------------------------------------------------


def test_plain_citations_are_upgraded_when_their_regulation_is_imported(tree, team, open_project):
    f = a_finding(team["lead"], open_project, citations=["工会法第42条", "工会法第7条"])
    assert all(c.plain for c in f.citations.all())
    law = regulation(tree["P"])
    signals.content_changed.send(Regulation, instance=law, deleted=False)  # as the importer sends it
    upgraded, missing = f.citations.order_by("position")
    assert not upgraded.plain and upgraded.quoted_text == ART_42 and upgraded.regulation_name == "中华人民共和国工会法"
    assert missing.plain and missing.regulation == law and citations.status_label(missing) == "未收录"


def test_an_upgrade_respects_what_the_citer_reads(tree, team, open_project):
    f = a_finding(team["lead"], open_project, citations=["《乙市工会经费管理办法》第三条"])
    reg = regulation(tree["B"], "乙市工会经费管理办法", "2024年", {3: "乙市的条文。"}, level="unit")
    signals.content_changed.send(Regulation, instance=reg, deleted=False)
    assert f.citations.get().plain  # 甲市's auditors do not read 乙市's rules


# --- the rule pack ------------------------------------------------------------------------------


def migration():
    return importlib.import_module("jingshen.knowledge.migrations.0003_rule_citations")


def test_the_migration_turns_the_rule_pack_into_citations(tree):
    Citation.objects.exclude(rule="").delete()
    the_rules_act(tree)
    law = regulation(tree["P"])
    migration().rule_citations(django_apps, None)
    rules = load_rules()
    by_rule = citations.rule_citations()
    assert set(by_rule) == {code for code, r in rules.items() if r.basis}
    assert all(len(by_rule[code]) == len(r.basis) for code, r in rules.items() if r.basis)
    card = by_rule["JS-CARD-001"][0]
    assert (card.regulation_name, card.doc_no, card.plain, card.regulation.doc_no) == ("基层工会经费收支管理办法", "总工办发〔2017〕32号",
                                                                                      True, "总工办发〔2017〕32号")
    assert citations.status_label(card) == "未指明条款"  # the rule file names no article
    empl = by_rule["JS-EMPL-002"][0]
    assert (empl.plain, empl.article.regulation, empl.edition, empl.quoted_text) == (False, law, "2021年修正", ART_42)
    cash = by_rule["JS-CASH-001"][0]
    assert cash.plain and cash.regulation is None and cash.edition == "1988" and citations.status_label(cash) == "未收录"
    # run again: nothing doubles; and the app's sync agrees with what the migration made
    migration().rule_citations(django_apps, None)
    assert Citation.objects.filter(rule="JS-CARD-001").count() == 1
    assert citations.sync_rules() == 0


def test_on_a_fresh_install_rule_citations_are_plain_until_the_import(tree):
    Citation.objects.exclude(rule="").delete()
    migration().rule_citations(django_apps, None)
    assert not Citation.objects.exclude(rule="").filter(plain=False).exists()
    law = regulation(tree["P"])
    signals.content_changed.send(Regulation, instance=law, deleted=False)
    empl = Citation.objects.get(rule="JS-EMPL-002", position=0)
    assert not empl.plain and empl.quoted_text == ART_42


def test_sync_follows_a_changed_rule_pack(tree):
    rules = load_rules()
    assert citations.sync_rules(rules) == 0  # made by the migration, kept in step after migrate
    kept = Citation.objects.get(rule="JS-CARD-001")
    few = {"JS-CARD-001": rules["JS-CARD-001"]}
    assert citations.sync_rules(few) == 0
    assert list(Citation.objects.exclude(rule="").values_list("rule", flat=True).distinct()) == ["JS-CARD-001"]
    assert Citation.objects.get(rule="JS-CARD-001").pk == kept.pk


def test_the_migration_converts_the_free_text_basis_of_findings(tree, team, open_project):
    f = a_finding(team["lead"], open_project)
    type(f).objects.filter(pk=f.pk).update(basis="《基层工会经费收支管理办法》（总工办发〔2017〕32号）第九条\n\n工会法第43条第1款第2项")
    migration().finding_citations(django_apps, None)
    first, second = f.citations.order_by("position")
    assert (first.regulation_name, first.doc_no, first.article_number, first.plain) == ("基层工会经费收支管理办法", "总工办发〔2017〕32号", 9, True)
    assert (second.regulation_name, second.article_label, second.created_by) == ("工会法", "第43条第1款第2项", team["lead"])
    f.refresh_from_db()
    assert f.basis.startswith("《基层工会经费收支管理办法》")  # the free text is kept
    regulation(tree["P"])
    assert citations.resolve_plain() >= 1  # and the rule pack's citation of article 42
    second.refresh_from_db()
    assert second.quoted_text.startswith("建立工会组织的用人单位")
    migration().finding_citations(django_apps, None)
    assert f.citations.count() == 2  # not twice


def test_the_rule_catalogue_shows_each_basis_as_citations(tree, client_for):
    Citation.objects.exclude(rule="").delete()
    regulation(tree["P"])
    migration().rule_citations(django_apps, None)
    page = client_for("a_auditor").get("/screening/rules/").content.decode()
    section = page[page.index('id="JS-EMPL-002"'):page.index('id="JS-EMPL-002"') + 4000]
    assert "《中华人民共和国工会法》第四十二条" in section and ART_42 in section and "专职工会工作人员的工资由所在单位支付" in section
    cash = page[page.index('id="JS-CASH-001"'):page.index('id="JS-CASH-001"') + 3000]
    assert "《现金管理暂行条例》" in cash and "未收录" in cash


def test_a_resolved_citation_links_to_its_article(tree, team, open_project, client_for):
    law = regulation(tree["P"])
    c = citations.cite(team["lead"], a_finding(team["lead"], open_project), "工会法第43条")
    assert f'href="/knowledge/regulations/{law.pk}/articles/43/"' in citations.as_html(c)
    assert "百分之二" in client_for("a_auditor").get(f"/knowledge/regulations/{law.pk}/articles/43/").content.decode()
    plain = citations.cite(team["lead"], c.finding, "《未收录的办法》第一条")
    assert "href" not in citations.as_html(plain)


# --- findings' page, report and JSON -----------------------------------------------------------


def test_the_finding_page_takes_citations_one_a_line(tree, team, open_project, client):
    regulation(tree["P"])
    client.force_login(team["lead"])
    form = {"problem_type": ProblemType.objects.get(name="违规发放").pk, "org": "A1X", "title": "购物卡", "amount": "100",
            "description": "发放购物卡", "basis": "属违规发放", "recommendation": "收回",
            "citations": "工会法第43条第1款第2项\n《某市补充规定》第三条"}
    response = client.post(f"/audits/{open_project.pk}/findings/new/", form)
    assert response.status_code == 302
    f = open_project.findings.get()
    assert f.basis == "属违规发放" and [c.plain for c in f.citations.order_by("position")] == [False, True]
    page = client.get(f"/audits/{open_project.pk}/findings/{f.pk}/").content.decode()
    assert "百分之二向工会拨缴的经费" in page and "未收录" in page and "《某市补充规定》第三条" in page
    assert "《中华人民共和国工会法》（2021年修正）第四十三条第一款第二项" in page  # the line to save again
    bad = client.post(f"/audits/{open_project.pk}/findings/{f.pk}/", form | {"citations": "《" + "长" * 400 + "》"})
    assert "过长" in bad.content.decode() and f.citations.count() == 2


def test_the_report_quotes_the_frozen_text(tree, team, personas, open_project):
    import docx

    law = regulation(tree["P"])
    gist = regulation(tree["P"], "某省工会经费管理办法", "2020年", {5: "我们写的要点。"}, level="provincial", gist=True)
    a_finding(team["lead"], open_project, citations=["工会法第43条第1款第2项", "《某省工会经费管理办法》第五条", "《某市补充规定》第三条"])
    Article.objects.filter(regulation=law, number=43).update(text="改过的条文")  # never read again by the finding
    AuditProject.objects.filter(pk=open_project.pk).update(stage=Stage.CONSULTATION)
    doc = paperwork.generate_draft_report(team["lead"], open_project, datetime.date.today() + datetime.timedelta(days=7))
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(paperwork.read(doc))).paragraphs)
    assert ("上述问题不符合《中华人民共和国工会法》（2021年修正）第四十三条第一款第二项“建立工会组织的用人单位按每月全部职工工资总额的"
            "百分之二向工会拨缴的经费；”、《某省工会经费管理办法》（2020年）第五条、《某市补充规定》第三条的规定。") in text
    assert "我们写的要点" not in text and "改过的条文" not in text
    assert gist.pk


def test_audits_show_json_lists_the_citations(tree, team, open_project, capsys):
    regulation(tree["P"])
    a_finding(team["lead"], open_project, citations=["工会法第42条", "《某市补充规定》第三条"])
    summary = reports.project_summary(open_project)
    assert summary["findings"][0]["citations"] == [
        {"regulation": "中华人民共和国工会法", "edition": "2021年修正", "doc_no": "", "article": 42, "label": "第四十二条",
         "text": ART_42, "plain": False},
        {"regulation": "某市补充规定", "edition": "", "doc_no": "", "article": 3, "label": "第三条", "text": "", "plain": True}]
    assert main(["audits", "show", open_project.code, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["findings"][0]["citations"][0]["article"] == 42
