//! A thread's scheduling priority: its nice value (setpriority(2)), which Linux keeps per
//! thread, so that a thread doing background work yields the CPU to the serving loop.
#![allow(unsafe_code)]

use std::io;

/// Sets the calling thread's nice value to `nice` (0 is the default, 19 the lowest priority).
/// Lowering one's own priority needs no privilege.
pub fn set_this_thread_nice(nice: i32) -> io::Result<()> {
    let tid = nix::unistd::gettid().as_raw();
    let Ok(tid) = libc::id_t::try_from(tid) else {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    };
    // SAFETY: setpriority takes plain integers; with PRIO_PROCESS and a thread id, Linux sets
    // that thread's nice value (setpriority(2), NOTES), here the calling thread's own.
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, tid, nice) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_lowers_its_own_priority_and_not_the_others() {
        let before = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
        let nice_of = |stat: &str| {
            stat.rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().nth(16))
                .and_then(|n| n.parse::<i32>().ok())
        };
        let (own, main) = std::thread::spawn(move || {
            set_this_thread_nice(10).unwrap();
            let own = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
            (nice_of(&own), nice_of(&before))
        })
        .join()
        .unwrap();
        assert_eq!(own, Some(10));
        assert_ne!(main, Some(10));
    }
}
