"""The journey's steps: what a data scientist's Studio does, in order.

Each step takes the :class:`Journey` (the applied workspace's outputs, the
Studio user's session, what earlier steps found), makes its calls as the
Studio execution role, and returns the lines it reports; a failure raises
:class:`JourneyFailure` naming the step, the call and what to change.
"""
from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from scripts.errors import ScriptError

VISIBILITY_TAG = ("sagemaker:studio-visibility:emr", "true")  # modules/emr_catalog.py STUDIO_VISIBILITY_TAG
LIVY_PORT, HIVE_PORT = 8998, 10000
RECORD_TIMEOUT_SECONDS = 120


class JourneyFailure(ScriptError):
    """A step failed; ``str()`` is the whole user-facing message."""

    def __init__(self, step: str, call: str, what: str, fix: str) -> None:
        super().__init__(f"journey step '{step}' failed at {call}: {what}\nNext: {fix}")
        self.step, self.call = step, call


@dataclass
class Journey:
    emulator: object
    region: str
    outputs: dict
    """The workspace's outputs, plain values."""
    session: object
    """boto3 session with the Studio execution role's credentials (calls recorded)."""
    credentials: dict
    record: object
    found: dict = field(default_factory=dict)
    """What the steps found: product, artifact, record, cluster ..."""
    _role_node: object = field(default=None, repr=False)

    def client(self, service: str):
        return self.session.client(service, endpoint_url=self.emulator.url, verify=str(self.emulator.ca_bundle))

    def client_process(self):
        """The process of AWS's client packages each of their runs is a fresh child of
        (``clients.shared``: one for every journey on this emulator in this process)."""
        from scripts.journey import clients

        return clients.shared(str(studio_clients_python()), self.emulator.url)

    def role_node(self):
        """principalmapper's node of the role (``studio_execution_role_arn``) with its policies as the
        emulator holds them (``policy_check.role_node``), read at the first check: nothing in a journey
        changes them."""
        from scripts.journey.policy_check import role_node

        if self._role_node is None:
            self._role_node = role_node(self.emulator.client("iam", self.region),
                                        self.outputs["studio_execution_role_arn"].rsplit("/", 1)[-1])
        return self._role_node


def _error_code(exc) -> str:
    """A botocore ClientError's code and message."""
    error = exc.response.get("Error", {})
    return f"{error.get('Code')}: {error.get('Message')}"


def find_products(j: Journey) -> list[str]:
    """1. The EMR products Studio shows: SearchProducts answers the products of
    the portfolios the role is a principal of; Studio shows those tagged
    ``sagemaker:studio-visibility:emr = true`` (read with DescribeProductAsAdmin,
    which the role's AmazonSageMakerFullAccess allows: servicecatalog:Describe*)."""
    from botocore.exceptions import ClientError

    catalog = j.client("servicecatalog")
    summaries, token = [], None
    try:
        while True:  # botocore has no paginator for SearchProducts
            page = catalog.search_products(**({"PageToken": token} if token else {}))
            summaries += page["ProductViewSummaries"]
            token = page.get("NextPageToken")
            if not token:
                break
    except ClientError as exc:
        raise JourneyFailure("find the EMR products", "servicecatalog:SearchProducts", _error_code(exc),
                             "the Studio execution role must be a principal of the portfolio "
                             "(modules/emr_catalog.py) and may call servicecatalog:SearchProducts") from None
    visible = []
    for summary in summaries:
        tags = catalog.describe_product_as_admin(Id=summary["ProductId"]).get("Tags", [])
        if {"Key": VISIBILITY_TAG[0], "Value": VISIBILITY_TAG[1]} in tags:
            visible.append(summary)
    expected = set((j.outputs.get("product_ids") or {}).values())
    shown = {s["ProductId"] for s in visible}
    if not visible or not expected <= shown:
        names = ", ".join(f"{s['Name']} ({s['ProductId']})" for s in summaries) or "none"
        raise JourneyFailure(
            "find the EMR products", "servicecatalog:SearchProducts",
            f"Studio would show {len(visible)} EMR product(s); the role sees {len(summaries)}: {names}; "
            f"expected {sorted(expected)} with tag {VISIBILITY_TAG[0]} = {VISIBILITY_TAG[1]}",
            "tag every product with sagemaker:studio-visibility:emr = true and associate the Studio execution "
            "role with the portfolio (modules/emr_catalog.py)")
    j.found["products"] = visible
    return [f"Studio shows {len(visible)} EMR product(s): "
            + ", ".join(f"{s['Name']} ({s['ProductId']})" for s in visible)]


