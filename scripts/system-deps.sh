#!/usr/bin/env bash
# Install the system parts the tests use (Debian's chromium, prometheus and postgresql) where apt-get can.
# Never fails the build by itself: a missing part makes the tests skip, or fail under
# PULSEKIT_REQUIRE_ALL=1, with a message that says what to install.
set -u
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || [ -n "${PULSEKIT_CHROMIUM:-}" ] || need+=(chromium)
command -v prometheus >/dev/null 2>&1 || [ -n "${PULSEKIT_PROMETHEUS:-}" ] || need+=(prometheus)
command -v promtool >/dev/null 2>&1 || [[ " ${need[*]} " == *" prometheus "* ]] || need+=(prometheus)
[ -n "${PULSEKIT_POSTGRES_BIN:-}" ] || ls /usr/lib/postgresql/*/bin/pg_basebackup >/dev/null 2>&1 \
  || command -v pg_basebackup >/dev/null 2>&1 || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && { echo "system parts: chromium, prometheus and postgresql present"; exit 0; }
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"
  echo "installing with apt-get: ${need[*]}"
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || echo "apt-get could not install ${need[*]}; install them by hand: sudo apt-get install ${need[*]}"
else
  echo "no apt-get here: install ${need[*]} yourself (see README)"
fi
exit 0
