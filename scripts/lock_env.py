"""Helpers of ``scripts/bootstrap.sh``: a Python environment from a Pipfile.lock.

Standard library only (``packaging`` too where the environment has it), run by
any Python 3.11::

    python3.11 scripts/lock_env.py names Pipfile.lock default
        the names of the section's packages, one a line

    python3.11 scripts/lock_env.py requirements Pipfile.lock default develop > req.txt
        the sections' packages as pinned, hashed requirement lines
        (``name==version ; markers --hash=...``), for
        ``uv pip install --no-deps --require-hashes -r req.txt``: the lock is
        installed as it is, nothing resolved again

    .venv/bin/python scripts/lock_env.py compile [--roots NAME[EXTRA]...] [--repo DIR]
        compiles the environment's packages to bytecode (all of them, or the
        dependency closure of ``--roots``, read from the installed metadata),
        in parallel, skipping what is compiled already

Bytecode is compiled at install time, as pip does, because an import where
``PYTHONDONTWRITEBYTECODE`` is set never keeps what it compiled: without it
every synthesis, emulator start and test worker would compile moto, cdktf and
the AWS bindings again (about 5 s a plan). The AWS bindings' resource modules
that no code in ``--repo`` imports are left out: they are two thirds of the
source (2,135 modules, 176 MB) and would double the time.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

if __package__ in (None, ""):  # run as a file (bootstrap.sh): make `scripts.*` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.errors import ScriptError, run_main

AWS_BINDINGS = "cdktf_cdktf_provider_aws"
_BINDING_IMPORT = re.compile(AWS_BINDINGS + r"\.([a-z0-9_]+)")
# Package and code directories of the repository that import the bindings.
_REPO_CODE = ("main.py", "modules", "scripts", "tests")


class LockError(ScriptError):
    """The lock cannot be installed as it is; the message says why."""


def requirement_lines(lock_path: str | Path, sections: list[str]) -> list[str]:
    """The packages of ``sections`` of a Pipfile.lock as pinned requirement lines with hashes."""
    lock = json.loads(Path(lock_path).read_text())
    lines: dict[str, str] = {}
    for section in sections:
        for name, entry in sorted(lock.get(section, {}).items()):
            version = str(entry.get("version", ""))
            if not version.startswith("==") or not entry.get("hashes"):
                raise LockError(f"{lock_path}: {name} ({section}) is not pinned with ==version and hashes; "
                                "bootstrap installs only pinned, hashed packages (re-lock with pipenv lock)")
            line = name + version
            if entry.get("markers"):
                line += f" ; {entry['markers']}"
            line += "".join(f" --hash={h}" for h in entry["hashes"])
            if lines.setdefault(name, line) != line:
                raise LockError(f"{lock_path}: {name} is locked differently in {' and '.join(sections)} "
                                "(re-lock with pipenv lock)")
    return [lines[name] for name in sorted(lines)]


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(roots: list[str]) -> set[str] | None:
    """Normalized names of the installed distributions that ``roots`` (``name`` or
    ``name[extra,...]``) need, recursively; None when that cannot be read here
    (no ``packaging``): then everything is compiled."""
    try:
        from importlib import metadata

        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:
        return None
    installed = {_normalize(d.metadata["Name"]): d for d in metadata.distributions() if d.metadata["Name"]}
    seen: set[tuple[str, str]] = set()
    names: set[str] = set()
    todo = []
    for root in roots:
        req = Requirement(root)
        todo += [(_normalize(req.name), extra) for extra in ("", *sorted(req.extras))]
    while todo:
        name, extra = todo.pop()
        if (name, extra) in seen or name not in installed:
            continue
        seen.add((name, extra))
        names.add(name)
        for text in installed[name].requires or []:
            try:
                req = Requirement(text)
            except InvalidRequirement:
                continue
            env = {"extra": extra}
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            todo += [(_normalize(req.name), e) for e in ("", *sorted(req.extras))]
    return names


def used_binding_modules(repo: Path) -> set[str]:
    """The bindings' resource modules that the repository's code imports."""
    used: set[str] = set()
    for part in _REPO_CODE:
        path = repo / part
        files = [path] if path.is_file() else path.rglob("*.py") if path.is_dir() else []
        for file in files:
            try:
                used.update(_BINDING_IMPORT.findall(file.read_text(errors="replace")))
            except OSError:
                continue
    return used


def files_to_compile(only: set[str] | None, repo: Path | None) -> list[str]:
    from importlib import metadata

    used = used_binding_modules(repo) if repo else None
    out = []
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name or (only is not None and _normalize(name) not in only):
            continue
        for file in dist.files or []:
            parts = file.parts
            if file.suffix != ".py" or not parts or parts[0] == "..":
                continue  # scripts installed outside site-packages are not imported
            if used is not None and parts[0] == AWS_BINDINGS and len(parts) > 2 \
                    and parts[1] not in used and parts[1] != "_jsii":
                continue
            out.append(str(dist.locate_file(file)))
    return out


def _compile(path: str) -> bool:
    return bool(compileall.compile_file(path, quiet=2))


def compile_env(roots: list[str] | None, repo: Path | None) -> tuple[int, int]:
    """Compiles (in parallel, one process a core) what is not compiled yet; (files, failed)."""
    only = closure(roots) if roots else None
    files = files_to_compile(only, repo)
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(_compile, files, chunksize=64))
    return len(files), results.count(False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/lock_env.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    names = sub.add_parser("names", help="the names of a Pipfile.lock section's packages")
    names.add_argument("lock")
    names.add_argument("section")
    req = sub.add_parser("requirements", help="pinned, hashed requirement lines of a Pipfile.lock's sections")
    req.add_argument("lock")
    req.add_argument("sections", nargs="+")
    comp = sub.add_parser("compile", help="compile this environment's packages to bytecode")
    comp.add_argument("--roots", nargs="*", default=None,
                      help="only these packages and what they need (default: every package)")
    comp.add_argument("--repo", type=Path, default=None,
                      help="leave out the AWS bindings' modules that this repository's code does not import")
    args = parser.parse_args(argv)
    return run_main("bootstrap", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    if args.command == "names":
        print("\n".join(sorted(json.loads(Path(args.lock).read_text()).get(args.section, {}))))
        return 0
    if args.command == "requirements":
        try:
            print("\n".join(requirement_lines(args.lock, args.sections)))
        except (OSError, ValueError) as exc:
            raise LockError(str(exc)) from None
        return 0
    total, failed = compile_env(args.roots, args.repo)
    print(f"compiled {total - failed} of {total} files"
          + (f"; {failed} do not compile (an import of one fails as it would have anyway)" if failed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
