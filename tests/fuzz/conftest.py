"""The fuzzing tier's platform, and its totals printed at the end of the run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fuzz.tally import TALLY_KEY, Tally
from tests.support.platform import Platform, running_platform

# The fuzzer sends far more reports and Open311 requests a minute than a phone or a city
# hotline would; the throttles themselves are tested with their defaults
# (tests/e2e/test_throttling.py). Log-in failures keep their defaults: the tier logs in before
# it fuzzes the token endpoint, and the lockout's 429 is a documented answer.
BURSTS = {
    "HAZARD_INTAKE_REPORTS_PER_USER": "100000/minute",
    "HAZARD_INTAKE_CHECKINS_PER_USER": "100000/minute",
    "HAZARD_INTAKE_OPEN311_PER_CLIENT": "100000/minute",
}


@pytest.fixture(scope="package")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform of the tier's own: the fuzzer's writes (calendars, policies, thousands of
    grids and people) must not change what other tiers' tests find in the demo county."""
    with running_platform(tmp_path_factory.mktemp("fuzz"), BURSTS) as running:
        yield running


@pytest.fixture(scope="package")
def tally(request: pytest.FixtureRequest) -> Tally:
    """The run's counts, kept where the terminal summary finds them."""
    counts = Tally()
    request.config.stash[TALLY_KEY] = counts
    return counts


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print the fuzzing totals (whether the tier passed or not)."""
    counts = config.stash.get(TALLY_KEY, None)
    if counts is not None:
        terminalreporter.section("fuzzing totals")
        for line in counts.summary_lines():
            terminalreporter.write_line(line)
