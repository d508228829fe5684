"""The web worker's garbage collection (config/gunicorn.conf.py): what the first requests built is frozen out of
later full collections, once after the 10th, 100th and 1000th request."""

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
seen, kept = {"frozen": {}}, []
for nr in (1, 9, 12, 13, 99, 150, 151):  # gthread: a count may pass 10 and 100 before the hook sees it
    worker.nr = nr
    before = gc.get_freeze_count()
    conf["post_request"](worker, None, {}, None)
    seen["frozen"][nr] = gc.get_freeze_count() > before
    kept.append([[] for _ in range(10)])  # what a request leaves in the process (a cache, a pool)
print(json.dumps(seen))
"""


def _hooks(tmp_path) -> dict:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", RUN_HOOKS], cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=60
    ).stdout
    return json.loads(out)


def test_a_worker_freezes_what_it_built_once_warm(tmp_path):
    frozen = _hooks(tmp_path)["frozen"]
    assert frozen == {"1": False, "9": False, "12": True, "13": False, "99": False, "150": True, "151": False}
