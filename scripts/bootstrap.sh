#!/usr/bin/env bash
# Set up this repository's tools on a fresh machine; near-instant when nothing changed.
#
#   .tools/        repo-local venv holding the pinned pipenv (never a global install)
#   .venv/         the project env, `pipenv sync --dev` from Pipfile.lock
#   node_modules/  `npm ci` from package-lock.json (the cdktf CLI)
#   terraform      must be on PATH, >= 1.10
#   studio-clients/.venv/  with --studio-clients only: AWS's Studio client packages
#                  for `scripts/platform journey`, from studio-clients/Pipfile.lock
#
# Each step keeps a stamp (the hash of its input) and is skipped while the stamp
# matches. Every failure ends with one line saying what to do next.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PIPENV_PIN="pipenv==2026.10.3"
TERRAFORM_MIN="1.10"
QUIET="${BOOTSTRAP_QUIET:-}"

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

# One bootstrap at a time per work tree (parallel scripts/test + scripts/plan).
mkdir -p .cache
if command -v flock >/dev/null 2>&1; then
  exec 9>.cache/bootstrap.lock
  flock 9
fi

# --- (a) .tools: python3.11 venv with the pinned pipenv ---------------------------
STEP="tools venv"
TOOLS_STAMP=".tools/.bootstrap-stamp"
TOOLS_WANT="$PIPENV_PIN"
if [ ! -x .tools/bin/pipenv ] || [ "$(cat "$TOOLS_STAMP" 2>/dev/null)" != "$TOOLS_WANT" ]; then
  command -v python3.11 >/dev/null 2>&1 && python3.11 -c 'import venv, ensurepip' >/dev/null 2>&1 \
    || die "python3.11 (with venv and ensurepip) is not available on PATH" \
           "install Python 3.11 (apt-get install python3.11 python3.11-venv, or pyenv install 3.11) and re-run scripts/bootstrap.sh"
  say "creating .tools (python3.11 venv) with $PIPENV_PIN"
  rm -rf .tools
  NEXT="check that PyPI is reachable (pip install $PIPENV_PIN), then re-run scripts/bootstrap.sh"
  python3.11 -m venv .tools
  .tools/bin/python -m pip install --quiet --disable-pip-version-check "$PIPENV_PIN"
  echo '*' > .tools/.gitignore  # keep the tools venv out of git without touching the repo's .gitignore
  echo "$TOOLS_WANT" > "$TOOLS_STAMP"
fi

# --- (b) .venv: pipenv sync --dev from Pipfile.lock ---------------------------------
STEP="pipenv sync"
[ -f Pipfile.lock ] || die "Pipfile.lock is missing" \
  "run '.tools/bin/pipenv lock' (PIPENV_VENV_IN_PROJECT=1) and commit Pipfile.lock, then re-run scripts/bootstrap.sh"
VENV_STAMP=".venv/.bootstrap-pipfile-lock.sha256"
LOCK_HASH="$(hash_of Pipfile.lock)"
if [ ! -x .venv/bin/python ] || [ "$(cat "$VENV_STAMP" 2>/dev/null)" != "$LOCK_HASH" ]; then
  say "pipenv sync --dev (Pipfile.lock changed or .venv missing)"
  NEXT="fix the pipenv error above (is Pipfile.lock in step with Pipfile? try '.tools/bin/pipenv lock'), or 'rm -rf .venv' and re-run scripts/bootstrap.sh"
  rm -f "$VENV_STAMP"
  PIPENV_VENV_IN_PROJECT=1 PIPENV_IGNORE_VIRTUALENVS=1 PIPENV_NOSPIN=1 PIPENV_YES=1 \
    PIPENV_VERBOSITY=-1 PIPENV_PYTHON="$(command -v python3.11 || echo python3.11)" \
    .tools/bin/pipenv sync --dev
  [ -x .venv/bin/python ] || die "pipenv sync did not create .venv/bin/python" \
    "'rm -rf .venv' and re-run scripts/bootstrap.sh"
  echo "$LOCK_HASH" > "$VENV_STAMP"
fi

# --- (c) node_modules: npm ci from package-lock.json ------------------------------
STEP="npm ci"
if [ -f package-lock.json ]; then
  NM_STAMP="node_modules/.bootstrap-package-lock.sha256"
  NPM_HASH="$(hash_of package-lock.json)"
  if [ ! -d node_modules ] || [ "$(cat "$NM_STAMP" 2>/dev/null)" != "$NPM_HASH" ]; then
    command -v npm >/dev/null 2>&1 || die "npm is not on PATH" \
      "install Node.js 20+ with npm (apt-get install nodejs npm) and re-run scripts/bootstrap.sh"
    say "npm ci (package-lock.json changed or node_modules missing)"
    NEXT="fix the npm error above (is package-lock.json in step with package.json?), then re-run scripts/bootstrap.sh"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$NPM_HASH" > "$NM_STAMP"
  fi
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
if [ "${1:-}" = "--studio-clients" ] || [ -n "${BOOTSTRAP_STUDIO_CLIENTS:-}" ]; then
  STEP="studio clients"
  STUDIO=", studio-clients/.venv"
  SC_STAMP="studio-clients/.venv/.bootstrap-pipfile-lock.sha256"
  SC_HASH="$(hash_of studio-clients/Pipfile.lock)"
  if [ ! -x studio-clients/.venv/bin/python ] || [ "$(cat "$SC_STAMP" 2>/dev/null)" != "$SC_HASH" ]; then
    # sparkmagic -> requests-kerberos -> pyspnego[kerberos] -> gssapi, krb5: no
    # Linux wheels, so pip builds them against the system's Kerberos headers.
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
    say "pipenv sync of studio-clients (studio-clients/Pipfile.lock changed or its .venv missing; a few minutes cold)"
    NEXT="fix the pipenv error above, or 'rm -rf studio-clients/.venv' and re-run scripts/bootstrap.sh --studio-clients"
    rm -f "$SC_STAMP"
    PIPENV_PIPFILE="$ROOT/studio-clients/Pipfile" PIPENV_VENV_IN_PROJECT=1 PIPENV_IGNORE_VIRTUALENVS=1 \
      PIPENV_NOSPIN=1 PIPENV_YES=1 PIPENV_VERBOSITY=-1 PIPENV_PYTHON="$(command -v python3.11 || echo python3.11)" \
      .tools/bin/pipenv sync
    [ -x studio-clients/.venv/bin/python ] || die "pipenv sync did not create studio-clients/.venv/bin/python" \
      "'rm -rf studio-clients/.venv' and re-run scripts/bootstrap.sh --studio-clients"
    echo "$SC_HASH" > "$SC_STAMP"
  fi
fi

trap - ERR
say "ok (.tools, .venv, node_modules$STUDIO up to date; terraform $TF_VERSION)"
