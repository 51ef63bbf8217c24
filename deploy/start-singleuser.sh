#!/bin/sh
# A student's server on the classroom hub (docs/HUB.md): before JupyterLab starts, bring the
# course into ~/mlcourse and the student's own copies into ~/mlcourse/my-work, then run the
# single-user server. The same script is the image's command on Zero-to-JupyterHub
# (deploy/values.yaml, deploy/Dockerfile) and on the local hub of tests/test_hub.py.
#
#   MLCOURSE_REPO    the course's git URL (required), e.g. https://github.com/ORG/mlcourse
#   MLCOURSE_BRANCH  its branch (default: main)
#   MLCOURSE_PYTHON  the course environment's Python, the one of the "mlcourse" kernel
#                    (default: python3 on PATH)
#
# First start: nbgitpuller's `gitpuller` clones the course. Later starts: it merges the new
# commits into the student's clone and keeps the student's edits (git merge -Xours; see
# docs/HUB.md). `python -m mlcourse workspace` then copies new notebooks into my-work/
# (git-ignored, so nbgitpuller never touches it) and never overwrites a copy the student
# changed. If the pull fails (network, hub, git), the student still gets their server.
set -u
: "${MLCOURSE_REPO:?set MLCOURSE_REPO to the course's git URL}"
course="$HOME/mlcourse"
gitpuller "$MLCOURSE_REPO" "${MLCOURSE_BRANCH:-main}" "$course" \
    || echo "start-singleuser: could not pull $MLCOURSE_REPO; starting with the copy on disk" >&2
if [ -d "$course/mlcourse" ]; then
    # run from the clone: `python -m` imports its mlcourse, so the workspace is made from
    # the student's (just pulled) lectures/ and exercises/
    (cd "$course" && "${MLCOURSE_PYTHON:-python3}" -m mlcourse workspace) \
        || echo "start-singleuser: python -m mlcourse workspace failed" >&2
fi
exec jupyterhub-singleuser "$@"
