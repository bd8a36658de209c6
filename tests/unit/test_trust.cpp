#include <doctest/doctest.h>

#include <sys/stat.h>

#include "trust.hpp"

using namespace sv;

namespace {
struct stat file(uid_t uid, gid_t gid, mode_t mode) {
    struct stat st {};
    st.st_uid = uid;
    st.st_gid = gid;
    st.st_mode = S_IFREG | mode;
    return st;
}
}  // namespace

TEST_CASE("trust: root-owned and writable by its owner alone, whatever the group") {
    CHECK_FALSE(writable_by_others(file(0, 0, 0644)));
    CHECK_FALSE(writable_by_others(file(0, 1000, 0640)));
    Distrust group0 = writable_by_others(file(0, 0, 0664));  // the audit's root:root 0664
    CHECK(group0.why == "is writable by group 0 (or, through an ACL, by other users)");
    CHECK(group0.fix == "chmod g-w");
    CHECK(writable_by_others(file(0, 0, 0646)).fix == "chmod o-w");
    CHECK(writable_by_others(file(1000, 0, 0644)).fix == "chown root");
}

TEST_CASE("trust: a path and the directories above it") {
    CHECK_FALSE(untrusted_path("/bin/sh"));
    CHECK_FALSE(untrusted_path("/nonexistent/dir/prog"));  // judged by /, which is root's
}
