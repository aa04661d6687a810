"""The ``rackforge`` command line.

Subcommands live in their own modules and are imported only when run (see ``COMMANDS``),
so ``rackforge --help`` starts fast. User errors (:class:`~rackforge.errors.RackforgeError`)
are printed without a traceback: exit status 2 for bad input or usage, 1 for failed checks.
"""

from __future__ import annotations

import importlib
import sys
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
}


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
        """Run the command; a user error becomes a message on stderr and its exit status."""
        from rackforge.errors import RackforgeError

        try:
            return super().invoke(ctx)
        except RackforgeError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)

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
    # in non-standalone mode click returns the status of ctx.exit(status) instead of exiting
    sys.exit(status if isinstance(status, int) else 0)
