"""Demo 法规库: the Trade Union Law (2021) imported from the shared fixture, and gist entries
(要点, ``gist=True``) for the key union-finance documents, written in our own words from the
domain facts (../shared/domain/README.md) — never presented as official texts: their article
numbers are only the order of the points. All are published at the root unit through the real
importer (knowledge.services.import_regulation). Idempotent."""

import datetime
from pathlib import Path

from django.conf import settings

import jingshen
from jingshen.knowledge.models import Regulation, RegulationLevel
from jingshen.knowledge.services import import_regulation, root_unit

# The repository's sibling folder ``shared`` (next to the checkout): where the real documents
# used as fixtures live; tests read the same file.
SHARED = Path(jingshen.__file__).resolve().parents[2].parent / "shared"
UNION_LAW = SHARED / "fixtures" / "regulations" / "中华人民共和国工会法-2021.md"

GIST_NOTE = "以下为要点摘要（非正式文本），条号只是要点的序号，不对应正式文本的条号。"

GISTS = [
    {
        "name": "基层工会经费收支管理办法", "edition": "2017年版", "doc_no": "总工办发〔2017〕32号",
        "issuer": "中华全国总工会办公厅", "level": RegulationLevel.ACFTU,
        "points": [
            "基层工会经费用于为职工服务和开展工会活动，收支纳入预算管理，支出应有依据、有审批、有凭证。",
            "可以开展集体福利：在法定节日（元旦、春节、清明节、劳动节、端午节、中秋节、国庆节，以及经批准的少数民族节日）向会员发放节日慰问品。",
            "会员生日可以发放生日慰问，形式为生日蛋糕或指定蛋糕店的蛋糕券等实物。",
            "会员结婚、生育、住院治疗、退休，以及会员或其直系亲属去世时，可以给予慰问。",
            "可以用于职工教育、文体活动、宣传活动、维护职工权益和困难职工帮扶等支出。",
            "不得以现金形式发放节日慰问，不得发放购物卡、储值卡、代金券等；只能使用注明商户或商品的提货凭证。",
            "全国性办法不规定慰问的具体金额，金额标准由各省级工会规定，基层工会按所在省的标准执行。",
            "应当由用人单位（行政方）承担的费用不得由工会经费支付，包括：工会办公场所及其水电和维修费用，专职工会干部的工资和奖金，职工代表大会的费用，劳动保护费用，行政方安排的宣传费用，劳动模范的会议和表彰奖励费用。",
            "工会经费不得用于请客送礼、宴请，不得发放津贴补贴和奖金，不得组织公款旅游和高档消费娱乐健身活动，不得设立小金库，不得将工会账户并入行政账户。",
        ],
    },
    {
        "name": "工会会计制度", "edition": "2010年版", "doc_no": "", "issuer": "财政部", "level": RegulationLevel.DEPARTMENTAL,
        "points": [
            "工会会计科目分为资产、负债、净资产、收入、支出五类；一级科目为三位数编码，明细科目为五位数编码。",
            "各单位可以在规定的科目下增设明细科目，但不得更改规定科目的名称，也不得合并规定科目。",
            "资产类和支出类科目的余额在借方，负债类、净资产类和收入类科目的余额在贷方。",
            "会计报表包括资产负债表（工会01表）和收入支出表（工会02表）。",
            "本制度已于2021年修订、自2022年起施行新版本，新版本的科目编码和名称以正式文本为准。",
        ],
    },
    {
        "name": "中国工会审计条例", "edition": "现行版", "doc_no": "", "issuer": "中华全国总工会", "level": RegulationLevel.ACFTU,
        "points": [
            "工会审计监督工会全部经济活动的真实、合法和效益。",
            "工会审计实行统一领导、分级管理、分级负责、下审一级的工作体制。",
            "经审办审计本级工会，并审计下一级工会。",
            "经审会依法独立开展审计，任何组织和个人不得阻挠。",
            "审计结果作为表彰评优和考核的依据之一。",
        ],
    },
    {
        "name": "工会经费审查委员会工作条例", "edition": "现行版", "doc_no": "", "issuer": "中华全国总工会", "level": RegulationLevel.ACFTU,
        "points": [
            "各级工会建立经费审查委员会，审查同级工会的经费收支和资产管理情况，并向同级会员大会或会员代表大会报告工作（另见《中华人民共和国工会法》第四十五条）。",
            "经审会对同级工会的预算、决算进行审查监督。",
        ],
    },
]


def _gist_file(folder: Path, entry: dict) -> Path:
    numerals = "一二三四五六七八九十"
    lines = [f"# {entry['name']}（要点）", "", GIST_NOTE, ""]
    for i, point in enumerate(entry["points"], start=1):
        number = numerals[i - 1] if i <= 10 else f"十{numerals[i - 11]}"
        lines += [f"第{number}条 {point}", ""]
    path = folder / f"{entry['name']}-要点.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def ensure_demo_regulations() -> list[str]:
    """Import what is missing; return one line per regulation (or why it was skipped)."""
    org = root_unit()
    out = []
    if Regulation.objects.filter(owner_org=org, name="中华人民共和国工会法", edition="2021年修正").exists():
        out.append("《中华人民共和国工会法》（2021年修正）已存在")
    elif UNION_LAW.is_file():
        result = import_regulation(None, UNION_LAW, name="中华人民共和国工会法", edition="2021年修正",
                                   issuer="全国人民代表大会常务委员会", level=RegulationLevel.LAW, org=org,
                                   edition_date=datetime.date(2021, 12, 24), effective_on=datetime.date(2022, 1, 1))
        out.append(result.summary())
    else:
        out.append(f"未找到工会法正文（{UNION_LAW}），跳过；其他演示法规照常载入")
    folder = settings.HOME / "demo" / "regulations"
    folder.mkdir(parents=True, exist_ok=True)
    for entry in GISTS:
        if Regulation.objects.filter(owner_org=org, name=entry["name"], edition=entry["edition"]).exists():
            out.append(f"《{entry['name']}》（{entry['edition']}）已存在")
            continue
        result = import_regulation(None, _gist_file(folder, entry), name=entry["name"], edition=entry["edition"],
                                   doc_no=entry["doc_no"], issuer=entry["issuer"], level=entry["level"], org=org, gist=True)
        out.append(result.summary())
    return out
