#include "shutdown_budget.hpp"

#include <algorithm>
#include <map>

#include "parse.hpp"

namespace sv {

namespace {

struct Step {
    Duration done{0};          // from the shutdown signal until this service is down, at worst
    const ServiceSpec* after = nullptr;  // the dependent whose end it waited for (null: its drain)
};

class Estimator {
   public:
    Estimator(const std::vector<ServiceSpec>& specs, Duration default_drain) : default_drain_(default_drain) {
        for (const auto& spec : specs) by_name_[spec.name] = &spec;
        for (const auto& spec : specs)
            for (const auto& dep : spec.after) dependents_[dep].push_back(&spec);
    }

    const Step& step(const ServiceSpec& spec, int depth = 0) {
        if (auto found = steps_.find(spec.name); found != steps_.end()) return found->second;
        Step s;
        s.done = drain(spec);
        if (depth < 256)  // the directory check refuses cycles; this only bounds the walk
            for (const ServiceSpec* d : dependents_[spec.name]) {
                const Step& ds = step(*d, depth + 1);
                if (ds.done > s.done) s.done = ds.done, s.after = d;
            }
        s.done += spec.stop.timeout;
        return steps_[spec.name] = s;
    }

    Duration drain(const ServiceSpec& spec) const { return spec.stop.drain.value_or(default_drain_); }

   private:
    Duration default_drain_;
    std::map<std::string, const ServiceSpec*> by_name_;
    std::map<std::string, std::vector<const ServiceSpec*>> dependents_;
    std::map<std::string, Step> steps_;
};

}  // namespace

ShutdownEstimate worst_case_shutdown(const std::vector<ServiceSpec>& specs, Duration default_drain, Duration leftovers) {
    Estimator estimator(specs, default_drain);
    const ServiceSpec* last = nullptr;
    Duration longest{0};
    for (const auto& spec : specs) {
        Duration done = estimator.step(spec).done;
        if (!last || done > longest) longest = done, last = &spec;
    }
    ShutdownEstimate estimate;
    estimate.total = longest + leftovers;
    // The chain in the order it happens: from the first service to stop to `last`.
    std::vector<const ServiceSpec*> chain;
    for (const ServiceSpec* s = last; s; s = estimator.step(*s).after) chain.push_back(s);
    std::reverse(chain.begin(), chain.end());
    if (!chain.empty() && estimator.drain(*chain.front()) > Duration{0})
        estimate.chain = "drain " + format_duration(estimator.drain(*chain.front()));
    for (const ServiceSpec* s : chain)
        estimate.chain += (estimate.chain.empty() ? "" : ", ") + s->name + " (stop timeout " + format_duration(s->stop.timeout) + ")";
    estimate.chain += (estimate.chain.empty() ? "" : ", ") + std::string("leftovers ") + format_duration(leftovers);
    return estimate;
}

}  // namespace sv
