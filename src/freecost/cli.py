"""The ``freecost`` command line: options in, calls to the package, lines and exit codes out.

Only this module knows about argv, terminals and exit codes. Exit codes follow the Nagios
plugin convention (0 ok, 1 warn, 2 fail, 3 unknown); a usage error or invalid input is 3,
never 2, so cron and Nagios read every exit the same way. Heavy modules are imported inside
the commands that use them, to keep ``freecost --version`` fast.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from freecost import __version__

if TYPE_CHECKING:
    from freecost.errors import Problem
    from freecost.inventory import LoadedInventory
    from freecost.packs import Pack
    from freecost.starter import StarterAnswers

EXIT_OK, EXIT_WARN, EXIT_FAIL, EXIT_UNKNOWN = 0, 1, 2, 3

app = typer.Typer(
    name="freecost",
    help="Audit how much a small business's free and cheap services really cost it in risk.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

InventoryArg = Annotated[
    str | None,
    typer.Argument(
        metavar="[INV]",
        help="inventory file (default ./inventory.yaml, then $FREECOST_INVENTORY)",
        show_default=False,
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"freecost {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="print the version"),
    ] = False,
) -> None:
    """Audit how much a small business's free and cheap services really cost it in risk."""
    if ctx.invoked_subcommand is None:
        _err(ctx.get_help())
        raise typer.Exit(EXIT_UNKNOWN)


def _err(line: str) -> None:
    typer.echo(line, err=True)


def _fail(lines: list[str], code: int = EXIT_UNKNOWN) -> NoReturn:
    for line in lines:
        _err(line)
    raise typer.Exit(code)


def _load(given: str | None) -> LoadedInventory:
    from freecost.errors import FreecostError
    from freecost.inventory import INVENTORY_ENV, find_inventory, load_inventory

    path = find_inventory(given)
    if given is None and not path.exists():
        _fail(
            [
                f"{path}: no such file, and ${INVENTORY_ENV} is not set; "
                "`freecost init` writes a starter inventory"
            ]
        )
    try:
        return load_inventory(path)
    except FreecostError as exc:
        lines = exc.lines()
        if len(lines) > 1:
            lines.append(f"{len(lines)} problems in {path}")
        _fail(lines)


@app.command()
def validate(
    inventory: InventoryArg = None,
    strict: Annotated[
        bool,
        typer.Option(help="also require every secret and named file to be present now"),
    ] = False,
) -> None:
    """Check an inventory and the check packs it uses; exit 0 when valid, 3 when not."""
    loaded = _load(inventory)
    problems: list[Problem] = []
    if strict:
        problems = loaded.missing_secrets() + loaded.missing_files()
    if problems:
        lines = [str(p) for p in problems]
        if len(lines) > 1:
            lines.append(f"{len(lines)} problems in {loaded.display}")
        _fail(lines)
    inv = loaded.inventory
    checks = sum(1 for _ in loaded.checks())
    typer.echo(
        f"{loaded.display}: valid: {len(inv.functions)} functions, "
        f"{len(inv.dependencies)} dependencies, {checks} checks"
    )


@app.command()
def schema() -> None:
    """Print the inventory's JSON Schema (for editors and YAML language servers)."""
    from freecost.inventory import inventory_schema

    document = inventory_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "freecost inventory"
    typer.echo(json.dumps(document, indent=2, sort_keys=True))


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="where to write the inventory")] = Path(
        "inventory.yaml"
    ),
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="take the defaults, ask nothing")
    ] = False,
    force: Annotated[bool, typer.Option(help="overwrite an existing file")] = False,
) -> None:
    """Write a starter inventory; asks a few questions when run on a terminal."""
    from freecost.errors import FreecostError
    from freecost.inventory import parse_inventory
    from freecost.starter import StarterAnswers, render_starter

    if path.exists() and not force:
        _fail([f"{path}: already exists; use --force to overwrite it"])
    answers = StarterAnswers()
    if not yes and sys.stdin.isatty():
        answers = _ask(answers)
    text = render_starter(answers)
    try:
        parse_inventory(text, path)
    except FreecostError as exc:
        _fail(["the answers do not make a valid inventory:", *exc.lines()])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail([f"{path}: cannot write: {exc.strerror}"])
    typer.echo(f"wrote {path}; edit it, then run `freecost validate {path}`")


