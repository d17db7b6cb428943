#!/usr/bin/env bash
# Set up docverify on a fresh Debian/Ubuntu machine: system packages, a virtual environment in .venv,
# and the package itself (editable). Idempotent: run it as often as you like.
#
#   bash scripts/setup.sh          # runtime, with the HTTP service (docverify serve)
#   bash scripts/setup.sh --dev    # + test and lint tools, and a headless Chromium (HTML report test)
#
# Environment: PYTHON (default python3), VENV (default .venv), DOCVERIFY_SKIP_APT=1 to skip apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

extras="serve"
dev=0
for arg in "$@"; do
  case "$arg" in
    --dev) extras="dev"; dev=1 ;;
    *) echo "setup.sh: unknown option '$arg' (use --dev)" >&2; exit 2 ;;
  esac
done

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

# 1. System packages: tesseract-ocr (visual-zone OCR, optional MRZ engine), the OCR-B font and, with
#    --dev, a headless Chromium for the HTML report test.
if [ "${DOCVERIFY_SKIP_APT:-0}" != "1" ]; then
  missing=()
  command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
  dpkg -s fonts-ocr-b >/dev/null 2>&1 || missing+=(fonts-ocr-b)
  chromium=""
  if [ "$dev" = 1 ]; then
    command -v curl >/dev/null 2>&1 || missing+=(curl)  # the README's service example (run by the tests)
    for name in chromium-headless-shell chromium chromium-browser headless_shell; do
      command -v "$name" >/dev/null 2>&1 && chromium="$name" && break
    done
    [ -z "$chromium" ] && chromium="missing"
  fi
  if [ "${#missing[@]}" -gt 0 ] || [ "$chromium" = "missing" ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    if [ "$chromium" = "missing" ]; then
      # Debian 12 ships the small headless build as chromium-headless-shell; elsewhere use chromium.
      if apt-cache show chromium-headless-shell >/dev/null 2>&1; then
        missing+=(chromium-headless-shell)
      else
        missing+=(chromium)
      fi
    fi
    echo "setup: installing system packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# 2. Virtual environment and the package.
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating virtual environment in $VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
spec="."
[ -n "$extras" ] && spec=".[$extras]"
echo "setup: installing docverify ($spec) into $VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$spec"
echo "setup: done"
