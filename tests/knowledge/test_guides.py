"""知识条目 and 常用问题定性表述: who publishes and changes them, who reads them, Markdown rendered
without any script reaching the page, attachments checked like evidence, the links to the rule
catalogue, and the wordings offered on the finding form."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jingshen.accounts.models import RoleCode
from jingshen.activity.models import ActivityLog
from jingshen.audits.models import Finding, ProblemType
from jingshen.audits.services import acknowledge_discipline
from jingshen.knowledge import guides
from jingshen.knowledge.models import Guide, GuideAttachment, StandardWording
from jingshen.knowledge.signals import content_changed
from tests.conftest import make_user
from tests.test_access import audit_project

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture
def a_director(personas):
    return make_user("A", "a_director", RoleCode.DIRECTOR)


@pytest.fixture
def problem(db):
    return ProblemType.objects.get(name="违规发放")


@pytest.fixture
def signals():
    received = []

    def listener(sender, instance, deleted, **kwargs):
        received.append((sender, deleted))

    content_changed.connect(listener)
    yield received
    content_changed.disconnect(listener)


def guide(user, **changes):
    return guides.save_guide(user, **({"kind": "guide", "title": "工会经费收入审计要点", "body": "# 要点\n\n- 拨缴经费"} | changes))


# --- publishing and reading ----------------------------------------------------------------------


def test_guides_are_published_at_ones_own_unit_by_its_director_or_admin(personas, a_director, signals):
    for name in ("a_auditor", "a_lead", "leader", "contact"):
        with pytest.raises(PermissionError, match="系统管理员或经审负责人"):
            guide(personas[name])
    g = guide(a_director, rules=["JS-CASH-001"])
    assert g.owner_org.code == "A" and g.rules == ["JS-CASH-001"]
    assert signals == [(Guide, False)]
    with pytest.raises(PermissionError):  # the province publishes at the province, not for the city
        guides.save_guide(personas["prov_director"], g, kind="note", title="改", body="改")
    with pytest.raises(ValueError, match="不在规则目录中"):
        guides.save_guide(a_director, g, kind="note", title="改", body="改", rules=["X"])
    changed = guides.save_guide(a_director, g, kind="note", title="改过的", body="正文")
    assert changed.kind == "note" and changed.title == "改过的"
    guides.delete_guide(a_director, changed)
    assert not Guide.objects.exists() and signals[-1] == (Guide, True)
    assert [e.action for e in ActivityLog.objects.filter(action__startswith="knowledge.guide").order_by("seq")] == [
        "knowledge.guide_create", "knowledge.guide_update", "knowledge.guide_delete"]


def test_a_guide_is_read_in_its_units_subtree_and_above_never_in_the_other_branch(client_for, personas, a_director):
    g = guide(a_director, title="甲市的指引")
    for name in ("a_auditor", "a1_auditor", "contact", "prov_director", "leader"):
        assert client_for(name).get(f"/knowledge/guides/{g.pk}/").status_code == 200, name
        assert "甲市的指引" in client_for(name).get("/knowledge/guides/").content.decode(), name
    assert client_for("b_auditor").get(f"/knowledge/guides/{g.pk}/").status_code == 404
    assert "甲市的指引" not in client_for("b_auditor").get("/knowledge/guides/").content.decode()
    # a reader below may not change it: the write is 404 like a guide they cannot read
    assert client_for("a1_auditor").post(f"/knowledge/guides/{g.pk}/", {"kind": "note", "title": "x", "body": "x"}).status_code == 404
    assert client_for("a1_auditor").post(f"/knowledge/guides/{g.pk}/delete/").status_code == 404
    assert client_for("a_auditor").get("/knowledge/guides/new/").status_code == 404
    national = guide(personas["prov_director"], title="全省通用指引")
    assert client_for("b_auditor").get(f"/knowledge/guides/{national.pk}/").status_code == 200


# --- Markdown without script -----------------------------------------------------------------------


HOSTILE = """# 标题

