"""The loan-audit command line: thin commands that parse options, call the pipeline
and map errors to exit codes (0 clean, 1 findings at or above --fail-on, 2 unusable
input)."""

from __future__ import annotations

import datetime as dt
import sys
from contextlib import ExitStack
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from loan_audit.pipeline.vocab.errors import InputError

app = typer.Typer(
    help="扶贫小额信贷数据质量审计 / Audit poverty-alleviation microcredit data (loan register + roster).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


class OutFormat(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"


class RulesFormat(str, Enum):
    text = "text"
    md = "md"
    json = "json"


def _fail(message: str) -> None:
    typer.echo(f"loan-audit: {message}".replace("\n", " "), err=True)
    raise typer.Exit(2)


def _as_of(value: Optional[str]) -> Optional[dt.date]:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _fail(f"--as-of 须为日期 YYYY-MM-DD: {value!r}")


def _inputs(folder: Optional[Path], roster: Optional[Path], loans: Optional[Path]) -> tuple[Path, Path]:
    from loan_audit.pipeline.stages.ingest import find_inputs

    if folder is not None:
        if roster or loans:
            _fail("给出文件夹 DIR 或 --roster/--loans，不要同时给出 give DIR or --roster/--loans, not both")
        return find_inputs(folder)
    if roster is None or loans is None:
        _fail("需要 DIR，或同时给出 --roster 和 --loans: give DIR, or both --roster and --loans")
    return roster, loans


def _progress(quiet: bool):
    """A progress line on stderr when it is a terminal and not --quiet."""
    if quiet or not sys.stderr.isatty():
        return None, None
    from rich.console import Console

    status = Console(stderr=True).status("loan-audit")
    status.start()
    return status, (lambda stage: status.update(f"loan-audit: {stage} …"))


def _audit(folder, roster, loans, policy, as_of, encoding, quiet, county=None):
    from loan_audit.pipeline.stages.run import audit_files

    roster, loans = _inputs(folder, roster, loans)
    status, progress = _progress(quiet)
    try:
        return audit_files(roster, loans, policy, _as_of(as_of), encoding, progress, county)
    finally:
        if status:
            status.stop()


Folder = Annotated[Optional[Path], typer.Argument(help="文件夹，含 roster.* 与 loans.* / folder holding roster.* and loans.*")]
RosterOpt = Annotated[Optional[Path], typer.Option("--roster", help="花名册文件 roster file (csv/xlsx/xls/parquet)")]
LoansOpt = Annotated[Optional[Path], typer.Option("--loans", help="贷款台账文件 loan register file")]
PolicyOpt = Annotated[Optional[Path], typer.Option("--policy", help="政策参数文件 policy TOML overriding rules/policy.toml")]
AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", help="数据日期 YYYY-MM-DD (default: policy as_of, else today)")]
FailOnOpt = Annotated[FailOn, typer.Option("--fail-on", help="exit 1 when cases at or above this severity exist")]
EncodingOpt = Annotated[Optional[str], typer.Option("--encoding", help="CSV encoding (default: detect UTF-8 / GBK)")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="no progress display")]
CountyOpt = Annotated[
    Optional[str], typer.Option("--county", help="只审计一个县 limit the run to one county (name or GB/T 2260 code)")
]
DbOpt = Annotated[
    Optional[Path], typer.Option("--db", help="月度库 SQLite store of runs (default: loan-audit.db beside --out)")
]


def _existing_db(db: Path) -> None:
    if not db.is_file():
        _fail(f"{db}: 月度库不存在，请先用 run --db 记录一次审计 no store yet: record a run first")


def _default_db(out: Path) -> Path:
    return out.resolve().parent / "loan-audit.db"


@app.command()
def run(
    folder: Folder = None,
    roster: RosterOpt = None,
    loans: LoansOpt = None,
    out: Annotated[Path, typer.Option("--out", help="输出文件夹 output folder")] = Path("out"),
    policy: PolicyOpt = None,
    as_of: AsOfOpt = None,
    county: CountyOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    encoding: EncodingOpt = None,
    no_mask: Annotated[
        bool, typer.Option("--no-mask", help="报告中显示完整身份证号（仅限县内部）show full ID numbers in reports")
    ] = False,
    no_reports: Annotated[bool, typer.Option("--no-reports", help="只写机器输出 machine outputs only")] = False,
    max_cases_html: Annotated[
        int, typer.Option("--max-cases-html", min=0, help="report.html 明细最多列出的案例数 (xlsx lists all)")
    ] = 5000,
    db: DbOpt = None,
    no_db: Annotated[bool, typer.Option("--no-db", help="不记录到月度库 do not record this run")] = False,
    quiet: QuietOpt = False,
) -> None:
    """审计并写出全部结果 / Audit the inputs and write every output and report to --out."""
    from loan_audit.pipeline.stages.detect import at_or_above
    from loan_audit.pipeline.stages.outputs import staged, write_outputs

    try:
        result = _audit(folder, roster, loans, policy, as_of, encoding, quiet, county)
        # One publish for everything, and the store's transaction committed only after
        # it: a run that fails or is killed midway leaves the previous outputs and the
        # store as they were.
        with ExitStack() as stack:
            if not no_db:
                from loan_audit.pipeline.monthly.lifecycle import remembering

                stack.enter_context(remembering(result, db or _default_db(out)))
            stage = stack.enter_context(staged(out))
            written = [out / p.name for p in write_outputs(result, stage)]
            if not no_reports:
                from loan_audit.reports.render import write_reports

                write_reports(result, stage, mask=not no_mask, max_cases_html=max_cases_html)
                written += [out / "report.html", out / "checklists"]
    except InputError as exc:
        _fail(str(exc))
    if not quiet:
        s = result.summary
        by = s["cases"]["by_severity"]
        typer.echo(
            f"数据日期 {s['as_of']}：{s['cases']['total']} 个案例 cases "
            f"(error {by['error']}, warning {by['warning']}, info {by['info']}) → {out}/ "
            f"({', '.join(p.name for p in written)})"
        )
        if "status_counts" in s:
            c, h = s["status_counts"], s["history"]
            typer.echo(
                f"对比上次 vs {h['previous_as_of'] or '（首次）'}：新增 {c['new']}，未整改 {c['open']}，"
                f"反弹 {c['reopened']}，已销号 {c['resolved']}；虚假整改 {h['claimed_fixed_but_present']}，"
                f"逾期未整改 {h['past_deadline']}"
            )
            if h["later_runs"]:
                typer.echo(f"注意：库中已有更晚的数据日期 {', '.join(h['later_runs'])}，其状态已按此次补录重算")
    raise typer.Exit(1 if at_or_above(result.cases, fail_on.value) else 0)


@app.command()
def validate(
    folder: Folder = None,
    roster: RosterOpt = None,
    loans: LoansOpt = None,
    format: Annotated[OutFormat, typer.Option("--format", help="stdout format: text, json or junit")] = OutFormat.text,
    policy: PolicyOpt = None,
    as_of: AsOfOpt = None,
    county: CountyOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    encoding: EncodingOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """校验数据（不写报告）/ Check a data dump for CI: same checks, result on stdout only."""
    from loan_audit.pipeline.formats import as_json, as_junit, as_text
    from loan_audit.pipeline.stages.detect import at_or_above
    from loan_audit.rules import REGISTRY

    try:
        result = _audit(folder, roster, loans, policy, as_of, encoding, quiet or format != OutFormat.text, county)
    except InputError as exc:
        _fail(str(exc))
    if format == OutFormat.json:
        typer.echo(as_json(result, REGISTRY))
    elif format == OutFormat.junit:
        typer.echo(as_junit(result, REGISTRY, fail_on.value))
    else:
        typer.echo(as_text(result, REGISTRY))
    raise typer.Exit(1 if at_or_above(result.cases, fail_on.value) else 0)


@app.command("rules")
def rules_cmd(
    format: Annotated[RulesFormat, typer.Option("--format", help="text, md or json")] = RulesFormat.text,
    policy: PolicyOpt = None,
) -> None:
    """列出全部规则 / List the rule registry (ids, 标题, severity, parameters, policy periods)."""
    from loan_audit.pipeline.rulesdoc import rules_json, rules_markdown, rules_text
    from loan_audit.pipeline.vocab.policy import load_policy

    try:
        loaded = load_policy(policy)
    except InputError as exc:
        _fail(str(exc))
    typer.echo({"text": rules_text, "md": rules_markdown, "json": rules_json}[format.value](loaded))


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="输出文件夹 output folder")],
    households: Annotated[int, typer.Option("--households", min=1, help="number of households")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="random seed (same seed, same files)")] = 1,
    messy: Annotated[bool, typer.Option("--messy", help="GBK CSV roster + XLSX register with real-world damage")] = False,
    as_of: Annotated[str, typer.Option("--as-of", help="data date the labels are computed for")] = "2020-12-31",
    realistic_names: Annotated[bool, typer.Option(
        "--realistic-names", help="汉族姓名按真实人口分布 Han names as a real population has them")] = False,
    province: Annotated[str | None, typer.Option(
        "--province", help="全省各县（yunnan：云南 129 个县级单位）a whole province's counties")] = None,
    counties: Annotated[int | None, typer.Option(
        "--counties", min=1, help="只取省内 N 个县 N of the province's counties")] = None,
) -> None:
    """生成测试数据 / Generate a synthetic Longchuan data set (or a province's counties) with labelled cases."""
    from loan_audit.pipeline.generate import generate as make

    try:
        stats = make(households, seed, out, messy=messy, as_of=_as_of(as_of), realistic_names=realistic_names,
                     province=province, counties=counties)
    except ValueError as exc:
        _fail(f"生成参数有误 / {exc}")
    typer.echo(f"generated {out}/: {stats}")


