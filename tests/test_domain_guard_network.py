"""The domain guard's refusals of network changes on the emulator (scripts/domain_guard.py): the
VPC's CIDR, the number of zones, the private subnets, an existing VPC. Each replaces the domain's
VPC or subnets, and `plan` refuses it, as tests/test_domain_guard.py shows for the domain's name and
region; on a copy of the run's one apply of the example dev (tests/guarded_dev.py), so that these
plans run on another worker.
"""
import pytest

from guarded_dev import NETWORK_CASES, applied, assert_refused  # noqa: F401 (applied: a fixture)

pytestmark = [pytest.mark.emulator, pytest.mark.applies]


@pytest.mark.parametrize("name", NETWORK_CASES)
def test_plan_refuses_a_network_change_that_replaces_the_domain(applied, capsys, name):
    assert_refused(applied, capsys, name)
