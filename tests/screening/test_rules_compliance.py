"""Positive cases and innocent look-alikes of the compliance and bookkeeping rules: union money
spent on what it may not pay for (§3 of the domain README), and the red flags of §5.

Unit A1X has 120 members; vouchers are dated 2025. Codes are the 2010 chart's: 101 cash,
102 bank, 50102 文体活动费, 50104 其他活动支出, 50202 劳动保护费, 50204 困难职工帮扶费,
50205 送温暖费, 50301 培训费, 50302 会议费, 50305 其他业务支出, 50401 工资福利支出,
50402 商品和服务支出, 50505 大型修缮, 402 拨缴经费收入."""

from decimal import Decimal

from tests.ledger.conftest import line
from tests.screening.conftest import entry


def flagged(flags):
    return [(f.voucher_no, f.line_no) for f in flags]


def test_cash_festival_handouts(screen):
    rows = (
        entry(1, "2025-01-20", "50104", "101", "6000.00", "发放春节过节费（现金）30人")
        + entry(2, "2025-09-25", "50104", "102", "5000.00", "发放中秋慰问金")  # money, even by transfer
        + entry(3, "2025-05-28", "50104", "101", "800.00", "端午节职工慰问")  # festival, paid in cash, no goods named
        + entry(4, "2025-01-21", "50205", "102", "3000.00", "发放春节送温暖慰问金")  # 送温暖: allowed
        + entry(5, "2025-03-11", "50104", "101", "500.00", "职工住院慰问 李明")  # care, not a festival
        + entry(6, "2025-01-22", "50104", "101", "600.00", "春节慰问品（水果礼盒）")  # goods bought in cash
        + entry(7, "2025-01-23", "50104", "102", "24000.00", "春节慰问品（年货礼包）120人")
        + entry(8, "2025-09-26", "50104", "101", "2000.00", "中秋节困难职工慰问金")  # hardship help
    )
    flags = screen(rows, "JS-CARD-002")
    assert [(f.voucher_no, f.line_no, f.amount) for f in flags] == [
        (1, 1, Decimal("6000.00")), (3, 1, Decimal("800.00")), (2, 1, Decimal("5000.00"))]
    assert flags[0].message == (
        "节日慰问发放现金：摘要“发放春节过节费（现金）30人”，以库存现金支付，金额 6,000.00 元。"
        "工会经费的节日慰问只能发放实物或指定商家、商品的提货凭证，不得发放现金、过节费。")
    assert "“发放中秋慰问金”，摘要写明现金、过节费或慰问金，金额 5,000.00 元" in flags[2].message
    assert flags[0].severity == "高" and "基层工会经费收支管理办法" in flags[0].basis


def test_banquets_and_hospitality(screen):
    rows = (
        entry(1, "2025-04-10", "50305", "102", "2680.00", "宴请上级工会检查组", "望江楼酒家")
        + entry(2, "2025-04-11", "50102", "102", "3000.00", "工会活动聚餐（含酒水）", "聚福楼餐厅")
        + entry(3, "2025-04-14", "50104", "102", "1600.00", "加班工作餐20人")  # 80 a head, over 40
        + entry(4, "2025-04-15", "50102", "102", "1200.00", "职工活动费", "聚福楼餐厅")  # paid to a restaurant
        + entry(5, "2025-04-16", "50104", "102", "800.00", "职工食堂工作餐", "甲市电子公司")  # canteen
        + entry(6, "2025-04-17", "50104", "102", "900.00", "加班工作餐30人")  # 30 a head
        + entry(7, "2025-04-18", "50302", "102", "1500.00", "工会委员会会议用餐", "甲市国际大酒店有限公司")  # meeting standard
        + entry(8, "2025-04-21", "50301", "102", "2400.00", "培训班住宿", "甲市总工会招待所")
        + entry(9, "2025-04-22", "50102", "102", "300.00", "职工读书分享会茶歇", "甜心坊烘焙（西湖店）")
    )
    flags = screen(rows, "JS-HOSP-001")
    assert flagged(flags) == [(1, 1), (2, 1), (3, 1), (4, 1)]
    assert flags[0].message == (
        "摘要或往来单位含宴请、招待字样：“宴请上级工会检查组”（望江楼酒家），金额 2,680.00 元。"
        "工会经费不得用于宴请、招待和公款吃喝。")
    assert flags[1].message.startswith("用餐含酒水：")
    assert flags[2].message.startswith("人均用餐超过标准：“加班工作餐20人”，20 人，人均 80.00 元，金额 1,600.00 元。")
    assert flags[3].message.startswith("在餐饮场所用餐，未注明人数：")
    # a unit with a higher meal standard
    assert flagged(screen(rows, "JS-HOSP-001", meal_cap=100)) == [(1, 1), (2, 1), (4, 1)]


