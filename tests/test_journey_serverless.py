"""The journey's EMR Serverless steps (issue 12 part 2) on a copy of the run's applied prod
(tests/journeys.py): they pass with AWS's client code up to the Livy endpoint, and fail when
the Studio role loses the Livy endpoint, when the application loses it, or when a user not
given the application's runtime role may use it. Then the destroy stops the application the
journey left STARTED, and deletes it. The tests run in file order (the last one destroys)."""
import pytest

from journeys import REGION, application, journey, journey_with_policy, runtime_role, without, without_source_identity
from scripts import platform_cmd

pytestmark = [pytest.mark.emulator, pytest.mark.applies]


def test_the_serverless_journey_passes_with_aws_studio_clients(applied_prod, capsys, repo_root):
    emu, outdir = applied_prod
    role = runtime_role(repo_root)
    code, out, err = journey(outdir, capsys)
    assert code == 0, err[-4000:]
    assert "journey prod: all 9 steps passed" in out
    app_id = application(emu)["id"]
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
    assert application(emu)["state"] == "STARTED"  # as a user leaves it
    # Both JupyterLab spaces the journey opened (the cluster's and the application's) are closed.
    assert emu.client("sagemaker", REGION).list_spaces()["Spaces"] == []


def test_the_journey_fails_when_the_role_loses_the_livy_endpoint(applied_prod, capsys):
    emu, outdir = applied_prod
    # The application's runtime role, for alice's and bob's sessions.
    code, out, err = journey_with_policy(emu, outdir, capsys, f"ml-prod-{REGION}-studio-rt-team-a",
                                          without("emr-serverless:AccessLivyEndpoints"))
    assert code == 1
    assert "journey step 'check the EMR Serverless permissions' failed at emr-serverless:AccessLivyEndpoints" in err
    assert "Next: modules/iam.py grant_emr_serverless" in err
    assert "after the failure: terminated pp-" in err  # the cluster of the earlier steps goes all the same


def test_the_journey_fails_when_the_application_has_no_livy_endpoint(applied_prod, capsys):
    emu, outdir = applied_prod
    client = emu.client("emr-serverless", REGION)
    app_id = application(emu)["id"]
    client.stop_application(applicationId=app_id)  # AWS updates only a stopped application
    client.update_application(applicationId=app_id, interactiveConfiguration={"livyEndpointEnabled": False})
    try:
        code, out, err = journey(outdir, capsys)
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
    code, out, err = journey_with_policy(emu, outdir, capsys, f"ml-prod-{REGION}-studio-rt-team-a",
                                          # the role's EMR Serverless statements only, not its clusters'
                                          without_source_identity(["alice", "bob"],
                                                                   sids=("UseApplications", "PassRuntimeRole")))
    assert code == 1
    # The connect's first call that runs as the role, in carol's session.
    assert ("journey step 'check the EMR Serverless permissions' failed at emr-serverless:StartApplication: "
            "carol's session may emr-serverless:StartApplication on arn:aws:emr-serverless:") in err
    assert f"but Studio does not offer carol the application's runtime role {runtime_role(repo_root)}" in err
    assert "after the failure: terminated pp-" in err

def test_the_destroy_stops_the_started_application_first(applied_prod, capsys):
    emu, outdir = applied_prod
    app = application(emu)
    assert app["state"] == "STARTED"
    code = platform_cmd.main(["destroy", "prod", "--auto-approve", "--allow-domain-replacement", *outdir])
    out, err = capsys.readouterr()
    assert code == 0, err[-4000:]
    assert f"EMR Serverless application ml-prod-spark ({app['id']}): STARTED" in err
    assert f"emr serverless: stopped EMR Serverless application ml-prod-spark ({app['id']}), which was STARTED" in err
    assert "Destroy complete!" in out + err
    state = emu.client("emr-serverless", REGION).get_application(applicationId=app["id"])["application"]["state"]
    assert state == "TERMINATED"
