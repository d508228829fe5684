import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import services_required

ROOT = Path(__file__).resolve().parents[2]


def test_docker_compose_file_validates():
    if not shutil.which("docker-compose"):
        if services_required():
            pytest.fail("docker-compose is needed in CI to validate docker-compose.yml")
        pytest.skip("Debian's docker-compose is not installed")
    result = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config", "-q"],
        cwd=ROOT,
        env={"SECRET_KEY": "validate-only", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_compose_runs_the_three_processes_with_production_settings():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    assert "gunicorn config.wsgi" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A config worker")
    assert services["beat"]["command"].startswith("celery -A config beat")
    assert compose["x-app"]["environment"]["DEBUG"] == "false"


def test_compose_puts_a_tls_proxy_in_front_and_keeps_gunicorn_inside():
    import yaml

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    proxy = services["proxy"]
    assert proxy["build"]["target"] == "proxy"
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    assert "ports" not in services["web"], "gunicorn must be reached through the proxy only"
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY --from=app /app/staticfiles /srv/static" in dockerfile
    assert "COPY ops/Caddyfile /etc/caddy/Caddyfile" in dockerfile


CADDYFILE = ROOT / "ops" / "Caddyfile"


def test_the_proxy_compresses_serves_static_files_and_hides_metrics():
    """What the Caddyfile must keep saying, read as text (the next test asks Caddy itself)."""
    lines = [line.strip() for line in CADDYFILE.read_text().splitlines() if not line.strip().startswith("#")]
    assert "encode zstd gzip" in lines
    assert "handle_path /static/* {" in lines and "root * /srv/static" in lines
    assert "precompressed br gzip" in lines
    assert "respond /metrics 404" in lines
    assert "reverse_proxy {$MOSHI_UPSTREAM:web:8000} {" in lines
    assert "header_up X-Request-ID {http.request.uuid}" in lines


def test_caddy_accepts_the_caddyfile():
    if not shutil.which("caddy"):
        if services_required():
            pytest.fail("Debian's caddy is needed in CI to validate ops/Caddyfile")
        pytest.skip("Debian's caddy is not installed")
    result = subprocess.run(
        ["caddy", "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "MOSHI_DOMAIN": "moshi.example.jp"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    formatted = subprocess.run(["caddy", "fmt", str(CADDYFILE)], capture_output=True, text=True, timeout=60)
    assert formatted.stdout == CADDYFILE.read_text(), "ops/Caddyfile is not in `caddy fmt` form"
