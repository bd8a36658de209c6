// Owning libuv handles the way the loop needs: allocated with new, freed only in their close
// callback (a handle must outlive uv_close until that callback runs).
#pragma once

#include <uv.h>

namespace sv {

inline void close_and_free(uv_handle_t* handle) {
    if (!handle || uv_is_closing(handle)) return;
    uv_close(handle, [](uv_handle_t* h) noexcept {
        switch (h->type) {
            case UV_TIMER: delete reinterpret_cast<uv_timer_t*>(h); break;
            case UV_POLL: delete reinterpret_cast<uv_poll_t*>(h); break;
            case UV_CHECK: delete reinterpret_cast<uv_check_t*>(h); break;
            case UV_FS_EVENT: delete reinterpret_cast<uv_fs_event_t*>(h); break;
            case UV_NAMED_PIPE: delete reinterpret_cast<uv_pipe_t*>(h); break;
            default: break;  // only the types above are ever allocated this way
        }
    });
}

// Closes (and later frees) the handle and forgets the pointer.
template <typename H>
void close_handle(H*& handle) {
    close_and_free(reinterpret_cast<uv_handle_t*>(handle));
    handle = nullptr;
}

template <typename H>
H* new_handle(void* data) {
    H* h = new H;
    h->data = data;
    return h;
}

}  // namespace sv
