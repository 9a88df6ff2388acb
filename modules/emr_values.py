"""Plain values the EMR constructs write, which the tests check too: the product templates' names, the
security configuration document, the runtime roles' actions, the tag of EMR Serverless applications and the
data bucket's prefixes the platform writes itself.

The standard library only (and ``modules/hcl.py``), like ``modules/aws_limits.py``: a module that imports the
AWS bindings loads their jsii assembly (about 4 CPU seconds and a Node process of 1 GB) into every process that
imports it, and every pytest worker imports every test file.
"""
import json
import os
from typing import List

from modules.hcl import interpolated

# The product templates (modules/emr_catalog.py): emr_templates/<name>.yaml.
TEMPLATE_SUFFIX = ".yaml"


def template_names(templates_source_dir: str) -> List[str]:
    """Names of the product templates (file stems), sorted."""
    return sorted(f[: -len(TEMPLATE_SUFFIX)] for f in os.listdir(templates_source_dir)
                  if f.endswith(TEMPLATE_SUFFIX))


# The security configuration (modules/emr_security.py): IMDSv2 only, one hop.
IMDS_HOP_LIMIT = 1


def security_configuration(kms_key_arn: str, runtime_roles: bool = False) -> str:
    """The configuration document (a JSON template Terraform fills in); ``runtime_roles``: with
    application-scoped IAM roles, which runtime roles need
    (https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-steps-runtime-roles.html, step 1)."""
    key = interpolated(kms_key_arn)
    authorization = ({"AuthorizationConfiguration": {"IAMConfiguration": {"EnableApplicationScopedIAMRole": True}}}
                     if runtime_roles else {})
    return json.dumps({
        "EncryptionConfiguration": {
            "EnableAtRestEncryption": True,
            "EnableInTransitEncryption": False,
            "AtRestEncryptionConfiguration": {
                "S3EncryptionConfiguration": {"EncryptionMode": "SSE-KMS", "AwsKmsKey": key},
                "LocalDiskEncryptionConfiguration": {
                    "EncryptionKeyProviderType": "AwsKms", "AwsKmsKey": key, "EnableEbsEncryption": True},
            },
        },
        "InstanceMetadataServiceConfiguration": {
            "MinimumInstanceMetadataServiceVersion": 2, "HttpPutResponseHopLimit": IMDS_HOP_LIMIT},
        **authorization,
    }, indent=2)


# The runtime roles' data policies (modules/emr_runtime_roles.py).
# Glue Data Catalog calls of Spark and Hive on a database's tables (read and write); Lake Formation's
# GetDataAccess hands out the data credentials of tables it governs.
GLUE_ACTIONS = (
    "glue:BatchCreatePartition", "glue:BatchDeletePartition", "glue:BatchGetPartition", "glue:CreatePartition",
    "glue:CreateTable", "glue:DeletePartition", "glue:DeleteTable", "glue:GetDatabase", "glue:GetDatabases",
    "glue:GetPartition", "glue:GetPartitions", "glue:GetTable", "glue:GetTables", "glue:UpdatePartition",
    "glue:UpdateTable")
S3_READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
S3_WRITE_ACTIONS = ("s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject")

# EMR Serverless applications (modules/emr_serverless.py).
# The tag Studio's EMR Serverless permissions are scoped by (SageMaker Developer Guide, "Set up the
# permissions to enable listing and launching Amazon EMR applications from SageMaker Studio").
DOMAIN_TAG = "sagemaker:domain-arn"


def runtime_role_names(applications: str) -> str:
    """The runtime-role names ``applications`` (the input's expression) use, as a list expression: for the
    runtime-role construct, which makes those roles trust EMR Serverless before any application exists."""
    return f"distinct([for n, a in {applications} : a.runtime_role if try(a.runtime_role, null) != null])"


# The data bucket's prefixes the platform writes itself (modules/storage.py): EMR's logs, Studio's shared
# notebooks (modules/emr_runtime_role_rules.py keeps runtime roles out of both).
EMR_LOG_PREFIX = "emr/logs/"
STUDIO_SHARING_PREFIX = "studio/sharing/"
