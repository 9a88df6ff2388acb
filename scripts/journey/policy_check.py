"""Journey step 5: every AWS call made as the Studio execution role, checked
against the role's policies offline with Principal Mapper's policy simulator
(moto's own IAM enforcement ignores conditions, so it cannot decide this).

``role_node`` reads a role's identity policies (managed: each one's default
version; inline; the permissions boundary) from any IAM endpoint (the
emulator) and builds principalmapper's ``Node``; ``evaluate`` runs
principalmapper's local authorization check (Allow/Deny, NotAction,
NotResource, every condition operator incl. IfExists/ForAnyValue/Null, the
boundary) for one action, resource and request context. No AWS call.

``request_for`` maps a recorded call to the resource ARN and the request
context AWS would evaluate, per the Service Authorization Reference of each
service (parliament's copy; where an action has no resource type, the
resource is "*").
"""

from __future__ import annotations

import collections
import collections.abc
import json
from urllib.parse import unquote

# principalmapper 1.1.5 (its last release, 2022-01) imports Mapping and
# MutableMapping from `collections`, which Python 3.10 removed; the fix is on
# its master (nccgroup/PMapper#107, #122) but was never released.
for _name in ("Mapping", "MutableMapping"):
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))

from principalmapper.common import Node, Policy  # noqa: E402
from principalmapper.querying.query_interface import local_check_authorization_full  # noqa: E402

# Actions that need no permission (STS GetCallerIdentity: "No permissions are
# required to perform this operation", even with an explicit deny).
NO_PERMISSION_NEEDED = {"sts:GetCallerIdentity"}


def _doc(document) -> dict:
    return json.loads(unquote(document)) if isinstance(document, str) else document


def role_node(iam, role_name: str) -> Node:
    """``iam``: a boto3 IAM client (for the emulator)."""
    role = iam.get_role(RoleName=role_name)["Role"]
    policies = []
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role_name):
        for attached in page["AttachedPolicies"]:
            meta = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
            version = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=meta["DefaultVersionId"])
            policies.append(Policy(attached["PolicyArn"], attached["PolicyName"],
                                   _doc(version["PolicyVersion"]["Document"])))
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role_name):
        for name in page["PolicyNames"]:
            doc = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
            policies.append(Policy(role["Arn"], name, _doc(doc)))  # pmapper: inline policies carry the role's ARN
    boundary = None
    if role.get("PermissionsBoundary"):
        arn = role["PermissionsBoundary"]["PermissionsBoundaryArn"]
        meta = iam.get_policy(PolicyArn=arn)["Policy"]
        version = iam.get_policy_version(PolicyArn=arn, VersionId=meta["DefaultVersionId"])
        boundary = Policy(arn, meta["PolicyName"], _doc(version["PolicyVersion"]["Document"]))
    tags = {t["Key"]: t["Value"] for t in role.get("Tags", [])}
    return Node(role["Arn"], role["RoleId"], policies, [], _doc(role["AssumeRolePolicyDocument"]), None, 0,
                False, False, boundary, False, tags)


def evaluate(node: Node, action: str, resource: str, context: dict | None = None) -> bool:
    if action in NO_PERMISSION_NEEDED:
        return True
    return local_check_authorization_full(node, action, resource, dict(context or {}), None, None, None, None)


