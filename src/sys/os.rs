//! The few operating-system calls std does not offer (sessions, process groups, signals,
//! free space, load, host identity), wrapped once so the rest of the crate stays safe code.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Leaves the caller's session for a new one (and so a new process group), detached from the
/// terminal, so that this process survives whoever started it and Ctrl-C on that terminal.
/// Done by the process itself rather than between fork and exec, so that its parent can use
/// the cheaper `posix_spawn`; a process that already leads its group stays where it is.
pub fn leave_session() {
    // SAFETY: plain system calls without pointers.
    unsafe {
        if libc::getpgrp() != libc::getpid() {
            libc::setsid();
        }
    }
}

/// Sends `signal` to every process of the group `pgid`.
pub fn signal_group(pgid: u32, signal: i32) -> bool {
    // SAFETY: plain system call with integer arguments.
    unsafe { libc::killpg(pgid as libc::pid_t, signal) == 0 }
}

/// Whether the group `pgid` has a member that is not a zombie: a zombie has ended and only
/// waits for its parent, so a group of zombies counts as killed. Reads `/proc`; where it
/// cannot, any member counts.
pub fn group_has_live_members(pgid: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return signal_group(pgid, 0);
    };
    entries.flatten().any(|entry| {
        let is_pid = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        if !is_pid {
            return false;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            return false;
        };
        let mut fields = after.split_whitespace();
        let state = fields.next();
        let pgrp = fields.nth(1).and_then(|g| g.parse::<u32>().ok());
        pgrp == Some(pgid) && state != Some("Z") && state != Some("X")
    })
}

/// Sends `signal` to one process.
pub fn signal_process(pid: u32, signal: i32) -> bool {
    // SAFETY: plain system call with integer arguments.
    unsafe { libc::kill(pid as libc::pid_t, signal) == 0 }
}

/// Whether a process with this pid exists (a zombie counts).
pub fn process_exists(pid: u32) -> bool {
    if pid == 0 || pid > i32::MAX as u32 {
        return false;
    }
    // SAFETY: signal 0 only checks for existence and permission.
    let rc = unsafe { libc::kill(pid as libc::pid_t, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// This process's resident memory in bytes (`/proc/self/statm`), when it can be read.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok().filter(|p| *p > 0).unwrap_or(4096))
}

/// When process `pid` started, in clock ticks since boot (`/proc/PID/stat`, field 22): with
/// the pid, it names one process even after the pid is reused.
pub fn process_start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    // Fields after the command start at field 3 (state); field 22 is the 20th of them.
    after.split_whitespace().nth(19).map(str::to_string)
}

/// Free space under `path` in KiB (the unit `df` prints), for non-root users.
pub fn free_kib(path: &Path) -> Option<u64> {
    let c_path = CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs writes into the zeroed struct we own; the path is NUL-terminated.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) };
    (rc == 0).then(|| stat.f_bavail as u64 * stat.f_frsize as u64 / 1024)
}

