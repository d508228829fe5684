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
