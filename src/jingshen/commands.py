"""Base class of every 经审 management command: Chinese help text, and domain errors
(bad files, bad arguments, password policy) turned into a Chinese message and exit code 1."""

import argparse
import sys
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from jingshen.tabular import TableError


class ChineseHelpFormatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, prefix="用法：")


class JingshenCommand(BaseCommand):
    requires_system_checks = []  # checks run in the test suite, not before every CLI call
    suppressed_base_arguments = {
        "--version",
        "--verbosity",
        "--settings",
        "--pythonpath",
        "--traceback",
        "--no-color",
        "--force-color",
        "--skip-checks",
    }

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, formatter_class=ChineseHelpFormatter, **kwargs)
        parser._positionals.title = "参数"
        parser._optionals.title = "选项"
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = "显示本帮助并退出"
        return parser

    def execute(self, *args, **options):
        # Django's own messages (password policy, validation) in Chinese too; the messages are
        # lazy, so they must be rendered while the language is active.
        from jingshen.activity.context import origin
        from jingshen.activity.models import Source

        # entries written by a command are marked 命令行 (activity.services.record)
        with translation.override(settings.LANGUAGE_CODE), origin(Source.CLI):
            try:
                return super().execute(*args, **options)
            except TableError as exc:
                raise CommandError("文件被拒绝，系统中的数据未做任何改动。\n" + exc.report()) from exc
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            except (ValueError, PermissionError) as exc:
                raise CommandError(str(exc)) from exc
            except FileNotFoundError as exc:
                raise CommandError(f"文件「{exc.filename}」不存在。") from exc


def acting_user(username: str):
    """The active user a command acts as (``--by``): its writes are checked against that user's
    scope and logged with them as actor."""
    from jingshen.accounts.models import User

    user = User.objects.select_related("org").filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"用户「{username}」不存在或已停用。")
    return user


@contextmanager
def progress_bar(label: str):
    """A terminal progress bar for long work; yields the callback services take
    (fraction done, stage name). Silent when stderr is not a terminal."""
    from tqdm import tqdm

    with tqdm(total=100, desc=label, unit="%", disable=not sys.stderr.isatty(), leave=False,
              bar_format="{desc} {bar} {n_fmt}% {postfix}") as bar:

        def update(fraction: float, stage: str) -> None:
            bar.n = int(fraction * 100)
            bar.set_postfix_str(stage, refresh=False)
            bar.refresh()

        yield update
