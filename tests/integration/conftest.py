"""pytest fixtures for reach integration tests (network-namespace labs; needs root).

Fixtures:
  lab     a fresh lab.Lab per test, torn down afterwards (checked: no namespace left)
  linkem  path of the reach-linkem binary (skips the test when it is not built)
  reach   path of the reach binary (skips the test when it is not built)

Environment: REACH_BUILD_DIR (default <repo>/build), REACH_BIN, REACH_LINKEM; see
tests/lab/README.md. REACH_REQUIRE_LAB=1 (set by `make test`, hence CI) turns every skip into a
failure, except those a test declares with @pytest.mark.skipif (a kernel feature this machine
lacks): without root, a built binary or a peer tool the lab tests cannot run, and a run that
skipped them must not look green.
"""

import os
import sys
from pathlib import Path

import pytest

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lab"))

import lab as lablib  # noqa: E402


REQUIRE_LAB = os.environ.get("REACH_REQUIRE_LAB") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if not REQUIRE_LAB or not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    declared = [m.kwargs.get("reason", "") for m in item.iter_markers("skipif")]
    if any(r and reason.endswith(r) for r in declared):
        return
    report.outcome = "failed"
    report.longrepr = f"REACH_REQUIRE_LAB=1 and this test was skipped: {reason}"


def _require_root():
    if not lablib.is_root():
        pytest.skip("integration tests build network namespaces and need root")


@pytest.fixture(scope="session", autouse=True)
def _stale_namespaces():
    """Remove namespaces left behind by earlier crashed runs (their creator is gone)."""
    if lablib.is_root():
        lablib.Lab.cleanup_stale()
    yield


@pytest.fixture
def lab():
    _require_root()
    with lablib.Lab() as the_lab:
        yield the_lab
    left = [ns for ns in the_lab.namespaces if ns in lablib._netns_list()]
    assert not left, f"namespaces left after teardown: {left}"


@pytest.fixture
def linkem() -> Path:
    path = lablib.linkem_bin()
    if not path.exists():
        pytest.skip(f"reach-linkem not built at {path} (cmake --build <build> --target "
                    f"reach-linkem; set REACH_BUILD_DIR or REACH_LINKEM)")
    return path


@pytest.fixture
def reach() -> Path:
    path = lablib.reach_bin()
    if not path.exists():
        pytest.skip(f"reach not built at {path} (set REACH_BUILD_DIR or REACH_BIN)")
    return path


def pytest_report_header(config):
    return [f"reach lab: build dir {lablib.build_dir()}, reach {lablib.reach_bin()}, "
            f"linkem {lablib.linkem_bin()}"
            + ("" if os.geteuid() == 0 else " (not root: lab tests will be skipped)")
            + (" (REACH_REQUIRE_LAB=1: a skip fails)" if REQUIRE_LAB else "")]
