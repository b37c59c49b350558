#!/bin/sh
# A plain CI step for any runner: gate the commits between the base branch and HEAD.
#   BASE_BRANCH=main sh gate-step.sh
# Exit 0: approved; 1: approvals missing; 2: cannot judge (bad input, unreadable policy). Only 0 may merge.
set -eu
base="${BASE_BRANCH:-main}"
remote="${REVIEWER_REMOTE:-origin}"
# Full ref names: a tag or branch named like the base cannot stand in for it.
git fetch --no-tags "$remote" "+refs/heads/$base:refs/remotes/$remote/$base"
exec reviewer-app gate --git "refs/remotes/$remote/$base..HEAD" --fetch --remote "$remote"
