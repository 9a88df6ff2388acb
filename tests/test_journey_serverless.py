"""`scripts/platform journey prod` with prod's EMR Serverless application (issue 12 part 2), on prod applied
on the tests' persistent emulator once for the module: the serverless steps pass with AWS's client code up to
the Livy endpoint, and fail, naming the step and the call, when the Studio role loses the Livy endpoint or the
application loses it; the destroy stops the application the journey left STARTED, then deletes it.

Its own module fixture for now (tests/test_journey.py applies dev; issue 12 part 1 moves it to prod): the two
can share one applied prod once both parts are merged. The tests run in file order (the last one destroys)."""
import json

import pytest

from scripts import emulator_persistent, platform_cmd

pytestmark = [pytest.mark.emulator, pytest.mark.applies]
REGION = "eu-west-1"  # workspaces/prod.tfvars.json
ROLE = "ml-prod-eu-west-1-studio-execution"


def _runtime_role(repo_root) -> str:
    """The ARN of the runtime role of prod's application, as the workspace file names it."""
    (app,) = json.loads((repo_root / "workspaces" / "prod.tfvars.json").read_text())[
        "emr_serverless_applications"].values()
    return f"arn:aws:iam::123456789012:role/ml-prod-{REGION}-rt-{app['runtime_role']}"


@pytest.fixture(scope="module")
def applied_prod(repo_root, synthesized_dir):
    """prod applied on a persistent emulator (the tests' own: see conftest), and the CLI arguments to reuse."""
    outdir = ["--outdir", str(synthesized_dir.parent.parent), "--no-synth"]
    emu, _ = emulator_persistent.up(repo_root, REGION)
    try:
        assert platform_cmd.main(["apply", "prod", "--auto-approve", *outdir]) == 0
        yield emu, outdir
    finally:
        emulator_persistent.down(repo_root)


def _journey(outdir, capsys):
    code = platform_cmd.main(["journey", "prod", *outdir])
    out, err = capsys.readouterr()
    return code, out, err


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
    assert f"allowed  iam:PassRole  on {role}" in out
    assert "denied   emr-serverless:AccessLivyEndpoints  on an application of another domain" in out
    assert _application(emu)["state"] == "STARTED"  # as a user leaves it
    # Both JupyterLab spaces the journey opened (the cluster's and the application's) are closed.
    assert emu.client("sagemaker", REGION).list_spaces()["Spaces"] == []


def test_the_journey_fails_when_the_role_loses_the_livy_endpoint(applied_prod, capsys):
    emu, outdir = applied_prod
    iam = emu.client("iam", REGION)
    original = iam.get_role_policy(RoleName=ROLE, PolicyName="emr-serverless")["PolicyDocument"]
    reduced = json.loads(json.dumps(original))
    for statement in reduced["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        statement["Action"] = [a for a in actions if a != "emr-serverless:AccessLivyEndpoints"]
    iam.put_role_policy(RoleName=ROLE, PolicyName="emr-serverless", PolicyDocument=json.dumps(reduced))
    try:
        code, out, err = _journey(outdir, capsys)
    finally:
        iam.put_role_policy(RoleName=ROLE, PolicyName="emr-serverless", PolicyDocument=json.dumps(original))
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
