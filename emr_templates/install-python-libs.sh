#!/bin/bash
# EMR bootstrap action: install pinned Python libraries on every node.
#
# Runs on each EMR node (master and core) as the `hadoop` user, before the
# cluster's applications are installed; a non-zero exit fails the cluster
# launch, so failures here are loud and the cause is in the bootstrap-action
# logs under the cluster's LogUri (node/<instance-id>/bootstrap-actions/).
#
# Why system-wide (`sudo /usr/bin/python3 -m pip install`), not `--user`:
#   PySpark drivers and executors started through Livy run as the `livy` and
#   `yarn` users, not as `hadoop`. A `--user` install would land in
#   /home/hadoop/.local and be invisible to them. EMR's PySpark uses
#   /usr/bin/python3 by default, so that is the interpreter we install into
#   (pip puts the packages in /usr/local/lib*/python3.X/site-packages, which
#   leaves the rpm-owned files under /usr/lib* alone).
#
# Why two pin sets: EMR 6.x runs on Amazon Linux 2 with Python 3.7, EMR 7.x
# on Amazon Linux 2023 with Python 3.9. No single numpy/pandas/matplotlib
# release ships wheels for both, so the set is chosen from the interpreter's
# version. Every pinned release has manylinux2014 wheels for x86_64 and
# aarch64 (Graviton), and `--only-binary=:all:` refuses to compile from
# source, which is why the seed's compilers, -devel packages, cython and
# setuptools pins are no longer needed.
set -euo pipefail

export TZ=UTC
PYTHON=/usr/bin/python3
# --root-user-action needs pip >= 22.1: used only after pip is upgraded below.
PIP_OPTS=(--no-cache-dir --disable-pip-version-check --root-user-action=ignore --only-binary=:all:)

log() {
  printf '[install-python-libs] %(%Y-%m-%dT%H:%M:%SZ)T %s\n' -1 "$*"
}

if [[ ! -x "${PYTHON}" ]]; then
  log "ERROR: ${PYTHON} not found" >&2
  exit 1
fi

py_version="$("${PYTHON}" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
log "python3 is ${py_version}"

case "${py_version}" in
  3.7 | 3.8)
    # Amazon Linux 2 (EMR 6.x). Last releases that support Python 3.7.
    # urllib3 stays on 1.26: urllib3 2.x needs OpenSSL 1.1.1+, and AL2's
    # python3 is built against OpenSSL 1.0.2.
    PIP_VERSION="24.0"
    PACKAGES=(
      "numpy==1.21.6"
      "pandas==1.3.5"
      "matplotlib==3.5.3"
      "requests==2.31.0"
      "urllib3==1.26.20"
      "boto3==1.33.13"
    )
    ;;
  3.9 | 3.10 | 3.11 | 3.12)
    # Amazon Linux 2023 (EMR 7.x).
    PIP_VERSION="25.1.1"
    PACKAGES=(
      "numpy==1.26.4"
      "pandas==2.2.3"
      "matplotlib==3.9.4"
      "requests==2.32.4"
      "boto3==1.40.76"
    )
    ;;
  *)
    log "ERROR: no pinned library set for Python ${py_version}; add one to this script" >&2
    exit 1
    ;;
esac

# Some minimal images ship python3 without pip.
if ! "${PYTHON}" -m pip --version >/dev/null 2>&1; then
  log "pip missing; installing python3-pip"
  sudo yum install -y python3-pip
fi

# The distribution's pip may predate manylinux2014 wheel tags (and then tries
# to build numpy from source), so bring pip itself to a pinned version first.
log "installing pip==${PIP_VERSION}"
sudo "${PYTHON}" -m pip install --no-cache-dir --upgrade "pip==${PIP_VERSION}"

log "installing ${PACKAGES[*]}"
sudo "${PYTHON}" -m pip install "${PIP_OPTS[@]}" "${PACKAGES[@]}"

# Fail here, not in a user's first notebook, if an import is broken.
"${PYTHON}" -c 'import numpy, pandas, matplotlib, requests, boto3; print("numpy", numpy.__version__, "pandas", pandas.__version__, "matplotlib", matplotlib.__version__)'

log "done"