def _wait_record(catalog, record_id: str, step: str, call: str) -> dict:
    """DescribeRecord's reply once the record is SUCCEEDED (RecordDetail, RecordOutputs)."""
    from scripts.studio_leftovers import record_outcome

    reply = record_outcome(catalog, record_id, RECORD_TIMEOUT_SECONDS)
    if reply is None:
        raise JourneyFailure(step, call, f"record {record_id} still not done after {RECORD_TIMEOUT_SECONDS}s",
                             "read the emulator's log")
    detail = reply["RecordDetail"]
    if detail["Status"] != "SUCCEEDED":
        errors = "; ".join(f"{e.get('Code')}: {e.get('Description')}" for e in detail.get("RecordErrors", []))
        raise JourneyFailure(step, call, f"record {record_id} FAILED: {errors}",
                             "fix the product template (emr_templates/) or the launch role (modules/iam.py)")
    return reply


def launch_cluster(j: Journey) -> list[str]:
    """2. Launch the product as Studio does: the default version, its launch path,
    the template's parameters with their defaults and SageMakerProjectName/Id."""
    from botocore.exceptions import ClientError

    catalog = j.client("servicecatalog")
    product = j.found["products"][0]
    step = "launch a cluster"
    artifacts = [a for a in catalog.describe_product(Id=product["ProductId"])["ProvisioningArtifacts"]
                 if a.get("Guidance", "DEFAULT") == "DEFAULT"]
    if not artifacts:
        raise JourneyFailure(step, "servicecatalog:DescribeProduct", "the product has no active default version",
                             "check the product's provisioning artifacts (modules/emr_catalog.py)")
    artifact = max(artifacts, key=lambda a: a["CreatedTime"])
    path = catalog.list_launch_paths(ProductId=product["ProductId"])["LaunchPathSummaries"][0]["Id"]
    parameters = catalog.describe_provisioning_parameters(
        ProductId=product["ProductId"], ProvisioningArtifactId=artifact["Id"],
        PathId=path)["ProvisioningArtifactParameters"]
    project = f"journey-{uuid.uuid4().hex[:8]}"
    values = {p["ParameterKey"]: p.get("DefaultValue") for p in parameters}
    values.update({"SageMakerProjectName": project, "SageMakerProjectId": f"p-{uuid.uuid4().hex[:12]}"})
    missing = [k for k, v in values.items() if v is None]
    if missing:
        raise JourneyFailure(step, "servicecatalog:DescribeProvisioningParameters",
                             f"parameters without a default that Studio cannot fill: {missing}",
                             "give every template parameter but SageMakerProjectName/Id a default")
    try:
        record = catalog.provision_product(
            ProductId=product["ProductId"], ProvisioningArtifactId=artifact["Id"], PathId=path,
            ProvisionedProductName=project, ProvisionToken=uuid.uuid4().hex,
            ProvisioningParameters=[{"Key": k, "Value": str(v)} for k, v in values.items()])["RecordDetail"]
    except ClientError as exc:
        raise JourneyFailure(step, "servicecatalog:ProvisionProduct", _error_code(exc),
                             "the role must be a principal of the portfolio and the product must have a launch "
                             "constraint (modules/emr_catalog.py)") from None
    reply = _wait_record(catalog, record["RecordId"], step, "servicecatalog:DescribeRecord")
    detail = reply["RecordDetail"]
    j.found["provisioned_product_id"] = detail["ProvisionedProductId"]  # terminated even if a later step fails
    outputs = {o["OutputKey"]: o["OutputValue"] for o in reply.get("RecordOutputs", [])}
    if "ClusterId" not in outputs:
        raise JourneyFailure(step, "servicecatalog:DescribeRecord", f"no ClusterId among outputs {outputs}",
                             "the template must output ClusterId (emr_templates/)")
    j.found.update(artifact=artifact, provisioned_product_id=detail["ProvisionedProductId"],
                   cluster_id=outputs["ClusterId"], project=project)
    return [f"provisioned {product['Name']} version {artifact['Name']} ({artifact['Id']}) as {project}: "
            f"record {record['RecordId']} SUCCEEDED, cluster {outputs['ClusterId']}",
            "parameters: " + ", ".join(f"{k}={v}" for k, v in sorted(values.items()))]