def _ask(defaults: StarterAnswers) -> StarterAnswers:
    from freecost.model import _email, normalise_phone
    from freecost.packs import load_catalog
    from freecost.starter import StarterAnswers

    packs = load_catalog().packs
    phones = sorted(s for s, p in packs.items() if p.category == "telephony")
    crms = sorted(s for s, p in packs.items() if p.category == "crm")

    def one_of(options: list[str]) -> Callable[[str], str]:
        def check(answer: str) -> str:
            if answer not in options:
                raise ValueError(f"choose one of: {', '.join(options)}")
            return answer

        return check

    return StarterAnswers(
        business=_ask_until_valid("Business name", defaults.business, str.strip),
        contact=_ask_until_valid("Owner's e-mail address", defaults.contact, _email),
        phone_service=_ask_until_valid("Phone service", defaults.phone_service, one_of(phones)),
        phone_number=_ask_until_valid(
            "Business phone number", defaults.phone_number, normalise_phone
        ),
        crm_service=_ask_until_valid("Customer records (CRM)", defaults.crm_service, one_of(crms)),
    )


def _ask_until_valid(label: str, default: str, check: Callable[[str], str]) -> str:
    """Ask until the answer passes the same validator the inventory uses."""
    from pydantic_core import PydanticCustomError

    while True:
        answer = str(typer.prompt(label, default=default))
        try:
            return check(answer)
        except (ValueError, PydanticCustomError) as exc:
            _err(f"  {exc}")


@app.command()
def catalog(
    service: Annotated[
        str | None, typer.Argument(help="one service to show in full", show_default=False)
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="machine-readable JSON on stdout")
    ] = False,
    folders: Annotated[
        list[Path] | None,
        typer.Option(
            "--packs",
            metavar="DIR",
            help="also a folder of your own packs (repeatable; later ones replace earlier)",
            show_default=False,
        ),
    ] = None,
) -> None:
    """List the check packs (services freecost knows), or show one service's facts.

    Listing reads every pack and reports every broken one, so `--packs my-packs` checks
    your own packs, including those no inventory uses yet.
    """
    from freecost.errors import FreecostError
    from freecost.packs import load_catalog

    try:
        packs = load_catalog(folders or [])
        # One service reads only its own pack; the list reads every pack and reports every
        # broken one.
        chosen = [packs.get(service)] if service else packs.load_all()
    except FreecostError as exc:
        _fail(exc.lines())
    if as_json:
        body: Any = [p.model_dump(mode="json") for p in chosen]
        typer.echo(json.dumps(body[0] if service else body, indent=2))
        return
    if service:
        typer.echo(_describe_pack(chosen[0]))
        return
    width = max(len(p.service) for p in chosen)
    for pack in chosen:
        plan = pack.plans[0]
        uptime = plan.sla.uptime.value
        sla = (
            "no SLA"
            if uptime == "none"
            else "SLA unknown"
            if uptime == "unknown"
            else (f"SLA {uptime}%")
        )
        typer.echo(f"{pack.service:<{width}}  {pack.category:<10}  {sla:<12}  {pack.name}")


def _describe_pack(pack: Pack) -> str:
    from freecost.packs import Fact

    lines = [f"{pack.name} ({pack.service}), {pack.category}, by {pack.vendor}", pack.homepage]

    def fact(label: str, item: Fact[Any] | None) -> None:
        if item is None:
            return
        value = item.value
        if isinstance(value, list):
            value = ", ".join(
                str(getattr(v, "credit", v))
                if not hasattr(v, "below")
                else f"below {v.below}%: {v.credit}"
                for v in value
            )
        source = (
            f" [{item.source}, checked {item.checked}]"
            if item.source
            else (f" [checked {item.checked}]")
        )
        note = f" — {item.note}" if item.note else ""
        lines.append(f"  {label}: {value}{source}{note}")

    for plan in pack.plans:
        lines.append(f"plan {plan.id}: {plan.name}")
        fact("monthly cost", plan.monthly_cost)
        fact("uptime SLA %", plan.sla.uptime)
        fact("financially backed", plan.sla.financially_backed)
        fact("credits", plan.sla.credits)
        fact("claim window", plan.sla.claim_window)
        fact("support channels", plan.support.channels)
        fact("support response", plan.support.response)
        fact("human support", plan.support.human)
    lines.append("data and identity")
    fact("data export", pack.data_export)
    fact("phone number portable", pack.portability.phone_number)
    fact("domain portable", pack.portability.domain)
    fact("e-mail address portable", pack.portability.email_address)
    lines.append(
        f"lifecycle: {pack.lifecycle.status}"
        + (f" (discontinued {pack.lifecycle.discontinued})" if pack.lifecycle.discontinued else "")
    )
    if pack.status_page is not None:
        page = pack.status_page
        component = f", component {page.component}" if page.component else ""
        lines.append(f"status page: {page.url} ({page.provider}{component})")
    if pack.default_checks:
        lines.append("default checks (used when a dependency lists none)")
        lines += [f"  - {c.id}: {c.type}" for c in pack.checks()]
    if pack.failure_modes:
        lines.append("known failure modes")
        lines += [f"  - {m.title}: {m.what_customers_see}" for m in pack.failure_modes]
    lines.append("when it breaks")
    lines += [f"  - {step}" for step in pack.when_it_breaks.first_steps]
    if pack.migration_targets:
        lines.append("migration targets")
        lines += [f"  - {t.service} ({t.effort} effort): {t.why}" for t in pack.migration_targets]
    return "\n".join(lines)


