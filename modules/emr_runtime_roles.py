"""EMR runtime roles: per-team data access on the domain's shared EMR clusters.

Each entry of ``emr_runtime_roles`` becomes an IAM role that a cluster assumes
for a notebook's session instead of its instance role
(https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-steps-runtime-roles.html):

- its trust policy admits the domain's EMR instance role with ``sts:AssumeRole``
  and ``sts:TagSession`` (as that page requires), and, for the roles named in
  ``serverless_role_names``, EMR Serverless of this account;
- its data policy grants exactly the role's settings: list, read (and write)
  of its prefixes of the platform's data bucket and of its locations in
  ``allowed_s3_buckets``, and its Glue / Lake Formation databases; the domain
  key's policy names it as a key user (main.py), so it reads and writes the
  platform's SSE-KMS data;
- the instance role may assume exactly these roles (``assume-runtime-roles``);
- the platform's Studio execution role may call
  ``elasticmapreduce:GetClusterSessionCredentials`` for a role only with the
  role's ARN as ``elasticmapreduce:ExecutionRoleArn`` (the condition AWS's page
  https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-studio-runtime.html
  requires), and, for a role not in ``emr_default_runtime_roles``, only in the
  sessions of the users given it: SageMaker sets the user profile's name as
  ``sts:SourceIdentity`` of the execution role's session when the domain's
  ExecutionRoleIdentityConfig is USER_PROFILE_NAME
  (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DomainSettings.html;
  modules/studio.py sets it), which IAM checks as ``aws:SourceIdentity``.
  One managed policy per runtime role (``<prefix>-studio-rt-<name>``), attached
  to the Studio role: the users it lists take none of the Studio role's inline
  room (IAM's 10,240 characters for all of a role's inline policies).
  Users with an execution role of their own get nothing here: the platform
  grants nothing on a role it does not own (README, EMR runtime roles);
- for a role EMR Serverless applications run as (``grant_serverless``), the
  Studio role may start those applications, open their Livy endpoint, see their
  job runs' Spark UI and pass the role to EMR Serverless in the same sessions
  only (in the role's same managed policy): a user not given the role cannot
  run as it there either.

Each policy is statements as data (modules/policy.py) whose lists Terraform computes (list tokens):
they list each role's entries and users, which the inputs' rules bound (modules/input_rules.py).
"""
from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Tuple

from constructs import Construct
from cdktf import TerraformIterator
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment

from modules.account import StackContext
from modules.emr_values import GLUE_ACTIONS, S3_READ_ACTIONS, S3_WRITE_ACTIONS
from modules.policy import Statement, document
from modules.tf import address, checked, count_when, expr, expr_map, local, quoted, string, string_list, template


@dataclass(frozen=True)
class EmrRuntimeRolesProps:
    """Every field is a bare Terraform expression (see ``modules.tf``)."""

    name_prefix: str
    """Prefix of every role name: domain and region (IAM is account-wide)."""
    roles: str
    """Map of runtime role name => {data_prefixes, read_locations, write_locations, glue_databases}
    (lists of strings; modules/input_variables.py)."""
    user_profiles: str
    """Map of user name => {execution_role_arn, emr_runtime_roles} (the roles Studio offers the user)."""
    default_role_names: str
    """List of the runtime roles every user is given (no per-user condition)."""
    data_bucket_arn: str
    instance_role_arn: str
    instance_role_name: str
    studio_role_name: str
    """The platform's Studio execution role, which users without a role of their own share."""
    permissions_boundary_arn: str
    """Null: no boundary."""
    grant_rule: Optional[Callable[[str], Sequence[Tuple[str, str]]]] = None
    """Given the map of runtime role => the users of the platform's Studio role given it (an expression), the
    (condition, error message) pairs that must hold whenever runtime roles exist: preconditions of the instance
    role's grant (modules/input_limits.py: the Studio role's grants fit IAM's quotas). Default: none."""
    serverless_role_names: str = "[]"
    """List expression of runtime role names that EMR Serverless applications use: their trust policy also
    admits emr-serverless.amazonaws.com (with aws:SourceAccount). Default: none."""


