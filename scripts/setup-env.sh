#!/usr/bin/env bash
# Set up everything reviewer-app needs on a fresh Debian/Ubuntu machine:
#   1. the system libraries Qt needs to run (offscreen or on a display), git and ssh-keygen,
#      installed with apt-get when they are missing and apt-get is usable (root or sudo);
#   2. a virtual environment in .venv with the package and its test tools.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib 'libglib-2.0.so.0' || need_pkgs+=(libglib2.0-0)
have_lib 'libGL.so.1' || need_pkgs+=(libgl1)
have_lib 'libEGL.so.1' || need_pkgs+=(libegl1)
have_lib 'libxkbcommon.so.0' || need_pkgs+=(libxkbcommon0)
have_lib 'libfontconfig.so.1' || need_pkgs+=(libfontconfig1)
have_lib 'libdbus-1.so.3' || need_pkgs+=(libdbus-1-3)
# Without any font Qt renders text as empty boxes, silently.
fc-list 2>/dev/null | grep -qi . || need_pkgs+=(fonts-dejavu-core)
# With a display, the X11 libraries Qt 6.5+ needs for its xcb platform plugin (without one of them
# `gui` would stop at Qt's "could not load the Qt platform plugin xcb"; `gui` names what is missing).
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  for pair in libxcb-cursor.so.0:libxcb-cursor0 libxcb-icccm.so.4:libxcb-icccm4 libxcb-keysyms.so.1:libxcb-keysyms1 \
              libxcb-image.so.0:libxcb-image0 libxcb-render-util.so.0:libxcb-render-util0 libxcb-shape.so.0:libxcb-shape0 \
              libxcb-randr.so.0:libxcb-randr0 libxcb-xkb.so.1:libxcb-xkb1 libxkbcommon-x11.so.0:libxkbcommon-x11-0 \
              libxcb-xinerama.so.0:libxcb-xinerama0 libX11-xcb.so.1:libx11-xcb1; do
    have_lib "${pair%%:*}" || need_pkgs+=("${pair##*:}")
  done
fi
command -v git >/dev/null || need_pkgs+=(git)
command -v ssh-keygen >/dev/null || need_pkgs+=(openssh-client)

if [ ${#need_pkgs[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo -n"
    echo "setup: installing system packages: ${need_pkgs[*]}"
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  else
    echo "setup: missing system packages (${need_pkgs[*]}) and no apt-get: install them with your package manager" >&2
  fi
fi

# The newest supported interpreter available (3.11 to 3.13).
python=""
for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
  [ -n "$candidate" ] || continue
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 14))' 2>/dev/null; then
    python="$candidate"; break
  fi
done
if [ -z "$python" ]; then
  echo "setup: reviewer-app needs Python 3.11, 3.12 or 3.13 (python3 -m venv); none found" >&2
  exit 1
fi

stamp=.venv/.installed
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $("$python" --version)"
  "$python" -m venv .venv || { echo "setup: '$python -m venv' failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing reviewer-app and its dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  touch "$stamp"
fi
