import pytest

from system.selectors import health_report_forget


@pytest.fixture(autouse=True)
def _fresh_health_report() -> None:
    # The report is cached for a second; these tests change the state between two probes.
    health_report_forget()
