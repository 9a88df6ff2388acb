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
  Users with an execution role of their own get nothing here: the platform
  grants nothing on a role it does not own (README, EMR runtime roles).

The policies are ``jsonencode`` expressions, as they list each role's entries
and users; the inputs' rules bound both (modules/input_rules.py).
"""
from dataclasses import dataclass

from constructs import Construct
from cdktf import TerraformIterator
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy

from modules.tf import address, count_when, expr, expr_map, hcl, local

# Glue Data Catalog calls of Spark and Hive on a database's tables (read and write); Lake Formation's
# GetDataAccess hands out the data credentials of tables it governs.
GLUE_ACTIONS = (
    "glue:BatchCreatePartition", "glue:BatchDeletePartition", "glue:BatchGetPartition", "glue:CreatePartition",
    "glue:CreateTable", "glue:DeletePartition", "glue:DeleteTable", "glue:GetDatabase", "glue:GetDatabases",
    "glue:GetPartition", "glue:GetPartitions", "glue:GetTable", "glue:GetTables", "glue:UpdatePartition",
    "glue:UpdateTable")
S3_READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
S3_WRITE_ACTIONS = ("s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject")


@dataclass(frozen=True)
class EmrRuntimeRolesProps:
    """Every field is a bare Terraform expression (see ``modules.tf``)."""

    name_prefix: str
    """Prefix of every role name: domain and region (IAM is account-wide)."""
    partition: str
    account_id: str
    region: str
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
    serverless_role_names: str = "[]"
    """List expression of runtime role names that EMR Serverless applications use: their trust policy also
    admits emr-serverless.amazonaws.com (with aws:SourceAccount). Default: none."""


class EmrRuntimeRoles(Construct):
    """Exposes ``role_arns`` (map of name => ARN whose keys come from inputs only, so they are known at
    plan time) and ``any_role`` (condition: at least one runtime role) as expressions."""

    def __init__(self, scope: Construct, id: str, props: EmrRuntimeRolesProps) -> None:
        super().__init__(scope, id)
        p = props
        arn = f'"arn:${{{p.partition}}}'
        self.any_role = f"length({p.roles}) > 0"
        roles = TerraformIterator.from_map(expr_map(p.roles))
        trust = (
            'jsonencode({Version = "2012-10-17", Statement = concat(['
            f'{{Sid = "EmrInstanceRole", Effect = "Allow", Principal = {{AWS = {p.instance_role_arn}}}, '
            'Action = ["sts:AssumeRole", "sts:TagSession"]}], '
            "[for s in [{Sid = \"EmrServerless\", Effect = \"Allow\", "
            'Principal = {Service = "emr-serverless.amazonaws.com"}, Action = "sts:AssumeRole", '
            f'Condition = {{StringEquals = {{"aws:SourceAccount" = {p.account_id}}}}}}}] : s '
            f"if contains({p.serverless_role_names}, each.key)])}})")
        role = IamRole(self, "role", for_each=roles, name=expr(f'"${{{p.name_prefix}}}-rt-${{each.key}}"'),
                       description=expr('"EMR runtime role ${each.key}: its data only, for notebook sessions on '
                                        'this domain\'s clusters"'),
                       assume_role_policy=expr(trust), permissions_boundary=expr(p.permissions_boundary_arn))
        self.role_arns = f"{{for name, r in {address(role)} : name => r.arn}}"

        # Each role's S3 locations: {bucket (ARN), prefix ("" for a whole bucket), write}.
        locations = local(self, "emr_runtime_role_locations", (
            f"{{for name, r in {p.roles} : name => concat("
            f"[for x in r.data_prefixes : {{bucket = {p.data_bucket_arn}, prefix = x, write = true}}], "
            f'[for x in r.read_locations : {{bucket = "arn:${{{p.partition}}}:s3:::${{split("/", x)[0]}}", '
            'prefix = join("/", slice(split("/", x), 1, length(split("/", x)))), write = false}], '
            f'[for x in r.write_locations : {{bucket = "arn:${{{p.partition}}}:s3:::${{split("/", x)[0]}}", '
            'prefix = join("/", slice(split("/", x), 1, length(split("/", x)))), write = true}])}'))
        regional = f'${{{p.region}}}:${{{p.account_id}}}'
        data = (
            'jsonencode({Version = "2012-10-17", Statement = concat('
            # Listing is scoped by s3:prefix to the role's prefixes in each bucket.
            f'[for i, l in {locations}[each.key] : {{Sid = "List${{i}}", Effect = "Allow", '
            'Action = ["s3:ListBucket"], Resource = l.bucket, '
            'Condition = {StringLike = {"s3:prefix" = l.prefix == "" ? ["*"] : [l.prefix, "${l.prefix}*"]}}}], '
            f'[for s in [{{Sid = "LocateBuckets", Effect = "Allow", '
            f'Action = ["s3:GetBucketLocation"], Resource = distinct([for l in {locations}[each.key] : l.bucket])}}, '
            f'{{Sid = "Read", Effect = "Allow", '
            f'Action = {_hcl(S3_READ_ACTIONS)}, Resource = [for l in {locations}[each.key] : "${{l.bucket}}/${{l.prefix}}*"]}}] '
            f': s if length({locations}[each.key]) > 0], '
            f'[for s in [{{Sid = "Write", Effect = "Allow", Action = {_hcl(S3_WRITE_ACTIONS)}, '
            f'Resource = [for l in {locations}[each.key] : "${{l.bucket}}/${{l.prefix}}*" if l.write]}}] '
            f': s if length([for l in {locations}[each.key] : l if l.write]) > 0], '
            '[for s in [{Sid = "GlueDatabases", Effect = "Allow", '
            f'Action = {_hcl(GLUE_ACTIONS)}, Resource = concat([{arn}:glue:{regional}:catalog"], '
            f'[for d in each.value.glue_databases : {arn}:glue:{regional}:database/${{d}}"], '
            f'[for d in each.value.glue_databases : {arn}:glue:{regional}:table/${{d}}/*"])}}, '
            # GetDataAccess has no resource type: AWS authorizes it on "*" only; Lake Formation's own
            # grants decide which tables' data it hands out.
            '{Sid = "LakeFormationDataAccess", Effect = "Allow", Action = ["lakeformation:GetDataAccess"], '
            'Resource = "*"}] : s if length(each.value.glue_databases) > 0])})')
        IamRolePolicy(self, "data", for_each=roles, name="runtime-role-data",
                      role=expr(f"{address(role)}[each.key].name"), policy=expr(data))

        IamRolePolicy(self, "instance_assume", count=count_when(self.any_role), name="assume-runtime-roles",
                      role=expr(p.instance_role_name), policy=expr(
                          'jsonencode({Version = "2012-10-17", Statement = [{Sid = "AssumeRuntimeRoles", '
                          'Effect = "Allow", Action = ["sts:AssumeRole", "sts:TagSession"], '
                          f"Resource = values({self.role_arns})}}]}})"))

        # Users of the platform's Studio role given each role (users with a role of their own are theirs).
        users = local(self, "emr_runtime_role_users", (
            f"{{for name, r in {p.roles} : name => sort([for user, u in {p.user_profiles} : user "
            f"if u.execution_role_arn == null && contains(u.emr_runtime_roles, name)])}}"))
        cluster = f'{arn}:elasticmapreduce:{regional}:cluster/*"'
        statement = ('{{Sid = "SessionCredentials${{index(keys({roles}), name)}}", Effect = "Allow", '
                     'Action = ["elasticmapreduce:GetClusterSessionCredentials"], Resource = {cluster}, '
                     'Condition = {{StringEquals = {{"elasticmapreduce:ExecutionRoleArn" = {arns}[name]{extra}}}}}}}')
        credentials = (
            'jsonencode({Version = "2012-10-17", Statement = concat('
            f"[for name in {p.default_role_names} : "
            + statement.format(roles=p.roles, cluster=cluster, arns=self.role_arns, extra="") + "], "
            f"[for name, names in {users} : "
            + statement.format(roles=p.roles, cluster=cluster, arns=self.role_arns,
                               extra=', "aws:SourceIdentity" = names')
            + f" if !contains({p.default_role_names}, name) && length(names) > 0])}})")
        # No statement at all (runtime roles given to no one) is no policy: IAM refuses an empty one.
        given = f"length({p.default_role_names}) > 0 || length(flatten(values({users}))) > 0"
        IamRolePolicy(self, "studio_credentials", count=count_when(f"{self.any_role} && ({given})"), name="emr-runtime-roles",
                      role=expr(p.studio_role_name), policy=expr(credentials))


def _hcl(values) -> str:
    return hcl(sorted(values))
