"""Output sets are all-or-nothing: staged beside the target and swapped in whole, stale staging
folders cleaned, output paths checked before any analysis, files made with the process umask."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from click.testing import CliRunner

import rackforge.io.files as files
from rackforge.errors import InputError, RackforgeError
from rackforge.io.files import (
    STAGING_PREFIX,
    atomic_write_text,
    check_output_dir,
    check_output_file,
    clean_stale_staging,
    output_set,
)
from rackforge.io.spreadsheets import write_tables
from rackforge.report.write import FILES, check_report_dir, write_report


def _staging(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(STAGING_PREFIX))


def _tables(tag: str) -> dict[str, pd.DataFrame]:
    return {"a": pd.DataFrame({"x": [tag]}), "b": pd.DataFrame({"y": [tag]})}


def _fake_assessment(tag: str) -> SimpleNamespace:
    return SimpleNamespace(results={"tag": tag})


@pytest.fixture()
def fake_renderers(monkeypatch: pytest.MonkeyPatch) -> None:
    """write_report with the HTML and workbook renderers replaced by tiny ones (no analysis needed)."""
    import rackforge.report.html as html
    import rackforge.report.workbook as workbook

    monkeypatch.setattr(html, "render_html", lambda run, _js=None: f"<p>{run.results['tag']}</p>")
    monkeypatch.setattr(workbook, "write_workbook", lambda run, path: path.write_bytes(run.results["tag"].encode()))


# -- the set is swapped in whole ----------------------------------------------------------------------

def test_report_is_written_as_one_set_and_replaces_the_previous_one(tmp_path, fake_renderers):
    out = tmp_path / "out"
    write_report(_fake_assessment("old"), out)  # type: ignore[arg-type]
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    write_report(_fake_assessment("new"), out)  # type: ignore[arg-type]
    assert (out / "report.html").read_text() == "<p>new</p>" and '"new"' in (out / "results.json").read_text()
    assert _staging(tmp_path) == [] and _staging(out) == []


def test_a_failure_at_any_step_leaves_the_previous_set(tmp_path, fake_renderers, monkeypatch):
    out = tmp_path / "out"
    write_report(_fake_assessment("old"), out)  # type: ignore[arg-type]
    import rackforge.report.html as html

    def killed(*_a, **_k):
        raise KeyboardInterrupt  # a kill while the last file is written

    monkeypatch.setattr(html, "render_html", killed)
    with pytest.raises(KeyboardInterrupt):
        write_report(_fake_assessment("new"), out)  # type: ignore[arg-type]
    assert '"old"' in (out / "results.json").read_text() and (out / "report.html").read_text() == "<p>old</p>"
    assert _staging(tmp_path) == []


def test_a_failed_second_rename_puts_the_previous_set_back(tmp_path, monkeypatch):
    target = tmp_path / "csv"
    write_tables(_tables("old"), target)
    real_rename = os.rename
    calls = []

    def rename(src, dst):
        calls.append((Path(src).name, Path(dst).name))
        if len(calls) == 2:
            raise OSError("killed between the renames")
        real_rename(src, dst)

    monkeypatch.setattr(files.os, "rename", rename)
    with pytest.raises(OSError):
        write_tables(_tables("new"), target)
    monkeypatch.setattr(files.os, "rename", real_rename)
    assert calls[0][0] == "csv" and calls[1][1] == "csv"
    assert {p.name: p.read_bytes() for p in target.iterdir()} == {"a.csv": b"x\r\nold\r\n", "b.csv": b"y\r\nold\r\n"}
    assert _staging(tmp_path) == []


def test_csv_folder_written_as_a_set_never_mixes_tables(tmp_path):
    target = tmp_path / "csv"
    write_tables(_tables("old"), target)
    write_tables({"a": pd.DataFrame({"x": ["new"]})}, target)
    assert sorted(p.name for p in target.iterdir()) == ["a.csv"]  # no stale b.csv beside the new a.csv
    (target / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match=r"notes\.txt"):
        write_tables(_tables("new"), target)


# -- stale staging folders ------------------------------------------------------------------------------

def test_stale_staging_folders_are_cleaned_on_the_next_run(tmp_path, fake_renderers):
    dead = tmp_path / f"{STAGING_PREFIX}999999999-abcd"
    dead.mkdir()
    (dead / "report.html").write_text("half")
    old = tmp_path / f"{STAGING_PREFIX}{os.getppid()}-efgh"  # its process id since reused
    old.mkdir()
    past = time.time() - 2 * 3600
    os.utime(old, (past, past))
    nameless = tmp_path / f"{STAGING_PREFIX}xyz"
    nameless.mkdir()
    minute_ago = time.time() - 120
    os.utime(nameless, (minute_ago, minute_ago))
    live = tmp_path / f"{STAGING_PREFIX}{os.getppid()}-ijkl"  # a concurrent run, just started
    live.mkdir()
    inside = tmp_path / "out" / f"{STAGING_PREFIX}999999999-mnop"  # left by an older version inside the target
    inside.mkdir(parents=True)
    write_report(_fake_assessment("new"), tmp_path / "out")  # type: ignore[arg-type]
    assert _staging(tmp_path) == [live.name]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(FILES)
    assert clean_stale_staging(tmp_path) == []


def test_a_kill_between_the_renames_gives_the_previous_set_back_on_the_next_run(tmp_path):
    write_tables(_tables("old"), tmp_path / "csv")
    aside = tmp_path / f"{STAGING_PREFIX}999999999-old-csv"  # the first rename done, then SIGKILL
    (tmp_path / "csv").rename(aside)
    (tmp_path / f"{STAGING_PREFIX}999999999-abcd").mkdir()  # the staged new set, never renamed in
    write_tables(_tables("other"), tmp_path / "elsewhere")
    assert (tmp_path / "csv" / "a.csv").read_bytes() == b"x\r\nold\r\n"
    assert _staging(tmp_path) == []


# -- output paths checked first ---------------------------------------------------------------------------

def test_an_existing_file_where_a_folder_is_wanted_is_refused(tmp_path):
    (tmp_path / "taken").write_text("mine")
    with pytest.raises(InputError, match="is not a folder"):
        check_report_dir(tmp_path / "taken")
    with pytest.raises(InputError, match="is a file, not a folder"):
        check_output_dir(tmp_path / "taken" / "below")
    with pytest.raises(InputError, match="is a folder"):
        check_output_file(tmp_path)
    assert (tmp_path / "taken").read_text() == "mine"


def test_a_folder_holding_other_files_is_not_replaced(tmp_path, fake_renderers):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match=r"holds files rackforge did not write here \(notes.txt\)"):
        write_report(_fake_assessment("new"), out)  # type: ignore[arg-type]
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` read-only for this process: mode 555, and for root, whom mode bits do not bind, the
    immutable attribute as well (``chattr +i``; CI runs as root on ext4, where it works)."""
    folder.chmod(0o555)
    chattr = shutil.which("chattr")
    immutable = False
    try:
        if os.geteuid() == 0:
            if chattr is None or subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode != 0:
                pytest.skip("running as root where chattr +i is not available: no folder is read-only to root")
            immutable = True
        yield
    finally:
        if immutable and chattr is not None:
            subprocess.run([chattr, "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_a_read_only_folder_is_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    with read_only(ro):
        with pytest.raises(InputError, match="read-only"):
            check_output_dir(ro / "out")
        with pytest.raises(InputError, match="read-only"):
            check_output_file(ro / "t.xlsx")
        with pytest.raises(OSError):  # what the check stands for: nothing can be made there
            (ro / "probe").mkdir()
    assert list(ro.iterdir()) == []


@pytest.mark.parametrize("args", [["sourcing", "--csv", "{taken}"], ["sourcing", "--xlsx", "{dir}"],
                                  ["bom", "--csv", "{taken}"], ["sheets", "export", "{taken}"],
                                  ["schema", "-o", "{dir}"]])
def test_cli_refuses_a_bad_output_path_before_any_analysis(tmp_path, monkeypatch, args):
    from rackforge import api
    from rackforge.cli import cli

    (tmp_path / "taken").write_text("mine")
    (tmp_path / "dir.xlsx").mkdir()

    def analysis(*_a, **_k):
        raise AssertionError("the analysis ran before the output path was checked")

    for name in ("sourcing", "bill_of_materials"):
        monkeypatch.setattr(api, name, analysis)
    import rackforge.cli.sourcing_cmd as sourcing_cmd

    monkeypatch.setattr(sourcing_cmd, "load", analysis)
    argv = [a.format(taken=tmp_path / "taken", dir=tmp_path / "dir.xlsx") for a in args]
    result = CliRunner().invoke(cli, argv)
    code = result.exception.exit_code if isinstance(result.exception, RackforgeError) else result.exit_code
    assert code == 2, result.output
    assert "analysis ran" not in result.output and "Traceback" not in result.output
    assert (tmp_path / "taken").read_text() == "mine"


# -- modes -------------------------------------------------------------------------------------------------

@pytest.fixture()
def umask_027():
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def test_new_files_follow_the_umask_and_replaced_files_keep_their_mode(tmp_path, umask_027):
    new = tmp_path / "new.txt"
    atomic_write_text(new, "x")
    assert stat.S_IMODE(new.stat().st_mode) == 0o640
    kept = tmp_path / "kept.txt"
    kept.write_text("old")
    kept.chmod(0o604)
    atomic_write_text(kept, "new")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o604 and kept.read_text() == "new"
    (xlsx,) = write_tables(_tables("t"), tmp_path / "t.xlsx")
    assert stat.S_IMODE(xlsx.stat().st_mode) == 0o640


def test_output_set_folder_and_files_follow_the_umask(tmp_path, umask_027):
    with output_set(tmp_path / "set") as stage:
        (stage / "a.txt").write_text("a")
    assert stat.S_IMODE((tmp_path / "set").stat().st_mode) == 0o750
    assert stat.S_IMODE((tmp_path / "set" / "a.txt").stat().st_mode) == 0o640
    (tmp_path / "set").chmod(0o755)
    with output_set(tmp_path / "set", ["a.txt"]) as stage:
        (stage / "a.txt").write_text("b")
    assert stat.S_IMODE((tmp_path / "set").stat().st_mode) == 0o755
