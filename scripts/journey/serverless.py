"""The journey's EMR Serverless steps (issue 12, part 2), for a workspace with applications.

What a data scientist's Studio does with an EMR Serverless application, run by
AWS's own client packages in studio-clients/.venv as the Studio execution role:

- connect: the JupyterLab EMR extension's serverless view (``list-applications``,
  ``get-application``) and the cell it injects,
  ``%sm_analytics emr-serverless connect --application-id ... --emr-execution-role-arn ...``:
  StartApplication, GetApplication until STARTED, then sparkmagic's Livy session
  at ``https://<id>.livy.emr-serverless-services.<region>.amazonaws.com``, signed
  with SigV4 for emr-serverless and naming the runtime role (recorded, not sent:
  no Livy server is part of this) (:func:`connect_application`);
- the network path: the application runs in the domain's private subnets behind
  its own group, and the VPC has private-DNS interface endpoints for
  emr-serverless and its Livy endpoint that admit Studio on 443
  (:func:`check_network`);
- the permissions: every call above, the Livy endpoint's own action
  (``emr-serverless:AccessLivyEndpoints``) and the pass of the runtime role
  (``iam:PassRole`` to emr-serverless.amazonaws.com), allowed by the role's
  policies in the policy simulator in the session of a user given the
  application's runtime role, and denied in the session of every user not given
  it (:func:`check_permissions`).

The application is left STARTED, as a user leaves it: the destroy that follows
(``scripts/platform loop``) must stop it first (scripts/serverless_apps.py).
"""
from __future__ import annotations

from modules.input_rules import SERVERLESS_INTERFACE_ENDPOINTS as ENDPOINTS
from scripts.journey.steps import Journey, JourneyFailure, close_jupyterlab, open_jupyterlab

SERVICE = "emr-serverless.amazonaws.com"
# What the Studio role may do only in the sessions of the users given the application's runtime role
# (modules/emr_runtime_roles.py grant_serverless).
PER_RUNTIME_ROLE = ("emr-serverless:StartApplication", "emr-serverless:AccessLivyEndpoints",
                    "emr-serverless:GetDashboardForJobRun", "iam:PassRole")
HTTPS_PORT = 443


def applications(outputs: dict) -> dict:
    """name => application id of the workspace's EMR Serverless applications (its output)."""
    return dict(outputs.get("emr_serverless_application_ids") or {})


def livy_endpoint(application_id: str, region: str) -> str:
    """Where AWS serves an application's Livy endpoint (EMR Serverless User Guide, "Interactive
    workloads through Livy endpoint"), as the analytics extension builds it."""
    return f"https://{application_id}.livy.emr-serverless-services.{region}.amazonaws.com"


def connect_application(j: Journey) -> list[str]:
    """The serverless view and ``%sm_analytics emr-serverless connect`` of the first application."""
    from scripts.journey import clients

    step = "connect to EMR Serverless"
    name, app_id = sorted(applications(j.outputs).items())[0]
    role_arn = (j.outputs.get("emr_serverless_runtime_role_arns") or {}).get(name)
    if not role_arn:
        raise JourneyFailure(step, "outputs", f"no runtime role for application {name}",
                             "the emr_serverless_runtime_role_arns output names each application's role (main.py)")
    # A JupyterLab of its own, closed here; the cluster steps' one stays for their last step to close.
    earlier = j.found.pop("space", None)
    metadata = open_jupyterlab(j)
    try:
        result = clients.run(j.emulator.url, j.region, j.credentials, None, application_id=app_id,
                             emr_execution_role_arn=role_arn, ca_bundle=str(j.emulator.ca_bundle),
                             process=j.client_process(), resource_metadata=metadata)
    finally:
        close_jupyterlab(j)
        if earlier:
            j.found["space"] = earlier
    j.found.update(serverless_app=(name, app_id, role_arn), serverless_calls=result.get("aws_calls", []))
    lines = [f"{c['outcome'] or 'not sent':<8} {c['iam_action']}  ({c['phase']}, {c.get('caller') or '?'})"
             for c in j.found["serverless_calls"]]
    if result.get("refused"):
        raise JourneyFailure(step, "network guard", f"the clients tried to leave loopback: {result['refused']}",
                             "read scripts/journey/clients/netguard.py")
    failed = next((c for c in j.found["serverless_calls"] if c["outcome"] not in ("ok", None)), None)
    livy = (result.get("connect") or {}).get("livy_requests") or []
    if not result.get("connect_ok") or not livy:
        why = "; ".join(result.get("errors", [])) or (result.get("process") or {}).get("stderr_tail", "")
        raise JourneyFailure(step, failed["iam_action"] if failed else "Livy endpoint", why,
                             "see the calls above and modules/emr_serverless.py, modules/iam.py")
    session = livy[0]
    expected = livy_endpoint(app_id, j.region)
    conf = (session.get("body") or {}).get("conf") or {}
    problems = []
    if not session["url"].startswith(expected):
        problems.append(f"the Livy request went to {session['url']}, not {expected}")
    if session.get("signed_for") != f"{j.region}/emr-serverless":
        problems.append(f"the Livy request is signed for {session.get('signed_for')}, not {j.region}/emr-serverless")
    if conf.get("emr-serverless.session.executionRoleArn") != role_arn:
        problems.append(f"the session names runtime role {conf.get('emr-serverless.session.executionRoleArn')}, "
                        f"not {role_arn}")
    state = j.emulator.client("emr-serverless", j.region).get_application(applicationId=app_id)["application"]
    if state["state"] != "STARTED":
        problems.append(f"application {app_id} is {state['state']} after the connect, not STARTED")
    if problems:
        raise JourneyFailure(step, "Livy endpoint", "; ".join(problems),
                             "compare with sagemaker_studio_analytics_extension's emr_serverless path")
    view = (result.get("cluster_view") or {}).get("steps") or []
    listed = next((s for s in view if s["route"].endswith("list-applications")), {"reply": {}})
    shown = [a["name"] for a in (listed.get("reply") or {}).get("applications", [])]
    lines.append(f"the EMR Serverless tab lists {', '.join(shown) or 'nothing'}; "
                 + ", ".join(f"{s['route']} HTTP {s['status']}" for s in view))
    lines.append(f"application {state['name']} ({app_id}) STARTED; the notebook opens a Livy session: "
                 f"{session['method']} {session['url']} signed for {session['signed_for']}, runtime role {role_arn} "
                 "(recorded, not sent: no Livy server runs here)")
    return lines


