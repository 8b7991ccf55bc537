import json
import os
from itertools import chain
from pathlib import Path

from django.core.management.base import CommandError

from jingshen.commands import JingshenCommand, progress_bar
from jingshen.orgs.models import Org
from jingshen.screening.services import flag_records, run_record, run_screening


class Command(JingshenCommand):
    help = "疑点筛查：用规则包筛查某一年度各单位最新版本的凭证数据，疑点存入系统，可另存为 JSON Lines 文件。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="会计年度")
        parser.add_argument("--org", help="单位编码：只筛查该单位及其全部下级单位（默认全部单位）")
        parser.add_argument("--rules", help="只运行这些规则，逗号分隔，如 JS-CARD-001,JS-CASH-001")
        parser.add_argument("--engine", choices=["duckdb", "spark"],
                            help="筛查引擎：duckdb（本机，默认）或 spark（Spark 集群，见 docs/scale-out.md；默认值可由 JINGSHEN_SCREENING_ENGINE 设置）")
        parser.add_argument("--output", help="把疑点写入该文件，每行一个 JSON 对象，最后一行为本次筛查的概况（含未适用的规则）")

    def handle(self, year, org, rules, engine, output, **options):
        unit = None
        if org:
            unit = Org.objects.filter(code=org).first()
            if unit is None:
                raise CommandError(f"单位编码「{org}」不存在。")
        codes = [c.strip() for c in rules.split(",") if c.strip()] if rules else None
        if output:  # before the run, not after it
            folder = Path(output).resolve().parent
            if not folder.is_dir() or not os.access(folder, os.W_OK) or Path(output).is_dir():
                raise CommandError(f"无法写入输出文件「{output}」：目录不存在、不可写，或该路径是一个目录。")
        with progress_bar("疑点筛查") as progress:
            run = run_screening(year=year, org=unit, rule_codes=codes, engine=engine, progress=progress)
        if output:
            try:
                with Path(output).open("w", encoding="utf-8") as fh:
                    for record in chain(flag_records(run), [run_record(run)]):
                        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            except OSError as exc:
                raise CommandError(f"筛查 #{run.pk} 已完成并存入系统，但写入输出文件「{output}」失败：{exc.strerror}。") from None
        units = run.datasets.count()
        self.stdout.write(
            f"筛查完成：{units} 个单位、{run.lines_screened:,} 行分录、{len(run.rules)} 条规则，发现 {run.flag_count:,} 个疑点"
            + (f"，已写入 {output}" if output else "")
            + "。"
        )
        if run.not_applicable:
            pairs = sum(len(by_org) for by_org in run.not_applicable.values())
            self.stdout.write(f"有 {len(run.not_applicable)} 条规则对部分单位不适用（共 {pairs} 个单位·规则），原因见筛查结果页面"
                              + ("或输出文件最后一行" if output else "") + "。")
        if run.ranking:
            self.stdout.write("风险最高的单位（风险分 0～100）：")
            for u in run.ranking[:10]:
                self.stdout.write(
                    f"  {u['score']:5.1f}  {u['org_code']}  {u['org_name']}  疑点 {u['flags']} 个（高风险 {u['high']} 个），"
                    f"涉及凭证 {u['vouchers']} 张"
                )