def _admits(rule: dict, group_id: str, port: int) -> bool:
    referenced = (rule.get("ReferencedGroupInfo") or {}).get("GroupId")
    return (not rule.get("IsEgress") and referenced == group_id and rule.get("IpProtocol") in ("tcp", "-1")
            and (rule.get("IpProtocol") == "-1" or rule["FromPort"] <= port <= rule["ToPort"]))


def check_network(j: Journey) -> list[str]:
    """4. The cluster's master security group admits the Studio group on Livy
    (8998) and HiveServer2 (10000), in the rules the emulator holds."""
    master, studio, rules = _livy_rules(j)
    lines = []
    for port, what in ((LIVY_PORT, "Livy"), (HIVE_PORT, "HiveServer2")):
        matching = [r["SecurityGroupRuleId"] for r in rules if _admits(r, studio, port)]
        if not matching:
            raise JourneyFailure("check the network path", "ec2:DescribeSecurityGroupRules",
                                 f"the master group {master} of cluster {j.found['cluster_id']} does not admit the "
                                 f"Studio group {studio} on {port} ({what})",
                                 f"add an ingress rule on tcp {port} from the Studio group to the EMR master group "
                                 "(modules/security_groups.py)")
        lines.append(f"master group {master} admits Studio group {studio} on {port} ({what}): "
                     f"rule {', '.join(matching)}")
    return lines


def terminate_cluster(j: Journey) -> list[str]:
    """6. Terminate the provisioned product (its calls checked like step 5's);
    the cluster and its stack are gone; the JupyterLab app and space close."""
    from scripts.journey.policy_check import check_calls

    catalog = j.client("servicecatalog")
    checked = len(j.record)
    step = "terminate the cluster"
    record = catalog.terminate_provisioned_product(
        ProvisionedProductId=j.found["provisioned_product_id"], TerminateToken=uuid.uuid4().hex)["RecordDetail"]
    _wait_record(catalog, record["RecordId"], step, "servicecatalog:DescribeRecord")
    check_calls(j, [{"iam_action": c.action, "params": c.params, "phase": "studio"} for c in j.record.since(checked)],
                step)
    state = j.emulator.client("emr", j.region).describe_cluster(
        ClusterId=j.found["cluster_id"])["Cluster"]["Status"]["State"]
    if not state.startswith("TERMINATED"):
        raise JourneyFailure(step, "elasticmapreduce:DescribeCluster", f"cluster {j.found['cluster_id']} is {state}",
                             "the template's cluster must be deleted with the stack (DeletionPolicy: Delete)")
    stacks = [s for s in j.emulator.client("cloudformation", j.region).list_stacks()["StackSummaries"]
              if s["StackStatus"] != "DELETE_COMPLETE" and j.found["provisioned_product_id"] in s["StackName"]]
    if stacks:
        raise JourneyFailure(step, "cloudformation:ListStacks", f"stack(s) left: {[s['StackName'] for s in stacks]}",
                             "read the emulator's log")
    lines = [f"terminated {j.found['provisioned_product_id']}: record {record['RecordId']} SUCCEEDED, cluster "
             f"{j.found['cluster_id']} {state}, its stack deleted"]
    return lines + close_jupyterlab(j)