class EmrRuntimeRoles(Construct):
    """Exposes ``role_arns`` (map of name => ARN whose keys come from inputs only, so they are known at
    plan time) and ``any_role`` (condition: at least one runtime role) as expressions."""

    def __init__(self, scope: Construct, id: str, props: EmrRuntimeRolesProps) -> None:
        super().__init__(scope, id)
        p = props
        self._p = p
        context = StackContext.of(self)
        self.any_role = template("length({roles}) > 0", roles=p.roles)
        instance = Statement("EmrInstanceRole", ["sts:AssumeRole", "sts:TagSession"],
                             principal={"AWS": string(p.instance_role_arn)})
        serverless = Statement("EmrServerless", ["sts:AssumeRole"],
                               principal={"Service": "emr-serverless.amazonaws.com"},
                               condition={"StringEquals": {"aws:SourceAccount": context.account_id}})
        # Two resources, so that each trust policy is one JSON document: roles EMR Serverless uses too.
        role = self._roles("role", f"{{for name, r in {p.roles} : name => r "
                                   f"if !contains({p.serverless_role_names}, name)}}", instance)
        serverless_role = self._roles("serverless_role", f"{{for name, r in {p.roles} : name => r "
                                                         f"if contains({p.serverless_role_names}, name)}}",
                                      instance, serverless)
        self.role_arns = (f"merge({{for name, r in {address(role)} : name => r.arn}}, "
                          f"{{for name, r in {address(serverless_role)} : name => r.arn}})")
        role_name = f"merge({address(role)}, {address(serverless_role)})[each.key].name"
        self._role_name = role_name

        # What each role may reach: bucket ARNs, s3:prefix patterns, object ARNs, Glue ARNs.
        locations = local(self, "emr_runtime_role_locations", template(
            "{{for name, r in {roles} : name => concat("
            "[for x in r.data_prefixes : {{bucket = {data_bucket}, prefix = x, write = true}}], "
            "[for x in r.read_locations : {{bucket = {bucket}, prefix = {prefix}, write = false}}], "
            "[for x in r.write_locations : {{bucket = {bucket}, prefix = {prefix}, write = true}}])}}",
            roles=p.roles, data_bucket=p.data_bucket_arn,
            bucket=quoted("arn:{partition}:s3:::{name}", partition=context.partition, name='split("/", x)[0]'),
            prefix='join("/", slice(split("/", x), 1, length(split("/", x))))'))
        glue, glue_arn = dict(partition=context.partition, region=context.region, account=context.account_id), \
            "arn:{partition}:glue:{region}:{account}:"
        grants = local(self, "emr_runtime_role_grants", template(
            "{{for name, r in {roles} : name => {{"
            "buckets = distinct([for l in {locations}[name] : l.bucket]), "
            'prefixes = distinct(flatten([for l in {locations}[name] : l.prefix == "" ? ["*"] : '
            "[l.prefix, {prefix_any}]])), "
            "read_objects = [for l in {locations}[name] : {objects}], "
            "write_objects = [for l in {locations}[name] : {objects} if l.write], "
            "glue = length(r.glue_databases) == 0 ? [] : concat([{catalog}], "
            "[for d in r.glue_databases : {database}], "
            "[for d in r.glue_databases : {tables}])}}}}",
            roles=p.roles, locations=locations, prefix_any=quoted("{prefix}*", prefix="l.prefix"),
            objects=quoted("{bucket}/{prefix}*", bucket="l.bucket", prefix="l.prefix"),
            catalog=quoted(glue_arn + "catalog", **glue), database=quoted(glue_arn + "database/{d}", d="d", **glue),
            tables=quoted(glue_arn + "table/{d}/*", d="d", **glue)))

        def granted(*attributes: str) -> str:
            """The roles with entries in ``attributes``: keys from the inputs alone (the ARNs in the grants
            are known only after apply, and so would be the length of a distinct list of them)."""
            return (f"{{for name, r in {p.roles} : name => r "
                    f"if {' + '.join(f'length(r.{a})' for a in attributes)} > 0}}")

        s3_roles = granted("data_prefixes", "read_locations", "write_locations")
        self._inline("s3_read", s3_roles, "runtime-role-s3-read", document(
            Statement("LocateBuckets", ["s3:GetBucketLocation"], string_list(f"{grants}[each.key].buckets")),
            # Listing only under the role's prefixes (s3:prefix is what ListObjects asks for).
            Statement("ListLocations", ["s3:ListBucket"], string_list(f"{grants}[each.key].buckets"),
                       {"StringLike": {"s3:prefix": string_list(f"{grants}[each.key].prefixes")}}),
            Statement("ReadLocations", S3_READ_ACTIONS, string_list(f"{grants}[each.key].read_objects"))))
        self._inline("s3_write", granted("data_prefixes", "write_locations"), "runtime-role-s3-write", document(
            Statement("WriteLocations", S3_WRITE_ACTIONS, string_list(f"{grants}[each.key].write_objects"))))
        self._inline("glue", granted("glue_databases"), "runtime-role-glue", document(
            Statement("GlueDatabases", GLUE_ACTIONS, string_list(f"{grants}[each.key].glue")),
            # GetDataAccess has no resource type: AWS authorizes it on "*" only; Lake Formation's own
            # grants decide which tables' data it hands out.
            Statement("LakeFormationDataAccess", ["lakeformation:GetDataAccess"], "*")))

        # The instance role may assume exactly the runtime roles. The Studio role: one policy per runtime role,
        # for the sessions of the users given it (default roles: every session). Users of a role of their own
        # are left out: their role is not the platform's.
        users = local(self, "emr_runtime_role_users", (
            f"{{for name, r in {p.roles} : name => sort([for user, u in {p.user_profiles} : user "
            f"if u.execution_role_arn == null && contains(u.emr_runtime_roles, name)])}}"))
        IamRolePolicy(self, "instance_assume", count=count_when(self.any_role), name="assume-runtime-roles",
                      role=expr(p.instance_role_name),
                      lifecycle=checked(pre=p.grant_rule(users) if p.grant_rule else ()),
                      policy=document(Statement("AssumeRuntimeRoles", ["sts:AssumeRole", "sts:TagSession"],
                                                string_list(f"values({self.role_arns})"))))

        runtime_role_arn = (f"arn:{context.partition}:iam::{context.account_id}:role/{string(p.name_prefix)}"
                            f"-rt-{string('each.key')}")
        cluster = f"arn:{context.partition}:elasticmapreduce:{context.region}:{context.account_id}:cluster/*"
        self._users, self._runtime_role_arn, self._depends_on = users, runtime_role_arn, [role, serverless_role]
        # The runtime role's ARN written out from its name; depends_on: granted once the roles exist.
        self._cluster_grant = lambda identity: Statement(
            "SessionCredentials", ["elasticmapreduce:GetClusterSessionCredentials"], cluster, {"StringEquals": {
                "elasticmapreduce:ExecutionRoleArn": runtime_role_arn, **identity}})
        # The roles of EMR Serverless applications get their policy from grant_serverless.
        for id_, for_each, identity in self._studio_grants(f"!contains({p.serverless_role_names}, name)"):
            self._studio_policy(id_, for_each, self._cluster_grant(identity))

    def _studio_grants(self, roles: str = ""):
        """(id, for_each, condition keys) of the Studio role's grants of the runtime roles (those for which
        ``roles``, a condition on ``name``, holds; default: all): default roles in every session, the others
        in their users' only."""
        p, users = self._p, self._users
        only, also = (f" if {roles}", f" && {roles}") if roles else ("", "")
        return (("default_role", f"{{for name in {p.default_role_names} : name => name{only}}}", {}),
                ("user_role", f"{{for name, names in {users} : name => names "
                              f"if !contains({p.default_role_names}, name) && length(names) > 0{also}}}",
                 {"aws:SourceIdentity": string_list(f"{users}[each.key]")}))

    def grant_serverless(self, application_arns: str, job_run_arns: str) -> None:
        """Lets the platform's Studio role use the EMR Serverless applications that run as a runtime role
        (``application_arns``, ``job_run_arns``: maps of runtime role name => their ARNs, of their job runs; keys
        from the inputs) in the sessions of
        the users given that role only (default roles: every session), as for clusters: start an application,
        open its Livy endpoint (``%sm_analytics emr-serverless connect``), its job runs' Spark UI, and pass
        the role to EMR Serverless. A user not given the role may do none of these, so cannot run as it."""
        p = self._p
        for id_, for_each, identity in self._studio_grants(f"contains({p.serverless_role_names}, name)"):
            condition = {"StringEquals": identity} if identity else None
            self._studio_policy(
                f"serverless_{id_}", for_each, self._cluster_grant(identity),
                # One statement, so the users are listed once for the three: each action applies to one of
                # the two resource types (StartApplication, AccessLivyEndpoints: application;
                # GetDashboardForJobRun: jobRun), and IAM matches an action to its own type only.
                Statement("UseApplications", ["emr-serverless:AccessLivyEndpoints",
                                               "emr-serverless:GetDashboardForJobRun",
                                               "emr-serverless:StartApplication"],
                           string_list(f"concat({application_arns}[each.key], {job_run_arns}[each.key])"), condition),
                Statement("PassRuntimeRole", ["iam:PassRole"], self._runtime_role_arn, {"StringEquals": {
                    "iam:PassedToService": "emr-serverless.amazonaws.com", **identity}}))

    def _studio_policy(self, id_: str, for_each: str, *statements: Statement) -> None:
        """The Studio role's grant of each runtime role of ``for_each``: a managed policy of its own, attached to
        the role, so that the users listed do not take the Studio role's inline room (10,240 characters for all
        its inline policies; a managed policy holds 6,144, and a role takes 10 by default: the rules of
        modules/input_limits.py ``runtime_role_grants_fit``)."""
        p = self._p
        policy = IamPolicy(
            self, f"studio_{id_}", for_each=TerraformIterator.from_map(expr_map(for_each)),
            name=quoted("{prefix}-studio-rt-{role}", prefix=p.name_prefix, role="each.key"),
            description=quoted("Studio execution role: EMR runtime role {role}, for the users given it",
                               role="each.key"),
            policy=document(*statements), depends_on=self._depends_on)
        IamRolePolicyAttachment(
            self, f"studio_{id_}_attachment", for_each=TerraformIterator.from_map(expr_map(for_each)),
            role=expr(p.studio_role_name), policy_arn=expr(f"{address(policy)}[each.key].arn"))

    def _roles(self, id: str, for_each: str, *statements: Statement) -> IamRole:
        p = self._p
        return IamRole(
            self, id, for_each=TerraformIterator.from_map(expr_map(for_each)),
            name=quoted("{prefix}-rt-{role}", prefix=p.name_prefix, role="each.key"),
            description=quoted("EMR runtime role {role}: its data only, for notebook sessions", role="each.key"),
            assume_role_policy=document(*statements),
            permissions_boundary=expr(p.permissions_boundary_arn))

    def _inline(self, id: str, for_each: str, name: str, policy: str) -> None:
        IamRolePolicy(self, id, for_each=TerraformIterator.from_map(expr_map(for_each)), name=name,
                      role=expr(self._role_name), policy=policy)
