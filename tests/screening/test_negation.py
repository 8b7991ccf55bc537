"""Negated words (issue 13): a text that negates a trigger word or an allow word must not decide a
flag the way the bare word would. One mechanism, ``{{negated(...)}}`` in rules.py, used by every
keyword rule; here its pattern and the rules where the examples of the issue meet it."""

import duckdb
import pytest

from jingshen.screening.rules import RULES_DIR, RuleError, load_rule, load_rules, negated_pattern
from tests.screening.conftest import entry


def flagged(flags):
    return [(f.voucher_no, f.line_no) for f in flags]


@pytest.mark.parametrize(
    "text,left",
    [
        ("退还购物卡押金", " 押金"),
        ("未发放购物卡", " "),
        ("拒收礼品卡", " "),
        ("不含烟酒", " "),
        ("禁止宴请宣传", " 宣传"),
        ("非招待用餐", " 用餐"),
        ("无住宿", " "),
        ("非工作餐", " "),
        ("非法定节日", " "),
        ("不安排住宿", " "),  # a verb between the negation and the word
        ("未发放购物卡，发放礼品卡", " ，发放礼品卡"),  # only the negated one goes
        ("不含烟酒的宴请", " 的宴请"),
        ("无锡宴请", "无锡宴请"),  # 无锡 is a city: the negation must touch the word
        ("南非旅游", " 旅游"),  # 非 negates nothing in 南非: the trip stays
        ("发放购物卡", "发放购物卡"),
    ],
)
def test_the_negated_forms_are_removed_and_the_rest_stays(text, left):
    pattern = negated_pattern("购物卡|礼品卡", "烟酒", "宴请|招待", "住宿", "工作餐", "法定节日", "旅游")
    with duckdb.connect() as con:
        assert con.execute("SELECT regexp_replace(?, ?, ' ', 'g')", [text, pattern]).fetchone()[0] == left


def test_keyword_rules_use_the_shared_negation():
    rules = load_rules()
    negating = {code for code, r in rules.items() if "negated(" in r.sql + r.texts}
    keyword = {code for code, r in rules.items() if r.texts}
    assert keyword - negating == {"JS-VAGUE-001"}  # an empty or vague 摘要 has no words to negate
    rendered = rules["JS-CARD-001"].render_texts({"pattern": "(购物卡)"})
    assert "{{" not in rendered and "(?:(?:(购物卡))|(?:(蛋糕|生日券)))" in rendered


def test_negated_takes_declared_text_parameters(tmp_path):
    original = (RULES_DIR / "JS-HOSP-002.toml").read_text(encoding="utf-8")
    assert "{{negated(pattern)}}" in original
    path = tmp_path / "JS-HOSP-002.toml"
    path.write_text(original.replace("{{negated(pattern)}}", "{{negated(pattern, wine)}}"), encoding="utf-8")
    with pytest.raises(RuleError, match=r"negated\(\) takes declared text parameters, not \['wine'\]"):
        load_rule(path)


def test_negated_card_words_do_not_flag_and_a_negated_allow_word_does_not_exempt(screen):
    rows = (
        entry(1, "2025-03-03", "50104", "102", "500.00", "退还购物卡押金")
        + entry(2, "2025-03-04", "50104", "102", "600.00", "中秋慰问品（未发放购物卡）", "惠客多超市（西湖店）")
        + entry(3, "2025-03-05", "50104", "102", "700.00", "职工慰问品，拒收礼品卡")
        + entry(4, "2025-03-06", "50104", "102", "800.00", "发放购物卡（非蛋糕券）")
        + entry(5, "2025-03-07", "50104", "102", "900.00", "生日蛋糕券")
        + entry(6, "2025-03-10", "50104", "102", "1000.00", "未发放购物卡，改发超市卡")
    )
    flags = screen(rows, "JS-CARD-001")
    assert flagged(flags) == [(4, 1), (6, 1)]
    assert "含“超市卡”" in flags[1].message  # the affirmed word, not the negated one


def test_negated_liquor_banquet_and_meal_words(screen):
    rows = (
        entry(1, "2025-04-01", "50104", "102", "300.00", "职工活动用品（不含烟酒）")
        + entry(2, "2025-04-02", "50104", "102", "3200.00", "购买烟酒")
        + entry(3, "2025-04-03", "50103", "102", "400.00", "印制禁止宴请宣传海报")
        + entry(4, "2025-04-07", "50104", "102", "300.00", "加班非招待用餐10人")  # 30 a head
        + entry(5, "2025-04-08", "50104", "102", "600.00", "职工聚餐（工作餐）")  # a working meal: exempt
        + entry(6, "2025-04-09", "50104", "102", "600.00", "职工聚餐（非工作餐）")  # not one: not exempt
        + entry(7, "2025-04-10", "50104", "102", "900.00", "工会活动用餐，不含酒水", "聚福楼餐厅")
    )
    assert flagged(screen(rows, "JS-HOSP-002")) == [(2, 1)]
    flags = screen(rows, "JS-HOSP-001")
    assert flagged(flags) == [(6, 1), (7, 1)]
    assert flags[0].message.startswith("集体用餐，未注明人数：“职工聚餐（非工作餐）”")
    assert flags[1].message.startswith("在餐饮场所用餐，未注明人数：")  # not “用餐含酒水”


def test_negated_lodging_and_tourism(screen):
    rows = (
        entry(1, "2025-05-06", "50102", "102", "1800.00", "职工春季踏青活动大巴费（当日往返，无住宿）")
        + entry(2, "2025-05-07", "50102", "102", "2200.00", "职工登山活动，不安排住宿，不出省")
        + entry(3, "2025-05-08", "50102", "102", "36000.00", "组织职工南非旅游")
        + entry(4, "2025-05-09", "50102", "102", "8800.00", "职工外出活动住宿费")
    )
    flags = screen(rows, "JS-TRIP-001")
    assert flagged(flags) == [(3, 1), (4, 1)]
    assert flags[0].message.startswith("摘要含“旅游”：")


def test_negated_gifts_on_a_non_statutory_festival(screen):
    rows = (
        entry(1, "2025-12-20", "50102", "102", "2000.00", "圣诞联欢会场地费（不发放礼品）")
        + entry(2, "2025-12-21", "50104", "102", "3000.00", "圣诞节发放礼品")
    )
    assert flagged(screen(rows, "JS-FEST-002")) == [(2, 1)]


def test_negated_bonus_words_and_a_negated_allowed_subsidy(screen):
    rows = (
        entry(1, "2025-11-03", "50102", "102", "1500.00", "技能竞赛奖品（不发放奖金）")
        + entry(2, "2025-11-04", "50104", "102", "2000.00", "困难补助")
        + entry(3, "2025-11-05", "50104", "102", "2000.00", "发放非困难补助")
    )
    flags = screen(rows, "JS-BONUS-001")
    assert flagged(flags) == [(3, 1)]
    assert "含“补助”" in flags[0].message


def test_a_negated_exemption_does_not_exempt_cash_handouts(screen):
    rows = (
        entry(1, "2025-09-25", "50104", "102", "2000.00", "中秋节困难职工慰问金")  # hardship help: exempt
        + entry(2, "2025-09-26", "50104", "102", "5000.00", "中秋节非困难职工慰问金")
        + entry(3, "2025-09-27", "50104", "102", "800.00", "中秋节慰问（未发放现金）")
    )
    assert flagged(screen(rows, "JS-CARD-002")) == [(2, 1)]
