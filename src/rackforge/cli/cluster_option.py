"""``--cluster``: the option every command that can spread its work over a Dask cluster takes."""

from __future__ import annotations

import click

CLUSTER_HELP = ("Run the independent pieces of work on a Dask cluster: 'local:N' (N worker processes here) or "
                "'tcp://HOST:PORT' (a running scheduler); default $RACKFORGE_CLUSTER, else this process. Results "
                "are identical to one process. Needs pip install 'rackforge[dask]'.")


def _enter_cluster(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Put the chosen cluster in force for the command (closed when the command ends); a bad value or a
    missing Dask is an input error before any work."""
    from rackforge.cluster.connect import chosen_cluster, cluster_task_map

    spec = chosen_cluster(value)
    if spec is not None:
        ctx.with_resource(cluster_task_map(spec))
    return value


cluster_option = click.option("--cluster", metavar="local:N|tcp://HOST:PORT", expose_value=False,
                              callback=_enter_cluster, help=CLUSTER_HELP)
"""Adds ``--cluster`` to a command without a parameter of its own: the analyses it calls find the
task map in force (:func:`rackforge.core.parallel.current_task_map`)."""