def request_for(call: dict, region: str, account: str, cluster_tags: dict | None = None,
                ui_targets: dict | None = None) -> tuple[str, dict]:
    """(resource ARN, request context) of a recorded call, per the Service
    Authorization Reference's resource type of the action (where it has none,
    the resource is "*"). ``cluster_tags``: the tags of the cluster or EMR
    Serverless application called. ``ui_targets``: persistent app UI id => the ARN of
    the cluster it belongs to (its resource type is the cluster)."""
    action, params = call["iam_action"], call.get("params") or {}
    context = {"aws:RequestedRegion": region}
    emr = f"arn:aws:elasticmapreduce:{region}:{account}"
    if action.startswith("elasticmapreduce:") and "cluster" in _resource_types(action):
        cluster = (f"{emr}:cluster/{params['ClusterId']}" if params.get("ClusterId")
                   else params.get("TargetResourceArn") or (ui_targets or {}).get(params.get("PersistentAppUIId")))
        if cluster:
            context.update({f"aws:ResourceTag/{k}": v for k, v in (cluster_tags or {}).items()})
            if "ExecutionRoleArn" in params:
                context["elasticmapreduce:ExecutionRoleArn"] = params["ExecutionRoleArn"]
            return cluster, context
    if action.startswith("emr-serverless:") and params.get("applicationId"):
        # An application's actions: its ARN and tags (``cluster_tags``: the tags of the resource called).
        context.update({f"aws:ResourceTag/{k}": v for k, v in (cluster_tags or {}).items()})
        return f"arn:aws:emr-serverless:{region}:{account}:/applications/{params['applicationId']}", context
    if action == "iam:PassRole":
        context["iam:PassedToService"] = params["PassedToService"]
        return params["RoleArn"], context
    if action == "sts:AssumeRole":
        return params["RoleArn"], context
    if action.startswith("servicecatalog:"):
        return _catalog_request(action, params, region, account, context)
    sm = f"arn:aws:sagemaker:{region}:{account}"
    if action == "sagemaker:DescribeDomain":
        return f"{sm}:domain/{params['DomainId']}", context
    if action == "sagemaker:DescribeUserProfile":
        return f"{sm}:user-profile/{params['DomainId']}/{params['UserProfileName']}", context
    if action == "sagemaker:DescribeSpace":
        return f"{sm}:space/{params['DomainId']}/{params['SpaceName']}", context
    # ListClusters, DescribeSecurityConfiguration, GetCallerIdentity: no resource type.
    return "*", context


# Service Catalog's end-user actions on provisioned products and records have no
# resource type; AWS scopes them by an access level that the caller's policy
# states as a condition (servicecatalog:accountLevel/roleLevel/userLevel = self).
# The journey acts only on what its own session launched, which every level admits.
_OWN_PROVISIONED = {"accountLevel", "roleLevel", "userLevel"}


