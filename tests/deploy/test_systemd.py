"""deploy/systemd: units systemd itself accepts, that restart what dies."""

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "deploy" / "systemd").iterdir())


@pytest.fixture
def installed(tmp_path):
    """The units as an operator installs them, with this checkout as /srv/letters."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("needs systemd-analyze")
    (tmp_path / "env").write_text("DEBUG=0\n")
    for unit in UNITS:
        text = unit.read_text().replace("/srv/letters", str(ROOT))
        text = text.replace("/etc/letters/env", str(tmp_path / "env"))
        name = unit.name.replace("@.service", "@1.service")
        (tmp_path / name).write_text(text)
    return tmp_path


def test_systemd_analyze_verify_passes_on_every_unit(installed):
    names = sorted(p.name for p in installed.glob("letters-*"))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *names],
        cwd=installed,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_the_check_catches_a_broken_unit(installed):
    broken = installed / "letters-web.service"
    broken.write_text(broken.read_text().replace(".venv/bin/gunicorn", ".venv/bin/no-such"))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", broken.name],
        cwd=installed,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "not executable" in result.stderr


def test_the_long_running_services_restart_themselves_and_the_purge_runs_daily():
    def unit(name):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str
        parser.read(ROOT / "deploy" / "systemd" / name)
        return parser

    for name in ["letters-web.service", "letters-worker@.service"]:
        assert unit(name)["Service"]["Restart"] == "always", name
    assert "manage.py worker" in unit("letters-worker@.service")["Service"]["ExecStart"]
    timer = unit("letters-purge.timer")["Timer"]
    assert timer["OnCalendar"] == "daily" and timer["Persistent"] == "true"
    assert "purge_unconfirmed" in unit("letters-purge.service")["Service"]["ExecStart"]