@app.command()
def check(
    inventory: InventoryArg = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", metavar="DEP[/CHECK]", help="run only these (repeatable)"),
    ] = None,
    run_all: Annotated[bool, typer.Option("--all", help="run every check, due or not")] = False,
    database: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="PATH",
            help="history database (default: $FREECOST_DB, then settings.database)",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="results as JSON on stdout")] = False,
    nagios: Annotated[
        bool, typer.Option("--nagios", help="one Nagios plugin line with perfdata")
    ] = False,
    concurrency: Annotated[
        int | None, typer.Option(min=1, max=10_000, help="checks in flight at once")
    ] = None,
) -> None:
    """Run the checks that are due, store the results, alert on change.

    Exits 0 ok, 1 warn, 2 fail, 3 unknown.
    """
    from freecost.api import run_to_json
    from freecost.checkoutput import nagios_line, problem_lines
    from freecost.errors import FreecostError
    from freecost.monitor import monitor
    from freecost.results import worst_exit_code

    loaded = _load(inventory)
    progress: _Progress | None = None

    def on_planned(total: int) -> None:
        nonlocal progress
        if sys.stderr.isatty() and not (as_json or nagios):
            progress = _Progress(total)

    try:
        done = monitor(
            loaded,
            only=only or (),
            run_all=run_all,
            database=database,
            concurrency=concurrency,
            on_result=lambda result: progress.advance(result) if progress else None,
            planned_hook=on_planned,
        )
    except FreecostError as exc:
        _fail(exc.lines())
    finally:
        if progress:
            progress.close()
    run = done.run
    if as_json:
        document = run_to_json(run, loaded.display)
        document["notifications"] = [
            {"kind": n.kind, "check": n.check, "target": d.target, "ok": d.ok, "error": d.error}
            for n in done.notices
            for d in n.deliveries
        ]
        typer.echo(json.dumps(document, indent=2))
    elif nagios:
        typer.echo(nagios_line(run))
    elif sys.stdout.isatty():
        if run.results:
            _print_table(run)
        else:
            typer.echo(f"no checks are due ({done.not_due} not yet); --all runs every one")
    else:
        for line in problem_lines(run):
            typer.echo(line)
    for notice in done.notices:
        for delivery in notice.deliveries:
            if not delivery.ok:
                _err(
                    f"{notice.check}: could not send the {notice.kind} alert to "
                    f"{delivery.target}: {delivery.error}"
                )
    raise typer.Exit(worst_exit_code(run.results))


@app.command()
def score(
    inventory: InventoryArg = None,
    database: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="PATH",
            help="history database (for observed reliability)",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
) -> None:
    """Grade every dependency and function: SLA coverage, single points of failure,
    detection and observed reliability, with what to do first. Probes nothing."""
    import os
    from datetime import UTC, datetime

    from freecost.errors import FreecostError
    from freecost.scoreview import render_text
    from freecost.scoring.scorecard import score_loaded
    from freecost.store import database_path

    loaded = _load(inventory)
    now = datetime.now(UTC)
    path = database_path(loaded, database, os.environ)
    histories = {}
    if path.exists():
        from freecost.observed import dependency_histories
        from freecost.store import History

        try:
            with History.open(path) as store:
                histories = dependency_histories(loaded, store, now)
        except FreecostError as exc:
            _fail(exc.lines())
    elif database is not None:
        _fail([f"{path}: no such database"])
    card = score_loaded(loaded, histories, now).to_json()
    if as_json:
        typer.echo(json.dumps(card, indent=2))
    else:
        typer.echo(render_text(card))


