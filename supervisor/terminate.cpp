// The static binary's terminate handler. libstdc++'s own (__gnu_cxx::__verbose_terminate_handler)
// links the whole C++ demangler, about 47 KB, only to print the type of an uncaught exception.
// Defining the handler here keeps that archive member out of the link; the message is the same
// but for the type, which stays mangled (St9bad_alloc for std::bad_alloc). Built into the
// static binary only (SUPERVISOR_STATIC); the dynamic one keeps the library's handler.
#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>

namespace __gnu_cxx {

void __verbose_terminate_handler() {
    static bool terminating = false;
    if (terminating) {
        std::fputs("terminate called recursively\n", stderr);
        std::abort();
    }
    terminating = true;
    if (const std::type_info* type = abi::__cxa_current_exception_type()) {
        const char* name = type->name();
        if (*name == '*') ++name;
        std::fprintf(stderr, "terminate called after throwing an instance of '%s'\n", name);
        try {
            throw;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "  what():  %s\n", e.what());
        } catch (...) {
        }
    } else {
        std::fputs("terminate called without an active exception\n", stderr);
    }
    std::abort();
}

}  // namespace __gnu_cxx
