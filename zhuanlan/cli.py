"""Command line: `python build.py [build] [--site DIR] [--output DIR] [--drafts] [--timings]`, `new DIR`,
`serve`, `check`, `import`, `deploy`."""
from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from pathlib import Path

from .messages import os_error_message, report, summary, timings_table
from .output import InterruptedWhileCommitting
from .pipeline import BuildOptions, build
from .problems import BuildFailed
from .progress import ProgressBar

COMMANDS = ("build", "new", "serve", "check", "import", "deploy")


# argparse's own words (the messages it looks up through gettext), in Chinese. `_in_chinese()` gives
# argparse a lookup of this table while the command line is set up and read.
ARGPARSE_WORDS = {
    "usage: ": "用法：",
    "positional arguments": "参数",
    "options": "选项",
    "optional arguments": "选项",
    "show this help message and exit": "显示这段帮助并退出",
    "the following arguments are required: %s": "缺少“%s”：请写在命令后面",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s %(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "不能是 %(value)r，可选：%(choices)s",
    "invalid %(type)s value: %(value)r": "应是%(type)s，而不是 %(value)r",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "expected one argument": "后面要写一个值",
    "expected at most one argument": "后面最多写一个值",
    "expected at least one argument": "后面至少要写一个值",
    "expected %s argument": "后面要写 %s 个值",
    "expected %s arguments": "后面要写 %s 个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 不明确，可能是 %(matches)s",
    "not allowed with argument %s": "不能与 %s 同时使用",
    "ignored explicit argument %r": "不需要值，多写了 %r",
    "one of the arguments %s is required": "需要以下之一：%s",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
}


@contextlib.contextmanager
def _in_chinese():
    """argparse's messages in Chinese, for as long as the block runs (argparse reads its module-level
    gettext functions each time it says something)."""
    saved = argparse._, argparse.ngettext
    argparse._ = lambda text: ARGPARSE_WORDS.get(text, text)
    argparse.ngettext = lambda one, many, n: ARGPARSE_WORDS.get(one if n == 1 else many, one if n == 1 else many)
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


def _integer(text: str) -> int:
    return int(text)


_integer.__name__ = "整数"  # argparse names the type in “应是整数，而不是 'x'”


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        self.print_usage(sys.stderr)
        print(f"参数错误：{message}（运行 python build.py --help 查看用法）", file=sys.stderr)
        raise SystemExit(2)

    def parse_args(self, args=None, namespace=None):
        with _in_chinese():
            return super().parse_args(args, namespace)

    def format_help(self) -> str:
        with _in_chinese():
            return super().format_help()

    def format_usage(self) -> str:
        with _in_chinese():
            return super().format_usage()


def make_parser() -> argparse.ArgumentParser:
    with _in_chinese():  # the -h option's help text is looked up when a parser is made
        return _make_parser()


def _make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python build.py", description="专栏：党建品牌与专栏静态网站生成器")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, title="命令", metavar="命令",
                                     description="不写命令时为 build（生成网站）；每个命令的选项见 python build.py 命令 --help")
    build_cmd = commands.add_parser("build", help="生成网站（默认命令）")
    _add_build_options(build_cmd)
    new_cmd = commands.add_parser("new", help="新建一个网站项目")
    new_cmd.add_argument("directory", metavar="文件夹", help="新网站的文件夹")
    serve_cmd = commands.add_parser("serve", help="本地预览：修改后自动重新生成并刷新浏览器")
    serve_cmd.add_argument("--site", default=".", metavar="文件夹", help="网站文件夹（含 site.yaml），默认为当前文件夹")
    serve_cmd.add_argument("--port", type=_integer, default=8000, metavar="端口", help="端口，默认 8000")
    serve_cmd.add_argument("--host", default="127.0.0.1", metavar="地址", help="监听地址，默认只允许本机访问（127.0.0.1）")
    serve_cmd.add_argument("--jobs", type=_integer, default=0, metavar="进程数", help="并行进程数，默认使用全部 CPU 核心")
    _add_quality_commands(commands)
    _add_deploy_command(commands)
    return parser


def _add_deploy_command(commands) -> None:
    """`deploy` (issue 16): publish the last build to the targets under 发布: in site.yaml."""
    deploy_cmd = commands.add_parser("deploy", help="把生成好的网站发布到存储桶、服务器或文件夹（只传改动的文件）")
    deploy_cmd.add_argument("--site", default=".", help="网站文件夹（含 site.yaml），默认为当前文件夹")
    deploy_cmd.add_argument("--output", help="发布哪个输出文件夹，默认为网站文件夹中的 output/")
    deploy_cmd.add_argument("--target", metavar="名称", help="发布到 site.yaml 中哪个目标，默认为第一个")
    deploy_cmd.add_argument("--dry-run", action="store_true", help="只列出将上传和删除的文件，不做任何改动")
    deploy_cmd.add_argument("--force", action="store_true", help="上传全部文件，不管服务器上是否已有")
    deploy_cmd.add_argument("--yes", action="store_true", help="要删除的文件超过删除上限时，确认照样删除")


