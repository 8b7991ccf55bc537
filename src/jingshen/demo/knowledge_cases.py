"""The demo's 案例库 and 知识库 content, made through the same services users call: cases written by
the Hangzhou auditor and one turned from a finding of the archived demo project (anonymised on the
way), all approved by the province's 经审负责人 and so read throughout the province; guides and
standard wordings published by the province. The texts are our own illustrations, not real cases.
Idempotent: nothing is made twice."""

from jingshen.accounts.models import User
from jingshen.audits.models import Finding, ProblemType
from jingshen.demo.audits import ARCHIVED
from jingshen.knowledge import cases, guides
from jingshen.knowledge.models import Case, Guide, StandardWording

CASES = [
    {
        "title": "以职工福利名义集中采购购物卡发放", "unit_kind": "enterprise", "year": 2024, "problem": "违规发放",
        "amount": "86400.00", "rules": ["JS-CARD-001", "JS-ROUND-001"],
        "facts": "某单位工会于春节前以“职工福利”名义，分三次在某商场购买面值 200 元的购物卡共 432 张，合计 86,400.00 元，"
                 "发放给全体会员。凭证摘要为“购买慰问品”，附件仅有商场开具的“礼品”发票，无发放名单和审批记录。",
        "handling": "责令该单位工会收回未使用的购物卡，已使用部分由相关人员退回；对经费审批制度进行修订，节日慰问改为发放实物。",
        "lessons": "购物卡、储值卡、代金券等是明令禁止发放的卡券；“礼品”“慰问品”类笼统发票应追查实际购买物品。"
                   "筛查时应把超市、商场的大额整数支付与卡券关键词结合起来看。",
    },
    {
        "title": "拆分报销规避“三重一大”集体决策", "unit_kind": "grassroots_union", "year": 2025, "problem": "内控缺失",
        "amount": "148000.00", "rules": ["JS-SPLIT-001", "JS-LIMIT-001"],
        "facts": "某单位工会组织职工文体活动，场地租赁和服装采购共 148,000.00 元，拆分为 9 张凭证在两周内分别报销，"
                 "每张金额均略低于 20,000 元的工会主席审批限额，未经工会委员会集体研究。",
        "handling": "向该单位工会提出审计建议：补办集体决策程序，今后同一事项合并报批；对经办人进行提醒谈话。",
        "lessons": "同一往来单位、相近日期、金额贴近审批限额的多笔支出，是拆分规避审批的典型特征。",
    },
]

GUIDES = [
    {
        "kind": "guide", "title": "工会经费收入审计操作指引", "rules": ["JS-INC-001", "JS-SITSPEND-001"],
        "body": "# 工会经费收入审计操作指引\n\n本指引供县级以上工会经审会审计基层工会经费收入时参考。\n\n"
                "## 一、审计重点\n\n1. **拨缴经费**：核对按全部职工工资总额 2% 计提拨缴的情况，与上级工会回拨数核对。\n"
                "2. **会费收入**：核对会员人数与会费收缴名册。\n3. **行政补助**：核对补助协议与到账记录。\n\n"
                "## 二、常见问题\n\n- 收入在往来科目核算，长期挂账；\n- 坐收坐支；\n- 回拨经费未及时入账。\n\n"
                "## 三、所需资料\n\n| 资料 | 来源 |\n|---|---|\n| 经费收入明细账 | 被审计单位 |\n| 上级回拨通知 | 上级工会财务部门 |\n",
    },
    {
        "kind": "note", "title": "节日慰问类疑点核实笔记", "rules": ["JS-FEST-001", "JS-FEST-002", "JS-CARD-002"],
        "body": "# 节日慰问类疑点核实笔记\n\n核实节日慰问疑点时，先调阅**发放名单**和**审批记录**，再看：\n\n"
                "- 是否在法定节日发放；\n- 人均标准是否超过本省规定；\n- 是否以现金或卡券形式发放。\n\n"
                "> 提示：本省标准以省总工会最新文件为准，规则参数可在规则目录中按本省标准设置。\n",
    },
    {
        "kind": "training", "title": "经审干部数据分析入门（培训讲义）", "rules": [],
        "body": "# 经审干部数据分析入门\n\n## 课程安排\n\n1. 数据采集：导入科目表、凭证和余额表；\n"
                "2. 疑点筛查：运行规则包，理解每条规则的逻辑和依据；\n3. 疑点核实与审计发现。\n\n"
                "练习数据使用演示省的 2025 年凭证。\n",
    },
]

