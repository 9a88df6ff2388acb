"""`scripts/platform journey prod` with AWS's Studio clients, on a copy of the run's applied prod
(tests/journeys.py): the journey passes, alice connecting with her team's runtime role and
denied the other team's, and fails, naming the step and the call, when the Studio role loses a
permission the clients need, when the product loses its visibility tag, when the Livy rule
goes, or when a user may get credentials of a role not given them. Its EMR Serverless steps:
tests/test_journey_serverless.py; EMR in another account: tests/test_journey_emr_account.py.
The loop test runs the journey inside `loop dev --journey` too."""
import pytest

from journeys import REGION, journey, journey_with_policy, no_cluster_left, without, without_source_identity
from scripts.journey import clients
from scripts.journey.steps import VISIBILITY_TAG, studio_clients_python

pytestmark = [pytest.mark.emulator, pytest.mark.applies]


def test_the_journey_passes_with_aws_studio_clients(applied_prod, capsys):
    emu, outdir = applied_prod
    code, out, err = journey(outdir, capsys)
    assert code == 0, err[-4000:]
    assert "journey prod: all 9 steps passed" in out
    assert "  1. Studio shows 1 EMR product(s): ml-prod-spark-livy-cluster" in out
    assert "record" in out and "SUCCEEDED, cluster j-" in out
    # The real clients' calls, with where in their code each was made.
    for call in ("elasticmapreduce:DescribeCluster  (aimed at https://elasticmapreduce.eu-west-1.amazonaws.com",
                 "sagemaker_studio_sparkmagic_lib/emr.py", "sagemaker_jupyterlab_emr_extension/clients.py",
                 "sagemaker_studio_analytics_extension/magics/sagemaker_analytics.py"):
        assert call in out, call
    assert "Livy endpoint the notebook would open: http://ip-10-30-" in out and ":8998/sessions" in out
    assert "no Livy server runs here" in out
    assert "admits Studio group" in out and "on 8998 (Livy)" in out and "on 10000 (HiveServer2)" in out
    # The call the issue found missing from the role is made, and allowed now.
    assert "  5. allowed  elasticmapreduce:DescribeSecurityConfiguration  on *" in out
    assert "DENIED" not in out
    # Runtime roles: alice (team-a) connects through the client's runtime-role path, and the policy
    # check finds team-b's role denied to her session.
    team_a, team_b = (f"arn:aws:iam::123456789012:role/ml-prod-eu-west-1-rt-{t}" for t in ("team-a", "team-b"))
    assert f"  3. alice connected with runtime role {team_a}" in out
    assert ("ok       elasticmapreduce:GetClusterSessionCredentials  (aimed at https://elasticmapreduce.eu-west-1."
            "amazonaws.com; connect, sagemaker_studio_analytics_extension/resource/emr/auth.py") in out
    assert "  5. allowed  elasticmapreduce:GetClusterSessionCredentials  on arn:aws:elasticmapreduce:" in out
    assert f"for runtime role {team_a}\n" in out
    assert f"for runtime role {team_b} (not offered to alice), as expected" in out
    assert "terminated pp-" in out and "TERMINATED, its stack deleted" in out
    for number in range(1, 10):
        assert f"[platform] journey {number}/9: " in err and "done in" in err
    no_cluster_left(emu)
    # Each run of the clients removes its scratch folders (sparkmagic's, IPython's, the metadata file).
    assert not any(clients.shared(str(studio_clients_python()), emu.url).tmpdir.iterdir())


def test_the_journey_fails_when_the_role_loses_a_permission_the_clients_need(applied_prod, capsys):
    emu, outdir = applied_prod
    code, out, err = journey_with_policy(emu, outdir, capsys, "emr-discovery",
                                          without("elasticmapreduce:DescribeSecurityConfiguration"))
    assert code == 1
    assert ("journey step 'check the role's permissions' failed at elasticmapreduce:DescribeSecurityConfiguration"
            in err)
    assert "sagemaker_studio_sparkmagic_lib/emr.py" in err  # where the client made it
    assert "Next: allow elasticmapreduce:DescribeSecurityConfiguration to the Studio execution role" in err
    assert "after the failure: terminated pp-" in err  # what the journey launched is gone all the same
    no_cluster_left(emu)


def test_the_journey_fails_when_the_product_loses_its_visibility_tag(applied_prod, capsys):
    emu, outdir = applied_prod
    catalog = emu.client("servicecatalog", REGION)
    product = catalog.search_products_as_admin()["ProductViewDetails"][0]["ProductViewSummary"]["ProductId"]
    catalog.update_product(Id=product, RemoveTags=[VISIBILITY_TAG[0]])
    try:
        code, out, err = journey(outdir, capsys)
    finally:
        catalog.update_product(Id=product, AddTags=[{"Key": VISIBILITY_TAG[0], "Value": VISIBILITY_TAG[1]}])
    assert code == 1
    assert "journey step 'find the EMR products' failed at servicecatalog:SearchProducts" in err
    assert "Studio would show 0 EMR product(s)" in err and f"with tag {VISIBILITY_TAG[0]} = true" in err


def test_the_journey_fails_when_the_livy_rule_is_removed(applied_prod, capsys):
    emu, outdir = applied_prod
    ec2 = emu.client("ec2", REGION)
    rules = ec2.describe_security_group_rules()["SecurityGroupRules"]
    livy = [r for r in rules if not r["IsEgress"] and r.get("FromPort") == 8998]
    assert len(livy) == 1, livy
    rule = livy[0]
    ec2.revoke_security_group_ingress(GroupId=rule["GroupId"], SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])
    try:
        code, out, err = journey(outdir, capsys)
    finally:
        ec2.authorize_security_group_ingress(GroupId=rule["GroupId"], IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 8998, "ToPort": 8998,
            "UserIdGroupPairs": [{"GroupId": rule["ReferencedGroupInfo"]["GroupId"]}]}])
    assert code == 1
    assert "journey step 'connect a notebook' failed" in err
    assert f"does not admit the Studio group {rule['ReferencedGroupInfo']['GroupId']} on 8998" in err
    no_cluster_left(emu)


def test_the_journey_fails_when_a_user_may_get_credentials_of_a_role_not_given_them(applied_prod, capsys):
    emu, outdir = applied_prod
    # team-b's role, for carol's sessions only
    code, out, err = journey_with_policy(emu, outdir, capsys, f"ml-prod-{REGION}-studio-rt-team-b",
                                          without_source_identity(["carol"]))
    assert code == 1
    assert ("journey step 'check the role's permissions' failed at elasticmapreduce:GetClusterSessionCredentials: "
            "alice's session may get the cluster's credentials for runtime role team-b") in err
    assert "after the failure: terminated pp-" in err
    no_cluster_left(emu)
