"""`scripts/platform journey` on an applied prod workspace (the persistent
emulator, applied once for the module and shared by every journey here; prod
has EMR runtime roles, an EMR Serverless application and an EMR account, dev
is the blog post's setup).

- The journey passes, alice connecting with her team's runtime role and denied
  the other team's, and fails, naming the step and the call, when the Studio
  role loses a permission the clients need, when the product loses its
  visibility tag, or when the Livy rule goes.
- Its EMR Serverless steps (issue 12 part 2) pass with AWS's client code up to
  the Livy endpoint, and fail when the Studio role loses the Livy endpoint,
  when the application loses it, or when a user not given the application's
  runtime role may use it.
- `journey prod --stack emr-account` (issue 12 part 3) applies the emr-account
  stack in the EMR account (111122223333, a second account of the one
  emulator) beside the applied platform stack; AWS's Studio clients list and
  connect to a cluster there through the assumable role, and the journey fails,
  naming the call, when the Studio role may no longer assume it. That stack
  then re-plans without changes and destroys to nothing.
- The destroy stops the application the journey left STARTED, then deletes it.

The tests run in file order (the last one destroys). One apply of prod serves
them all: an apply is a minute or more, a journey about 20 s. The loop test
runs the journey inside `loop dev --journey` too."""
import json

import pytest
import terraform_runs

from scripts import platform_cmd
from scripts.emulator import persistent as emulator_persistent
from scripts.repo import EMR_ACCOUNT_STACK
from scripts.journey.steps import VISIBILITY_TAG

pytestmark = [pytest.mark.emulator, pytest.mark.applies]
REGION = "eu-west-1"  # workspaces/prod.tfvars.json
WORKSPACE = "prod"
ROLE = "ml-prod-eu-west-1-studio-execution"
ASSUMABLE = "arn:aws:iam::111122223333:role/ml-prod-emr-eu-west-1-studio-assumable"
ASSUMABLE_POLICY = "emr-assumable-roles"  # modules/iam.py grant_assumable_roles


@pytest.fixture(scope="module")
def applied_prod(repo_root, synthesized_dir):
    """prod applied on a persistent emulator (the tests' own: see conftest), and the CLI arguments to reuse."""
    outdir = ["--outdir", str(synthesized_dir.parent.parent), "--no-synth"]
    emu, _ = emulator_persistent.up(repo_root, REGION)
    try:
        assert platform_cmd.main(["apply", WORKSPACE, "--auto-approve", *outdir]) == 0
        yield emu, outdir
    finally:
        emulator_persistent.down(repo_root)


def _journey(outdir, capsys, *stack):
    """`scripts/platform journey prod`; ``stack``: ``"--stack", "emr-account"`` for the cross-account one."""
    code = platform_cmd.main(["journey", WORKSPACE, *stack, *outdir])
    out, err = capsys.readouterr()
    return code, out, err


def _journey_with_policy(emu, outdir, capsys, policy: str, change):
    """The journey with the Studio role's policy ``policy`` changed by ``change`` (a function of each
    statement), put back afterwards: an inline policy by its name, or a managed policy attached to the role
    (the runtime roles' grants, ``ml-prod-<region>-studio-rt-<name>``) by a new default version."""
    iam = emu.client("iam", REGION)
    attached = {p["PolicyName"]: p["PolicyArn"]
                for p in iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]}
    if policy in attached:
        arn = attached[policy]
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        original = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    else:
        original = iam.get_role_policy(RoleName=ROLE, PolicyName=policy)["PolicyDocument"]
    changed = json.loads(json.dumps(original))
    for statement in changed["Statement"]:
        change(statement)
    if policy in attached:
        new = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(changed), SetAsDefault=True)
    else:
        iam.put_role_policy(RoleName=ROLE, PolicyName=policy, PolicyDocument=json.dumps(changed))
    try:
        return _journey(outdir, capsys)
    finally:
        if policy in attached:
            iam.set_default_policy_version(PolicyArn=arn, VersionId=version)
            iam.delete_policy_version(PolicyArn=arn, VersionId=new["PolicyVersion"]["VersionId"])
        else:
            iam.put_role_policy(RoleName=ROLE, PolicyName=policy, PolicyDocument=json.dumps(original))


def _without(action: str):
    def change(statement):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        statement["Action"] = [a for a in actions if a != action]
    return change


def _without_source_identity(users: list, sids=None):
    """Drops the users' condition from each statement (of those whose Sid is in ``sids``: default, all)."""
    def change(statement):
        if sids is None or statement["Sid"] in sids:
            assert statement["Condition"]["StringEquals"].pop("aws:SourceIdentity") == users
    return change


def _no_cluster_left(emu):
    emr = emu.client("emr", REGION)
    assert [c["Id"] for c in emr.list_clusters(ClusterStates=["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"])[
        "Clusters"]] == []