@app.command()
def history(db: Annotated[Path, typer.Option("--db", help="月度库 SQLite store")] = Path("loan-audit.db")) -> None:
    """历次审计与问题状态 / The recorded runs and their case counts per status."""
    from loan_audit.pipeline.monthly.lifecycle import history as runs

    _existing_db(db)
    try:
        frame = runs(db)
    except InputError as exc:
        _fail(str(exc))
    headers = {
        "as_of": "数据日期", "cases": "案例", "error": "错误", "warning": "警告", "info": "提示", "new": "新增",
        "open": "未整改", "reopened": "反弹", "resolved": "已销号", "claimed_fixed_but_present": "虚假整改",
        "past_deadline": "逾期未整改",
    }
    cols = [c for c in headers if c in frame.columns]
    typer.echo("\t".join(headers[c] for c in cols))
    for row in frame.select(cols).rows():
        typer.echo("\t".join("" if v is None else str(v) for v in row))


@app.command()
def subsidy(
    folder: Folder = None,
    roster: RosterOpt = None,
    loans: LoansOpt = None,
    year: Annotated[int, typer.Option("--year", help="贴息年度 the year to estimate")] = dt.date.today().year,
    policy: PolicyOpt = None,
    as_of: AsOfOpt = None,
    encoding: EncodingOpt = None,
) -> None:
    """贴息测算 / Estimate the interest subsidy per disbursement-year cohort and quarter."""
    from loan_audit.pipeline.stages.run import context_files
    from loan_audit.pipeline.subsidy import format_subsidy
    from loan_audit.pipeline.subsidy import subsidy as estimate

    try:
        roster, loans = _inputs(folder, roster, loans)
        ctx = context_files(roster, loans, policy, _as_of(as_of), encoding)
    except InputError as exc:
        _fail(str(exc))
    typer.echo(format_subsidy(estimate(ctx.loans, year, ctx.policy)))


@app.command("import-checklist")
def import_checklist(
    files: Annotated[list[Path], typer.Argument(help="乡镇返回的整改清单 filled checklists (.xlsx, .xls, .ods)")],
    db: Annotated[Path, typer.Option("--db", help="月度库 SQLite store")] = Path("loan-audit.db"),
) -> None:
    """导入乡镇整改反馈 / Import townships' filled checklists; exit 1 if any row is refused."""
    from loan_audit.pipeline.monthly.checklist_import import format_import, import_checklists

    _existing_db(db)
    try:
        result = import_checklists(db, files)
    except InputError as exc:
        _fail(str(exc))
    typer.echo(format_import(result))
    raise typer.Exit(0 if result.ok else 1)


def main() -> None:  # pragma: no cover - console entry point
    app()
