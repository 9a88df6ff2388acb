"""`journey prod --stack emr-account` (issue 12 part 3) on a copy of the run's applied prod
(tests/journeys.py): it applies the emr-account stack in the EMR account (111122223333, a
second account of the one emulator) beside the applied platform stack; AWS's Studio clients
list and connect to a cluster there through the assumable role, and the journey fails, naming
the call, when the Studio role may no longer assume it. That stack then re-plans without
changes and destroys to nothing. The tests run in file order."""
import json

import pytest
import terraform_runs

from journeys import REGION, ROLE, WORKSPACE, journey
from scripts.repo import EMR_ACCOUNT_STACK

pytestmark = [pytest.mark.emulator, pytest.mark.applies]
ASSUMABLE = "arn:aws:iam::111122223333:role/ml-prod-emr-eu-west-1-studio-assumable"
ASSUMABLE_POLICY = "emr-assumable-roles"  # modules/iam.py grant_assumable_roles


def test_the_real_clients_connect_to_a_cluster_of_the_emr_account(applied_prod, capsys):
    emu, outdir = applied_prod
    code, out, err = journey(outdir, capsys, "--stack", EMR_ACCOUNT_STACK)
    assert code == 0, err[-4000:]
    assert "journey prod: all 7 steps passed" in out
    assert "apply: Apply complete! Resources: 98 added, 0 changed, 0 destroyed." in out  # the emr-account stack
    assert f"  1. the domain offers {ASSUMABLE} (EmrSettings.AssumableRoleArns); its trust names " \
           f"arn:aws:iam::123456789012:role/{ROLE}" in out
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


def test_the_journey_fails_when_the_studio_role_may_not_assume_the_role(applied_prod, capsys):
    emu, outdir = applied_prod
    iam = emu.client("iam", REGION)  # the domain's account (moto's default)
    document = iam.get_role_policy(RoleName=ROLE, PolicyName=ASSUMABLE_POLICY)["PolicyDocument"]
    iam.delete_role_policy(RoleName=ROLE, PolicyName=ASSUMABLE_POLICY)
    try:
        code, out, err = journey(outdir, capsys, "--stack", EMR_ACCOUNT_STACK)
    finally:
        iam.put_role_policy(RoleName=ROLE, PolicyName=ASSUMABLE_POLICY, PolicyDocument=json.dumps(document))
    assert code == 1
    assert "journey prod: all 7 steps passed" not in out
    assert "journey step 'check the roles' permissions' failed at sts:AssumeRole" in err
    assert f"denied to the Studio execution role: sts:AssumeRole on {ASSUMABLE}" in err
    assert "after the failure: terminated pp-" in err  # the cluster goes all the same


def test_the_emr_account_stack_replans_without_changes_and_destroys_in_the_second_account(applied_prod, repo_root):
    """The emr-account stack the journey applied (98 resources): a second plan finds nothing to change, and
    its destroy leaves nothing in its state."""
    emu, outdir = applied_prod
    terraform = terraform_runs.cli_stack(repo_root, emu, EMR_ACCOUNT_STACK, REGION)
    var_file = f"-var-file={repo_root / 'workspaces' / EMR_ACCOUNT_STACK / 'prod.tfvars.json'}"
    applied = [a for a in terraform.run(["state", "list"], workspace=WORKSPACE).stdout.split()
               if not a.startswith("data.")]
    assert len(applied) == 98, applied
    replan = terraform.run(["plan", "-input=false", "-detailed-exitcode", var_file], workspace=WORKSPACE,
                           check=False)
    assert replan.returncode == 0, replan.stdout[-3000:]
    terraform.run(["destroy", "-input=false", "-auto-approve", var_file], workspace=WORKSPACE)
    left = terraform.run(["state", "list"], workspace=WORKSPACE, check=False).stdout.split()
    assert [a for a in left if not a.startswith("data.")] == []
