"""checkov, offline, on cdk.tf.json, a plan and the rendered templates; the skips declared
beside the resources (``modules.tf.skip_checks``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

from scripts.errors import ScriptError

CUSTOM_CHECKS_DIR = Path(__file__).resolve().parent / "checkov_checks"
BLACKHOLE_PROXY = "http://127.0.0.1:9"  # nothing listens: any request that tries to leave fails


class ScanError(ScriptError):
    """A scanner could not run; ``str(err)`` says what and what to do."""


@dataclass
class CheckovResult:
    """checkov's verdicts for one target, after the declared skips."""

    target: str
    passed: List[Tuple[str, str]] = field(default_factory=list)
    """(check id, resource) pairs."""
    failed: List[Tuple[str, str, str]] = field(default_factory=list)
    """(check id, resource, check name)."""
    skipped: List[Tuple[str, str, str]] = field(default_factory=list)
    """(check id, resource, reason)."""
    resource_count: int = 0

    def counts(self) -> Dict[str, int]:
        return {"passed": len(self.passed), "failed": len(self.failed), "skipped": len(self.skipped)}


def checkov_command() -> List[str]:
    found = Path(sys.executable).with_name("checkov")
    if found.is_file():
        return [str(found)]
    which = shutil.which("checkov")
    if which:
        return [which]
    raise ScanError("checkov is not installed: run scripts/bootstrap.sh (it is pinned in Pipfile.lock)")


