//! Reverse lookups: the host name the system resolver gives for an address (getnameinfo(3)
//! with `NI_NAMEREQD`: /etc/hosts, DNS, as nsswitch.conf orders them), as ISC dhcpd's
//! `get-lease-hostnames` asks gethostbyaddr(3).
#![allow(unsafe_code)]

use std::ffi::CStr;
use std::net::Ipv4Addr;

/// Longest name getnameinfo writes (`NI_MAXHOST`), with its NUL.
const MAX_HOST: usize = 1025;

/// The name of `address`, or `None` when the resolver has none (or it is not UTF-8). Blocks
/// for as long as the resolver takes: call it off the serving loop.
pub fn host_name_of(address: Ipv4Addr) -> Option<String> {
    let sin = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from(address).to_be(),
        },
        sin_zero: [0; 8],
    };
    let mut host = [0 as libc::c_char; MAX_HOST];
    // SAFETY: `sin` is a valid sockaddr_in of the length given; `host` is writable for the
    // length given, and getnameinfo NUL-terminates what it writes there on success; no
    // service buffer is asked for.
    let rc = unsafe {
        libc::getnameinfo(
            std::ptr::addr_of!(sin).cast::<libc::sockaddr>(),
            size_of::<libc::sockaddr_in>() as libc::socklen_t,
            host.as_mut_ptr(),
            MAX_HOST as libc::socklen_t,
            std::ptr::null_mut(),
            0,
            libc::NI_NAMEREQD,
        )
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: on success `host` holds a NUL-terminated string within its length.
    let name = unsafe { CStr::from_ptr(host.as_ptr()) };
    name.to_str().ok().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_has_a_name_and_a_test_net_address_none() {
        // /etc/hosts names 127.0.0.1 on every Debian machine.
        assert!(host_name_of(Ipv4Addr::LOCALHOST).is_some());
        // TEST-NET-3 (RFC 5737): no resolver has a name for it, unless a lab gave one.
        assert_eq!(host_name_of(Ipv4Addr::new(203, 0, 113, 254)), None);
    }
}
