//! The process plumbing of the fork helper (`launch::fork_helper`): fork, pidfds, poll and
//! file-descriptor moves, wrapped once so the rest of the crate stays safe code.
#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

fn check(result: libc::c_int) -> io::Result<libc::c_int> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}

/// Forks this process: `None` in the child, the child's pid in the parent. Only sound while
/// the caller is the one thread that does anything; the helper calls it so.
pub fn fork() -> io::Result<Option<u32>> {
    // SAFETY: fork has no pointer arguments; the helper forks while no other thread holds a
    // lock (its only other thread waits in join), and glibc's malloc survives fork.
    let pid = check(unsafe { libc::fork() })?;
    Ok((pid > 0).then_some(pid as u32))
}

/// A descriptor that becomes readable when the process `pid` (a child) ends.
pub fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: plain system call with integer arguments.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just gave us this descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Waits up to `timeout_ms` (-1: without limit) until some of `fds` are readable or hung up;
/// returns which.
pub fn poll_readable(fds: &[RawFd], timeout_ms: i32) -> io::Result<Vec<bool>> {
    let mut polled: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    loop {
        // SAFETY: `polled` is a valid array of `polled.len()` pollfd structs we own.
        let n = unsafe {
            libc::poll(
                polled.as_mut_ptr(),
                polled.len() as libc::nfds_t,
                timeout_ms,
            )
        };
        if n >= 0 {
            return Ok(polled.iter().map(|p| p.revents != 0).collect());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Reaps the child `pid` if it ended; its raw wait status.
pub fn reap(pid: u32) -> Option<i32> {
    let mut status: libc::c_int = 0;
    // SAFETY: waitpid writes the status into the integer we own.
    let got = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, libc::WNOHANG) };
    (got == pid as libc::pid_t).then_some(status)
}

/// Makes `fd` a copy of `file` (`dup2`).
pub fn put_at(file: &impl AsRawFd, fd: RawFd) -> io::Result<()> {
    // SAFETY: plain system call with integer arguments.
    check(unsafe { libc::dup2(file.as_raw_fd(), fd) }).map(|_| ())
}

/// Moves `socket` to descriptor `fd`, closed on exec (so the commands the process runs do
/// not inherit it).
pub fn move_to(
    socket: std::os::unix::net::UnixStream,
    fd: RawFd,
) -> io::Result<std::os::unix::net::UnixStream> {
    use std::os::fd::IntoRawFd;
    if socket.as_raw_fd() != fd {
        // SAFETY: plain system call with integer arguments.
        check(unsafe { libc::dup3(socket.as_raw_fd(), fd, libc::O_CLOEXEC) })?;
        drop(socket);
    } else {
        let _ = socket.into_raw_fd();
    }
    // SAFETY: `fd` now refers to the socket and nothing else owns that descriptor.
    Ok(unsafe { std::os::unix::net::UnixStream::from_raw_fd(fd) })
}

/// The descriptors this process has open, from `/proc/self/fd`; `None` when that cannot be
/// read.
pub fn open_descriptors() -> Option<Vec<RawFd>> {
    let dir = std::fs::read_dir("/proc/self/fd").ok()?;
    let mut found: Vec<RawFd> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    // The listing's own descriptor was among them; it is closed now.
    // SAFETY: F_GETFD only asks about a descriptor number.
    found.retain(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } != -1);
    found.sort_unstable();
    Some(found)
}

/// Whether this process has children (running or ended and not waited for); one that ended
/// is reaped by the question.
pub fn has_children() -> bool {
    let mut status: libc::c_int = 0;
    // SAFETY: waitpid writes the status into the integer we own.
    let got = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    got != -1
}

/// A new descriptor for what `fd` refers to, as a file.
pub fn duplicate(fd: RawFd) -> io::Result<File> {
    // SAFETY: plain system call; the new descriptor is ours alone.
    let new = check(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) })?;
    // SAFETY: `new` was just created and is owned by nobody else.
    Ok(unsafe { File::from_raw_fd(new) })
}

/// Restores the default action of SIGCHLD: one inherited as "ignored" would have the kernel
/// reap children before they can be waited for.
pub fn default_child_signal() {
    // SAFETY: setting a signal's disposition to SIG_DFL touches no memory.
    unsafe {
        libc::signal(libc::SIGCHLD, libc::SIG_DFL);
    }
}

/// Closes every descriptor from `first` up, so a forked child keeps none of its parent's.
pub fn close_from(first: RawFd) {
    // SAFETY: plain system call with integer arguments.
    let done = unsafe { libc::syscall(libc::SYS_close_range, first as u32, u32::MAX, 0) } == 0;
    if done {
        return;
    }
    let open: Vec<RawFd> = std::fs::read_dir("/proc/self/fd")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .filter(|&fd| fd >= first)
                .collect()
        })
        .unwrap_or_default();
    for fd in open {
        // SAFETY: closing a descriptor number; nothing in the child uses these any more.
        unsafe {
            libc::close(fd);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_descriptors_include_an_opened_file() {
        let file = File::open("/dev/null").unwrap();
        let open = open_descriptors().unwrap();
        assert!(open.contains(&file.as_raw_fd()), "{open:?}");
        assert!(open.windows(2).all(|w| w[0] < w[1]), "sorted: {open:?}");
    }
}