FormatOption = Annotated[
    str,
    typer.Option(
        "--format", metavar="LIST", help="comma-separated: html, md, json, pdf (Chromium)"
    ),
]
OutOption = Annotated[
    str | None,
    typer.Option(
        "--out",
        metavar="DIR",
        help="folder for the report (default reports/<business>/<date>/)",
        show_default=False,
    ),
]
CompareOption = Annotated[
    str | None,
    typer.Option(
        "--compare",
        metavar="PREVIOUS.json",
        help="an earlier report's JSON: say what improved and what got worse",
        show_default=False,
    ),
]
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="PATH",
        help="history database (default: $FREECOST_DB, then settings.database)",
        show_default=False,
    ),
]


@app.command()
def audit(
    inventories: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[INV]...",
            help="inventories (default ./inventory.yaml); several: one report per client "
            "and an index page",
            show_default=False,
        ),
    ] = None,
    out: OutOption = None,
    formats: FormatOption = "html,md,json",
    compare: CompareOption = None,
    database: DatabaseOption = None,
    run_all: Annotated[bool, typer.Option("--all", help="run every check, due or not")] = False,
) -> None:
    """Run the due checks, score, and write the report: the main job.

    Exits like `check`: 0 ok, 1 warn, 2 fail, 3 unknown.
    """
    from freecost.auditing import audit_many, audit_one
    from freecost.errors import FreecostError
    from freecost.report.make import parse_formats

    try:
        wanted = parse_formats(formats)
    except FreecostError as exc:
        _fail(exc.lines())
    paths: list[str | None] = list(inventories) if inventories else [None]
    if len(paths) == 1:
        loaded = _load(paths[0])
        try:
            done = audit_one(
                loaded,
                out=Path(out) if out else None,
                formats=wanted,
                compare=Path(compare) if compare else None,
                database=database,
                run_all=run_all,
            )
        except FreecostError as exc:
            _fail(exc.lines())
        typer.echo(done.text)
        raise typer.Exit(done.exit_code)
    if compare is not None or database is not None:
        _fail(["--compare and --db name one client's files: audit clients one at a time"])
    batch = audit_many(
        [Path(p) for p in paths if p is not None],
        out=Path(out) if out else Path("reports"),
        formats=wanted,
        run_all=run_all,
    )
    for line in batch.problems:
        _err(line)
    typer.echo(batch.text)
    raise typer.Exit(batch.exit_code)


@app.command()
def report(
    inventory: InventoryArg = None,
    since: Annotated[str, typer.Option(metavar="DURATION", help="history this far back")] = "30d",
    out: OutOption = None,
    formats: FormatOption = "html,md,json",
    compare: CompareOption = None,
    database: DatabaseOption = None,
    status_page: Annotated[
        bool,
        typer.Option(
            "--status-page",
            help="write only the public page of which ways to reach the business work now",
        ),
    ] = False,
) -> None:
    """Write the report from stored history, without probing anything."""
    from freecost.auditing import report_one, status_page_one
    from freecost.durations import parse_duration
    from freecost.errors import FreecostError
    from freecost.report.make import parse_formats

    loaded = _load(inventory)
    try:
        window = parse_duration(since)
    except ValueError as exc:
        _fail([f"--since: {exc}"])
    try:
        if status_page:
            typer.echo(status_page_one(loaded, out=Path(out) if out else None, database=database))
            return
        done = report_one(
            loaded,
            out=Path(out) if out else None,
            formats=parse_formats(formats),
            compare=Path(compare) if compare else None,
            database=database,
            since=window,
        )
    except FreecostError as exc:
        _fail(exc.lines())
    typer.echo(done.text)


@app.command()
def demo(
    out: Annotated[
        str, typer.Option("--out", metavar="DIR", help="folder for the report")
    ] = "reports/demo/",
    keep: Annotated[
        bool,
        typer.Option("--keep", help="keep the demo's inventory, CA and history beside it"),
    ] = False,
) -> None:
    """Audit a simulated small business whose vendors run on 127.0.0.1: offline, no
    credentials, a few seconds."""
    from freecost.demo import run_demo
    from freecost.errors import FreecostError

    try:
        result = run_demo(Path(out), keep=keep)
    except FreecostError as exc:
        _fail([f"freecost demo: {exc.lines()[0]}"])
    typer.echo("\n".join(result.lines))
    raise typer.Exit(EXIT_OK)