def test_tobacco_and_alcohol(screen):
    rows = (
        entry(1, "2025-02-10", "50104", "102", "3200.00", "购买烟酒（节日慰问用）", "茅香烟酒店")
        + entry(2, "2025-02-11", "50402", "102", "900.00", "接待用品", "名烟名酒商行")
        + entry(3, "2025-02-12", "50104", "102", "5600.00", "购买茅台2瓶")
        + entry(4, "2025-02-13", "50302", "102", "1800.00", "会议室租金", "烟台国际大酒店有限公司")  # 酒店, 烟台
        + entry(5, "2025-02-14", "50104", "102", "120.00", "购买消毒酒精", "康宁大药房")
        + entry(6, "2025-02-17", "50104", "102", "4000.00", "烟台苹果慰问品")
    )
    flags = screen(rows, "JS-HOSP-002")
    assert flagged(flags) == [(1, 1), (2, 1), (3, 1)]
    assert flags[0].message == "摘要或往来单位含“烟酒”（购买烟酒（节日慰问用）；茅香烟酒店），金额 3,200.00 元：工会经费不得用于购买烟酒。"
    assert "含“名烟”" in flags[1].message and "含“茅台”" in flags[2].message


def test_luxury_and_entertainment(screen):
    rows = (
        entry(1, "2025-06-10", "50102", "102", "2000.00", "职工活动", "金色年华KTV")
        + entry(2, "2025-06-11", "50104", "102", "6000.00", "办理职工健身卡", "活力健身俱乐部有限公司")
        + entry(3, "2025-06-12", "50305", "102", "800.00", "足疗按摩")
        + entry(4, "2025-06-13", "50102", "102", "1500.00", "ktv包厢费")  # any case
        + entry(5, "2025-06-16", "50102", "102", "1200.00", "职工瑜伽兴趣班教练费", "活力健身俱乐部有限公司")
        + entry(6, "2025-06-17", "50104", "102", "3800.00", "职工之家按摩椅")
        + entry(7, "2025-06-18", "50104", "102", "2400.00", "慰问品（洗浴用品套装）")
    )
    flags = screen(rows, "JS-HOSP-003")
    assert flagged(flags) == [(1, 1), (2, 1), (3, 1), (4, 1)]
    assert flags[0].message == "摘要或往来单位含“KTV”（职工活动；金色年华KTV），金额 2,000.00 元：工会经费不得用于高档消费和娱乐场所。"
    assert "含“健身卡”" in flags[1].message and "含“足疗”" in flags[2].message and "含“KTV”" in flags[3].message


def test_premises_and_utilities(screen):
    rows = (
        entry(1, "2025-03-05", "50402", "102", "1250.00", "支付工会办公室3月水电费")
        + entry(2, "2025-03-06", "50402", "102", "2400.00", "工会活动室物业费")
        + entry(3, "2025-03-07", "50402", "102", "600.00", "活动室空调清洗", "甲市安居物业服务有限公司")
        + entry(4, "2025-03-10", "50505", "102", "50000.00", "职工之家装修")
        + entry(5, "2025-03-11", "50102", "102", "1200.00", "职工篮球赛场地租赁费", "甲市全民健身中心")
        + entry(6, "2025-03-12", "50402", "102", "180.00", "职工之家桶装水费", "甲市清泉饮用水有限公司")
        + entry(7, "2025-03-13", "50102", "102", "1800.00", "职工春季踏青活动大巴租赁费")
    )
    flags = screen(rows, "JS-EMPL-001")
    assert flagged(flags) == [(1, 1), (2, 1), (3, 1), (4, 1)]
    assert flags[0].message == (
        "支付工会办公室3月水电费，金额 1,250.00 元，含“水电费”：工会的办公和活动场所及其水电、维修等费用应由所在单位承担。")
    assert "含“物业”" in flags[2].message and "含“装修”" in flags[3].message


