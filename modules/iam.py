"""IAM roles of the platform.

- Studio execution role (seed 3.2.2 and 3.5.2): AmazonSageMakerFullAccess as
  in the seed, plus EMR discovery and presigned UI URLs, the Service Catalog
  calls Studio makes to list and launch EMR products, and S3 on this
  platform's buckets only (not the seed's AmazonS3FullAccess).
- EMR service role and EMR instance role + profile (seed 3.1.2's
  EMR_DefaultRole / EMR_EC2_DefaultRole), on the v2 managed policy.
- Service Catalog launch role (seed 3.4): creates and deletes the EMR
  cluster's CloudFormation stack, passing exactly the two EMR roles.

Every inline policy names this domain's resources by ARN. ``Resource: "*"``
appears only for actions that AWS authorizes on ``*`` alone (no resource
type), each with the reason beside it. Every role gets the permissions
boundary when one is set. ``iam:PassRole`` names our roles and the service
they are passed to. The Studio role may launch only this domain's EMR
products (:meth:`PlatformIam.grant_emr_product_launch`, called once the
products exist). KMS: the key policy names the Studio and EMR roles; the
launch role decrypts the product templates through S3 only.

Every name derives from the domain and region (IAM is account-wide), so
several domains coexist. Policies are statements as data (modules/policy.py);
lists Terraform computes (product, parameter and role ARNs) are list tokens.
"""
from dataclasses import dataclass
from typing import Optional

from constructs import Construct
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment

from modules.account import StackContext
from modules.policy import Statement, document
from modules.tf import checked, count_when, expr, one, quoted, string, string_list, template


# Services documented to send aws:SourceAccount when they assume a role; EC2
# and Service Catalog launch roles are assumed without it.
SERVICES_SENDING_SOURCE_ACCOUNT = {"sagemaker.amazonaws.com", "elasticmapreduce.amazonaws.com"}


@dataclass(frozen=True)
class PlatformIamProps:
    """Every field is a bare Terraform expression (see ``modules.tf``)."""

    name_prefix: str
    """Prefix of every role name: domain and region."""
    artifacts_bucket_arn: str
    data_bucket_arn: str
    emr_enabled: str
    """Condition: false leaves out the EMR roles and the launch role."""
    permissions_boundary_arn: str
    """Null: no boundary."""
    kms_key_arn: str
    """The domain's key, which encrypts the product templates the launch role reads."""
    studio_trusted_role_arns: Optional[str] = None
    """Default None: the Studio role is the domain's execution role (trusts SageMaker). A list
    expression of role ARNs: this is an EMR account (modules/emr_account.py) and the Studio role
    is the role those roles (another account's Studio execution roles) assume; no SageMaker
    policies then."""


