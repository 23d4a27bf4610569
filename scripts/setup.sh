#!/usr/bin/env bash
# Installs what LoFi Studio needs on Debian, idempotently: a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
# Run from here, lofi's data folder is this checkout (lofi/core/paths.py; `python -m lofi where`).

APT_PACKAGES=(
  libfluidsynth3 fluidsynth ffmpeg
  musescore-general-soundfont-small csound-soundfont
  simutrans-data openttd-openmsx planetblupi-music-midi sonic-pi-samples
  fluid-soundfont-gm musescore-general-soundfont
  chromium fonts-noto-color-emoji
)
STAMPS=.setup-stamps
mkdir -p "$STAMPS"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi

req_hash="$(sha256sum requirements.txt pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$STAMPS/pip-$req_hash" ]; then
  echo "setup: installing Python packages"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.txt
  # -qq: setuptools' editable install of a flat layout with mapped package data (the shipped
  # checkpoints) always prints an information-only box about folders named like the package.
  .venv/bin/python -m pip install -qq --no-deps -e .
  rm -f "$STAMPS"/pip-*
  touch "$STAMPS/pip-$req_hash"
fi

# The public-domain General MIDI bank, small enough for tests and as a fallback.
if [ ! -f soundfonts/sf_GMbank.sf2 ]; then
  cp /usr/share/sounds/sf2/sf_GMbank.sf2 soundfonts/sf_GMbank.sf2
fi

# The sampled lofi drum kit is made by the project's own code from sonic-pi-samples (CC0).
if [ ! -f soundfonts/LoFi_Kit.sf2 ]; then
  echo "setup: making the lofi drum kit"
  TF_CPP_MIN_LOG_LEVEL=2 .venv/bin/python -m lofi kit
fi

# Default effect beds (rain, vinyl) are made by the project's own code.
if [ ! -f effects/rain.wav ] || [ ! -f effects/vinyl.wav ]; then
  echo "setup: making the default effects"
  TF_CPP_MIN_LOG_LEVEL=2 .venv/bin/python -m lofi effects
fi
