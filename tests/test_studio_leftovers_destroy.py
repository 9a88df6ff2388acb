"""The destroy of a workspace whose users launched things (scripts/studio_leftovers.py), on
the persistent emulator: dev and iso side by side, users at work in both
(tests/studio_leftovers_setup.py), a cluster launched from each workspace's product as
Studio does; `scripts/platform destroy dev` terminates and deletes what was launched in
dev's domain, and iso keeps everything. On a copy of the same applied start as
tests/test_studio_leftovers.py, so that the two files run on two workers.
"""
import pytest
import terraform_runs
from studio_leftovers_setup import REGION, applied, domains, root, sm, untouched, working  # noqa: F401 (fixtures)

from scripts import platform_cmd
from scripts.journey import steps
from scripts.journey.studio_user import CallRecord, role_credentials, role_session
from scripts.platform_cmd import PLATFORM_STACK, Terraform

pytestmark = [pytest.mark.emulator, pytest.mark.applies]


def _launch_cluster(emu, tf: Terraform, workspace: str) -> dict:
    """A cluster launched from the workspace's product as Studio does (the journey's steps 1 and 2)."""
    outputs = tf.output_values(workspace)
    record = CallRecord()
    credentials = role_credentials(emu, outputs["studio_execution_role_arn"], REGION)
    journey = steps.Journey(emu, REGION, outputs, role_session(credentials, REGION, record), credentials, record)
    steps.find_products(journey)
    steps.launch_cluster(journey)
    return {**journey.found, "outputs": outputs}


def test_destroy_removes_what_studio_launched_in_its_domain_only(applied, root, sm, working, capsys):
    emu, args = applied
    iso = working["ml-iso"]
    tf = terraform_runs.cli_stack(root, emu, PLATFORM_STACK, REGION)
    launched = {ws: _launch_cluster(emu, tf, ws) for ws in ("dev", "iso")}
    emr, catalog, efs = (emu.client(s, REGION) for s in ("emr", "servicecatalog", "efs"))

    code = platform_cmd.main(["destroy", "dev", "--auto-approve", "--allow-domain-replacement", *args])
    out, err = capsys.readouterr()
    assert code == 0, err[-4000:]
    assert (f"launched: terminated provisioned product {launched['dev']['project']} "
            f"({launched['dev']['provisioned_product_id']}, product ") in err
    assert "launched: deleted app JupyterServer/default of user alice (was InService)" in err
    assert "launched: deleted app JupyterLab/default of space alice-lab (was InService)" in err
    assert "launched: deleted private space alice-lab of alice and its storage" in err
    assert "[platform] destroy: Destroy complete!" in err
    assert emr.describe_cluster(ClusterId=launched["dev"]["cluster_id"])["Cluster"]["Status"]["State"] == "TERMINATED"
    # Nothing of iso: its cluster, provisioned product, apps, space, domain and home EFS.
    assert launched["iso"]["provisioned_product_id"] not in err
    assert emr.describe_cluster(ClusterId=launched["iso"]["cluster_id"])["Cluster"]["Status"]["State"] in (
        "STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING")
    kept = catalog.scan_provisioned_products(AccessLevelFilter={"Key": "Account", "Value": "self"})[
        "ProvisionedProducts"]
    assert [(pp["Id"], pp["Status"]) for pp in kept] == [(launched["iso"]["provisioned_product_id"], "AVAILABLE")]
    untouched(sm, iso, "dora")
    assert [d["DomainName"] for d in sm.list_domains()["Domains"]] == ["ml-iso"]
    home = launched["iso"]["outputs"]["home_efs_id"]
    assert len(efs.describe_mount_targets(FileSystemId=home)["MountTargets"]) == 2
