# Sourced by scripts/up and scripts/test: create .venv and install Dateline into it, only when
# needed. A stamp in .venv (.dateline-installed, and .dateline-installed-test for the test tools)
# holds the SHA-256 of the pyproject.toml that was installed; it is written after the install
# succeeded, so a new clone, a changed pyproject.toml or an interrupted install installs (again),
# and any other start skips pip. Source changes need no reinstall (the install is editable).

# ensure_installed [test]: the service, or the service and its test tools.
ensure_installed() {
  local extra="${1:-}" target="." stamp=".venv/.dateline-installed"
  if [ -n "$extra" ]; then
    target=".[$extra]"
    stamp=".venv/.dateline-installed-$extra"
  fi
  local python="${PYTHON:-python3.11}"
  command -v "$python" >/dev/null 2>&1 || python=python3
  if [ ! -x .venv/bin/python ]; then
    echo "Creating the virtual environment .venv with $python" >&2
    "$python" -m venv .venv
  fi
  local want
  want="$(.venv/bin/python -c 'import hashlib; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())')"
  if [ -x .venv/bin/dateline ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  if [ -e "$stamp" ]; then
    echo "pyproject.toml changed: updating the packages in .venv" >&2
  else
    echo "Installing Dateline${extra:+ with its $extra tools} and its dependencies into .venv" \
      "(the first time takes a few minutes; pip shows its progress below)" >&2
  fi
  # pip's output goes to stderr: stdout stays for what Dateline itself says.
  .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip >&2
  .venv/bin/python -m pip install --disable-pip-version-check -e "$target" >&2
  printf '%s\n' "$want" >"$stamp"
  if [ -n "$extra" ]; then  # the extra's install holds the service's too
    printf '%s\n' "$want" >.venv/.dateline-installed
  fi
  echo "Installed; the next start skips this step until pyproject.toml changes" >&2
}

# ensure_chromium: the browser the desk's end-to-end test drives (Debian's chromium at
# /usr/bin/chromium), installed with apt-get when missing, printing one line. When it cannot be
# installed the suite still runs and that test fails, saying why (it never skips).
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  printf 'Installing chromium (Debian package) for the wire-desk browser test... ' >&2
  local sudo=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then
    sudo="sudo -n"
  fi
  if { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends chromium; } >/dev/null 2>&1; then
    echo "done" >&2
  else
    echo "failed (the browser test will fail)" >&2
  fi
}
