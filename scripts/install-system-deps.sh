#!/usr/bin/env bash
# Debian/Ubuntu packages the test suite needs, installed only when missing:
#   chromium (browser tests through Playwright; never a browser download),
#   fonts-noto-cjk (Korean text in the browser tests' screenshots; without it Hangul renders as boxes),
#   libtcmalloc-minimal4 (faster CPU training steps when LD_PRELOADed),
#   postgresql (server binaries only: the storage and hospital tests also run against a throwaway
#   cluster on 127.0.0.1 that scripts/postgres-for-tests.sh starts; Debian's own cluster is not used),
#   npm (installs axe-core, pinned in package-lock.json, for the browser tests' accessibility checks),
#   redis-server (the binary only: the rate-limit tests start their own on 127.0.0.1, a free port).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 || need+=(fonts-noto-cjk)
[ -e /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 ] || [ -e /usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4 ] \
  || need+=(libtcmalloc-minimal4)
command -v npm >/dev/null 2>&1 || need+=(npm)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing system packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