@app.command()
def history(
    inventory: InventoryArg = None,
    since: Annotated[
        str, typer.Option(metavar="DURATION", help="incidents and results this far back")
    ] = "7d",
    dependency: Annotated[
        str | None,
        typer.Option(metavar="ID", help="only this dependency", show_default=False),
    ] = None,
    database: Annotated[
        str | None,
        typer.Option("--db", metavar="PATH", help="history database", show_default=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
) -> None:
    """Recent results, incidents and uptime per check, dependency and function."""
    import os
    from datetime import UTC, datetime

    from freecost.durations import parse_duration
    from freecost.errors import FreecostError
    from freecost.historyview import history_view, render_text
    from freecost.packs import did_you_mean
    from freecost.store import History, database_path

    loaded = _load(inventory)
    try:
        window = parse_duration(since)
    except ValueError as exc:
        _fail([f"--since: {exc}"])
    ids = [d.id for d in loaded.inventory.dependencies]
    if dependency is not None and dependency not in ids:
        _fail([f"--dependency: no dependency '{dependency}'{did_you_mean(dependency, ids)}"])
    path = database_path(loaded, database, os.environ)
    if not path.exists():
        _fail([f"{path}: no history yet; `freecost check` records the first results"])
    try:
        with History.open(path) as store:
            view = history_view(
                loaded, store, datetime.now(UTC), since=window, dependency=dependency
            )
    except FreecostError as exc:
        _fail(exc.lines())
    if as_json:
        typer.echo(json.dumps({"database": str(path), **view}, indent=2))
    else:
        typer.echo(render_text(view, str(path)))


@app.command()
def schedule(
    inventory: InventoryArg = None,
    systemd: Annotated[
        bool, typer.Option("--systemd", help="a systemd service and timer instead of cron")
    ] = False,
) -> None:
    """Print the crontab line (or systemd units) that runs `freecost check` on its own."""
    from freecost.schedule import cron_text, job_for, systemd_text

    job = job_for(_load(inventory))
    typer.echo(systemd_text(job) if systemd else cron_text(job))


class _Progress:
    """A progress bar on stderr while checks finish (terminals only, runs of 10 or more)."""

    WIDTH = 30

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0

    def advance(self, result: object) -> None:
        self.done += 1
        if self.total < 10:
            return
        filled = self.WIDTH * self.done // self.total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        sys.stderr.write(f"\r[{bar}] {self.done}/{self.total} checks")
        sys.stderr.flush()

    def close(self) -> None:
        if self.done and self.total >= 10:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _print_table(run: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    from freecost.checkoutput import result_row, summary_line

    colours = {"ok": "green", "warn": "yellow", "fail": "red", "error": "magenta"}
    table = Table(show_edge=False, pad_edge=False)
    for name in ("dependency", "check", "status", "latency", "summary"):
        table.add_column(name, overflow="fold")
    for result in run.results:
        row = result_row(result)
        status = f"[{colours[row[2]]}]{row[2]}[/]"
        table.add_row(row[0], row[1], status, row[3], _markup_safe(row[4]))
    console = Console()
    console.print(table)
    console.print(summary_line(run), highlight=False, markup=False)


def _markup_safe(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the command line and exit with its code; every error is a line, never a traceback."""
    from freecost.errors import FreecostError

    try:
        result = app(args=argv, standalone_mode=False, prog_name="freecost")
        code = result if isinstance(result, int) else EXIT_OK
    except typer.TyperException as exc:
        # Usage errors (unknown option, missing argument): Nagios reads 2 as "fail", so 3.
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx is not None else "freecost"
        _err(f"{command}: {exc.format_message()} (see {command} --help)")
        code = EXIT_UNKNOWN
    except typer.Abort:
        _err("freecost: aborted")
        code = EXIT_UNKNOWN
    except FreecostError as exc:
        for line in exc.lines():
            _err(line)
        code = EXIT_UNKNOWN
    except KeyboardInterrupt:
        _err("freecost: interrupted")
        code = 130
    sys.exit(code)


def run() -> NoReturn:
    """The ``freecost`` program: :func:`main`, then an exit that skips the last collection.

    Whatever is alive when a command ends lives until the process does; freezing it spares the
    interpreter a full collection of every model and module on the way out, about 40 ms of
    each command (a third of ``freecost --version``). Files are closed and atexit handlers run
    as usual. Tests call :func:`main`, so a test process is never frozen.
    """
    try:
        main()
    finally:
        gc.freeze()
