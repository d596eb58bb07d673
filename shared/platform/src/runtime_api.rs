//! The sockets a function keeps to the Lambda Runtime API.
//!
//! `lambda_runtime` talks to the Runtime API over pooled hyper connections that keep Nagle's
//! algorithm on, and it offers no way to set its connector's options. A buffered answer goes out
//! in one write, so Nagle never matters. A streamed one is written as its parts become ready: the
//! prelude, its delimiter, the body chunks, the end. Each small write after the first waits until
//! the previous one is acknowledged, and the Runtime API's kernel delays that ACK by up to 40 ms.
//! `make bench` (d) saw every streamed invocation last about 43 ms longer than the same function
//! answering buffered (and Lambda bills that time). A streaming function therefore turns Nagle
//! off on its Runtime API sockets itself, finding them by their peer address.

use std::net::{SocketAddr, SocketAddrV4, SocketAddrV6, ToSocketAddrs};
use std::sync::OnceLock;

/// Sets `TCP_NODELAY` on every socket of this process connected to `AWS_LAMBDA_RUNTIME_API`.
/// Cheap (a directory listing of /proc/self/fd and a syscall per descriptor) and idempotent, so it
/// runs at the start of every streamed invocation: the connection the runtime answers on is the
/// one it fetched the event with, and a new one may have been opened since the last call.
pub fn disable_nagle() {
    disable_nagle_towards(runtime_api_addrs());
}

fn disable_nagle_towards(peers: &[SocketAddr]) {
    if peers.is_empty() {
        return;
    }
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    for entry in fds.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if fd > 2 && peer(fd).is_some_and(|p| peers.contains(&p)) {
            set_nodelay(fd);
        }
    }
}

/// Where the Runtime API listens (`host:port`), resolved once; empty outside Lambda.
fn runtime_api_addrs() -> &'static [SocketAddr] {
    static ADDRS: OnceLock<Vec<SocketAddr>> = OnceLock::new();
    ADDRS.get_or_init(|| {
        std::env::var("AWS_LAMBDA_RUNTIME_API")
            .ok()
            .and_then(|a| a.to_socket_addrs().ok())
            .map(Iterator::collect)
            .unwrap_or_default()
    })
}

/// The address `fd` is connected to, when it is a connected IP socket.
fn peer(fd: i32) -> Option<SocketAddr> {
    // SAFETY: `storage` is a zeroed sockaddr_storage, large enough for any address, and `len`
    // says so; getpeername writes at most `len` bytes into it and fails on anything that is not a
    // connected socket (a descriptor closed meanwhile included), which is then skipped.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let rc = unsafe {
        libc::getpeername(
            fd,
            (&mut storage as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return None;
    }
    match i32::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let a: libc::sockaddr_in =
                unsafe { std::ptr::read((&storage as *const libc::sockaddr_storage).cast()) };
            Some(SocketAddr::V4(SocketAddrV4::new(
                u32::from_be(a.sin_addr.s_addr).into(),
                u16::from_be(a.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let a: libc::sockaddr_in6 =
                unsafe { std::ptr::read((&storage as *const libc::sockaddr_storage).cast()) };
            Some(SocketAddr::V6(SocketAddrV6::new(
                a.sin6_addr.s6_addr.into(),
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

fn set_nodelay(fd: i32) {
    let on: libc::c_int = 1;
    // SAFETY: `fd` is a descriptor of this process (at worst one closed meanwhile, when the call
    // fails harmlessly); the option value is a c_int that outlives the call.
    let _ = unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodelay(fd: i32) -> bool {
        let mut on: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_NODELAY,
                (&mut on as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        rc == 0 && on != 0
    }

    #[test]
    fn finds_a_connected_socket_by_its_peer_and_turns_nagle_off() {
        use std::os::fd::AsRawFd;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let to_api = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let elsewhere = std::net::TcpStream::connect(other.local_addr().unwrap()).unwrap();
        assert_eq!(
            peer(to_api.as_raw_fd()),
            Some(listener.local_addr().unwrap())
        );
        assert_eq!(peer(listener.as_raw_fd()), None, "a listener has no peer");
        assert!(!nodelay(to_api.as_raw_fd()));
        disable_nagle_towards(&[listener.local_addr().unwrap()]);
        assert!(nodelay(to_api.as_raw_fd()));
        assert!(
            !nodelay(elsewhere.as_raw_fd()),
            "other sockets are left alone"
        );
    }
}