def offline_env(base: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """Environment for the scanners: no update check, and nothing reaches the network."""
    env = dict(os.environ if base is None else base)
    env.update({
        "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
        "BC_SKIP_MAPPING": "TRUE",
        "HTTP_PROXY": BLACKHOLE_PROXY, "HTTPS_PROXY": BLACKHOLE_PROXY,
        "http_proxy": BLACKHOLE_PROXY, "https_proxy": BLACKHOLE_PROXY,
        "NO_PROXY": "", "no_proxy": "",
    })
    env.pop("BC_API_KEY", None)
    return env


def run_checkov(target: Path, framework: str, external_checks_dir: Optional[Path] = None,
                timeout: int = 600) -> List[dict]:
    """checkov's JSON reports (one per framework) for a file or a directory."""
    args = checkov_command() + ["--framework", framework, "-o", "json", "--skip-download", "--compact"]
    args += ["-d", str(target)] if target.is_dir() else ["-f", str(target)]
    if external_checks_dir is not None:
        args += ["--external-checks-dir", str(external_checks_dir)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=offline_env(),
                          cwd=str(target if target.is_dir() else target.parent))
    # checkov exits 1 when a check fails; anything else that is not JSON is a crash.
    try:
        reports = json.loads(proc.stdout)
    except ValueError:
        raise ScanError(f"checkov --framework {framework} on {target} failed (exit {proc.returncode}):\n"
                        f"{proc.stderr[-3000:]}") from None
    return reports if isinstance(reports, list) else [reports]


# Top-level blocks checkov 3.2's Terraform JSON parser cannot read; none holds a resource.
NOT_FOR_CHECKOV = ("terraform", "import")


def terraform_json_for_checkov(config: dict) -> dict:
    """``cdk.tf.json`` without the blocks checkov 3.2 cannot parse (:data:`NOT_FOR_CHECKOV`)."""
    return {k: v for k, v in config.items() if k not in NOT_FOR_CHECKOV}


@dataclass(frozen=True)
class Skip:
    """A check a resource deliberately does not meet (``modules.tf.skip_checks``)."""

    address: str
    check: str
    reason: str
    only: Optional[str] = None
    """None: every scan; else ``plan`` or ``cdk.tf.json``."""
    path: str = ""
    """The resource's construct path, e.g. ``storage/logs``."""

    def applies_to(self, scan: str) -> bool:
        return self.only is None or self.only == scan


def declared_skips(config: dict) -> Dict[str, Dict[str, Skip]]:
    """Skips declared on resources: address => {check id: Skip}."""
    found: Dict[str, Dict[str, Skip]] = {}
    for type_, resources in config.get("resource", {}).items():
        for name, body in resources.items():
            comment = body.get("//", {})
            path = comment.get("metadata", {}).get("path", "").split("/", 1)[-1]
            for s in comment.get("checkov", {}).get("skip", []):
                found.setdefault(f"{type_}.{name}", {})[s["id"]] = Skip(
                    f"{type_}.{name}", s["id"], s["comment"], s.get("only"), path)
    return found


def _address(resource: str, known: Iterable[str]) -> str:
    """A resource as checkov names it, as the ``type.name`` address of ``cdk.tf.json``."""
    base = re.sub(r"(\[[^\]]*\])+$", "", resource)            # count / for_each index
    base = re.sub(r"^module\.[^.]+\.", "", base)
    if base.startswith("resource."):                          # a checkov quirk: "resource.<name>"
        name = base.split(".", 1)[1]
        matches = [a for a in known if a.split(".", 1)[1] == name]
        if len(matches) == 1:
            return matches[0]
    return base


def apply_skips(target: str, reports: List[dict], skips: Mapping[str, Mapping[str, Skip]],
                known_addresses: Iterable[str] = ()) -> CheckovResult:
    """checkov's reports with the failures that a declared skip for ``target``
    (``plan`` or ``cdk.tf.json``) covers moved to ``skipped``."""
    known = list(known_addresses) or list(skips)
    result = CheckovResult(target)
    for report in reports:
        results = report.get("results", {})
        result.resource_count += report.get("summary", {}).get("resource_count", 0)
        for check in results.get("passed_checks", []):
            result.passed.append((check["check_id"], check["resource"]))
        for check in results.get("skipped_checks", []):  # CloudFormation Metadata skips
            reason = (check.get("check_result") or {}).get("suppress_comment", "")
            result.skipped.append((check["check_id"], check["resource"], reason))
        for check in results.get("failed_checks", []):
            address = _address(check["resource"], known)
            skip = skips.get(address, {}).get(check["check_id"])
            if skip is not None and skip.applies_to(target):
                result.skipped.append((check["check_id"], check["resource"], skip.reason))
            else:
                result.failed.append((check["check_id"], check["resource"], check["check_name"]))
    return result


def stale_skips(results: Iterable[CheckovResult], skips: Mapping[str, Mapping[str, Skip]],
                known_addresses: Iterable[str]) -> List[Tuple[str, str]]:
    """Declared skips that none of the scans they apply to needed: (address, check id).

    A skip is judged only by scans that ran and that it applies to."""
    results = list(results)
    known = list(known_addresses)
    ran = {r.target for r in results}
    used = {(_address(resource, known), check) for r in results for check, resource, _ in r.skipped}
    return sorted((a, c) for a, checks in skips.items() for c, skip in checks.items()
                  if any(skip.applies_to(t) for t in ran) and (a, c) not in used)


def scan_stack(config: dict, workdir: Path) -> CheckovResult:
    """checkov on a synthesized ``cdk.tf.json`` (as a dict)."""
    path = Path(workdir) / "cdk.tf.json"
    path.write_text(json.dumps(terraform_json_for_checkov(config), indent=2))
    return apply_skips("cdk.tf.json", run_checkov(path, "terraform_json"), declared_skips(config),
                       _addresses(config))


def scan_plan(shown_plan: dict, config: dict, workdir: Path, name: str = "plan") -> CheckovResult:
    """checkov on ``terraform show -json`` of a plan of that stack."""
    path = Path(workdir) / f"{name}.json"
    path.write_text(json.dumps(shown_plan))
    return apply_skips("plan", run_checkov(path, "terraform_plan"), declared_skips(config),
                       _addresses(config))


def scan_templates(rendered_dir: Path) -> CheckovResult:
    """checkov (with the platform's checks) on a directory of rendered product templates."""
    return apply_skips("emr_templates", run_checkov(Path(rendered_dir), "cloudformation", CUSTOM_CHECKS_DIR), {})


def _addresses(config: dict) -> List[str]:
    return [f"{t}.{n}" for t, resources in config.get("resource", {}).items() for n in resources]
