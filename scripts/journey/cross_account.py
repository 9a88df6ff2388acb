"""``scripts/platform journey W --stack emr-account``: the journey to a cluster of another account.

With workspace W's platform stack applied in the domain's account and its
``emr-account`` stack in the EMR account (both on one emulator: moto serves
an assumed role's credentials in the role's account), as the Studio
execution role:

1. the domain offers the EMR account's role (EmrSettings.AssumableRoleArns),
   whose trust names the Studio role; sts:AssumeRole as AWS's clients do lands
   in the EMR account (``assume_emr_role``);
2. find the EMR products and 3. launch one, as the assumed role (the steps of
   the same-account journey, ``steps``);
4. connect a notebook: AWS's clients with ``--assumable-role-arn`` (the
   analytics extension's ``%sm_analytics emr connect``, the EMR extension's
   cluster view with ``RoleArn``), up to the Livy endpoint of the other
   account's cluster (``connect_across``);
5. the network path: the cluster's master group admits the domain's private
   subnets on 8998 and 10000 (``check_network_across``);
6. every call checked against the policies of the role that made it: the
   Studio role's for its own calls (sts:AssumeRole, SageMaker), the assumed
   role's for the rest (``check_permissions_across``);
7. terminate the product (``steps.terminate_cluster``) and close JupyterLab.

The EMR account's own reads (its cluster, groups, IAM) use the credentials
Terraform used there: the ``deployment_role_arn`` of its variable file.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from scripts.journey import steps
from scripts.journey.steps import HIVE_PORT, LIVY_PORT, Journey, JourneyFailure

# The session names AWS's clients use when they assume the role (sagemaker_jupyterlab_emr_extension
# utils/utils.py; sagemaker_studio_analytics_extension utils/boto_client_utils.py).
EXTENSION_SESSION = "SagemakerAssumableSession"
# sagemaker-jupyterlab-emr-extension 0.5.0's GetOnClustersAppUiPresignedUrlHandler passes its request body,
# RoleArn included, as the parameters of emrprivate's GetOnClusterAppUIPresignedURL, which has no RoleArn:
# botocore refuses the call before sending it. AWS's client, not the platform: reported, not failed.
ON_CLUSTER_UI_ROUTE = "get-on-cluster-app-ui-presigned-url"


@dataclass
class AccountClients:
    """The emulator as one account's administrator (``client`` as ``Emulator.client``)."""

    emulator: object
    credentials: dict

    @property
    def url(self):
        return self.emulator.url

    @property
    def ca_bundle(self):
        return self.emulator.ca_bundle

    def client(self, service: str, region: str | None = None):
        import boto3

        c = self.credentials
        return boto3.client(service, endpoint_url=self.url, region_name=region or self.emulator.region,
                            verify=str(self.ca_bundle), aws_access_key_id=c["AccessKeyId"],
                            aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])


@dataclass
class CrossAccount:
    studio: Journey
    """The domain's side: the Studio execution role's session, the platform's outputs."""
    emr: Journey
    """The EMR account's side: the assumed role's session, the emr-account stack's outputs (its
    ``studio_execution_role_arn`` is the assumed role, whose policies the checks read)."""


def _account(arn: str) -> str:
    return arn.split(":")[4]


def assume_emr_role(x: CrossAccount) -> list[str]:
    role = x.emr.outputs["studio_execution_role_arn"]
    step = "assume the EMR account's role"
    domain = x.studio.emulator.client("sagemaker", x.studio.region).describe_domain(
        DomainId=x.studio.outputs["domain_id"])
    offered = (((domain.get("DefaultUserSettings") or {}).get("JupyterLabAppSettings") or {})
               .get("EmrSettings") or {}).get("AssumableRoleArns") or []
    if role not in offered:
        raise JourneyFailure(step, "sagemaker:DescribeDomain", f"the domain offers assumable roles {offered}, "
                             f"not {role}", "name it in the workspace's emr_assumable_role_arns")
    trust = x.emr.emulator.client("iam", x.emr.region).get_role(RoleName=role.rsplit("/", 1)[1])["Role"][
        "AssumeRolePolicyDocument"]
    trusted = [p for s in trust["Statement"] if s["Effect"] == "Allow"
               for p in ([s["Principal"].get("AWS")] if isinstance(s["Principal"].get("AWS"), str)
                         else s["Principal"].get("AWS") or [])]
    studio_role = x.studio.outputs["studio_execution_role_arn"]
    if studio_role not in trusted:
        raise JourneyFailure(step, "iam:GetRole", f"{role} trusts {trusted}, not {studio_role}",
                             "add it to studio_execution_role_arns in workspaces/emr-account/<workspace>.tfvars.json")
    identity = x.emr.client("sts").get_caller_identity()
    if identity["Account"] != _account(role):
        raise JourneyFailure(step, "sts:GetCallerIdentity", f"the assumed role acts in {identity['Account']}",
                             "read the emulator's log")
    return [f"the domain offers {role} (EmrSettings.AssumableRoleArns); its trust names {studio_role}",
            f"assumed as {identity['Arn']}: account {identity['Account']}, not the domain's "
            f"{_account(studio_role)}"]