def test_union_staff_pay(screen):
    rows = (
        entry(1, "2025-12-20", "50104", "102", "20000.00", "发放专职工会干部年终奖金")
        + entry(2, "2025-03-25", "50401", "102", "8000.00", "3月工资")  # staff pay in a grassroots union
        + entry(3, "2025-03-26", "50401", "102", "5000.00", "社会化工会工作者聘用人员工资")
        + entry(4, "2025-03-27", "50301", "102", "1500.00", "专职工会干部培训费")
        + entry(5, "2025-03-28", "50102", "102", "2000.00", "职工技能竞赛奖金")
        + entry(6, "2025-03-31", "50204", "102", "1000.00", "工会主席慰问困难职工")
        + entry(7, "2025-03-25", "50401", "102", "90000.00", "3月工资", org="A1")  # a county union's own staff
    )
    flags = screen(rows, "JS-EMPL-002")
    assert [(f.org.code, f.voucher_no) for f in flags] == [("A1X", 2), ("A1X", 1)]  # by period: March, December
    assert flags[1].message == (
        "摘要表明向工会干部发放薪酬：“发放专职工会干部年终奖金”，金额 20,000.00 元。"
        "专职工会工作人员的工资、奖金、补贴应由所在单位承担，不得由工会经费支付。")
    assert flags[0].message.startswith("基层工会列支工资福利支出：“3月工资”")
    assert "工会法" in flags[0].basis


def test_workers_congress(screen):
    rows = (
        entry(1, "2025-03-05", "50302", "102", "8600.00", "召开第三届职工代表大会会务费", "甲市迎宾馆")
        + entry(2, "2025-03-06", "50104", "102", "900.00", "职代会资料印制")
        + entry(3, "2025-03-07", "50302", "102", "1200.00", "双代会会场布置")
        + entry(4, "2025-03-10", "50302", "102", "6000.00", "召开工会会员代表大会会务费", "甲市迎宾馆")
        + entry(5, "2025-03-11", "50302", "102", "500.00", "工会会员大会资料")
    )
    flags = screen(rows, "JS-EMPL-003")
    assert flagged(flags) == [(1, 1), (2, 1), (3, 1)]
    assert flags[0].message == (
        "摘要“召开第三届职工代表大会会务费”含“职工代表大会”（甲市迎宾馆），金额 8,600.00 元："
        "职工代表大会的费用应由所在单位承担，不应由工会经费支付。")


def test_labour_protection_and_model_workers(screen):
    rows = (
        entry(1, "2025-07-01", "50202", "102", "4500.00", "购买劳保用品（手套、口罩）")  # on 劳动保护费 itself
        + entry(2, "2025-07-02", "50104", "102", "10000.00", "劳模表彰大会奖金")
        + entry(3, "2025-07-03", "50104", "101", "3000.00", "发放防暑降温费")
        + entry(4, "2025-07-04", "50202", "102", "600.00", "安全生产劳动保护监督检查资料印制费")  # the union's own rights work
        + entry(5, "2025-07-07", "50101", "102", "1200.00", "劳模工匠讲堂场地费")
        + entry(6, "2025-07-08", "50104", "102", "2500.00", "夏季送清凉慰问品（饮料、西瓜）")
        + entry(7, "2025-07-09", "50402", "102", "800.00", "工会工作服务平台年费")
    )
    flags = screen(rows, "JS-EMPL-004")
    assert flagged(flags) == [(1, 1), (2, 1), (3, 1)]
    assert flags[0].message == (
        "摘要“购买劳保用品（手套、口罩）”含“劳保用品”，金额 4,500.00 元："
        "劳动保护用品、防暑降温费和劳模表彰奖励应由所在单位承担，不应由工会经费支付。")
    assert "含“劳模表彰”" in flags[1].message and "含“防暑降温费”" in flags[2].message


def test_festival_gifts_per_member_over_the_cap(screen):
    rows = (
        entry(1, "2025-01-10", "50104", "102", "36000.00", "春节慰问品（年货礼包）120人")
        + entry(2, "2025-01-24", "102", "50104", "6000.00", "春节慰问品（年货礼包）退货")  # a refund lowers the total
        + entry(3, "2025-05-20", "50104", "102", "20000.00", "端午节慰问品（粽子礼盒）")
        + entry(4, "2025-09-20", "50104", "102", "30000.00", "中秋节慰问品（月饼提货券）120人")
        + entry(5, "2025-09-26", "50104", "102", "30000.00", "国庆节慰问品（大米、食用油）")
        + entry(6, "2025-12-20", "50104", "102", "24000.00", "元旦慰问品（水果礼盒）")
        + entry(7, "2025-01-15", "50205", "102", "50000.00", "春节送温暖慰问")  # hardship, not a festival gift
        + entry(8, "2025-03-05", "50104", "102", "20000.00", "三八节女职工慰问品")  # women only, not counted
        + entry(9, "2025-02-12", "50102", "102", "10000.00", "元宵节猜灯谜活动奖品")  # an activity
        + entry(1, "2025-01-10", "50104", "102", "900000.00", "春节慰问品", org="A2")  # no member count
    )
    assert screen(rows, "JS-FEST-001") == []  # 134,000 / 120 = 1,116.67 a member, under 1,500
    flags = screen(rows, "JS-FEST-001", cap=1000)
    assert [(f.org.code, f.period, f.voucher_no, f.line_no, f.amount) for f in flags] == [
        ("A1X", None, None, None, Decimal("134000.00"))]
    assert flags[0].message == "2025 年节日慰问支出 134,000.00 元（6 笔），会员 120 人，人均 1,116.67 元，超过每人每年 1,000 元的标准。"
    assert "安徽" in flags[0].basis