<script>alert('x')</script>
<img src=x onerror="alert(1)">
<a href="javascript:alert(2)">点我</a>
[链接](javascript:alert(3))
[另一个](JaVaScRiPt:alert(4))
<div onclick="alert(5)" style="color:red">块</div>
<iframe src="https://evil.example/"></iframe>
<svg onload="alert(6)"></svg>
[正常链接](https://www.acftu.org/) 与 **加粗**

| 项目 | 金额 |
|---|---|
| 送温暖 | 1,000.00 |
"""


def test_markdown_is_rendered_and_nothing_executable_survives():
    html = str(guides.render_markdown(HOSTILE))
    assert "<h1>标题</h1>" in html and "<strong>加粗</strong>" in html and "<table>" in html and "<td>送温暖</td>" in html
    assert '<a href="https://www.acftu.org/" rel="noopener noreferrer nofollow">正常链接</a>' in html
    lowered = html.lower()
    for bad in ("<script", "onerror", "onclick", "onload", "javascript:", "<iframe", "<svg", "style="):
        assert bad not in lowered, bad


def test_a_hostile_body_never_reaches_the_page(client, a_director):
    g = guide(a_director, body=HOSTILE)
    client.force_login(a_director)
    page = client.get(f"/knowledge/guides/{g.pk}/").content.decode()
    body = re.search(r'<article class="kb-body" id="guide-body">(.*?)</article>', page, re.S).group(1)
    lowered = body.lower()
    for bad in ("<script", "onerror", "onclick", "onload", "javascript:", "<iframe", "style="):
        assert bad not in lowered, bad
    # the edit form shows the source escaped
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


# --- attachments ----------------------------------------------------------------------------------


def test_attachments_are_checked_like_evidence_and_downloaded_by_readers(client_for, personas, a_director, settings):
    g = guide(a_director)
    item = guides.add_attachment(a_director, g, SimpleUploadedFile("经费收入审计要点.pdf", PDF))
    assert item.kind == "PDF 文档" and item.original_name == "经费收入审计要点.pdf" and len(item.sha256) == 64
    with pytest.raises(ValueError, match="已是该知识条目的附件"):
        guides.add_attachment(a_director, g, SimpleUploadedFile("again.pdf", PDF))
    with pytest.raises(ValueError):  # an executable named .pdf
        guides.add_attachment(a_director, g, SimpleUploadedFile("setup.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200))
    with pytest.raises(ValueError):  # an HTML page with a script
        guides.add_attachment(a_director, g, SimpleUploadedFile("notes.txt", b"<html><script>alert(1)</script></html>"))
    settings.JINGSHEN_EVIDENCE_MAX_MB = 0.001
    with pytest.raises(ValueError):
        guides.add_attachment(a_director, g, SimpleUploadedFile("big.pdf", PDF + b"0" * 5000))
    with pytest.raises(PermissionError):
        guides.add_attachment(personas["a_auditor"], g, SimpleUploadedFile("x.pdf", PDF + b" "))
    assert GuideAttachment.objects.count() == 1
    response = client_for("a1_auditor").get(f"/knowledge/attachments/{item.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff" and response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == PDF
    assert ActivityLog.objects.filter(action="download", object_id=str(item.pk)).exists()
    assert client_for("b_auditor").get(f"/knowledge/attachments/{item.pk}/").status_code == 404
    assert client_for("a1_auditor").post(f"/knowledge/attachments/{item.pk}/remove/").status_code == 404
    guides.remove_attachment(a_director, item)
    assert not GuideAttachment.objects.exists()


def test_an_executable_renamed_pdf_is_refused_through_the_page(client, a_director):
    g = guide(a_director)
    client.force_login(a_director)
    response = client.post(f"/knowledge/guides/{g.pk}/attachments/",
                           {"file": SimpleUploadedFile("报表.pdf", b"MZ\x90\x00" + b"\x00" * 100)}, follow=True)
    assert response.status_code == 200 and not GuideAttachment.objects.exists()
    assert "报表.pdf" in response.content.decode()  # the refusal names the file


# --- the rule catalogue ------------------------------------------------------------------------------


def test_guides_and_wordings_link_to_the_rule_catalogue_and_it_links_back(client_for, a_director, problem):
    g = guide(a_director, title="现金管理指引", rules=["JS-CASH-001"])
    w = guides.save_wording(a_director, problem_type=problem, title="大额现金支付", wording="××单位大额使用现金支付。",
                            rules=["JS-CASH-001"])
    client = client_for("a_auditor")
    for url in (f"/knowledge/guides/{g.pk}/", f"/knowledge/wordings/{w.pk}/"):
        assert 'href="/screening/rules/#JS-CASH-001"' in client.get(url).content.decode(), url
    catalogue = client.get("/screening/rules/").content.decode()
    section = catalogue[catalogue.index('id="JS-CASH-001"'):]
    section = section[:section.index("</section>")]
    assert f'/knowledge/guides/{g.pk}/' in section and f'/knowledge/wordings/{w.pk}/' in section
    assert "现金管理指引" not in client_for("b_auditor").get("/screening/rules/").content.decode()
    assert "现金管理指引" in client.get("/knowledge/guides/?rule=JS-CASH-001").content.decode()
    assert "现金管理指引" not in client.get("/knowledge/guides/?rule=JS-HOSP-001").content.decode()


# --- standard wordings ----------------------------------------------------------------------------


def test_wordings_are_published_changed_and_deleted_by_publishers(personas, a_director, problem, signals):
    with pytest.raises(PermissionError):
        guides.save_wording(personas["a_lead"], problem_type=problem, title="x", wording="x")
    with pytest.raises(ValueError, match="请选择问题类型"):
        guides.save_wording(a_director, problem_type=None, title="x", wording="x")
    with pytest.raises(ValueError, match="请填写定性表述"):
        guides.save_wording(a_director, problem_type=problem, title="x", wording="")
    w = guides.save_wording(a_director, problem_type=problem, title="违规发放购物卡", wording="××工会以××名义发放购物卡××元。",
                            basis="《基层工会经费收支管理办法》", recommendation="收回违规发放的购物卡。")
    guides.save_wording(a_director, w, problem_type=problem, title="违规发放购物卡", wording="改过", basis="", recommendation="")
    with pytest.raises(PermissionError):
        guides.delete_wording(personas["prov_director"], w)
    guides.delete_wording(a_director, w)
    assert not StandardWording.objects.exists()
    assert signals == [(StandardWording, False), (StandardWording, False), (StandardWording, True)]
    assert ActivityLog.objects.filter(action__startswith="knowledge.wording").count() == 3


def test_the_finding_form_offers_the_wordings_the_writer_reads(client, personas, a_director, tree, problem):
    other = ProblemType.objects.get(name="超标准")
    guides.save_wording(a_director, problem_type=problem, title="违规发放购物卡", wording="以福利名义发放购物卡<b>。",
                        basis="《办法》第十条", recommendation="收回。")
    guides.save_wording(a_director, problem_type=other, title="超标准发放慰问品", wording="超标准。")
    b_director = make_user("B", "b_director", RoleCode.DIRECTOR)
    guides.save_wording(b_director, problem_type=problem, title="乙方表述", wording="不应出现")
    project = audit_project(tree["A1X"])  # by a 组长 of 甲市一区 (reads 甲市's wordings)
    lead = project.created_by
    acknowledge_discipline(lead, project)
    client.force_login(lead)
    page = client.get(f"/audits/{project.pk}/findings/new/").content.decode()
    assert 'id="wording-offer"' in page and "jingshen/wordings.js" in page
    assert "违规发放购物卡" in page and "超标准发放慰问品" in page and "乙方表述" not in page
    assert f'data-problem-type="{problem.pk}"' in page and f'data-problem-type="{other.pk}"' in page
    assert 'data-wording="以福利名义发放购物卡&lt;b&gt;。"' in page and 'data-basis="《办法》第十条"' in page
    # a saved finding keeps the form, so the offer is on its page too; and nothing for a reader who may not write
    finding = Finding.objects.create(project=project, org=tree["A1X"], problem_type=problem, title="t", amount=0,
                                     description="d", created_by=lead)
    assert 'id="wording-offer"' in client.get(f"/audits/{project.pk}/findings/{finding.pk}/").content.decode()
    client.force_login(personas["prov_director"])
    assert 'id="wording-offer"' not in client.get(f"/audits/{project.pk}/findings/{finding.pk}/").content.decode()