def test_the_journey_passes_with_aws_studio_clients(applied_prod, capsys):
    emu, outdir = applied_prod
    code, out, err = _journey(outdir, capsys)
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
    _no_cluster_left(emu)


def test_the_journey_fails_when_the_role_loses_a_permission_the_clients_need(applied_prod, capsys):
    emu, outdir = applied_prod
    code, out, err = _journey_with_policy(emu, outdir, capsys, "emr-discovery",
                                          _without("elasticmapreduce:DescribeSecurityConfiguration"))
    assert code == 1
    assert ("journey step 'check the role's permissions' failed at elasticmapreduce:DescribeSecurityConfiguration"
            in err)
    assert "sagemaker_studio_sparkmagic_lib/emr.py" in err  # where the client made it
    assert "Next: allow elasticmapreduce:DescribeSecurityConfiguration to the Studio execution role" in err
    assert "after the failure: terminated pp-" in err  # what the journey launched is gone all the same
    _no_cluster_left(emu)


def test_the_journey_fails_when_the_product_loses_its_visibility_tag(applied_prod, capsys):
    emu, outdir = applied_prod
    catalog = emu.client("servicecatalog", REGION)
    product = catalog.search_products_as_admin()["ProductViewDetails"][0]["ProductViewSummary"]["ProductId"]
    catalog.update_product(Id=product, RemoveTags=[VISIBILITY_TAG[0]])
    try:
        code, out, err = _journey(outdir, capsys)
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
        code, out, err = _journey(outdir, capsys)
    finally:
        ec2.authorize_security_group_ingress(GroupId=rule["GroupId"], IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 8998, "ToPort": 8998,
            "UserIdGroupPairs": [{"GroupId": rule["ReferencedGroupInfo"]["GroupId"]}]}])
    assert code == 1
    assert "journey step 'connect a notebook' failed" in err
    assert f"does not admit the Studio group {rule['ReferencedGroupInfo']['GroupId']} on 8998" in err
    _no_cluster_left(emu)


def test_the_journey_fails_when_a_user_may_get_credentials_of_a_role_not_given_them(applied_prod, capsys):
    emu, outdir = applied_prod
    # team-b's role, for carol's sessions only
    code, out, err = _journey_with_policy(emu, outdir, capsys, f"ml-prod-{REGION}-studio-rt-team-b",
                                          _without_source_identity(["carol"]))
    assert code == 1
    assert ("journey step 'check the role's permissions' failed at elasticmapreduce:GetClusterSessionCredentials: "
            "alice's session may get the cluster's credentials for runtime role team-b") in err
    assert "after the failure: terminated pp-" in err
    _no_cluster_left(emu)


def _runtime_role(repo_root) -> str:
    """The ARN of the runtime role of prod's application, as the workspace file names it."""
    (app,) = json.loads((repo_root / "workspaces" / "prod.tfvars.json").read_text())[
        "emr_serverless_applications"].values()
    return f"arn:aws:iam::123456789012:role/ml-prod-{REGION}-rt-{app['runtime_role']}"


def _application(emu) -> dict:
    (app,) = [a for a in emu.client("emr-serverless", REGION).list_applications()["applications"]
              if a["name"] == "ml-prod-spark" and a["state"] != "TERMINATED"]
    return app


def test_the_serverless_journey_passes_with_aws_studio_clients(applied_prod, capsys, repo_root):
    emu, outdir = applied_prod
    role = _runtime_role(repo_root)
    code, out, err = _journey(outdir, capsys)
    assert code == 0, err[-4000:]
    assert "journey prod: all 9 steps passed" in out
    app_id = _application(emu)["id"]
    # The extension's serverless view and the analytics magic's connect path, with where each call was made.
    for call in ("emr-serverless:StartApplication  (connect, sagemaker_studio_analytics_extension/resource/"
                 "emr_serverless/emr_s_client.py", "emr-serverless:GetApplication  (connect,",
                 "emr-serverless:ListApplications  (cluster_view, sagemaker_jupyterlab_emr_extension/client/"
                 "emr_serverless_client.py"):
        assert call in out, call
    assert "the EMR Serverless tab lists ml-prod-spark" in out
    assert (f"application ml-prod-spark ({app_id}) STARTED; the notebook opens a Livy session: POST "
            f"https://{app_id}.livy.emr-serverless-services.{REGION}.amazonaws.com/sessions signed for "
            f"{REGION}/emr-serverless, runtime role {role}") in out
    for service in ("emr-serverless", "emr-serverless-services.livy"):
        assert f"com.amazonaws.{REGION}.{service} (private DNS) admits Studio on 443" in out
    assert (f"allowed  emr-serverless:AccessLivyEndpoints  on arn:aws:emr-serverless:{REGION}:123456789012:"
            f"/applications/{app_id}") in out
    assert f"allowed  iam:PassRole  on {role} as alice" in out
    # Per-user runtime roles: carol (team-b) may neither open the Livy endpoint nor pass team-a's role.
    assert f"denied   iam:PassRole  on {role} as carol (not given runtime role {role}), as expected" in out
    assert (f"denied   emr-serverless:AccessLivyEndpoints  on arn:aws:emr-serverless:{REGION}:123456789012:"
            f"/applications/{app_id} as carol") in out
    assert "denied   emr-serverless:AccessLivyEndpoints  on an application of another domain" in out
    assert _application(emu)["state"] == "STARTED"  # as a user leaves it
    # Both JupyterLab spaces the journey opened (the cluster's and the application's) are closed.
    assert emu.client("sagemaker", REGION).list_spaces()["Spaces"] == []


