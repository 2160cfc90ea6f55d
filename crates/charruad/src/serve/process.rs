//! The process around the server: its pid file, the privileges it drops, its host name.

use std::path::Path;

pub(super) fn write_pid_file(path: &Path) -> Result<(), String> {
    std::fs::write(path, format!("{}\n", std::process::id()))
        .map_err(|e| format!("pid file {}: {e}", path.display()))
}

/// Drops to `user` and `group` for good: supplementary groups, then gid, then uid.
pub(super) fn drop_privileges(user: Option<&str>, group: Option<&str>) -> Result<(), String> {
    use nix::unistd::{setgid, setgroups, setuid, Group, User};
    let user = match user {
        Some(name) => Some(
            User::from_name(name)
                .ok()
                .flatten()
                .ok_or_else(|| format!("no such user {name}"))?,
        ),
        None => None,
    };
    let gid = match group {
        Some(name) => Some(
            Group::from_name(name)
                .ok()
                .flatten()
                .ok_or_else(|| format!("no such group {name}"))?
                .gid,
        ),
        None => user.as_ref().map(|u| u.gid),
    };
    if let Some(gid) = gid {
        setgroups(&[gid]).map_err(|e| format!("setgroups: {e}"))?;
        setgid(gid).map_err(|e| format!("setgid: {e}"))?;
    }
    if let Some(user) = user {
        setuid(user.uid).map_err(|e| format!("setuid: {e}"))?;
        if setuid(nix::unistd::Uid::from_raw(0)).is_ok() {
            return Err("privileges could be regained after dropping them".into());
        }
    }
    Ok(())
}

/// This machine's host name, the name a shared lease database knows this server by unless
/// `--server-name` gives one.
pub(super) fn host_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|n| n.into_string().ok())
        .unwrap_or_else(|| "charruad".into())
}
