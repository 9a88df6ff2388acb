"""`scripts/platform loop dev --journey` end to end on the emulator: bootstrap
state, plan, apply EVERY planned resource, run the Studio journey, plan again
(no changes), destroy (the domain first, then what SageMaker left in the VPC,
then the rest), and nothing left in state or in the emulator but the state
bucket and the home EFS that home_efs_retention = Retain keeps."""
import re

import pytest

from scripts import platform_cmd
from scripts.emulator import UNSUPPORTED_TYPES

pytestmark = [pytest.mark.emulator, pytest.mark.applies]  # the command starts its own


def test_loop_applies_everything_runs_the_journey_and_leaves_nothing_behind(synthesized_dir, capsys):
    code = platform_cmd.main(["loop", "dev", "--journey", "--outdir", str(synthesized_dir.parent.parent),
                              "--no-synth"])
    out, err = capsys.readouterr()
    assert code == 0, err[-4000:]
    lines = out.splitlines()
    planned = int(re.search(r"^plan: Plan: (\d+) to add", out, re.M).group(1))
    applied = int(re.search(r"^apply: Apply complete! Resources: (\d+) added", out, re.M).group(1))
    assert planned == applied > 100
    assert UNSUPPORTED_TYPES == {} and "the emulator applies all but" not in err  # platform_cmd.say_left_out
    assert "journey dev: all 6 steps passed" in out
    assert "replan: no changes" in lines
    # SageMaker's leftovers are removed between the domain and the VPC, as the destroy command does.
    for teardown in ("teardown: deleted mount target", "teardown: kept the home EFS",
                     "teardown: deleted security group security-group-for-inbound-nfs-d-",
                     "teardown: deleted security group security-group-for-outbound-nfs-d-"):
        assert teardown in err, teardown
    kept = re.search(r"^destroy: nothing left in state or in the emulator but the state bucket and the home EFS "
                     r"(fs-\w+) \(home_efs_retention = Retain: users' files\)$", out, re.M)
    assert kept, out
    assert lines[-1] == (f"loop dev: applied {applied} of {planned} planned resources (everything), re-planned "
                         "with no changes, destroyed everything")
    for step in ("create the state bucket", "terraform apply (dev", "terraform destroy (dev: the Studio domain",
                 "terraform destroy (dev)"):
        assert f"[platform] {step}" in err