def test_the_journey_fails_when_the_role_loses_the_livy_endpoint(applied_prod, capsys):
    emu, outdir = applied_prod
    # The application's runtime role, for alice's and bob's sessions.
    code, out, err = _journey_with_policy(emu, outdir, capsys, f"ml-prod-{REGION}-studio-rt-team-a",
                                          _without("emr-serverless:AccessLivyEndpoints"))
    assert code == 1
    assert "journey step 'check the EMR Serverless permissions' failed at emr-serverless:AccessLivyEndpoints" in err
    assert "Next: modules/iam.py grant_emr_serverless" in err
    assert "after the failure: terminated pp-" in err  # the cluster of the earlier steps goes all the same


def test_the_journey_fails_when_the_application_has_no_livy_endpoint(applied_prod, capsys):
    emu, outdir = applied_prod
    client = emu.client("emr-serverless", REGION)
    app_id = _application(emu)["id"]
    client.stop_application(applicationId=app_id)  # AWS updates only a stopped application
    client.update_application(applicationId=app_id, interactiveConfiguration={"livyEndpointEnabled": False})
    try:
        code, out, err = _journey(outdir, capsys)
    finally:
        client.stop_application(applicationId=app_id)
        client.update_application(applicationId=app_id, interactiveConfiguration={"livyEndpointEnabled": True,
                                                                                  "studioEnabled": False})
        client.start_application(applicationId=app_id)
    assert code == 1
    assert "journey step 'check the EMR Serverless network path' failed at emr-serverless:GetApplication" in err
    assert "the Livy endpoint is not enabled" in err


def test_the_journey_fails_when_a_user_not_given_the_applications_runtime_role_may_use_it(
        applied_prod, capsys, repo_root):
    emu, outdir = applied_prod
    code, out, err = _journey_with_policy(emu, outdir, capsys, f"ml-prod-{REGION}-studio-rt-team-a",
                                          # the role's EMR Serverless statements only, not its clusters'
                                          _without_source_identity(["alice", "bob"],
                                                                   sids=("UseApplications", "PassRuntimeRole")))
    assert code == 1
    # The connect's first call that runs as the role, in carol's session.
    assert ("journey step 'check the EMR Serverless permissions' failed at emr-serverless:StartApplication: "
            "carol's session may emr-serverless:StartApplication on arn:aws:emr-serverless:") in err
    assert f"but Studio does not offer carol the application's runtime role {_runtime_role(repo_root)}" in err
    assert "after the failure: terminated pp-" in err

# -- EMR in another account (issue 12, part 3) ----------------------------------------------------------
# The platform stack is applied already (applied_prod); the first cross-account journey applies the
# emr-account stack in the EMR account (111122223333, a second account of the one emulator).
def test_the_real_clients_connect_to_a_cluster_of_the_emr_account(applied_prod, capsys):
    emu, outdir = applied_prod
    code, out, err = _journey(outdir, capsys, "--stack", EMR_ACCOUNT_STACK)
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
        code, out, err = _journey(outdir, capsys, "--stack", EMR_ACCOUNT_STACK)
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


def test_the_destroy_stops_the_started_application_first(applied_prod, capsys):
    emu, outdir = applied_prod
    app = _application(emu)
    assert app["state"] == "STARTED"
    code = platform_cmd.main(["destroy", "prod", "--auto-approve", "--allow-domain-replacement", *outdir])
    out, err = capsys.readouterr()
    assert code == 0, err[-4000:]
    assert f"EMR Serverless application ml-prod-spark ({app['id']}): STARTED" in err
    assert f"emr serverless: stopped EMR Serverless application ml-prod-spark ({app['id']}), which was STARTED" in err
    assert "Destroy complete!" in out + err
    state = emu.client("emr-serverless", REGION).get_application(applicationId=app["id"])["application"]["state"]
    assert state == "TERMINATED"
