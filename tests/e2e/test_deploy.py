"""The operator's folder holds what works: ``deploy/nginx.conf`` passes ``nginx -t`` (Debian's
nginx, unpacked by scripts/ensure-nginx.sh when none is installed), with a throw-away
certificate where the operator's would be, and the systemd units start the commands the
product has."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from bot.composition import PROJECT_DIR

DEPLOY = PROJECT_DIR / "deploy"


@pytest.fixture(scope="module")
def nginx() -> str:
    found = subprocess.run([str(PROJECT_DIR / "scripts" / "ensure-nginx.sh")], check=True,
                           capture_output=True, text=True, timeout=600)  # fmt: skip
    return found.stdout.strip().splitlines()[-1]


def check(nginx: str, site: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` of the site inside a minimal main configuration kept in ``tmp_path``."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=fusion.example.com", "-keyout", str(tmp_path / "privkey.pem"),
         "-out", str(tmp_path / "fullchain.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    for where in ("/etc/ssl/fusion/", "/var/log/nginx/"):
        site = site.replace(where, f"{tmp_path}/")
    (tmp_path / "fusion.conf").write_text(site)
    temp = "\n".join(
        f"    {kind}_temp_path {tmp_path}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n{temp}\n"
        f"    access_log off;\n    include {tmp_path}/fusion.conf;\n}}\n"
    )
    return subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
         "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_the_nginx_configuration_is_valid(nginx: str, tmp_path: Path) -> None:
    result = check(nginx, (DEPLOY / "nginx.conf").read_text(), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_logs_no_path_where_customer_ids_and_tokens_travel() -> None:
    site = (DEPLOY / "nginx.conf").read_text()
    formats = re.findall(r"log_format\s+\w+((?:\s*'[^']*')+)", site)
    assert formats and all("$request " not in f and "$uri" not in f and "$args" not in f
                           and "$request_uri" not in f for f in formats)  # fmt: skip
    assert re.search(r"^\s*access_log\s+\S+\s+fusion_private;", site, re.MULTILINE)


def test_the_check_catches_a_broken_configuration(nginx: str, tmp_path: Path) -> None:
    broken = (DEPLOY / "nginx.conf").read_text().replace("proxy_pass", "proxy_passs", 1)
    result = check(nginx, broken, tmp_path)
    assert result.returncode != 0 and "proxy_passs" in result.stderr


def test_the_units_start_commands_the_product_has() -> None:
    commands = set()
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        commands |= set(re.findall(r"-m bot (\w+)", unit.read_text()))
    cli = subprocess.run([str(PROJECT_DIR / ".venv" / "bin" / "python"), "-m", "bot", "--help"],
                         cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)  # fmt: skip
    choices = re.search(r"\{([a-z_,-]+)\}", cli.stdout)
    assert choices, cli.stdout
    assert commands == {"actions", "migrate", "serve", "rasa"}
    assert commands <= set(choices.group(1).split(",")), "each is a command of python -m bot"
