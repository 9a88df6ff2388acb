"""Every EMR cluster launches with a security configuration."""
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult


class EmrClusterSecurityConfiguration(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the EMR cluster uses a security configuration (encryption at rest, IMDSv2)",
            id="CKV_SMEMR_1", categories=[CheckCategories.ENCRYPTION],
            supported_resources=["AWS::EMR::Cluster"])

    def scan_resource_conf(self, conf):
        value = conf.get("Properties", {}).get("SecurityConfiguration")
        return CheckResult.PASSED if value not in (None, "", "null") else CheckResult.FAILED


check = EmrClusterSecurityConfiguration()
