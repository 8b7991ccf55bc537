"""The demo province: 1 province union, 6 city unions, 24 county unions, an industry union
and 150+ grassroots units, reproducible from a seed. Written as the standard unit template
and loaded through the real importer, so the demo exercises the same path as users' files."""

import csv
import random
from pathlib import Path

PROVINCE = ("33", "浙江省总工会")
CITIES = {
    "杭州": ["上城区", "拱墅区", "西湖区", "滨江区", "萧山区"],
    "宁波": ["海曙区", "江北区", "鄞州区", "余姚市"],
    "温州": ["鹿城区", "龙湾区", "瑞安市", "乐清市"],
    "嘉兴": ["南湖区", "秀洲区", "海宁市", "桐乡市"],
    "湖州": ["吴兴区", "南浔区", "德清县"],
    "绍兴": ["越城区", "柯桥区", "诸暨市", "嵊州市"],
}
ENTERPRISES = [
    ("{p}电子科技有限公司工会委员会", "基层工会"),
    ("{p}机械制造有限公司工会委员会", "基层工会"),
    ("{p}纺织印染有限公司工会委员会", "基层工会"),
    ("{p}人民医院工会委员会", "基层工会"),
    ("{p}第一中学工会委员会", "基层工会"),
    ("{p}实验小学工会委员会", "基层工会"),
    ("国网{p}供电公司工会委员会", "基层工会"),
    ("{p}农村商业银行工会委员会", "基层工会"),
    ("{p}公交集团有限公司工会委员会", "基层工会"),
    ("{p}建设投资集团工会委员会", "基层工会"),
    ("{p}物流有限公司工会委员会", "基层工会"),
    ("{p}街道总工会", "联合基层工会"),
    ("{p}市场监督管理局工会委员会", "基层工会"),
    ("{p}中医院工会委员会", "基层工会"),
    ("{p}职业技术学校工会委员会", "基层工会"),
]
HEADER = ["单位编码", "单位名称", "上级单位编码", "层级", "单位性质", "会员人数"]


def org_rows(seed: int = 2026) -> list[list]:
    rng = random.Random(seed)
    rows = [[PROVINCE[0], PROVINCE[1], "", "省", "工会机关", ""]]
    rows.append(["3390", "浙江省教育工会", PROVINCE[0], "产业工会", "工会机关", ""])
    rows.append(["339001", "浙江省职工疗休养中心", PROVINCE[0], "基层", "事业单位", 86])
    rows.append(["339002", "浙江工人文化宫服务有限公司", PROVINCE[0], "基层", "企业", 54])
    for n, school in enumerate(["浙江工业大学工会", "浙江中医药大学教育工会", "浙江师范大学工会"], start=11):
        rows.append([f"3390{n}", school, "3390", "基层", "基层工会", rng.randint(1200, 4200)])
    grassroots = len(rows) - 2  # the three schools and the two province units count as grassroots
    counties = []
    for ci, (city, districts) in enumerate(CITIES.items(), start=1):
        city_code = f"33{ci:02d}"
        rows.append([city_code, f"{city}市总工会", PROVINCE[0], "市", "工会机关", ""])
        for di, district in enumerate(districts, start=1):
            code = f"{city_code}{di:02d}"
            rows.append([code, f"{city}市{district}总工会", city_code, "县", "工会机关", ""])
            counties.append((code, district))
    need = 150 - grassroots
    per_county = [need // len(counties)] * len(counties)
    for i in range(need - sum(per_county)):
        per_county[i] += 1
    for (code, district), count in zip(counties, per_county):
        place = district[:-1] if len(district) > 2 else district
        templates = rng.sample(ENTERPRISES, count)
        for k, (template, kind) in enumerate(templates, start=1):
            members = int(rng.lognormvariate(5.2, 0.9)) + 12
            if kind == "联合基层工会":
                members = rng.randint(800, 3000)
            rows.append([f"{code}{k:03d}", template.format(p=place), code, "基层", kind, members])
    return rows


def write_orgs_csv(path: Path, seed: int = 2026) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(org_rows(seed))
    return path