def test_festival_cap_zero_turns_the_per_member_test_off(screen):
    rows = entry(1, "2025-01-10", "50104", "102", "360000.00", "春节慰问品（年货礼包）")  # 3,000 a member
    assert len(screen(rows, "JS-FEST-001")) == 1
    assert screen(rows, "JS-FEST-001", cap=0) == []  # 北京 sets no per-member cap


def test_festival_gifts_over_a_share_of_income(screen):
    rows = (
        entry(1, "2025-01-05", "102", "402", "100000.00", "收到拨缴经费")
        + entry(2, "2025-03-05", "102", "401", "20000.00", "收到会费")
        + entry(3, "2025-04-10", "402", "102", "10000.00", "拨缴经费退回")  # a refund lowers the income
        + entry(4, "2025-01-10", "50104", "102", "40000.00", "春节慰问品（年货礼包）")
        + entry(5, "2025-09-20", "50104", "102", "16500.00", "中秋节慰问品（月饼礼盒）")
        + entry(6, "2025-01-15", "50205", "102", "30000.00", "春节送温暖慰问")  # hardship, not a festival gift
        + entry(1, "2025-01-05", "102", "402", "100000.00", "收到拨缴经费", org="A2")
        + entry(2, "2025-01-10", "50104", "102", "50000.00", "春节慰问品", org="A2")  # exactly 50 %: allowed
    )
    flags = screen(rows, "JS-FEST-003")
    assert [(f.org.code, f.voucher_no, f.amount) for f in flags] == [("A1X", None, Decimal("56500.00"))]
    assert flags[0].message == ("2025 年节日慰问支出 56,500.00 元（2 笔），占当年实际收入 110,000.00 元的 51.36%，超过 50% 的上限"
                                 "（未导入该年度预算，以实际收入代替预算收入）。")
    assert "北京" in flags[0].basis
    assert screen(rows, "JS-FEST-003", max_share=60) == []
    assert screen(rows, "JS-FEST-003", max_share=0) == []


def test_festival_gifts_per_festival_over_the_provincial_cap(screen):
    rows = (  # A1X has 120 members; 贵州: 春节 500, other festivals 200 a member
        entry(1, "2025-01-10", "50104", "102", "48000.00", "春节慰问品（年货礼包）")  # 400 a member
        + entry(2, "2025-01-20", "50104", "102", "18000.00", "新春慰问品（水果）")  # 春节 now 550 a member
        + entry(3, "2025-05-30", "50104", "102", "24000.00", "端午节慰问品（粽子礼盒）")  # exactly 200: allowed
        + entry(4, "2025-09-28", "50104", "102", "45600.00", "中秋国庆慰问品（月饼、大米）")  # 380 of 400: allowed
        + entry(5, "2025-04-30", "50104", "102", "30000.00", "五一劳动节慰问品")  # 250 a member
        + entry(6, "2025-06-20", "50104", "102", "90000.00", "节日慰问品")  # no festival named: not counted here
        + entry(7, "2025-01-12", "50205", "102", "90000.00", "春节困难职工慰问")  # hardship
    )
    assert screen(rows, "JS-FEST-004") == []  # no per-festival standard by default
    flags = screen(rows, "JS-FEST-004", cap_spring=500, cap_other=200)
    assert sorted((f.amount, f.message) for f in flags) == [
        (Decimal("30000.00"), "2025 年劳动节慰问支出 30,000.00 元（1 笔），会员 120 人，人均 250.00 元，超过每人 200.00 元的标准。"),
        (Decimal("66000.00"), "2025 年春节慰问支出 66,000.00 元（2 笔），会员 120 人，人均 550.00 元，超过每人 500.00 元的标准。"),
    ]
    assert all(f.voucher_no is None for f in flags)