class PlatformIam(Construct):
    """Exposes role ARNs and names as string tokens: ``studio_execution_role_arn``,
    ``studio_execution_role_name``, ``emr_service_role_arn``, ``emr_service_role_name``,
    ``emr_instance_role_arn``, ``emr_instance_role_name``,
    ``emr_instance_profile_name``, ``launch_role_arn`` (the EMR ones null
    without EMR)."""

    def __init__(self, scope: Construct, id: str, props: PlatformIamProps) -> None:
        super().__init__(scope, id)
        self._props = props
        p = props
        context = StackContext.of(self)
        arn = f"arn:{context.partition}"
        regional = f"{context.region}:{context.account_id}"
        emr_cluster = f"{arn}:elasticmapreduce:{regional}:cluster/*"
        with_emr = count_when(p.emr_enabled)
        artifacts, data = string(p.artifacts_bucket_arn), string(p.data_bucket_arn)

        studio_account = p.studio_trusted_role_arns is None
        if studio_account:
            studio = self._role("studio_execution", "studio-execution", "sagemaker.amazonaws.com", None,
                                "Studio execution role: notebooks, EMR discovery, EMR products")
            self._managed(studio, "studio_sagemaker_full_access", "AmazonSageMakerFullAccess", None)
        else:
            studio = self._role("studio_execution", "studio-assumable", None, None,
                                "Assumed by another account's Studio execution roles: EMR discovery, EMR products",
                                trusted_role_arns=p.studio_trusted_role_arns)
        self._inline(studio, "emr-discovery", None, document(
            Statement("AllowPresignedUrl", [
                "elasticmapreduce:DescribeCluster", "elasticmapreduce:ListInstanceGroups",
                "elasticmapreduce:ListInstances", "elasticmapreduce:CreatePersistentAppUI",
                "elasticmapreduce:DescribePersistentAppUI", "elasticmapreduce:GetPersistentAppUIPresignedURL",
                "elasticmapreduce:GetOnClusterAppUIPresignedURL"],
                [emr_cluster, f"{arn}:elasticmapreduce:{regional}:persistent-app-ui/*"]),
            # Neither has a resource type, so AWS matches them against "*" only.
            # DescribeSecurityConfiguration: the JupyterLab EMR extension and
            # `%sm_analytics emr connect` read the cluster's security configuration
            # (our template sets one); AWS's Studio reference policy lists it.
            Statement("AllowClusterDiscovery", ["elasticmapreduce:ListClusters",
                                                 "elasticmapreduce:DescribeSecurityConfiguration"], "*"),
            *[Statement("AllowSagemakerProjectManagement", ["sagemaker:CreateProject", "sagemaker:DeleteProject"],
                         f"{arn}:sagemaker:{regional}:project/*")] * studio_account,
        ))
        self._inline(studio, "platform-buckets", None, document(
            Statement("ListPlatformBuckets", ["s3:ListBucket", "s3:GetBucketLocation"], [artifacts, data]),
            Statement("ReadArtifacts", ["s3:GetObject"], [f"{artifacts}/*"]),
            Statement("ReadWriteData", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [f"{data}/*"]),
        ))

        instance = self._role("emr_instance", "emr-instance", "ec2.amazonaws.com", with_emr,
                              "EMR instance role (EMR_EC2_DefaultRole) of this domain's clusters")
        instance_profile = IamInstanceProfile(self, "emr_instance_profile", count=with_emr,
                                              name=self._name("emr-instance"), role=expr(one(instance, "name")))
        self._inline(instance, "emr-nodes", with_emr, document(
            Statement("ListPlatformBuckets", ["s3:ListBucket", "s3:GetBucketLocation"], [artifacts, data]),
            Statement("ReadBootstrapScripts", ["s3:GetObject"], [f"{artifacts}/*"]),
            Statement("ReadWriteDataAndLogs", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [f"{data}/*"]),
            Statement("DescribeOwnCluster", [
                "elasticmapreduce:DescribeCluster", "elasticmapreduce:ListBootstrapActions",
                "elasticmapreduce:ListInstanceGroups", "elasticmapreduce:ListInstances",
                "elasticmapreduce:ListSteps"], emr_cluster),
        ))

        service = self._role("emr_service", "emr-service", "elasticmapreduce.amazonaws.com", with_emr,
                             "EMR service role (EMR_DefaultRole) of this domain's clusters")
        self._managed(service, "emr_service_policy_v2", "service-role/AmazonEMRServicePolicy_v2", with_emr)
        # The v2 service policy leaves passing the instance role to the account.
        self._inline(service, "pass-instance-role", with_emr, document(
            Statement("PassInstanceRole", ["iam:PassRole"], string(one(instance, 'arn')),
                       {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}})))

        launch = self._role("launch", "emr-launch", "servicecatalog.amazonaws.com", with_emr,
                            "Service Catalog launch constraint: creates this domain's EMR clusters")
        self._managed(launch, "launch_emr_full_access_v2", "AmazonEMRFullAccessPolicy_v2", with_emr)
        self._inline(launch, "launch-emr-stack", with_emr, document(
            Statement("ManageProductStacks", [
                "cloudformation:CreateStack", "cloudformation:DeleteStack", "cloudformation:UpdateStack",
                "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents",
                "cloudformation:SetStackPolicy"],
                f"{arn}:cloudformation:{regional}:stack/SC-*"),
            # Template checks have no resource type: AWS allows only "*".
            Statement("ReadTemplates", ["cloudformation:GetTemplateSummary", "cloudformation:ValidateTemplate"],
                       "*"),
            Statement("ReadProductTemplates", ["s3:GetObject"], [f"{artifacts}/*"]),
            Statement("DecryptProductTemplates", ["kms:Decrypt"], string(p.kms_key_arn),
                       {"StringEquals": {"kms:ViaService": f"s3.{context.region}.amazonaws.com"}}),
            Statement("TagClusters", ["elasticmapreduce:AddTags"], emr_cluster),
            Statement("PassEmrRoles", ["iam:PassRole"],
                       [string(one(service, 'arn')), string(one(instance, 'arn'))],
                       {"StringEquals": {"iam:PassedToService": ["elasticmapreduce.amazonaws.com",
                                                                  "ec2.amazonaws.com"]}}),
        ))

        self._studio, self._launch, self._with_emr = studio, launch, with_emr
        self._studio_account = studio_account
        self.studio_execution_role_arn = string(one(studio, "arn"))
        self.emr_service_role_arn = string(one(service, "arn"))
        self.emr_service_role_name = string(one(service, "name"))
        self.emr_instance_role_arn = string(one(instance, "arn"))
        self.emr_instance_role_name = string(one(instance, "name"))
        self.studio_execution_role_name = string(one(studio, "name"))
        self.emr_instance_profile_name = string(one(instance_profile, "name"))
        self.launch_role_arn = string(one(launch, "arn"))

    def grant_emr_product_launch(self, product_arns: str) -> None:
        """Lets the Studio execution role find and launch exactly ``product_arns``
        (a list expression: this domain's EMR products) and manage what it launched.

        A separate inline policy, so the products (which the portfolio's
        principal association ties to this role) need not exist before the role.
        """
        self._inline(self._studio, "emr-products", self._with_emr, document(
            # SearchProducts and DescribeProductView have no resource type: AWS
            # authorizes them on "*" only. Search lists just the products of
            # portfolios this role is a principal of (this domain's).
            Statement("AllowEMRProductDiscovery", [
                "servicecatalog:DescribeProductView", "servicecatalog:SearchProducts"], "*"),
            # DescribeProductAsAdmin reads a product's tags (Studio's visibility tag): in the domain's
            # account AmazonSageMakerFullAccess allows it (servicecatalog:Describe*); the EMR account's
            # role, which has no SageMaker policy, gets it on exactly its products.
            Statement("AllowEMRProductLaunch", [
                "servicecatalog:DescribeProduct", "servicecatalog:DescribeProvisioningParameters",
                "servicecatalog:ListLaunchPaths", "servicecatalog:ProvisionProduct",
                *["servicecatalog:DescribeProductAsAdmin"] * (not self._studio_account)], string_list(product_arns)),
            # Provisioned products and records have no resource type either: AWS
            # authorizes them on "*" with an access level. roleLevel = self: only
            # what this role launched (the domain's users share it), not the account's.
            Statement("ManageOwnProvisionedEMRClusters", [
                "servicecatalog:DescribeProvisionedProduct", "servicecatalog:DescribeRecord",
                "servicecatalog:ListRecordHistory", "servicecatalog:SearchProvisionedProducts",
                "servicecatalog:TerminateProvisionedProduct", "servicecatalog:UpdateProvisionedProduct"], "*",
                {"StringEquals": {"servicecatalog:roleLevel": "self"}}),
        ))

    def grant_assumable_roles(self, role_arns: str) -> None:
        """Lets the Studio execution role assume exactly ``role_arns`` (a list expression: the
        roles of other accounts' EMR, EmrSettings.AssumableRoleArns). AWS's clients call plain
        sts:AssumeRole, no tags (sagemaker_studio_analytics_extension utils/boto_client_utils.py,
        sagemaker_jupyterlab_emr_extension utils/utils.py). A precondition refuses roles of this
        account: same-account clusters need no role to assume."""
        account = StackContext.of(self).account_id
        roles = string_list(role_arns)
        own = template('[for a in {roles} : a if split(":", a)[4] == {account}]', roles=roles, account=account)
        self._inline(self._studio, "emr-assumable-roles", count_when(f"length({role_arns}) > 0"), document(
            Statement("AssumeEmrAccountRoles", ["sts:AssumeRole"], roles),
        ), lifecycle=checked(pre=[(
            template("length({own}) == 0", own=own),
            f"emr_assumable_role_arns = {template('jsonencode({own})', own=own)} are roles of this domain's account "
            f"{account}: assumable roles are for EMR clusters in other accounts (the emr-account stack); "
            "this account's clusters need none.")]))

    def grant_emr_serverless(self, enabled: str, domain_arn: str) -> None:
        """Lets the Studio execution role list this domain's EMR Serverless applications and describe them
        (what the JupyterLab EMR extension's view and ``%sm_analytics emr-serverless connect`` call first).
        ``enabled``: condition (any application); ``domain_arn``: the tag value the applications carry
        (modules/emr_serverless.py). Starting an application, its Livy endpoint, its job runs' Spark UI and
        passing its runtime role are granted per runtime role, to the users given it
        (``EmrRuntimeRoles.grant_serverless``).

        AWS's Studio page ("Set up the permissions to enable listing and launching Amazon EMR
        applications from SageMaker Studio") scopes these by the ``sagemaker:domain-arn`` tag; Terraform
        makes the applications here, so CreateApplication, DeleteApplication and tagging are left out."""
        context = StackContext.of(self)
        arn = f"arn:{context.partition}:emr-serverless:{context.region}:{context.account_id}:/applications"
        self._inline(self._studio, "emr-serverless", count_when(enabled), document(
            # ListApplications has no resource type: AWS authorizes it on "*" only.
            Statement("ListApplications", ["emr-serverless:ListApplications"], "*"),
            Statement("DescribeDomainApplications", ["emr-serverless:GetApplication"], f"{arn}/*",
                       {"StringEquals": {"aws:ResourceTag/sagemaker:domain-arn": string(domain_arn)}})))

    def grant_launch_time_parameters(self, parameter_arns: str) -> None:
        """Lets the launch role read ``parameter_arns`` (a list expression: the
        SSM parameters the product templates name by dynamic reference), which
        CloudFormation resolves with the launch role's permissions. A separate
        inline policy, for the same reason as :meth:`grant_emr_product_launch`."""
        self._inline(self._launch, "launch-template-parameters", self._with_emr, document(
            Statement("ResolveTemplateParameters", ["ssm:GetParameters"], string_list(parameter_arns)),
        ))

    def _name(self, suffix: str) -> str:
        return quoted("{prefix}-" + suffix, prefix=self._props.name_prefix)

    def _role(self, id: str, suffix: str, service: Optional[str], count, description: str,
              trusted_role_arns: Optional[str] = None) -> IamRole:
        principal = {"Service": service} if service else {"AWS": string_list(trusted_role_arns)}
        actions, condition = "sts:AssumeRole", None
        if service in ("sagemaker.amazonaws.com", None):
            # The domain's ExecutionRoleIdentityConfig (on with EMR runtime roles, modules/studio.py) sets
            # the user profile's name as the session's source identity: "all execution roles must have"
            # sts:SetSourceIdentity in their trust policy
            # (https://docs.aws.amazon.com/sagemaker/latest/dg/monitor-user-access-how-to.html). The value
            # persists when that session assumes a role of another account (role chaining, IAM User Guide,
            # "Monitor and control actions taken with assumed roles"), so the role Studio assumes there
            # admits it too.
            actions = ["sts:AssumeRole", "sts:SetSourceIdentity"]
        if service in SERVICES_SENDING_SOURCE_ACCOUNT:
            # Confused-deputy guard: only this account's use of the service.
            condition = {"StringEquals": {"aws:SourceAccount": StackContext.of(self).account_id}}
        return IamRole(self, id, count=count, name=self._name(suffix), description=description,
                       assume_role_policy=document(Statement(None, actions, principal=principal,
                                                             condition=condition)),
                       permissions_boundary=expr(self._props.permissions_boundary_arn))

    def _managed(self, role: IamRole, id: str, policy: str, count) -> None:
        IamRolePolicyAttachment(self, id, count=count, role=expr(one(role, "name")),
                                policy_arn=quoted("arn:{partition}:iam::aws:policy/" + policy,
                                                  partition=StackContext.of(self).partition))

    def _inline(self, role: IamRole, name: str, count, document: str, lifecycle=None) -> None:
        IamRolePolicy(self, f"{role.node.id}_{name.replace('-', '_')}", count=count, name=name,
                      role=expr(one(role, "name")), policy=document, lifecycle=lifecycle)