def _master_rules(x: CrossAccount) -> tuple[str, list[dict]]:
    emr, ec2 = x.emr.emulator.client("emr", x.emr.region), x.emr.emulator.client("ec2", x.emr.region)
    cluster = emr.describe_cluster(ClusterId=x.emr.found["cluster_id"])["Cluster"]
    master = cluster["Ec2InstanceAttributes"]["EmrManagedMasterSecurityGroup"]
    return master, ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [master]}])[
        "SecurityGroupRules"]


def _studio_cidrs(x: CrossAccount) -> list[str]:
    ec2 = x.studio.emulator.client("ec2", x.studio.region)
    subnets = ec2.describe_subnets(SubnetIds=x.studio.outputs["private_subnet_ids"])["Subnets"]
    return [s["CidrBlock"] for s in subnets]


def _admits_cidr(rule: dict, cidr: str, port: int) -> bool:
    source = rule.get("CidrIpv4")
    return (not rule.get("IsEgress") and source is not None and rule.get("IpProtocol") in ("tcp", "-1")
            and ipaddress.ip_network(cidr).subnet_of(ipaddress.ip_network(source))
            and (rule.get("IpProtocol") == "-1" or rule["FromPort"] <= port <= rule["ToPort"]))


def connect_across(x: CrossAccount) -> list[str]:
    from scripts.journey import clients

    role = x.emr.outputs["studio_execution_role_arn"]
    _, rules = _master_rules(x)
    livy_open = all(any(_admits_cidr(r, c, LIVY_PORT) for r in rules) for c in _studio_cidrs(x))
    metadata = steps.open_jupyterlab(x.studio)
    result = clients.run(x.studio.emulator.url, x.studio.region, x.studio.credentials, x.emr.found["cluster_id"],
                         ca_bundle=str(x.studio.emulator.ca_bundle), process=x.studio.client_process(),
                         livy_port_open=livy_open, resource_metadata=metadata, assumable_role_arn=role)
    x.emr.found["client_calls"] = result.get("aws_calls", [])
    x.emr.found["static_actions"] = clients.static_actions(process=x.studio.client_process())
    step = "connect a notebook"
    if result.get("refused"):
        raise JourneyFailure(step, "network guard", f"the clients tried to leave loopback: {result['refused']}",
                             "read scripts/journey/clients/netguard.py")
    if not result.get("connect_ok"):
        why = "; ".join(result.get("errors", [])) or (result.get("process") or {}).get("stderr_tail", "")
        raise JourneyFailure(step, "%sm_analytics emr connect --assumable-role-arn", why,
                             "see the calls above; the network path and permissions are checked next")
    view = (result.get("cluster_view") or {}).get("steps", [])
    roles = next((s["reply"] for s in view if s["route"] == "fetch-emr-roles"), None) or {}
    if role not in (roles.get("EmrAssumableRoleArns") or []):
        raise JourneyFailure(step, "fetch-emr-roles", f"the EMR extension offers {roles}, not {role}",
                             "name the role in emr_assumable_role_arns (the domain's EmrSettings)")
    failed = [s for s in view if s["status"] != 200 and s["route"] != ON_CLUSTER_UI_ROUTE]
    if failed:
        raise JourneyFailure(step, failed[0]["route"], f"the cluster view answered {failed[0]['status']}: "
                             f"{str(failed[0]['reply'])[:300]}", "see the calls above")
    lines = [f"{c['outcome'] or 'not sent':<8} {c['iam_action']}  ({c['phase']}, {c.get('caller') or '?'})"
             for c in x.emr.found["client_calls"]]
    lines.append(f"the EMR extension offers the assumable role {role} (fetch-emr-roles); "
                 f"the cluster list and details come from account {_account(role)}")
    lines += [f"AWS's EMR extension 0.5.0 cannot open the on-cluster Spark UI across accounts: it passes RoleArn "
              f"into GetOnClusterAppUIPresignedURL, which botocore refuses before sending (answered {s['status']})"
              for s in view if s["route"] == ON_CLUSTER_UI_ROUTE and s["status"] != 200]
    livy = result["connect"].get("livy_requests") or []
    lines.append(f"Livy endpoint the notebook would open, in account {_account(role)}: {result['livy_url']} "
                 f"({', '.join(r['method'] + ' ' + r['url'] for r in livy) or 'no request'}); "
                 "no Livy server runs here, the request is recorded, not sent")
    return lines


