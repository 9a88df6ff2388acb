"""Every EMR cluster terminates itself when idle."""
from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.models.enums import CheckCategories, CheckResult


class EmrClusterAutoTermination(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the EMR cluster terminates itself when idle (AutoTerminationPolicy)",
            id="CKV_SMEMR_2", categories=[CheckCategories.GENERAL_SECURITY],
            supported_resources=["AWS::EMR::Cluster"])

    def scan_resource_conf(self, conf):
        policy = conf.get("Properties", {}).get("AutoTerminationPolicy") or {}
        return CheckResult.PASSED if policy.get("IdleTimeout") else CheckResult.FAILED


check = EmrClusterAutoTermination()