STUDIO_CLIENTS_PYTHON = Path(__file__).resolve().parents[2] / "studio-clients" / ".venv" / "bin" / "python"


def studio_clients_python() -> Path:
    """The interpreter of studio-clients/.venv (AWS's Studio client packages),
    set up by ``scripts/bootstrap.sh --studio-clients`` when missing."""
    if not STUDIO_CLIENTS_PYTHON.exists():
        root = STUDIO_CLIENTS_PYTHON.parents[2]
        proc = subprocess.run([str(root / "scripts" / "bootstrap.sh"), "--platform-only", "--studio-clients"],
                              cwd=root)
        if proc.returncode != 0 or not STUDIO_CLIENTS_PYTHON.exists():
            raise JourneyFailure("connect a notebook", "scripts/bootstrap.sh --studio-clients",
                                 "AWS's Studio client packages could not be installed",
                                 "read bootstrap's error above and re-run it")
    return STUDIO_CLIENTS_PYTHON


def _livy_rules(j: Journey) -> tuple[str, str, list[dict]]:
    """(master group, Studio group, the master group's rules) of the journey's
    cluster, read as the platform (reading rules is not something Studio does)."""
    emr, ec2 = j.emulator.client("emr", j.region), j.emulator.client("ec2", j.region)
    cluster = emr.describe_cluster(ClusterId=j.found["cluster_id"])["Cluster"]
    master = cluster["Ec2InstanceAttributes"]["EmrManagedMasterSecurityGroup"]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [master]}])[
        "SecurityGroupRules"]
    return master, j.outputs["studio_security_group_id"], rules


def open_jupyterlab(j: Journey) -> dict:
    """What Studio does when the user opens JupyterLab: a private space of the
    first user profile and a JupyterLab app in it (made by the platform's side,
    as Studio's service makes them); returns the resource metadata Studio
    writes for the app (/opt/ml/metadata/resource-metadata.json), which the
    EMR extension reads to find the user's EMR roles."""
    users = j.outputs.get("user_profile_names") or []
    if not users:
        raise JourneyFailure("connect a notebook", "sagemaker:CreateSpace", "the workspace has no user profile",
                             "add a user to user_profiles in the workspace file")
    sagemaker = j.emulator.client("sagemaker", j.region)
    domain, user, space = j.outputs["domain_id"], users[0], f"{users[0]}-journey-{uuid.uuid4().hex[:6]}"
    sagemaker.create_space(DomainId=domain, SpaceName=space, OwnershipSettings={"OwnerUserProfileName": user},
                           SpaceSharingSettings={"SharingType": "Private"},
                           SpaceSettings={"AppType": "JupyterLab"})
    j.found["space"], j.found["user"] = space, user
    sagemaker.create_app(DomainId=domain, SpaceName=space, AppType="JupyterLab", AppName="default",
                         ResourceSpec={"InstanceType": "ml.t3.medium"})
    return {"AppType": "JupyterLab", "DomainId": domain, "SpaceName": space, "UserProfileName": user,
            "ResourceName": "default",
            "ResourceArn": f"arn:aws:sagemaker:{j.region}:{j.outputs['studio_execution_role_arn'].split(':')[4]}:"
                           f"app/{domain}/{space}/JupyterLab/default"}


def close_jupyterlab(j: Journey) -> list[str]:
    """Deletes the journey's JupyterLab app and space (a user profile cannot go
    while it has them, so a later destroy would stop there)."""
    if "space" not in j.found:
        return []
    sagemaker = j.emulator.client("sagemaker", j.region)
    domain, space = j.outputs["domain_id"], j.found.pop("space")
    sagemaker.delete_app(DomainId=domain, SpaceName=space, AppType="JupyterLab", AppName="default")
    sagemaker.delete_space(DomainId=domain, SpaceName=space)
    return [f"closed JupyterLab: deleted its app and the space {space}"]


