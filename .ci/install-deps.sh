#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the tests and the demo need, when missing.
# Usage: .ci/install-deps.sh [build|test|lab|fuzz|bench|images]   (fuzz and bench include test;
# test includes lab; lab is build + what the lab needs, for `make demo`; images is only what
# `make test-images` needs: Podman with runc, netavark and aardvark-dns, mmdebstrap for the base
# image, docker-compose 1.29, wrk, curl)
set -euo pipefail
what=${1:-test}
packages=(build-essential cmake ninja-build pkg-config libuv1-dev libtomlplusplus-dev
          libspdlog-dev libfmt-dev doctest-dev)
if [ "$what" = images ]; then
  # a real container engine from Debian packages alone (tests/images/run.sh): Podman 4.3 with
  # runc (crun refuses hybrid cgroups), netavark + aardvark-dns (container names resolve on a
  # network), iptables for netavark, catatonit for the pods of `podman kube play`, mmdebstrap to make the base image without a registry
  packages=(podman runc conmon netavark aardvark-dns iptables catatonit mmdebstrap docker-compose
            wrk curl util-linux bsdutils procps iproute2 python3 ca-certificates)
fi
if [ "$what" != build ] && [ "$what" != lab ] && [ "$what" != images ]; then
  # integration tests, the lab's real parts and the demo
  packages+=(util-linux procps iproute2 psmisc valgrind strace python3 python3-prometheus-client curl bsdutils
             haproxy serf rsyslog nodejs wrk)
fi
# the lab (examples/lab: `make demo` and tests/integration/test_lab_e2e.sh): Linux namespaces as
# containers, HAProxy, Serf, rsyslog, Node, and wrk as the load generator
lab=(iproute2 util-linux mount procps hostname bsdutils coreutils curl wrk haproxy serf rsyslog nodejs)
if [ "$what" != build ] && [ "$what" != images ]; then
  packages+=("${lab[@]}")
fi
if [ "$what" = fuzz ]; then
  packages+=(clang libclang-rt-14-dev)
fi
if [ "$what" = bench ]; then
  packages+=(tini dumb-init s6 runit supervisor hyperfine)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