def test_gifts_on_non_statutory_festivals(screen):
    rows = (
        entry(1, "2025-12-20", "50104", "102", "6000.00", "圣诞节职工慰问品", "惠客多超市（西湖店）")
        + entry(2, "2025-02-13", "50104", "102", "1500.00", "情人节发放鲜花", "花语鲜花店")
        + entry(3, "2025-12-23", "50104", "102", "800.00", "平安夜平安果")
        + entry(4, "2025-03-05", "50104", "102", "3000.00", "三八节女职工慰问品（鲜花）", "花语鲜花店")
        + entry(5, "2025-05-30", "50104", "102", "2000.00", "六一儿童节职工子女慰问品")
        + entry(6, "2025-08-28", "50102", "102", "1800.00", "七夕单身青年联谊活动场地费")
        + entry(7, "2025-09-20", "50104", "102", "9000.00", "中秋节慰问品（月饼提货券）")
    )
    flags = screen(rows, "JS-FEST-002")
    assert flagged(flags) == [(2, 1), (1, 1), (3, 1)]  # February, then December by number
    assert flags[1].message == (
        "摘要“圣诞节职工慰问品”（惠客多超市（西湖店））是在非法定节日“圣诞”发放慰问，金额 6,000.00 元："
        "工会经费的节日慰问限于法定节日。")
    assert "“情人节”" in flags[0].message and "“平安夜”" in flags[2].message


def test_birthday_gifts_over_the_cap(screen):
    rows = (
        entry(1, "2025-03-05", "50104", "102", "4800.00", "职工生日蛋糕券（甜心坊烘焙）3月12人", "甜心坊烘焙（西湖店）")
        + entry(2, "2025-03-06", "50104", "101", "500.00", "职工生日慰问 张三")  # one named member
        + entry(3, "2025-03-07", "50104", "101", "400.00", "生日慰问", "李娜")  # paid to one person
        + entry(4, "2025-03-10", "50104", "102", "3500.00", "职工生日蛋糕", "好利来烘焙（西湖店）")  # no count: 120 / 12 = 10 people
        + entry(5, "2025-04-03", "50104", "102", "4500.00", "职工生日蛋糕券（甜心坊烘焙）4月15人", "甜心坊烘焙（西湖店）")  # 300 a head
        + entry(6, "2025-04-04", "50104", "102", "2800.00", "职工生日蛋糕", "好利来烘焙（西湖店）")  # 280 a head for 10
        + entry(7, "2025-04-07", "50104", "101", "300.00", "职工生日慰问 王芳")
    )
    flags = screen(rows, "JS-GIFT-001")
    assert flagged(flags) == [(1, 1), (2, 1), (3, 1), (4, 1)]
    assert flags[0].message == (
        "生日慰问“职工生日蛋糕券（甜心坊烘焙）3月12人”（甜心坊烘焙（西湖店））金额 4,800.00 元，摘要注明 12 人，"
        "人均 400.00 元，超过每人 300 元的生日慰问标准。")
    assert "发给个人，按 1 人计，人均 500.00 元" in flags[1].message
    assert "发给个人，按 1 人计，人均 400.00 元" in flags[2].message
    assert "摘要未注明人数，按会员 120 人每月平均生日人数 10 人推定，人均 350.00 元" in flags[3].message
    assert flagged(screen(rows, "JS-GIFT-001", cap=450)) == [(2, 1)]


def test_trips_with_lodging_or_tourism(screen):
    rows = (
        entry(1, "2025-05-06", "50102", "102", "36000.00", "组织职工赴黄山二日游", "甲市春秋旅行社有限公司")
        + entry(2, "2025-05-07", "50102", "102", "8800.00", "职工外出活动住宿费", "黄山迎客松宾馆")
        + entry(3, "2025-05-08", "50301", "102", "2400.00", "工会干部培训班景区门票")  # training, yet sightseeing
        + entry(4, "2025-05-09", "50102", "102", "12000.00", "职工活动费用", "甲市中国国际旅行社")
        + entry(5, "2025-05-12", "50301", "102", "3600.00", "工会干部培训班住宿费", "甲市迎宾馆")  # training lodging
        + entry(6, "2025-05-13", "50102", "102", "1800.00", "职工春季踏青活动大巴租赁费", "甲市顺达旅游客运有限公司")
        + entry(7, "2025-05-14", "50102", "102", "2200.00", "职工一日游大巴费")
        + entry(8, "2025-05-15", "50302", "102", "4200.00", "会员代表大会代表住宿", "甲市迎宾馆")
    )
    flags = screen(rows, "JS-TRIP-001")
    assert flagged(flags) == [(1, 1), (2, 1), (3, 1), (4, 1)]
    assert flags[0].message == (
        "摘要含“二日游”：“组织职工赴黄山二日游”（甲市春秋旅行社有限公司），金额 36,000.00 元。"
        "工会组织职工外出活动应当日往返、不出本地，不得公款旅游或安排住宿。")
    assert flags[1].message.startswith("非培训、会议支出含“住宿”：")
    assert flags[2].message.startswith("摘要含“景区”：")
    assert flags[3].message.startswith("付款给旅行社或旅行平台：")