def _resource_types(action: str) -> set[str]:
    """The action's resource types in the Service Authorization Reference (parliament's copy of it)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # parliament imports pkg_resources
        from parliament import iam_definition
    prefix, name = action.split(":", 1)
    for service in iam_definition:
        if service["prefix"] == prefix:
            for privilege in service["privileges"]:
                if privilege["privilege"] == name:
                    return {r["resource_type"].rstrip("*") for r in privilege["resource_types"] if r["resource_type"]}
    return set()


def _catalog_request(action: str, params: dict, region: str, account: str, context: dict) -> tuple[str, dict]:
    product = params.get("ProductId") or (params.get("Id") if action != "servicecatalog:DescribeProductView" else None)
    if "Product" in _resource_types(action) and product:
        return f"arn:aws:catalog:{region}:{account}:product/{product}", context
    if "ProvisionedProduct" in action or action.endswith(("Record", "RecordHistory")):
        context.update({f"servicecatalog:{level}": "self" for level in _OWN_PROVISIONED})
    return "*", context


def _account(role_arn: str) -> str:
    return role_arn.split(":")[4]


def verdicts(j, calls: list[dict], cluster_tags: dict | None = None, ui_targets: dict | None = None,
             source_identity: str | None = None) -> list[dict]:
    """One verdict per distinct (action, resource, execution role) among ``calls`` (records of
    ``scripts.journey.clients.netguard``'s shape: iam_action, params), made as the journey ``j``'s role
    (``studio_execution_role_arn`` of its outputs; its policies: ``j.role_node()``): allowed or not.
    ``source_identity``: the session's aws:SourceIdentity (the user profile's name, which SageMaker sets
    when the domain's ExecutionRoleIdentityConfig is USER_PROFILE_NAME)."""
    node, role_arn, region = j.role_node(), j.outputs["studio_execution_role_arn"], j.region
    seen, out = set(), []
    for call in calls:
        resource, context = request_for(call, region, _account(role_arn), cluster_tags, ui_targets)
        if source_identity:
            context["aws:SourceIdentity"] = source_identity
        key = (call["iam_action"], resource, context.get("elasticmapreduce:ExecutionRoleArn"))
        if key in seen:
            continue
        seen.add(key)
        out.append({"action": call["iam_action"], "resource": resource, "context": context,
                    "allowed": evaluate(node, call["iam_action"], resource, context),
                    "where": call.get("caller") or call.get("phase")})
    return out


def check_calls(j, calls: list[dict], step: str) -> list[dict]:
    """The verdicts on ``calls`` made as the Studio execution role; a denied one fails ``step``."""
    from scripts.journey.steps import JourneyFailure

    emr = j.emulator.client("emr", j.region)
    tags = {t["Key"]: t["Value"] for t in emr.describe_cluster(ClusterId=j.found["cluster_id"])["Cluster"]
            .get("Tags", [])}
    # The cluster view ran on the journey's cluster only, so every persistent app
    # UI it created or read is that cluster's (DescribePersistentAppUI does not say).
    cluster_arn = (f"arn:aws:elasticmapreduce:{j.region}:{_account(j.outputs['studio_execution_role_arn'])}:"
                   f"cluster/{j.found['cluster_id']}")
    ui_targets = {(c.get("params") or {}).get("PersistentAppUIId"): cluster_arn for c in calls}
    results = verdicts(j, calls, tags, ui_targets, session_user(j))
    denied = [v for v in results if not v["allowed"]]
    if denied:
        raise JourneyFailure(
            step, denied[0]["action"],
            f"{len(denied)} of {len(results)} calls are denied to the Studio execution role:\n    "
            + "\n    ".join(f"{v['action']} on {v['resource']} (made at {v['where']})" for v in denied),
            f"allow {', '.join(sorted({v['action'] for v in denied}))} to the Studio execution role "
            "(modules/iam.py, the emr-discovery and emr-products policies)")
    return results


def check_permissions(j) -> list[str]:
    """5. Each call made as the role on the journey so far (steps 1-3: Studio's
    catalog and launch calls, the client packages' connect path and cluster
    view), allowed or denied by the role's effective policies; then the calls
    the packages' code can make that this run did not exercise, for the record."""
    own = [{"iam_action": c.action, "params": c.params, "phase": "studio"} for c in j.record.since(0)]
    clients = [c for c in j.found.get("client_calls", []) if c.get("sent_to")]
    results = check_calls(j, own + clients, "check the role's permissions")
    lines = [f"allowed  {v['action']}  on {v['resource']}"
             + (f" for runtime role {v['context']['elasticmapreduce:ExecutionRoleArn']}"
                if "elasticmapreduce:ExecutionRoleArn" in v["context"] else "") for v in results]
    lines += other_runtime_roles_denied(j, results)
    exercised = {v["action"] for v in results}
    unexercised = sorted(set(j.found.get("static_actions", [])) - exercised)
    if unexercised:
        lines.append(f"the client packages' code can also call (other paths, not checked): {', '.join(unexercised)}")
    return lines


def session_user(j) -> str | None:
    """The user whose Studio session the journey plays when the domain sets the user profile's name as
    source identity (it does with runtime roles: modules/studio.py), else None."""
    return j.found.get("user") if j.outputs.get("emr_runtime_role_arns") else None


def other_runtime_roles_denied(j, results: list[dict]) -> list[str]:
    """GetClusterSessionCredentials on the journey's cluster for each runtime role Studio does not offer
    the session's user, as that user: each must be denied (a user given role A gets no credentials of role
    B). Checked with the context of the call the client made, only the role changed."""
    from scripts.journey.steps import JourneyFailure

    made = next((v for v in results if v["action"] == "elasticmapreduce:GetClusterSessionCredentials"), None)
    user = session_user(j)
    if made is None or user is None:
        return []
    offered = set((j.outputs.get("user_emr_runtime_roles") or {}).get(user) or [])
    node = j.role_node()
    lines = []
    for name, arn in sorted(j.outputs["emr_runtime_role_arns"].items()):
        if name in offered:
            continue
        context = dict(made["context"], **{"elasticmapreduce:ExecutionRoleArn": arn})
        if evaluate(node, made["action"], made["resource"], context):
            raise JourneyFailure(
                "check the role's permissions", made["action"],
                f"{user}'s session may get the cluster's credentials for runtime role {name} ({arn}), which "
                "Studio does not offer them",
                "the Studio role's managed policy of each runtime role (<prefix>-studio-rt-<name>) must condition "
                "it on the users given it (modules/emr_runtime_roles.py)")
        lines.append(f"denied   {made['action']}  on {made['resource']} for runtime role {arn} "
                     f"(not offered to {user}), as expected")
    return lines