def check_network_across(x: CrossAccount) -> list[str]:
    master, rules = _master_rules(x)
    lines = []
    for cidr in _studio_cidrs(x):
        for port, what in ((LIVY_PORT, "Livy"), (HIVE_PORT, "HiveServer2")):
            matching = [r["SecurityGroupRuleId"] for r in rules if _admits_cidr(r, cidr, port)]
            if not matching:
                raise JourneyFailure("check the network path", "ec2:DescribeSecurityGroupRules",
                                     f"the master group {master} does not admit the domain's subnet {cidr} on {port} "
                                     f"({what})", "add the domain's private subnet CIDRs to studio_cidr_blocks in "
                                                  "workspaces/emr-account/<workspace>.tfvars.json")
            lines.append(f"master group {master} admits the domain's subnet {cidr} on {port} ({what}): "
                         f"rule {', '.join(matching)}")
    return lines


def check_permissions_across(x: CrossAccount) -> list[str]:
    """Each call, checked against the role whose credentials signed it (the client packages'
    calls by their access key: the Studio role's own, or the assumed role's)."""
    from scripts.journey.policy_check import check_calls

    studio_key = x.studio.credentials["AccessKeyId"]
    client_calls = [c for c in x.emr.found.get("client_calls", []) if c.get("sent_to")]
    as_studio = [{"iam_action": c.action, "params": c.params, "phase": "studio"} for c in x.studio.record.since(0)]
    as_studio += [c for c in client_calls if c.get("access_key_id") == studio_key]
    as_emr = [{"iam_action": c.action, "params": c.params, "phase": "studio"} for c in x.emr.record.since(0)]
    as_emr += [c for c in client_calls if c.get("access_key_id") != studio_key]
    step = "check the roles' permissions"
    studio_results = _verdicts(x.studio, as_studio, step)
    emr_results = check_calls(x.emr, as_emr, step)
    lines = [f"allowed  {v['action']}  on {v['resource']}  (as the Studio role)" for v in studio_results]
    lines += [f"allowed  {v['action']}  on {v['resource']}  (as the assumed role)" for v in emr_results]
    return lines


def _verdicts(j: Journey, calls: list[dict], step: str) -> list[dict]:
    from scripts.journey.policy_check import verdicts

    results = verdicts(j, calls)
    denied = [v for v in results if not v["allowed"]]
    if denied:
        raise JourneyFailure(step, denied[0]["action"], "denied to the Studio execution role: " + "; ".join(
            f"{v['action']} on {v['resource']}" for v in denied),
            "the Studio role may assume exactly emr_assumable_role_arns (modules/iam.py grant_assumable_roles)")
    return results


def terminate_across(x: CrossAccount) -> list[str]:
    return steps.terminate_cluster(x.emr) + steps.close_jupyterlab(x.studio)


STEPS = [("assume the EMR account's role", assume_emr_role),
         ("find the EMR products", lambda x: steps.find_products(x.emr)),
         ("launch a cluster", lambda x: steps.launch_cluster(x.emr)),
         ("connect a notebook", connect_across), ("check the network path", check_network_across),
         ("check the roles' permissions", check_permissions_across), ("terminate the cluster", terminate_across)]


def run_cross_account_journey(target, platform: dict, emr: dict, workspace: str, emr_var_file: Path, region: str,
                              progress):
    """Runs the steps with ``workspace`` applied in both stacks on ``target``'s emulator (``platform``, ``emr``:
    the outputs of each)."""
    import json

    from scripts.journey import run_steps
    from scripts.journey.studio_user import CallRecord, role_credentials, role_session

    emulator = target.emulator
    studio_credentials = role_credentials(emulator, platform["studio_execution_role_arn"], region)
    studio_record = CallRecord()
    studio = Journey(emulator, region, platform, role_session(studio_credentials, region, studio_record),
                     studio_credentials, studio_record)
    role = emr["assumable_role_arn"]
    assumed = studio.client("sts").assume_role(RoleArn=role, RoleSessionName=EXTENSION_SESSION)["Credentials"]
    deployment = json.loads(Path(emr_var_file).read_text()).get("deployment_role_arn")
    admin = AccountClients(emulator, emulator.client("sts", region).assume_role(
        RoleArn=deployment, RoleSessionName="journey-emr-account")["Credentials"]) if deployment else emulator
    emr_record = CallRecord()
    x = CrossAccount(studio, Journey(admin, region, {**emr, "studio_execution_role_arn": role},
                                     role_session(assumed, region, emr_record), assumed, emr_record))
    progress.say(f"as the Studio execution role {platform['studio_execution_role_arn']}, assuming {role}")
    return run_steps(STEPS, x, x.emr.found, workspace, progress, terminate_across)
