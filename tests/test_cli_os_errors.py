"""A file operation the machine refuses (full disk, no permission) is bad input to fix, not a bug:
exit 2 with the file and the reason, never the exit 3 of the last-resort handler."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rackforge.cli import cli, os_error_message


def test_a_full_disk_while_writing_is_exit_2_with_the_file(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import rackforge.io.files as files

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "report.html"))

    monkeypatch.setattr(files, "atomic_write_text", full_disk)
    monkeypatch.setattr(files, "atomic_write_bytes", full_disk, raising=False)
    result = CliRunner().invoke(cli, ["schema", "-o", str(tmp_path / "schema.json")])
    assert result.exit_code == 2, result.output
    assert "cannot use" in result.output and "No space left on device" in result.output
    assert "bug" not in result.output.lower()


def test_the_message_names_file_and_reason() -> None:
    message = os_error_message(PermissionError(errno.EACCES, "Permission denied", "/x/report.html"))
    assert message == "cannot use /x/report.html: Permission denied"
    assert os_error_message(OSError("disk gone")) == "a file operation failed: disk gone"


@pytest.mark.parametrize("args", [("bom", "--json"), ("catalog", "list")], ids=["click output", "rich output"])
def test_output_cut_off_by_its_reader_ends_quietly(args: tuple[str, ...]) -> None:
    """``rackforge … | head``: the reader closes the pipe before the command writes. The command ends with
    status 0 and nothing on stderr, not 'a file operation failed: Broken pipe' (exit 2) or Rich's exit 1."""
    process = subprocess.Popen([sys.executable, "-m", "rackforge", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.close()  # before the command has started, so its first write meets a closed pipe
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr.decode()
    assert stderr.decode() == ""
