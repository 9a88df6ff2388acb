"""This command's own emulator, ready when the synthesis is.

An emulator run of ``scripts/platform`` (plan, pr-plan, loop, journey without
the persistent emulator) needs, besides the synthesis, an emulator that has
started (about 1.3 s), answered the first requests of a plan (IAM loads AWS's
managed policies, EC2 its region: about 1 s) and a ``terraform init`` of the
platform stack's scratch copy (about 0.5 s, most of it checking the provider
package against the lock file). The synthesis keeps about one core of two
busy, so :func:`own_emulator` does all three on the other one, beside it.

The early init (:class:`EarlyInit`) runs in a directory that holds only the
``terraform`` block of the synthesis already in the output directory and the
run's backend override: what ``terraform init`` sets up depends only on that
block (required providers and version), the modules and the backend. The copy
of the new synthesis takes over its ``.terraform`` and lock file when its block
and backend override are the same and it has no modules and no lock file of its
own; otherwise it is initialized after the synthesis, as before. Terraform
checks the result either way: a plan refuses a lock file or backend that does
not fit the configuration.
"""
from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from scripts import terraform_env
from scripts.emulator import BACKEND_OVERRIDE_FILE, Emulator
from scripts.repo import PLATFORM_STACK, TERRAFORM_LOCK_FILE_NAME


def init_inputs(stack: Path) -> dict | None:
    """The ``terraform`` block of ``stack`` without its backend; None when the
    stack has modules or a lock file, or no readable configuration."""
    try:
        config = json.loads((stack / "cdk.tf.json").read_text())
    except (OSError, ValueError):
        return None
    if "module" in config or (stack / TERRAFORM_LOCK_FILE_NAME).exists():
        return None
    return {k: v for k, v in (config.get("terraform") or {}).items() if k != "backend"}


def _backend(stack: Path) -> dict | None:
    try:
        return json.loads((stack / BACKEND_OVERRIDE_FILE).read_text()).get("terraform")
    except (OSError, ValueError):
        return None


class EarlyInit:
    """``run`` beside the synthesis, then ``adopt`` for the copy of its result."""

    def __init__(self, stack: Path, scratch: Path) -> None:
        self.inputs = init_inputs(stack)  # before the synthesis rewrites the stack
        self.dir = scratch / "early-init" / stack.name  # the backend override names its files by the stack
        self.seconds: float | None = None

    def run(self, write_backend: Callable[[Path], None], init: Callable[[Path], None]) -> None:
        """Writes the directory and its backend override (``write_backend``) and
        initializes it (``init``); a failure only leaves nothing to adopt."""
        if self.inputs is None:
            return
        start = time.monotonic()
        try:
            self.dir.mkdir(parents=True)
            (self.dir / "cdk.tf.json").write_text(json.dumps({"terraform": self.inputs}))
            write_backend(self.dir)
            init(self.dir)
        except Exception:  # noqa: BLE001 - the copy is initialized after the synthesis instead
            return
        self.seconds = time.monotonic() - start

    def adopt(self, copy: Path) -> bool:
        """Moves the initialized ``.terraform`` and lock file into ``copy`` when
        they fit it; True when it did."""
        if self.seconds is None or init_inputs(copy) != self.inputs or (copy / ".terraform").exists():
            return False
        if _backend(copy) is None or _backend(copy) != _backend(self.dir):
            return False
        (self.dir / ".terraform").rename(copy / ".terraform")
        (self.dir / TERRAFORM_LOCK_FILE_NAME).rename(copy / TERRAFORM_LOCK_FILE_NAME)
        return True


@contextmanager
def own_emulator(root: Path, outdir: Path, region: str, progress, prepare: Callable[[], None]) -> Iterator:
    """The Target of an emulator of this command's own (scripts/platform_cmd/'s
    emulator_target), with ``prepare`` (the synthesis) run meanwhile; the emulator
    is stopped and its scratch directory removed on exit."""
    from scripts.platform_cmd import Target, Terraform, emulator_copies, write_local_backend_override

    emu = Emulator(region=region, log_dir=root / ".cache" / "emulator")
    emu.log_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=emu.log_dir))
    env = terraform_env.build_env(root)
    early = EarlyInit(Path(outdir) / "stacks" / PLATFORM_STACK, scratch)

    failed = threading.Event()  # the synthesis failed: only the start is waited for

    def start() -> None:
        with progress.step("start emulator"):
            emu.start()
        if not failed.is_set():
            early.run(lambda stack: write_local_backend_override(stack, scratch / "state"),
                      lambda stack: Terraform(stack, emu.env(env, region=region)).init())

    def warm_up() -> None:  # not waited for: a plan's first requests wait for it in the emulator
        if started.exception() is None and not failed.is_set():
            emu.warm_up(region)

    pool = ThreadPoolExecutor(max_workers=1)  # one after the other, on the core the synthesis leaves
    started = pool.submit(start)
    pool.submit(warm_up)
    try:
        prepare()
        started.result()
        progress.say(f"emulator at {emu.url} (log {emu.log_path})")
        stacks = emulator_copies(Path(outdir) / "stacks", scratch, emu)
        initialized = frozenset([PLATFORM_STACK] if early.adopt(stacks[PLATFORM_STACK]) else [])
        if initialized:
            progress.say(f"terraform init done in {early.seconds:.1f}s, beside the synthesis "
                         f"(total {time.monotonic() - progress.t0:.1f}s)")
        yield Target("emulator", stacks, emu.env(env, region=region), emu, initialized)
    except BaseException:
        failed.set()
        raise
    finally:
        pool.shutdown()  # an emulator still starting is stopped too, not left behind
        emu.stop()
        shutil.rmtree(scratch, ignore_errors=True)