def test_bonuses_and_allowances(screen):
    rows = (
        entry(1, "2025-11-03", "50102", "102", "3000.00", "职工技能竞赛奖金")
        + entry(2, "2025-11-04", "50104", "102", "4800.00", "发放工会积极分子补贴")
        + entry(3, "2025-11-05", "50102", "102", "2600.00", "竞赛奖品及奖金")  # the prizes are fine, the cash is not
        + entry(4, "2025-11-06", "50104", "101", "600.00", "交通补助")
        + entry(5, "2025-11-07", "50102", "102", "1500.00", "职工趣味运动会奖品")
        + entry(6, "2025-11-10", "50102", "102", "800.00", "职工篮球联赛奖杯奖牌")
        + entry(7, "2025-11-11", "50204", "102", "2000.00", "困难职工生活补助 王芳")
        + entry(8, "2025-11-12", "50101", "102", "1200.00", "职工技能竞赛获奖职工奖品")
        + entry(9, "2025-11-13", "50102", "102", "2000.00", "迎新年职工联欢会抽奖奖品")
    )
    flags = screen(rows, "JS-BONUS-001")
    assert flagged(flags) == [(1, 1), (2, 1), (3, 1), (4, 1)]
    assert flags[0].message == (
        "摘要“职工技能竞赛奖金”含“奖金”，金额 3,000.00 元："
        "工会经费不得发放奖金、津贴补贴，请核对是否属于允许的竞赛奖励或帮扶。")
    assert "含“补贴”" in flags[1].message and "含“奖金”" in flags[2].message and "含“补助”" in flags[3].message


def test_round_amounts_at_supermarkets(screen):
    rows = (
        entry(1, "2025-08-04", "50104", "102", "5000.00", "购买节日慰问物资", "惠客多超市（西湖店）")
        + entry(2, "2025-08-05", "50102", "102", "2000.00", "购买活动用品", "甲市银都购物广场")
        + entry(3, "2025-08-06", "50104", "102", "3000.00", "超市购物")
        + entry(4, "2025-08-07", "50104", "102", "25000.00", "春节慰问品（购物卡）50人", "惠客多超市（西湖店）")  # 500 a head
        + entry(5, "2025-08-08", "50104", "102", "326.40", "职工之家饮用水、茶叶", "惠客多超市（西湖店）")
        + entry(6, "2025-08-11", "50102", "102", "1200.00", "职工篮球赛场地租赁费", "甲市全民健身中心")
        + entry(7, "2025-08-12", "50104", "102", "1000.00", "购买职工慰问品", "惠客多超市（西湖店）")  # not above 1,000
        + entry(8, "2025-08-13", "50104", "102", "1250.00", "购买职工慰问品", "惠客多超市（西湖店）")
        + entry(9, "2025-08-14", "50104", "102", "3200.00", "春节慰问品（年货礼包）25人", "惠客多超市（西湖店）")  # 128 a head
    )
    flags = screen(rows, "JS-ROUND-001")
    assert flagged(flags) == [(1, 1), (2, 1), (3, 1), (4, 1)]
    assert flags[0].message == (
        "在“惠客多超市（西湖店）”整数金额支付 5,000.00 元（购买节日慰问物资）："
        "超市、商场的大额整百支付，请核对是否购买购物卡或套取现金。")
    assert flags[2].message.startswith("在“超市”整数金额支付 3,000.00 元")
    assert flagged(screen(rows, "JS-ROUND-001", min_amount=4000)) == [(1, 1), (4, 1)]


def test_meeting_costs_posted_wrongly(screen):
    rows = (
        entry(1, "2025-06-03", "50104", "102", "800.00", "召开工会工作座谈会场地费", "甲市会议中心")
        + entry(2, "2025-06-04", "50302", "102", "2600.00", "购买职工慰问品", "惠客多超市（西湖店）")
        + entry(3, "2025-06-05", "50302", "102", "450.00", "工会委员会会议茶歇费", "甲市迎宾馆")
        + entry(4, "2025-06-06", "50102", "102", "1500.00", "职工趣味运动会场地费", "甲市全民健身中心")
        + entry(5, "2025-06-09", "50104", "102", "3000.00", "职工代表大会会务费")  # JS-EMPL-003's
        + entry(6, "2025-06-10", "50102", "102", "2000.00", "迎新年职工联欢会场地及音响租赁")
    )
    flags = screen(rows, "JS-MEET-001")
    assert flagged(flags) == [(1, 1), (2, 1)]
    assert flags[0].message == (
        "摘要是会议，却未记入会议费科目：“召开工会工作座谈会场地费”记入“50104 其他活动支出”，金额 800.00 元，请核对科目和开支标准。")
    assert flags[1].message.startswith("会议费科目的摘要看不出是会议：“购买职工慰问品”记入“50302 会议费”")


