"""`scripts/platform pr-plan` on the emulator: every workspace planned from one
synthesis, files per workspace, one comment, and no failure hidden."""
import json
import shutil

import pytest

from scripts import platform_cmd
from scripts.plan_summary import MARKER

pytestmark = pytest.mark.emulator  # the command starts its own


@pytest.fixture(scope="module")
def run(synthesized_dir, repo_root, tmp_path_factory):
    root = tmp_path_factory.mktemp("pr-root")
    shutil.copytree(repo_root / "workspaces", root / "workspaces")
    broken = json.loads((root / "workspaces" / "dev.tfvars.json").read_text())
    broken.update(workspace="broken", domain_name="Broken_Name")
    (root / "workspaces" / "broken.tfvars.json").write_text(json.dumps(broken))
    out = root / "plan-out"
    code = platform_cmd.main(["pr-plan", "--root", str(root), "--outdir", str(synthesized_dir.parent.parent),
                              "--no-synth", "--out", str(out)])
    return code, out


def test_a_failed_workspace_fails_the_command(run):
    code, _ = run
    assert code == 1


def test_every_workspace_gets_its_files(run):
    _, out = run
    for ws in ("dev", "prod"):
        assert "Plan:" in (out / f"{ws}.plan.txt").read_text()
        assert json.loads((out / f"{ws}.plan.json").read_text())["resource_changes"]
        assert (out / f"{ws}.summary.md").read_text().startswith("### Workspace")
    assert "domain_name" in (out / "broken.plan.txt").read_text()


def test_one_comment_names_the_failure_and_why(run):
    _, out = run
    comment = (out / "comment.md").read_text()
    assert comment.startswith(MARKER)
    assert "broken" in comment and 'domain_name = "Broken_Name" is invalid' in comment
    assert comment.index("broken") < comment.index("Workspace `dev`")
    assert len(comment) < 65536


def test_unknown_outputs_read_known_after_apply_in_the_summary(run):
    """dev planned from scratch: its subnet and product ids are unknown until the apply, not
    empty (the JSON plan has [null, null] and {} beside the mirror that says so)."""
    _, out = run
    shown = json.loads((out / "dev.plan.json").read_text())["output_changes"]
    assert shown["private_subnet_ids"]["after_unknown"] == [True, True]
    summary = (out / "dev.summary.md").read_text()
    assert "| `private_subnet_ids` | add |  | `[(known after apply), (known after apply)]` |" in summary
    assert "| `product_ids` | add |  | `{\"spark-livy-cluster\": (known after apply)}` |" in summary
    outputs = summary[summary.index("**Outputs changing:**"):]

    def unknown(mirror) -> bool:
        if isinstance(mirror, dict):
            return any(unknown(v) for v in mirror.values())
        if isinstance(mirror, list):
            return any(unknown(v) for v in mirror)
        return mirror is True

    # An output with an unknown part never reads as null or {} (dev's known-empty maps, such as
    # emr_serverless_application_ids without applications, rightly do).
    partly_unknown = [name for name, change in shown.items() if unknown(change.get("after_unknown"))]
    assert "private_subnet_ids" in partly_unknown and "product_ids" in partly_unknown
    for name in partly_unknown:
        (row,) = [line for line in outputs.splitlines() if line.startswith(f"| `{name}` |")]
        assert "null" not in row and "`{}`" not in row, row