def check_network(j: Journey) -> list[str]:
    """The application's subnets and group, and the interface endpoints Studio reaches it through."""
    step = "check the EMR Serverless network path"
    _, app_id, _ = j.found["serverless_app"]
    app = j.emulator.client("emr-serverless", j.region).get_application(applicationId=app_id)["application"]
    ec2 = j.emulator.client("ec2", j.region)
    network = app.get("networkConfiguration") or {}
    if set(network.get("subnetIds") or []) != set(j.outputs["private_subnet_ids"]):
        raise JourneyFailure(step, "emr-serverless:GetApplication",
                             f"application subnets {network.get('subnetIds')} are not the private subnets "
                             f"{j.outputs['private_subnet_ids']}", "modules/emr_serverless.py network_configuration")
    if not (app.get("interactiveConfiguration") or {}).get("livyEndpointEnabled"):
        raise JourneyFailure(step, "emr-serverless:GetApplication", "the Livy endpoint is not enabled",
                             "interactive_configuration.livy_endpoint_enabled (modules/emr_serverless.py)")
    vpc = j.outputs["vpc_id"]
    endpoints = {e["ServiceName"].split(f"com.amazonaws.{j.region}.", 1)[-1]: e for e in ec2.describe_vpc_endpoints(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}])["VpcEndpoints"]}
    lines = [f"application {app_id} in subnets {', '.join(network['subnetIds'])}, groups "
             f"{', '.join(network.get('securityGroupIds') or [])}; Livy endpoint enabled"]
    studio = j.outputs["studio_security_group_id"]
    for service in ENDPOINTS:
        endpoint = endpoints.get(service)
        if endpoint is None or not endpoint.get("PrivateDnsEnabled"):
            raise JourneyFailure(step, "ec2:DescribeVpcEndpoints", f"no interface endpoint with private DNS for "
                                 f"com.amazonaws.{j.region}.{service} in {vpc}",
                                 "main.py adds it to the interface endpoints while applications exist")
        groups = [g["GroupId"] for g in endpoint.get("Groups", [])]
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": groups}])[
            "SecurityGroupRules"]
        admitting = [r["SecurityGroupRuleId"] for r in rules if not r["IsEgress"] and
                     (r.get("ReferencedGroupInfo") or {}).get("GroupId") == studio and
                     r["IpProtocol"] == "tcp" and r["FromPort"] <= HTTPS_PORT <= r["ToPort"]]
        if not admitting:
            raise JourneyFailure(step, "ec2:DescribeSecurityGroupRules",
                                 f"the endpoint {endpoint['VpcEndpointId']} ({service}) does not admit the Studio "
                                 f"group {studio} on 443", "modules/security_groups.py endpoints_from_studio")
        lines.append(f"endpoint {endpoint['VpcEndpointId']} com.amazonaws.{j.region}.{service} (private DNS) admits "
                     f"Studio on 443: rule {', '.join(admitting)}")
    return lines