CHART_HEADER = ["科目编码", "科目名称", "科目类别", "余额方向", "上级科目编码"]


def test_meeting_costs_on_a_chart_imported_without_roles(screen, tree, tmp_path):
    """Issue 13: a unit's own chart without a 科目角色 column gave 会议费 its parent 业务支出's role,
    and the rule said of every meeting line that it was not in the meeting account while naming
    会议费. The leaf's name now gives it the meeting role, and an account named 会议费 is a meeting
    account whatever its role."""
    from jingshen.ledger.charts import confirm_roles, import_chart
    from jingshen.screening.services import run_screening
    from tests.conftest import write_csv

    chart = [["1001", "库存现金", "资产", "借", ""], ["1002", "银行存款", "资产", "借", ""],
             ["5301", "业务支出", "支出", "借", ""], ["530102", "会议费", "支出", "借", "5301"],
             ["530109", "会务费", "支出", "借", "5301"], ["5101", "职工活动支出", "支出", "借", ""],
             ["510104", "其他活动支出", "支出", "借", "5101"]]
    import_chart(write_csv(tmp_path / "科目.csv", chart, header=CHART_HEADER), org=tree["A1X"], standalone=True)
    rows = (
        entry(1, "2025-06-03", "530102", "1002", "2600.00", "召开工会工作座谈会场地费", "甲市会议中心")
        + entry(2, "2025-06-04", "530109", "1002", "450.00", "工会委员会会议茶歇费", "甲市迎宾馆")
        + entry(3, "2025-06-05", "510104", "1002", "800.00", "召开工会工作座谈会场地费", "甲市会议中心")
        + entry(4, "2025-06-06", "530102", "1002", "900.00", "购买职工慰问品", "惠客多超市（西湖店）")
    )
    flags = screen(rows, "JS-MEET-001")
    assert flagged(flags) == [(3, 1), (4, 1)]
    assert "“510104 其他活动支出”" in flags[0].message
    assert flags[1].message.startswith("会议费科目的摘要看不出是会议：“购买职工慰问品”记入“530102 会议费”")
    # an auditor confirms another role for 会务费: the rule still does not say it is not a meeting account
    confirm_roles(tree["A1X"], {"530109": "expense-business"})
    flags = list(run_screening(year=2025, rule_codes=["JS-MEET-001"]).flags.order_by("voucher_no"))
    assert flagged(flags) == [(3, 1), (4, 1)]
    assert not any("未记入会议费科目" in f.message and "会议费”" in f.message for f in flags)


def test_spending_vouchers_without_attachments(screen):
    common = dict(period="2", date="2025-02-14", no="3", summary="报销职工篮球联赛费用")
    rows = (
        entry(1, "2025-02-10", "50104", "102", "1500.00", "购买职工慰问品", attach="0")
        + entry(2, "2025-02-11", "50102", "102", "800.00", "职工羽毛球活动场地费", attach="")
        + [line(line_no="1", code="50102", debit="600.00", attach="0", **common),  # one line shows the bills
           line(line_no="2", code="50104", debit="100.00", attach="3", **common),
           line(line_no="3", code="101", credit="700.00", attach="0", **common)]
        + entry(4, "2025-02-17", "102", "402", "20000.00", "收到2月份工会经费", attach="0")  # income
        + entry(5, "2025-02-18", "50102", "50104", "300.00", "更正1月凭证科目", attach="0")  # correction
        + entry(6, "2025-02-19", "50104", "102", "2000.00", "购买职工慰问品", attach="3")
    )
    flags = screen(rows, "JS-ATT-001")
    assert [(f.voucher_no, f.line_no, f.amount) for f in flags] == [(1, None, Decimal("1500.00")), (2, None, Decimal("800.00"))]
    assert flags[0].message == "凭证支出 1,500.00 元，没有附件（购买职工慰问品）：记账凭证应附发票、审批单、发放名单等原始凭证。"
    assert [f.voucher_no for f in screen(rows, "JS-ATT-001", min_amount=1000)] == [1]


