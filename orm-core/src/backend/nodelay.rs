//! `TCP_NODELAY` on the server connections sqlx opens.
//!
//! sqlx 0.9.0 never sets it (sqlx#4335; fixed upstream by #4336, after 0.9.0). Without it,
//! Nagle's algorithm holds a small write while an earlier one is unacknowledged, and a server
//! acknowledges a message it does not answer only when its delayed-ACK timer fires (40 ms on
//! Linux). sqlx-mysql sends two such messages on every statement that is not cached
//! (`COM_STMT_EXECUTE` then `COM_STMT_CLOSE`, which has no reply): with
//! `statement_cache_capacity: 0`, or a cache smaller than the statements in use, every statement
//! on MariaDB took 43 ms instead of 50 µs (docs/reliability.md).
//!
//! sqlx offers no hook on its socket, so right after a connection is established (its
//! `after_connect`), this sets the option on the process's TCP sockets whose peer port is the
//! server's: the new connection's, and possibly other clients' of the same server in this
//! process, for which turning Nagle off is equally right (latency-bound request/response traffic).
//! Linux only (it reads `/proc/self/fd`); elsewhere it does nothing. Remove it once sqlx sets the
//! option itself.

/// Sets `TCP_NODELAY` on every TCP socket of this process connected to `port`.
#[cfg(target_os = "linux")]
pub(crate) fn set_on_sockets_to(port: u16) {
    use std::os::unix::ffi::OsStrExt;
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else { return };
    for entry in dir.flatten() {
        let Some(fd) = entry.file_name().to_str().and_then(|s| s.parse::<libc::c_int>().ok()) else {
            continue;
        };
        match std::fs::read_link(entry.path()) {
            Ok(target) if target.as_os_str().as_bytes().starts_with(b"socket:") => {}
            _ => continue,
        }
        if peer_port(fd) == Some(port) && is_stream(fd) {
            let one: libc::c_int = 1;
            // SAFETY: `fd` is a descriptor number; on a descriptor that was closed (or reused)
            // since it was listed the call fails or sets the option on another TCP socket, both
            // harmless. `one` outlives the call and the length is its size.
            unsafe {
                libc::setsockopt(
                    fd,
                    libc::IPPROTO_TCP,
                    libc::TCP_NODELAY,
                    (&one as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                );
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn peer_port(fd: libc::c_int) -> Option<u16> {
    // SAFETY: sockaddr_storage is plain data (all zeroes is valid) and large enough for any
    // address; `len` tells getpeername its size and is updated to what was written.
    unsafe {
        let mut addr: libc::sockaddr_storage = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if libc::getpeername(fd, (&mut addr as *mut libc::sockaddr_storage).cast(), &mut len) != 0 {
            return None;
        }
        match libc::c_int::from(addr.ss_family) {
            libc::AF_INET => {
                let a = &*(&addr as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>();
                Some(u16::from_be(a.sin_port))
            }
            libc::AF_INET6 => {
                let a = &*(&addr as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>();
                Some(u16::from_be(a.sin6_port))
            }
            _ => None,
        }
    }
}

#[cfg(target_os = "linux")]
fn is_stream(fd: libc::c_int) -> bool {
    let mut ty: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `ty` and `len` outlive the call; `len` is `ty`'s size.
    let rc = unsafe {
        libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_TYPE, (&mut ty as *mut libc::c_int).cast(), &mut len)
    };
    rc == 0 && ty == libc::SOCK_STREAM
}

/// Elsewhere than Linux: nothing (see the module docs).
#[cfg(not(target_os = "linux"))]
pub(crate) fn set_on_sockets_to(_port: u16) {}
