"""Shared test setup: hypothesis profiles and small helpers.

``HYPOTHESIS_PROFILE=ci`` (set by .ci/run) runs more examples with no deadline, since CI machines
are noisy; ``dev`` (the default) keeps the local loop quick.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# CI: two and a half times the examples of a local run (150 took the suite past ten minutes
# on a slower machine).
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Compiled templates go to a folder of this test run (every process it starts inherits it), not
# to the user's cache: tests write nowhere else, and never depend on an earlier run's cache.
_CACHE = tempfile.mkdtemp(prefix="examgen-test-cache-")
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
os.environ["EXAMGEN_CACHE_DIR"] = _CACHE


# --- PDF and browser tests ---------------------------------------------------------------------
PDF_TOOLS = ("pdflatex", "pdftotext")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """``@pytest.mark.pdf`` tests need TeX Live and poppler-utils, ``@pytest.mark.browser`` tests
    Chromium and its driver. Locally they skip without them; in CI (``CI=true``, where .ci/run
    installs both) a missing tool fails them instead, so they can never pass by being skipped."""
    if item.get_closest_marker("pdf") is not None:
        missing = [tool for tool in PDF_TOOLS if shutil.which(tool) is None]
        script = "scripts/install-tex"
    elif item.get_closest_marker("browser") is not None:
        from tests.browser import missing_tools

        missing, script = missing_tools(), "scripts/install-browser"
    else:
        return
    if not missing:
        return
    message = f"needs {', '.join(missing)}: run {script}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run these tests but {message}")
    pytest.skip(message)


# --- the practice site ----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def lecture14_site(tmp_path_factory: pytest.TempPathFactory):
    """``examgen site --tags lecture-14 --out DIR`` once per session (the issue's command)."""
    from click.testing import CliRunner

    from generator.cli import main

    out = tmp_path_factory.mktemp("site") / "site"
    result = CliRunner().invoke(main, ["site", "--tags", "lecture-14", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory):
    """One headless Chromium for every browser test (tests/browser.py), with a fresh profile."""
    from tests.browser import missing_tools, start_driver

    if missing_tools():  # @pytest.mark.browser has already failed the test in CI
        pytest.skip("needs Chromium: run scripts/install-browser")
    driver = start_driver(tmp_path_factory.mktemp("chromium-profile"))
    yield driver
    driver.quit()


# --- paper: one PDF build of each shipped spec per session, shared by the paper and scan tests --
PAPER_SEED = 7
PAPER_STUDENTS = 6


@pytest.fixture(scope="session")
def paper_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """``{"quiz": folder, "practice": folder}``: both shipped specs built with PDFs and
    sheets.json for a few students (IDs with a space and a non-ASCII letter among them)."""
    from generator.build import build
    from generator.roster import Student
    from generator.spec import DEFAULT_SPEC, SPECS_DIR, load_spec

    if shutil.which("pdflatex") is None:
        pytest.skip("needs pdflatex: run scripts/install-tex")
    students = [Student(f"s{i:03d}", f"Student {i}") for i in range(1, PAPER_STUDENTS - 1)]
    students += [Student("né 6", "Zoë Ünal"), Student("A-7/x", "Seven")]
    out = tmp_path_factory.mktemp("paper")
    return {
        name: build(load_spec(path), PAPER_SEED, students, out / name, pdf=True)
        for name, path in (
            ("quiz", DEFAULT_SPEC),
            ("practice", SPECS_DIR / "lecture-14-practice.toml"),
        )
    }