WORDINGS = [
    ("违规发放", "违规发放购物卡、储值卡", "××工会于××年××月以××名义购买购物卡（储值卡）××张，金额××元，发放给××，违反了工会经费使用的有关规定。",
     "《基层工会经费收支管理办法》关于不得发放购物卡、代金券的规定", "收回违规发放的卡券或款项；完善经费审批制度，节日慰问按规定发放实物。",
     ["JS-CARD-001"]),
    ("违规发放", "以现金发放节日慰问", "××工会于××节日以现金形式向会员发放慰问金××元，不符合节日慰问品应以实物形式发放的规定。",
     "《基层工会经费收支管理办法》关于节日慰问的规定", "停止以现金形式发放慰问；已发放的按规定处理。", ["JS-CARD-002"]),
    ("超标准", "节日慰问超过规定标准", "××工会××年节日慰问人均××元，超过本省规定的年度标准××元，超标准金额××元。",
     "本省工会经费收支管理实施细则关于节日慰问标准的规定", "严格执行本省节日慰问标准，超标准部分予以纠正。", ["JS-FEST-001", "JS-FEST-004"]),
    ("超范围", "工会经费列支应由行政承担的费用", "××工会使用工会经费支付应由行政承担的××费用××元，属于超范围列支。",
     "《基层工会经费收支管理办法》关于经费支出范围的规定", "将超范围列支的费用调整由行政负担，归还工会经费。", ["JS-EMPL-001", "JS-EMPL-004"]),
    ("内控缺失", "制单与审核为同一人", "××工会××年有××张凭证的制单人与审核人为同一人（或无审核人），不相容岗位未分离。",
     "《工会会计制度》及内部控制有关规定", "明确会计岗位分工，不相容岗位相互分离。", ["JS-SELF-001"]),
]


def ensure_demo_knowledge() -> dict[str, int]:
    """Make the demo cases, guides and wordings that do not exist yet; return how many there are."""
    director = User.objects.get(username="director")  # 浙江省总工会 经审负责人: publishes and approves
    auditor = User.objects.get(username="auditor")  # 杭州市总工会 审计员: writes cases
    for g in GUIDES:
        if not Guide.objects.filter(title=g["title"]).exists():
            guides.save_guide(director, kind=g["kind"], title=g["title"], body=g["body"], rules=g["rules"])
    for problem, title, wording, basis, recommendation, rules in WORDINGS:
        if not StandardWording.objects.filter(title=title).exists():
            guides.save_wording(director, problem_type=ProblemType.objects.get(name=problem), title=title, wording=wording,
                                basis=basis, recommendation=recommendation, rules=rules)
    for c in CASES:
        if not Case.objects.filter(title=c["title"]).exists():
            case = cases.create_case(auditor, title=c["title"], unit_kind=c["unit_kind"], year=c["year"],
                                     problem_type=ProblemType.objects.get(name=c["problem"]), amount=c["amount"],
                                     facts=c["facts"], handling=c["handling"], lessons=c["lessons"], rules=c["rules"])
            cases.submit(auditor, case)
            cases.approve(director, case, "典型问题，在全省共享。")
    finding = Finding.objects.filter(project__code=ARCHIVED[0]).order_by("id").first()
    if finding is not None and not Case.objects.filter(source_finding=finding).exists():
        case = cases.case_from_finding(finding.created_by, finding)  # 西湖区's 组长, anonymised on the way
        cases.update_case(finding.created_by, case, title=case.title, unit_kind=case.unit_kind, year=case.year,
                          problem_type=case.problem_type, amount=case.amount, facts=case.facts, handling=case.handling,
                          lessons="筛查发现的疑点须调阅原始凭证和发放名单核实；整改应同时完善审批制度。", rules=case.rules)
        cases.submit(finding.created_by, case)
        cases.approve(director, case, "来自西湖区总工会的审计项目，隐名后在全省共享。")
    return {"cases": Case.objects.count(), "guides": Guide.objects.count(), "wordings": StandardWording.objects.count()}
