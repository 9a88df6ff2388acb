"""`scripts/platform journey prod --stack emr-account` (issue 12, part 3): with the platform stack applied
in the domain's account and the emr-account stack in the EMR account (111122223333, a second account of the
one emulator), AWS's Studio clients list and connect to a cluster of the EMR account through the assumable
role; the journey fails, naming the call, when the Studio role may no longer assume it."""
import json

import pytest

from scripts import platform_cmd
from scripts.emulator import persistent as emulator_persistent

pytestmark = [pytest.mark.emulator, pytest.mark.applies]
REGION = "eu-west-1"  # workspaces/prod.tfvars.json
STUDIO_ROLE = "ml-prod-eu-west-1-studio-execution"
ASSUMABLE = "arn:aws:iam::111122223333:role/ml-prod-emr-eu-west-1-studio-assumable"
POLICY = "emr-assumable-roles"  # modules/iam.py grant_assumable_roles


@pytest.fixture(scope="module")
def first_run(repo_root, synthesized_dir):
    """The first journey, which applies both stacks of prod on a persistent emulator (the tests' own)."""
    outdir = ["--outdir", str(synthesized_dir.parent.parent), "--no-synth"]
    emu, _ = emulator_persistent.up(repo_root, REGION)
    try:
        yield emu, outdir
    finally:
        emulator_persistent.down(repo_root)


def _journey(outdir, capsys):
    code = platform_cmd.main(["journey", "prod", "--stack", "emr-account", *outdir])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_real_clients_connect_to_a_cluster_of_the_emr_account(first_run, capsys):
    emu, outdir = first_run
    code, out, err = _journey(outdir, capsys)
    assert code == 0, err[-4000:]
    assert "journey prod: all 7 steps passed" in out
    assert f"  1. the domain offers {ASSUMABLE} (EmrSettings.AssumableRoleArns); its trust names " \
           f"arn:aws:iam::123456789012:role/{STUDIO_ROLE}" in out
    assert "assumed-role/ml-prod-emr-eu-west-1-studio-assumable/SagemakerAssumableSession: account 111122223333" in out
    assert "  2. Studio shows 1 EMR product(s): ml-prod-emr-spark-livy-cluster" in out
    # The analytics extension's cross-account path: AssumeRole, then the cluster in the other account.
    for call in ("sts:AssumeRole  (connect, sagemaker_studio_analytics_extension/utils/boto_client_utils.py",
                 "elasticmapreduce:DescribeCluster  (connect, sagemaker_studio_sparkmagic_lib/emr.py",
                 "sts:AssumeRole  (cluster_view, sagemaker_jupyterlab_emr_extension/utils/utils.py",
                 "elasticmapreduce:ListClusters  (cluster_view"):
        assert call in out, call
    assert f"the EMR extension offers the assumable role {ASSUMABLE} (fetch-emr-roles)" in out
    # The EMR account's VPC (vpc_cidr 10.40.0.0/16 in workspaces/emr-account/prod.tfvars.json).
    assert "Livy endpoint the notebook would open, in account 111122223333: http://ip-10-40-" in out
    for cidr in ("10.30.0.0/19", "10.30.32.0/19", "10.30.64.0/19"):
        assert f"admits the domain's subnet {cidr} on 8998 (Livy)" in out
        assert f"admits the domain's subnet {cidr} on 10000 (HiveServer2)" in out
    assert f"  6. allowed  sts:AssumeRole  on {ASSUMABLE}  (as the Studio role)" in out
    assert "  6. allowed  elasticmapreduce:DescribeCluster  on arn:aws:elasticmapreduce:eu-west-1:111122223333:" \
           "cluster/j-" in out
    assert "TERMINATED, its stack deleted" in out


def test_the_journey_fails_when_the_studio_role_may_not_assume_the_role(first_run, capsys):
    emu, outdir = first_run
    iam = emu.client("iam", REGION)  # the domain's account (moto's default)
    document = iam.get_role_policy(RoleName=STUDIO_ROLE, PolicyName=POLICY)["PolicyDocument"]
    iam.delete_role_policy(RoleName=STUDIO_ROLE, PolicyName=POLICY)
    try:
        code, out, err = _journey(outdir, capsys)
    finally:
        iam.put_role_policy(RoleName=STUDIO_ROLE, PolicyName=POLICY, PolicyDocument=json.dumps(document))
    assert code == 1
    assert "journey prod: all 7 steps passed" not in out
    assert "journey step 'check the roles' permissions' failed at sts:AssumeRole" in err
    assert f"denied to the Studio execution role: sts:AssumeRole on {ASSUMABLE}" in err
    assert "after the failure: terminated pp-" in err  # the cluster goes all the same