def connect_notebook(j: Journey) -> list[str]:
    """3. ``%sm_analytics emr connect --cluster-id ... --auth-type None`` and the
    JupyterLab EMR extension's cluster view, run by AWS's own packages in
    studio-clients/.venv as the Studio execution role, against the emulator, up
    to the Livy endpoint they would open (no Livy server is part of this: the
    request is recorded, not sent). Whether the client's probe of port 8998
    succeeds follows the master group's rules, as it would in the VPC."""
    from scripts.journey import clients

    master, studio, rules = _livy_rules(j)
    livy_open = any(_admits(r, studio, LIVY_PORT) for r in rules)
    metadata = open_jupyterlab(j)
    runtime_role = user_runtime_role(j, j.found["user"])
    result = clients.run(j.emulator.url, j.region, j.credentials, j.found["cluster_id"],
                         ca_bundle=str(j.emulator.ca_bundle), process=j.client_process(),
                         livy_port_open=livy_open, resource_metadata=metadata,
                         # The client's runtime-role path: Basic_Access with the role, whose session
                         # credentials (GetClusterSessionCredentials) it sends to Livy as basic auth.
                         **({"emr_execution_role_arn": runtime_role, "auth_type": "Basic_Access"}
                            if runtime_role else {}))
    j.found["client_calls"] = result.get("aws_calls", [])
    j.found["static_actions"] = clients.static_actions(process=j.client_process())
    lines = [f"{c['outcome'] or 'not sent':<8} {c['iam_action']}  (aimed at {c['aimed_at']}; "
             f"{c['phase']}, {c.get('caller') or '?'})" for c in j.found["client_calls"]]
    if result.get("refused"):
        raise JourneyFailure("connect a notebook", "network guard", f"the clients tried to leave loopback: "
                             f"{result['refused']}", "read scripts/journey/clients/netguard.py")
    if not result.get("connect_ok"):
        why = "; ".join(result.get("errors", [])) or (result.get("process") or {}).get("stderr_tail", "")
        network = "" if livy_open else (f" The master group {master} does not admit the Studio group {studio} on "
                                         f"{LIVY_PORT}, so the client's probe of Livy fails.")
        failed = next((c for c in j.found["client_calls"] if c["outcome"] not in ("ok", None)), None)
        raise JourneyFailure("connect a notebook", failed["iam_action"] if failed else "Livy on 8998",
                             f"{why}{network}",
                             "see the calls above; the network path is checked in step 4 and the permissions "
                             "in step 5 (scripts/platform journey prints both when they pass)")
    livy = result["connect"].get("livy_requests") or []
    lines.append(f"Livy endpoint the notebook would open: {result['livy_url']} "
                 f"({', '.join(r['method'] + ' ' + r['url'] for r in livy) or 'no request'}); "
                 "no Livy server runs here, the request is recorded, not sent")
    lines.append(f"clients ran in {result.get('timings', {}).get('total_s', '?')}s" + clients.waits_note(result))
    if runtime_role:
        sessions = [c for c in j.found["client_calls"]
                    if c["iam_action"] == "elasticmapreduce:GetClusterSessionCredentials" and c["outcome"] == "ok"]
        if not sessions:
            raise JourneyFailure("connect a notebook", "elasticmapreduce:GetClusterSessionCredentials",
                                 f"the client connected as {j.found['user']} with runtime role {runtime_role} "
                                 "without getting the cluster's session credentials for it",
                                 "read the client calls above (scripts/journey/clients/connect.py)")
        lines.insert(0, f"{j.found['user']} connected with runtime role {runtime_role} "
                        "(--emr-execution-role-arn: the client's GetClusterSessionCredentials path)")
    return lines


def user_runtime_role(j: Journey, user: str) -> str | None:
    """The ARN of the first EMR runtime role Studio offers ``user`` (outputs user_emr_runtime_roles and
    emr_runtime_role_arns), or None when the workspace gives the user none."""
    names = (j.outputs.get("user_emr_runtime_roles") or {}).get(user) or []
    return (j.outputs.get("emr_runtime_role_arns") or {}).get(names[0]) if names else None
