"""``python -m scripts.journey.clients run|calls``: see ``--help``."""

from __future__ import annotations

import argparse
import json
import os
import sys


def _print_run(result: dict) -> None:
    print("AWS calls made by the client code (service:operation, outcome, endpoint the client aimed at, where):")
    for c in result["aws_calls"]:
        print(f"  [{c['phase']}] {c['iam_action']:50} {c['outcome'] or '?':12} {c['aimed_at'] or '-':50} {c['caller']}")
    print(f"Livy endpoint: {result['livy_url']}  ({result['livy_note']})")
    for r in (result.get("connect") or {}).get("livy_requests", []):
        print(f"  {r['method']} {r['url']}  {json.dumps(r['body'])}")
    for s in (result.get("cluster_view") or {}).get("steps", []):
        print(f"  cluster view {s['route']:38} HTTP {s['status']}")
    print(f"refused (off loopback): {result['refused'] or 'none'}")
    for e in result["errors"]:
        print(f"error: {e}")
    print(f"connect_ok={result['connect_ok']} timings={result['timings']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.journey.clients")
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the connect path and the cluster view against the emulator")
    r.add_argument("--endpoint-url", required=True, help="the emulator, https://127.0.0.1:PORT")
    r.add_argument("--region", required=True)
    target = r.add_mutually_exclusive_group(required=True)
    target.add_argument("--cluster-id")
    target.add_argument("--application-id", help="an EMR Serverless application (emr-serverless connect)")
    r.add_argument("--ca-bundle", help="the emulator's certificate")
    r.add_argument("--credentials-json", required=True,
                   help="file ('-' for stdin) with AssumeRole's Credentials: AccessKeyId, SecretAccessKey, "
                        "SessionToken")
    r.add_argument("--auth-type", default="None")
    r.add_argument("--language", default="python")
    r.add_argument("--assumable-role-arn")
    r.add_argument("--emr-execution-role-arn")
    r.add_argument("--livy-closed", action="store_true", help="answer the Livy port probe 'closed'")
    r.add_argument("--no-view", action="store_true")
    r.add_argument("--no-app-ui", action="store_true")
    r.add_argument("--json", action="store_true")
    c = sub.add_parser("calls", help="the AWS calls the client packages can make, read from their code")
    c.add_argument("--json", action="store_true")
    child = sub.add_parser("_child")  # used by scripts.journey.clients.run
    child.add_argument("spec")
    child.add_argument("out")
    serve = sub.add_parser("_serve")  # used by scripts.journey.clients.ClientProcess
    serve.add_argument("endpoint_url")
    args = parser.parse_args(argv)

    if args.cmd == "calls":
        from .static_calls import static_calls

        calls = static_calls()
        if args.json:
            print(json.dumps([c.as_dict() for c in calls], indent=1))
        else:
            for call in calls:
                print(f"{call.iam_action:50} {call.services:15} {call.package}/{call.file}:{call.line} {call.function}")
        return 0

    if args.cmd == "_serve":
        from .server import serve

        return serve(args.endpoint_url)

    from .runner import run_in_process

    if args.cmd == "_child":
        with open(args.spec) as fh:
            spec = json.load(fh)
        os.unlink(args.spec)  # the credentials are in memory now
        result = run_in_process(**spec)
        with open(args.out, "w") as fh:
            json.dump(result, fh, default=str)
        return 0

    with (sys.stdin if args.credentials_json == "-" else open(args.credentials_json)) as fh:
        credentials = json.load(fh)
    credentials = credentials.get("Credentials", credentials)
    result = run_in_process(args.endpoint_url, args.region, credentials, args.cluster_id, args.ca_bundle,
                            args.auth_type, args.language, args.assumable_role_arn, args.emr_execution_role_arn,
                            livy_port_open=not args.livy_closed, view=not args.no_view, app_ui=not args.no_app_ui,
                            application_id=args.application_id)
    out = sys.__stdout__
    if args.json:
        json.dump(result, out, indent=1, default=str)
    else:
        sys.stdout = out
        _print_run(result)
    return 0 if result["connect_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