def _add_quality_commands(commands) -> None:
    """`check` and `import` (issue 6): content quality before publishing, old articles into stories."""
    check_cmd = commands.add_parser("check", help="发布前检查内容（错别提法、个人信息、乱码、死链、空白和长期未更新的专栏等）")
    check_cmd.add_argument("--site", default=".", metavar="文件夹", help="网站文件夹（含 site.yaml），默认为当前文件夹")
    check_cmd.add_argument("--external", action="store_true", help="同时检查指向其他网站的链接（需要联网）")
    check_cmd.add_argument("--format", choices=("text", "json"), default="text", help="输出格式：text（默认）或 json")
    check_cmd.add_argument("--drafts", action="store_true", help="连草稿一起检查")
    check_cmd.add_argument("--all", action="store_true", help="把不需要处理的提示（自动摘要等）也列出来")
    import_cmd = commands.add_parser("import", help="把旧文章（.txt、.html、.docx）导入为 content/stories/ 中的文章")
    import_cmd.add_argument("paths", nargs="+", metavar="文件或文件夹", help="要导入的文件或文件夹")
    import_cmd.add_argument("--site", default=".", metavar="文件夹", help="网站文件夹（含 site.yaml），默认为当前文件夹")
    import_cmd.add_argument("--column", metavar="专栏", help="导入的文章放进哪个专栏（专栏 id 或专栏标题）")
    import_cmd.add_argument("--brand", metavar="品牌", help="导入的文章属于哪个品牌（品牌 id 或品牌名称）")
    import_cmd.add_argument("--simplified", action="store_true", help="把繁体字转为简体字（OpenCC）")
    import_cmd.add_argument("--dry-run", action="store_true", help="只显示将会写入什么，不写任何文件")
    import_cmd.add_argument("--replace", action="store_true",
                            help="网站上已有同一篇文章时，用导入的内容替换它（文件和网址不变）；不加时不导入重复的文章")


def _add_build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", default=".", metavar="文件夹", help="网站文件夹（含 site.yaml），默认为当前文件夹")
    parser.add_argument("--output", metavar="文件夹", help="输出文件夹，默认为网站文件夹中的 output/")
    parser.add_argument("--drafts", action="store_true", help="同时生成草稿")
    parser.add_argument("--clean", action="store_true", help="忽略缓存，全部重新生成")
    parser.add_argument("--jobs", type=_integer, default=0, metavar="进程数", help="并行进程数，默认使用全部 CPU 核心")
    parser.add_argument("--timings", action="store_true", help="生成后列出各阶段的用时")


last_command = ""  # the command main() last ran (build.py ends a build's process at once: exit_now)


def exit_now(code: int) -> None:
    """End the process after `build` without the interpreter's teardown of every module and object
    it made (0.05–0.15 s, a tenth of a one-story rebuild): by then every file is written and closed,
    no worker or thread is left, and only what was printed needs flushing. Other commands (serve,
    deploy: threads, connections) end the ordinary way."""
    if last_command != "build":
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, "build")
    args = make_parser().parse_args(argv)
    global last_command
    last_command = args.command
    if args.command != "build":
        gc.enable()  # build.py holds it off while the program starts (a build turns it on itself)
    if args.command == "new":
        from .scaffold import create_site

        return create_site(Path(args.directory))
    if args.command == "serve":
        from .serve import serve

        return serve(Path(args.site).resolve(), args.host, args.port, args.jobs)
    if args.command == "check":
        from .check import CheckOptions, main as check_main

        return check_main(CheckOptions(Path(args.site).resolve(), external=args.external, drafts=args.drafts),
                          args.format, show_all=args.all)
    if args.command == "import":
        from .importer import ImportOptions, main as import_main

        return import_main(ImportOptions(site_dir=Path(args.site).resolve(), paths=[Path(p) for p in args.paths],
                                         column=args.column, brand=args.brand, simplified=args.simplified,
                                         dry_run=args.dry_run, replace=args.replace))
    if args.command == "deploy":
        from .deploy.run import DeployOptions, main as deploy_main

        return deploy_main(DeployOptions(site_dir=Path(args.site).resolve(),
                                         output_dir=Path(args.output).resolve() if args.output else None,
                                         target=args.target, dry_run=args.dry_run, force=args.force, yes=args.yes))
    return run_build(args)


def run_build(args: argparse.Namespace) -> int:
    site_dir = Path(args.site).resolve()
    bar = ProgressBar(sys.stderr)
    options = BuildOptions(site_dir=site_dir, output_dir=Path(args.output).resolve() if args.output else None,
                           drafts=args.drafts, workers=args.jobs, clean=args.clean, progress=bar.update)
    try:
        result = build(options)
    except BuildFailed as failed:
        bar.clear()
        report(failed.problems)
        errors, warnings = len(failed.problems.errors), len(failed.problems.warnings)
        print(f"生成失败：{errors} 个错误、{warnings} 个警告。输出文件夹未作任何改动，请按上面的提示修改后重试。",
              file=sys.stderr)
        return 1
    except InterruptedWhileCommitting:
        bar.clear()
        print("已中断，但中断时正在写入输出文件夹：写入已先完成，输出是这次生成的完整结果。", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        bar.clear()
        print("已中断，输出文件夹未作改动。", file=sys.stderr)
        return 130
    except OSError as exc:  # the disk, not the content: full, read-only, or a file where a folder must go
        bar.clear()
        print(os_error_message(exc), file=sys.stderr)
        return 1
    bar.clear()
    report(result.problems)
    print(summary(result, options.out))
    if args.timings:
        print(timings_table(result.timings, result.seconds))
    return 0
