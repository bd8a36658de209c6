// How long a shutdown can take at worst, for `supervisor check --grace-budget`: the engine
// kills the container at the end of its grace period (docker stop -t, Kubernetes'
// terminationGracePeriodSeconds), so drain and stop timeouts must fit inside it.
#pragma once

#include <string>
#include <vector>

#include "model.hpp"

namespace sv {

struct ShutdownEstimate {
    Duration total{0};
    std::string chain;  // the steps that add up to it: "drain 10s, web (stop timeout 30s), db (stop timeout 5s), leftovers 2s"
};

// A service stops once its drain is over and everything that starts after it (`after`) is down,
// and takes at most its stop timeout; services that do not depend on each other stop in
// parallel. The worst case is the longest such chain, plus `leftovers` (the grace of the
// leftover processes' SIGTERM before SIGKILL). A service's drain is its `[stop] drain`, or
// `default_drain` (--drain) without one.
ShutdownEstimate worst_case_shutdown(const std::vector<ServiceSpec>& specs, Duration default_drain, Duration leftovers);

}  // namespace sv
