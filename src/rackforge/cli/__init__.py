"""The ``rackforge`` command line.

Subcommands live in their own modules and are imported only when run (see ``COMMANDS``),
so ``rackforge --help`` starts fast. User errors (:class:`~rackforge.errors.RackforgeError`)
are printed without a traceback: exit status 2 for bad input or usage, 1 for failed checks.
Anything else is a bug in rackforge: :func:`report_bug` prints a short message and the command
exits with status 3 (``RACKFORGE_DEBUG=1`` shows the traceback). See docs/errors.md.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from typing import Any

import click

from rackforge import __version__

# name -> (module:attribute, one-line help). Keep the help in sync with each command's docstring
# (tests/test_cli_help.py checks it).
COMMANDS: dict[str, tuple[str, str]] = {
    "catalog": ("rackforge.cli.catalog_cmd:catalog", "List and show the built-in catalog."),
    "init": ("rackforge.cli.init_cmd:init", "Write the reference programme into DIR as plain files."),
    "check": ("rackforge.cli.check_cmd:check", "Load, validate and check the rack designs of a programme."),
    "schema": ("rackforge.cli.schema_cmd:schema", "Print the JSON Schema of programme files."),
    "assess": ("rackforge.cli.assess_cmd:assess", "Run every analysis and write a self-contained report."),
    "evaluate": ("rackforge.cli.evaluate_cmd:evaluate",
                 "Score early-access systems on weighted criteria and show the option decisions."),
    "factory": ("rackforge.cli.factory_cmd:factory",
                "Simulate the integration-and-test line; plan stations with --plan-capacity."),
    "tests": ("rackforge.cli.tests_cmd:tests", "Generate test plans and import per-rack test results."),
    "readiness": ("rackforge.cli.readiness_cmd:readiness", "Score manufacturing readiness (MRL) per part and site."),
    "stress": ("rackforge.cli.stress_cmd:stress",
               "Stress test: time to survive vs time to recover of every site, country and region."),
    "simulate": ("rackforge.cli.simulate_cmd:simulate",
                 "Monte Carlo of racks delivered per design and quarter under the disruption library."),
    "buffers": ("rackforge.cli.buffers_cmd:buffers",
                "Strategic safety stock: optimal service times and buffers on a supply tree."),
    "bom": ("rackforge.cli.bom_cmd:bom", "Explode rack designs into parts and roll up their cost."),
    "sourcing": ("rackforge.cli.sourcing_cmd:sourcing",
                 "Domestic content, concentration and country exposure of the planned racks."),
    "whatif": ("rackforge.cli.sourcing_cmd:whatif", "Move parts between sites and see the sourcing figures change."),
    "sheets": ("rackforge.cli.sourcing_cmd:sheets", "Exchange sources and BOMs with Excel and CSV files."),
    "compare": ("rackforge.cli.compare_cmd:compare",
                "Show rack designs side by side and what changed between generations."),
    "optimize": ("rackforge.cli.optimize_cmd:optimize",
                 "Least-cost sourcing plan under domestic-content and diversification targets."),
    # the shared service (issue 15)
    "serve": ("rackforge.cli.serve_cmd:serve",
              "Serve the API and run queued analyses, on SQLite in --data-dir or a PostgreSQL --db URL."),
    "db": ("rackforge.cli.db_cmd:db", "Create or migrate the service database."),
    "users": ("rackforge.cli.users_cmd:users", "Add and list the service's users."),
    "tokens": ("rackforge.cli.tokens_cmd:tokens", "Create, list and revoke API tokens of the service's users."),
    # line-side board (issue 16)
    "line": ("rackforge.cli.line_cmd:line", "Feed the line-side board: replay a simulated line to a server."),

    "sweep": ("rackforge.cli.sweep_cmd:sweep", "Run analyses over a grid or sample of inputs; one table row per run."),
}

EXIT_CODES: dict[int, str] = {
    0: "success",
    1: "a check or target failed (or a plan could not be solved)",
    2: "bad input or usage: the message names the file, line and field (or a file the machine refused)",
    3: "a bug in rackforge: please report it (RACKFORGE_DEBUG=1 shows the traceback)",
    4: "assess: the report was written but a section was not assessed",
}
"""Exit statuses of every command (docs/errors.md)."""

BUG_REPORT_HINT = "please report this as a bug with the command and input that caused it"
"""Where a user is pointed when rackforge itself fails."""

DEBUG_ENV = "RACKFORGE_DEBUG"
"""Environment variable that, set to 1, makes an unexpected error print its traceback."""


def os_error_message(exc: OSError) -> str:
    """One line for a file operation the operating system refused: what, on which file, and why
    (``cannot write out/report.html: No space left on device``)."""
    target = " ".join(str(f) for f in (exc.filename, exc.filename2) if f)
    reason = exc.strerror or str(exc)
    return f"cannot use {target}: {reason}" if target else f"a file operation failed: {reason}"


def silence_stdout() -> None:
    """Point standard output at /dev/null, so the output still buffered after its reader closed the pipe
    (``rackforge … | head``) is dropped at exit instead of raising BrokenPipeError there (the recipe of
    the Python documentation, "Note on SIGPIPE")."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def report_bug(command: str, exc: BaseException) -> None:
    """Tell the user that ``command`` failed inside rackforge (exit 3 follows): the exception's one-line
    summary, a pointer to report it, and how to see the traceback."""
    summary = (str(exc).strip().splitlines() or [""])[0][:300]
    what = type(exc).__name__ + (f": {summary}" if summary else "")
    click.echo(f"internal error in 'rackforge {command}': {what}", err=True)
    click.echo(f"this is a bug in rackforge, not a problem with your input; {BUG_REPORT_HINT}.", err=True)
    if os.environ.get(DEBUG_ENV) == "1":
        click.echo("".join(traceback.format_exception(exc)), err=True)
    else:
        click.echo(f"set {DEBUG_ENV}=1 to see the traceback.", err=True)


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target[0].split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a user error becomes a message on stderr and its exit status, and any other
        exception (a bug) a short message and exit status 3."""
        from rackforge.errors import RackforgeError

        try:
            return super().invoke(ctx)
        except RackforgeError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:  # whoever read the output stopped early (``| head``): nothing failed here
            silence_stdout()
            ctx.exit(0)
        except OSError as exc:  # the machine refused a file operation (full disk, no permission): not a bug
            click.echo(f"error: {os_error_message(exc)}", err=True)
            ctx.exit(2)
        except Exception as exc:  # the last-resort boundary: never a raw traceback
            report_bug(ctx.invoked_subcommand or "", exc)
            ctx.exit(3)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="rackforge")
def cli() -> None:
    """rackforge: plan AI data-center rack programmes for domestic manufacturing.

    Give a command a programme folder (write one with 'rackforge init DIR'); with no
    folder, commands use the built-in reference programme.

    \b
    Exit status:
      0  success
      1  a check or target failed (or a plan could not be solved)
      2  bad input or usage: the message names the file, line and field
         (also a file the machine refused: full disk, no permission)
      3  a bug in rackforge (RACKFORGE_DEBUG=1 shows the traceback); please report it
      4  assess: the report was written but a section was not assessed
    See docs/errors.md for each kind of bad input and its message.
    """


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn user errors into messages and exit codes."""
    try:
        status = cli.main(args=argv, prog_name="rackforge", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # raised outside a command (option parsing, a command's import)
        report_bug(" ".join(argv or sys.argv[1:])[:80], exc)
        sys.exit(3)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
    # in non-standalone mode click returns the status of ctx.exit(status) instead of exiting
    sys.exit(status if isinstance(status, int) else 0)
