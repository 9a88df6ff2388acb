"""`scripts/platform loop` end to end on the emulator: bootstrap state, plan,
apply what the emulator supports, plan again (no changes), destroy (nothing
left in state or in the emulator)."""
import pytest

from scripts import platform_cmd

pytestmark = pytest.mark.emulator  # the command starts its own


def test_local_loop_leaves_nothing_behind(synthesized_dir, capsys):
    code = platform_cmd.main(["loop", "dev", "--outdir", str(synthesized_dir.parent.parent), "--no-synth"])
    out, err = capsys.readouterr()
    assert code == 0, err[-4000:]
    lines = out.splitlines()
    assert any(line.startswith("plan: Plan: ") and "to add" in line for line in lines), out
    assert any(line.startswith("apply: Apply complete!") for line in lines), out
    assert "replan: no changes" in lines
    assert any(line.startswith("destroy: Destroy complete!") for line in lines), out
    assert "destroy: nothing left in state or in the emulator (but the state bucket)" in lines
    # What the emulator cannot create is said, with the reason, and still planned.
    assert "planned, not applied: aws_sagemaker_domain." in err and "lacks DomainId" in err
    for step in ("create the state bucket", "terraform apply (dev", "terraform destroy (dev)"):
        assert f"[platform] {step}" in err
