"""``python -m scripts.security_scan``: every scan, its counts and failures; exit 1 on any."""

from __future__ import annotations

import argparse
import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, Optional

from scripts.errors import UsageError, run_main
from scripts.security_scan.checkov import (
    _addresses, declared_skips, scan_plan, scan_stack, scan_templates, stale_skips)
from scripts.security_scan.policies import lint_policy, policy_documents


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts.security_scan", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", type=Path, required=True, help="synthesized stack directory (cdk.tf.json)")
    parser.add_argument("--plan-json", type=Path, help="terraform show -json of a plan of that stack")
    parser.add_argument("--templates-dir", type=Path, help="directory of rendered product templates")
    args = parser.parse_args(argv)
    return run_main("scripts.security_scan", lambda: _scan(args))


def _read_json(path: Path, option: str, next_step: str):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"{option} {path}: {exc}", next_step) from None


def _scan(args: argparse.Namespace) -> int:
    config = _read_json(args.stack / "cdk.tf.json", "--stack",
                        "point --stack at a synthesized stack (cdktf.out/stacks/platform after scripts/plan).")
    plan = _read_json(args.plan_json, "--plan-json", "pass the output of `terraform show -json PLANFILE`.") \
        if args.plan_json else None
    with tempfile.TemporaryDirectory() as work:
        jobs = {"cdk.tf.json": lambda: scan_stack(config, Path(work))}
        if plan is not None:
            jobs["plan"] = lambda: scan_plan(plan, config, Path(work))
        if args.templates_dir:
            jobs["emr_templates"] = lambda: scan_templates(args.templates_dir)
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            results = dict(zip(jobs, pool.map(lambda job: job(), jobs.values()), strict=True))
    bad = 0
    for name, result in results.items():
        print(f"checkov {name}: {result.counts()}")
        for check, resource, title in result.failed:
            print(f"  FAILED {check} {resource}: {title}")
            bad += 1
    for address, check in stale_skips(results.values(), declared_skips(config), _addresses(config)):
        print(f"  STALE SKIP {check} on {address}: no scan failed it; remove the skip")
        bad += 1
    documents = policy_documents(config, plan)
    findings = [f for d in documents for f in lint_policy(d)]
    print(f"parliament: {len(documents)} policy documents, {len(findings)} findings above LOW")
    for f in findings:
        print(f"  {f.severity} {f.issue} in {f.document}: {f.detail}")
    return 1 if bad or findings else 0
