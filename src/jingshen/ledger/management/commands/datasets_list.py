import json

from jingshen.commands import JingshenCommand
from jingshen.ledger.models import Dataset


class Command(JingshenCommand):
    help = "列出已导入的数据集（每个单位、年度、类型的各个版本）。"

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="以 JSON 输出（字段：org、fiscal_year、kind、version、rows、status、quality_issues、path 等）")
        parser.add_argument("--org", help="只列出该单位")
        parser.add_argument("--year", type=int, help="只列出该会计年度")

    def handle(self, json: bool, org, year, **options):
        datasets = Dataset.objects.select_related("org").order_by("org__code", "fiscal_year", "kind", "version")
        if org:
            datasets = datasets.filter(org__code=org)
        if year:
            datasets = datasets.filter(fiscal_year=year)
        if json:
            self.stdout.write(_json([_as_dict(d) for d in datasets]))
            return
        if not datasets:
            self.stdout.write("暂无数据集。")
        for d in datasets:
            self.stdout.write(
                f"{d.org.code}\t{d.org.name}\t{d.fiscal_year}\t{d.get_kind_display()}\t第 {d.version} 版\t"
                f"{d.rows:,} 行\t{d.get_status_display()}\t质量问题 {d.quality_issues:,}\t{d.source_name}"
            )


def _as_dict(d: Dataset) -> dict:
    return {
        "org": d.org.code,
        "org_name": d.org.name,
        "fiscal_year": d.fiscal_year,
        "kind": d.kind,
        "version": d.version,
        "rows": d.rows,
        "status": d.status,
        "quality_issues": d.quality_issues,
        "quality": d.quality,
        "rejected_rows": d.rejected_rows,
        "source_name": d.source_name,
        "source_hash": d.source_hash,
        "checksum": d.checksum,
        "path": d.path,
        "imported_at": d.imported_at.isoformat(),
    }


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
