"""The web worker's garbage-collector settings (config/gunicorn.conf.py): young objects are collected less often,
and what the first requests built is frozen out of later full collections, at the 10th, 100th and 1000th."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

RUN_HOOKS = """
import gc, json, runpy, types
conf = runpy.run_path("config/gunicorn.conf.py")
worker = types.SimpleNamespace(nr=0)
conf["post_worker_init"](worker)
seen, kept = {"threshold": gc.get_threshold(), "frozen": {}}, []
for nr in (1, 9, 10, 11, 100):
    worker.nr = nr
    before = gc.get_freeze_count()
    conf["post_request"](worker, None, {}, None)
    seen["frozen"][nr] = gc.get_freeze_count() > before
    kept.append([[] for _ in range(10)])  # what a request leaves in the process (a cache, a pool)
print(json.dumps(seen))
"""


def _hooks(tmp_path, **env) -> dict:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), **env}
    out = subprocess.run(
        [sys.executable, "-c", RUN_HOOKS], cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=60
    ).stdout
    return json.loads(out)


def test_a_worker_collects_young_objects_less_often_and_freezes_what_it_built_when_warm(tmp_path):
    seen = _hooks(tmp_path)
    assert seen["threshold"] == [50_000, 20, 100]
    assert seen["frozen"] == {"1": False, "9": False, "10": True, "11": False, "100": True}


def test_the_threshold_can_be_set_for_a_host(tmp_path):
    assert _hooks(tmp_path, GC_THRESHOLD="5000")["threshold"] == [5000, 20, 100]