def test_empty_or_vague_summaries(screen):
    rows = (
        entry(1, "2025-10-09", "50104", "50102", "860.00", "调账")  # the debit line only
        + entry(2, "2025-10-10", "50305", "102", "500.00", "3月份付款")
        + entry(3, "2025-10-13", "50104", "102", "300.00", "")
        + entry(4, "2025-10-14", "50104", "102", "250.00", "其他。")
        + entry(5, "2025-10-15", "50102", "102", "900.00", "报销职工篮球联赛费用")
        + entry(6, "2025-10-16", "50104", "102", "80.00", "付款")  # below 100
        + entry(7, "2025-10-17", "50402", "102", "460.00", "支付3月份印刷费")
    )
    flags = screen(rows, "JS-VAGUE-001")
    assert flagged(flags) == [(1, 1), (2, 1), (3, 1), (4, 1)]
    assert flags[1].message == "摘要“3月份付款”含糊，看不出支出的事由，金额 500.00 元：摘要应写明经济业务的内容。"
    assert flags[2].message.startswith("摘要为空，看不出支出的事由，金额 300.00 元")
    assert flagged(screen(rows, "JS-VAGUE-001", min_amount=0)) == [(1, 1), (2, 1), (3, 1), (4, 1), (6, 1)]


def test_preparer_reviews_own_vouchers(screen):
    rows = (
        entry(1, "2025-11-03", "50104", "102", "1000.00", "购买职工慰问品", preparer="张伟", reviewer="张伟")
        + entry(2, "2025-11-04", "50104", "102", "2000.00", "购买职工慰问品", preparer="Zhang Wei", reviewer="zhangwei")
        + entry(3, "2025-11-05", "50104", "102", "3000.00", "购买职工慰问品", preparer="张伟", reviewer="")
        + entry(4, "2025-11-06", "50104", "102", "4000.00", "购买职工慰问品", preparer="张伟", reviewer="李娜")
        + entry(1, "2025-11-03", "50104", "102", "500.00", "购买办公用品", org="B1X", preparer="王芳", reviewer="")
    )
    flags = screen(rows, "JS-SELF-001")
    # B1X records no reviewer at all (an export without the column): the rule does not apply to it
    # (test_applicability.py)
    assert [(f.org.code, f.voucher_no, f.line_no, f.amount) for f in flags] == [
        ("A1X", 1, None, Decimal("1000.00")), ("A1X", 2, None, Decimal("2000.00")), ("A1X", 3, None, Decimal("3000.00"))]
    assert flags[0].message == "凭证的审核人就是制单人（制单人：张伟），凭证金额 1,000.00 元：制单与审核应由不同的人担任。"
    assert flags[2].message.startswith("凭证没有审核人（制单人：张伟）")
    assert flags[0].run.not_applicable == {"JS-SELF-001": {"B1X": "数据中“审核人”一栏全部为空"}}


def test_gift_002_care_payments_over_the_standard(screen):
    from tests.screening.conftest import entry

    rows = (
        entry(1, "2025-03-03", "50104", "102", "1000.00", "会员张三结婚慰问")  # over 600
        + entry(2, "2025-03-04", "50104", "102", "1800.00", "会员3人生育慰问")  # 600 each: at the cap
        + entry(3, "2025-03-05", "50104", "102", "1500.00", "会员李四父亲去世慰问")  # relative: over 1,000
        + entry(4, "2025-03-06", "50104", "102", "1500.00", "会员王五去世慰问")  # member: under 2,000
        + entry(5, "2025-03-07", "50204", "102", "5000.00", "困难职工住院帮扶")  # hardship help: not a care gift
        + entry(6, "2025-03-08", "50104", "102", "1200.00", "住院慰问 赵六")  # over 1,000
    )
    flags = screen(rows, "JS-GIFT-002")
    assert [f.voucher_no for f in flags] == [1, 3, 6]
    assert flags[0].message == "结婚慰问“会员张三结婚慰问”金额 1,000.00 元，按 1 人计，人均 1,000.00 元，超过每人 600.00 元的结婚慰问标准。"
    assert "直系亲属去世慰问" in flags[1].message
    assert [f.voucher_no for f in screen(rows, "JS-GIFT-002", cap_marriage=2000)] == [3, 6]


def test_gift_002_branch_names_are_not_retirement_gifts(screen):
    from tests.screening.conftest import entry

    rows = (entry(1, "2025-04-03", "50104", "102", "3000.00", "退休教师分会春游活动用品")
            + entry(2, "2025-04-04", "50104", "102", "1500.00", "会员光荣退休慰问"))
    assert [f.voucher_no for f in screen(rows, "JS-GIFT-002")] == [2]
