"""REACH_REQUIRE_LAB=1 (set by `make test`) must turn a lab test's skip (not root, a binary not
built, a tool missing) into a failure, and leave declared skipif skips alone. Runs an inner
pytest with this directory's conftest as a plugin; needs no root and builds no lab."""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

INNER = '''
import pytest

def test_skipped_at_run_time():
    pytest.skip("integration tests build network namespaces and need root")

def test_skipped_by_a_fixture(reach_missing):
    pass

@pytest.fixture
def reach_missing():
    pytest.skip("reach not built")

@pytest.mark.skipif(True, reason="SCM_TS_OPT_ID needs Linux 6.13")
def test_declared_skip():
    pass

def test_passes():
    pass
'''


def run_inner(tmp_path, require):
    (tmp_path / "test_inner.py").write_text(INNER)
    env = {k: v for k, v in os.environ.items() if k != "REACH_REQUIRE_LAB"}
    env.update(PYTHONPATH=str(HERE), PYTHONDONTWRITEBYTECODE="1")
    if require:
        env["REACH_REQUIRE_LAB"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider",
                           "-rA", "test_inner.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_without_require_lab_skips_stay_skips(tmp_path):
    r = run_inner(tmp_path, require=False)
    assert r.returncode == 0, r.stdout
    assert "1 passed, 3 skipped" in r.stdout, r.stdout


def test_require_lab_fails_on_skips_but_not_declared_ones(tmp_path):
    r = run_inner(tmp_path, require=True)
    assert r.returncode == 1, r.stdout
    summary = r.stdout.splitlines()[-1]
    assert "1 failed, 1 passed, 1 skipped, 1 error" in summary, r.stdout
    assert "REACH_REQUIRE_LAB=1 and this test was skipped: " in r.stdout, r.stdout
    assert "need root" in r.stdout and "reach not built" in r.stdout, r.stdout