/// Whether the current user may write into `path`.
pub fn writable(path: &Path) -> bool {
    let Ok(c_path) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: access only reads the NUL-terminated path.
    unsafe { libc::access(c_path.as_ptr(), libc::W_OK) == 0 }
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> Option<[f64; 3]> {
    let mut loads = [0f64; 3];
    // SAFETY: getloadavg writes at most 3 doubles into the array we own.
    let n = unsafe { libc::getloadavg(loads.as_mut_ptr(), 3) };
    (n == 3).then_some(loads)
}

/// Number of CPUs available to this process.
pub fn cpu_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn c_chars(field: &[libc::c_char]) -> String {
    let bytes: Vec<u8> = field
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn utsname() -> Option<libc::utsname> {
    // SAFETY: uname fills the zeroed struct we own.
    let mut name: libc::utsname = unsafe { std::mem::zeroed() };
    (unsafe { libc::uname(&mut name) } == 0).then_some(name)
}

/// This host's name.
pub fn host_name() -> String {
    utsname()
        .map(|u| c_chars(&u.nodename))
        .unwrap_or_else(|| "localhost".into())
}

/// Whether two host names name the same host: equal, or equal up to their domains
/// (`vm` and `vm.example.com`), ignoring case.
pub fn same_host(a: &str, b: &str) -> bool {
    let short = |h: &str| h.split('.').next().unwrap_or("").to_ascii_lowercase();
    let (a, b) = (a.trim(), b.trim());
    a.eq_ignore_ascii_case(b) || (a.parse::<std::net::IpAddr>().is_err() && short(a) == short(b))
}

/// What `uname -srvpio` would print: kernel name, release, version and machine.
pub fn uname_text() -> String {
    utsname()
        .map(|u| {
            let machine = c_chars(&u.machine);
            format!(
                "{} {} {} {machine} {machine} GNU/Linux",
                c_chars(&u.sysname),
                c_chars(&u.release),
                c_chars(&u.version)
            )
        })
        .unwrap_or_else(|| "n/a".into())
}

/// The user id of the process at the other end of a Unix socket.
pub fn peer_uid(socket: &impl std::os::fd::AsRawFd) -> Option<u32> {
    // SAFETY: getsockopt fills the zeroed struct we own, of the size we pass.
    let mut cred: libc::ucred = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    let ok = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    } == 0;
    ok.then_some(cred.uid)
}

/// This process's real user id.
pub fn user_id() -> u32 {
    // SAFETY: plain system call without arguments.
    unsafe { libc::getuid() }
}

/// CPU time (user + system) used by the waited-for children of this process so far.
pub fn children_cpu_time() -> std::time::Duration {
    // SAFETY: getrusage fills the zeroed struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } != 0 {
        return std::time::Duration::ZERO;
    }
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    std::time::Duration::from_micros(micros(usage.ru_utime) + micros(usage.ru_stime))
}

/// The largest peak resident set size among the waited-for children (and their waited-for
/// descendants) of this process so far, in KiB.
pub fn children_peak_rss_kib() -> u64 {
    // SAFETY: getrusage fills the zeroed struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } != 0 {
        return 0;
    }
    usage.ru_maxrss.max(0) as u64
}

/// Signals received since [`catch_interrupts`] (SIGINT, SIGTERM, SIGHUP).
static INTERRUPTS: AtomicUsize = AtomicUsize::new(0);
/// The last interrupting signal's number.
static LAST_SIGNAL: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_interrupt(signal: libc::c_int) {
    INTERRUPTS.fetch_add(1, Ordering::SeqCst);
    LAST_SIGNAL.store(signal as usize, Ordering::SeqCst);
}

/// Replaces the default action of SIGINT, SIGTERM and SIGHUP with a counter that
/// [`interrupts`] reads, so the program can stop cleanly.
pub fn catch_interrupts() {
    count_signals(&[libc::SIGINT, libc::SIGTERM, libc::SIGHUP]);
}

/// Counts SIGINT (Ctrl-C) in [`interrupts`] instead of dying of it; other signals keep their
/// default action (the REPL).
pub fn catch_ctrl_c() {
    count_signals(&[libc::SIGINT]);
}

fn count_signals(signals: &[i32]) {
    for &signal in signals {
        // SAFETY: the handler only touches atomics, which is async-signal-safe.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = count_interrupt as *const () as usize;
            libc::sigemptyset(&mut action.sa_mask);
            action.sa_flags = libc::SA_RESTART;
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// Sets an open file's times to "now" as its file system tells it (on NFS, the server's
/// clock, not this host's).
pub fn touch_now(file: &std::fs::File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: a null times pointer means "now"; the descriptor is open for the call.
    unsafe { libc::futimens(file.as_raw_fd(), std::ptr::null()) == 0 }
}

/// Ignores SIGHUP (a server outlives the terminal that started it).
pub fn ignore_hangup() {
    // SAFETY: setting a signal's disposition to "ignore" has no other effect.
    unsafe {
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
    }
}

/// How many interrupting signals arrived so far.
pub fn interrupts() -> usize {
    INTERRUPTS.load(Ordering::SeqCst)
}

/// The number of the last interrupting signal (0 when none).
pub fn last_signal() -> i32 {
    LAST_SIGNAL.load(Ordering::SeqCst) as i32
}

pub use libc::{SIGHUP, SIGINT, SIGKILL, SIGTERM};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_and_space() {
        assert!(!host_name().is_empty());
        assert!(uname_text().contains(' '));
        assert!(free_kib(Path::new("/")).is_some());
        assert!(process_exists(std::process::id()));
        assert!(!process_exists(0));
        assert!(cpu_count() >= 1);
    }
}
