// Where a child's stdout and stderr go: the write ends the parent made for it (LogHub's pipes,
// /dev/null, a task's pipe), owned by the parent until launch() has handed them to the child,
// and closed then, so that the reader sees EOF when the child's last copy goes.
#pragma once

#include <unistd.h>

#include <utility>

namespace sv {

class ChildOutput {
   public:
    ChildOutput() = default;  // both inherited from the supervisor
    // -1 for either: the supervisor's own; `out` and `err` may be the same descriptor.
    ChildOutput(int out, int err) : out_(out), err_(err) {}
    ChildOutput(ChildOutput&& other) noexcept : out_(std::exchange(other.out_, -1)), err_(std::exchange(other.err_, -1)) {}
    ChildOutput& operator=(ChildOutput&& other) noexcept {
        if (this != &other) {
            close();
            out_ = std::exchange(other.out_, -1);
            err_ = std::exchange(other.err_, -1);
        }
        return *this;
    }
    ChildOutput(const ChildOutput&) = delete;
    ChildOutput& operator=(const ChildOutput&) = delete;
    ~ChildOutput() { close(); }

    int out() const { return out_; }
    int err() const { return err_; }
    void close() {
        if (out_ >= 0) ::close(out_);
        if (err_ >= 0 && err_ != out_) ::close(err_);
        out_ = err_ = -1;
    }

   private:
    int out_ = -1;
    int err_ = -1;
};

}  // namespace sv
