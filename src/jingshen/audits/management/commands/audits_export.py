import os
from pathlib import Path

from django.core.management.base import CommandError

from jingshen.activity.services import record
from jingshen.audits.access import get_project_by_code
from jingshen.audits.paperwork import export_archive
from jingshen.commands import JingshenCommand


class Command(JingshenCommand):
    help = "导出审计项目的归档包（ZIP）：项目信息、工作底稿（含修改记录和复核意见）、全部审计文书和取证材料，以及列出每个文件路径、大小和 SHA-256 的 manifest.json。"

    def add_arguments(self, parser):
        parser.add_argument("code", help="项目编号，如 经审〔2026〕3号")
        parser.add_argument("--output", required=True, help="输出的 ZIP 文件")

    def handle(self, code, output, **options):
        project = get_project_by_code(code)
        if project is None:
            raise CommandError(f"项目编号「{code}」不存在。")
        target = Path(output)
        if target.is_dir() or not target.resolve().parent.is_dir() or not os.access(target.resolve().parent, os.W_OK):
            raise CommandError(f"无法写入输出文件「{output}」：目录不存在、不可写，或该路径是一个目录。")
        partial = target.with_name(target.name + ".part")
        try:
            with partial.open("wb") as fh:
                manifest = export_archive(project, fh)
            partial.replace(target)  # a complete package or none
        except ValueError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(str(exc)) from None
        record("audits.export", f"导出审计项目「{project.code}」的归档包", org=project.owner_org, obj=project,
               files=len(manifest["files"]))
        self.stdout.write(f"已导出 {len(manifest['files'])} 个文件到 {output}。")