def check_permissions(j: Journey) -> list[str]:
    """Every call the connect made as the role, plus the Livy session's own authorization, in the
    policy simulator (scripts/journey/policy_check.py)."""
    from scripts.journey.policy_check import verdicts

    step = "check the EMR Serverless permissions"
    _, app_id, role_arn = j.found["serverless_app"]
    app = j.emulator.client("emr-serverless", j.region).get_application(applicationId=app_id)["application"]
    sent = [c for c in j.found["serverless_calls"] if c.get("sent_to")]
    # The Livy session: AccessLivyEndpoints on the application, and the pass of the runtime role it names.
    livy = [{"iam_action": "emr-serverless:AccessLivyEndpoints", "params": {"applicationId": app_id},
             "phase": "livy"},
            {"iam_action": "iam:PassRole", "params": {"RoleArn": role_arn, "PassedToService": SERVICE},
             "phase": "livy"}]
    given, others = _users_of(j, role_arn)
    user = given[0] if given else None
    results = verdicts(j, sent + livy, app.get("tags") or {}, source_identity=user)
    denied = [v for v in results if not v["allowed"]]
    if denied:
        raise JourneyFailure(step, denied[0]["action"], f"denied to {user or 'the Studio execution role'}'s session: "
                             + "; ".join(f"{v['action']} on {v['resource']}" for v in denied),
                             "modules/iam.py grant_emr_serverless, modules/emr_runtime_roles.py grant_serverless")
    as_user = f" as {user}" if user else ""
    lines = [f"allowed  {v['action']}  on {v['resource']}{as_user}" for v in results]
    # What runs as the runtime role (listing and describing the domain's applications is every user's).
    per_role = [c for c in sent + livy if c["iam_action"] in PER_RUNTIME_ROLE]
    return lines + _not_given_denied(j, step, per_role, app, role_arn, others) + _other_application_denied(j, app, user)


def _users_of(j: Journey, role_arn: str) -> tuple[list[str], list[str]]:
    """(users Studio offers the runtime role ``role_arn``, the other users), from the workspace's outputs
    (``user_emr_runtime_roles`` lists the default runtime roles too)."""
    name = next((n for n, a in (j.outputs.get("emr_runtime_role_arns") or {}).items() if a == role_arn), None)
    offered = j.outputs.get("user_emr_runtime_roles") or {}
    given = sorted(u for u, roles in offered.items() if name in (roles or []))
    return given, sorted(set(offered) - set(given))


def _not_given_denied(j: Journey, step: str, calls: list[dict], app: dict, role_arn: str,
                      others: list[str]) -> list[str]:
    """Per-user runtime roles (issue 12 part 1's model): a user not given the application's runtime role
    may neither start it, open its Livy endpoint nor pass its role, so cannot run as it."""
    from scripts.journey.policy_check import verdicts

    lines = []
    for user in others:
        results = verdicts(j, calls, app.get("tags") or {}, source_identity=user)
        allowed = [v for v in results if v["allowed"]]
        if allowed:
            raise JourneyFailure(step, allowed[0]["action"], f"{user}'s session may {allowed[0]['action']} on "
                                 f"{allowed[0]['resource']}, but Studio does not offer {user} the application's "
                                 f"runtime role {role_arn}",
                                 "the Studio role's managed policy of each runtime role (<prefix>-studio-rt-<role>) "
                                 "must condition its EMR Serverless statements on the users given it "
                                 "(modules/emr_runtime_roles.py grant_serverless)")
        lines += [f"denied   {v['action']}  on {v['resource']} as {user} (not given runtime role {role_arn}), "
                  "as expected" for v in results]
    return lines


def _other_application_denied(j: Journey, app: dict, user: str | None) -> list[str]:
    """Least privilege: the same calls on an application of another domain (its tag) are denied."""
    from scripts.journey.policy_check import verdicts

    other = {**(app.get("tags") or {}), "sagemaker:domain-arn": app["tags"]["sagemaker:domain-arn"] + "-other"}
    calls = [{"iam_action": f"emr-serverless:{a}", "params": {"applicationId": "00000000000000other"}}
             for a in ("StartApplication", "GetApplication", "AccessLivyEndpoints")]
    results = verdicts(j, calls, other, source_identity=user)
    allowed = [v["action"] for v in results if v["allowed"]]
    if allowed:
        raise JourneyFailure("check the EMR Serverless permissions", allowed[0],
                             f"allowed on another domain's application: {allowed}",
                             "scope grant_emr_serverless by the sagemaker:domain-arn tag (modules/iam.py)")
    return [f"denied   {v['action']}  on an application of another domain (tag sagemaker:domain-arn)"
            for v in results]
