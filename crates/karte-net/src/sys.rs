//! The sockets: rtnetlink (`AF_NETLINK`/`NETLINK_ROUTE`) and a raw ARP socket
//! (`AF_PACKET`/`SOCK_DGRAM`). The only code in this crate that talks to the kernel; the bytes
//! it moves are built and parsed by [`crate::arp`] and [`crate::netlink`].

use crate::mac::MacAddr;
use crate::netlink::{self, Message};
use std::io;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn cvt_size(r: libc::ssize_t) -> io::Result<usize> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

fn socket(domain: libc::c_int, ty: libc::c_int, proto: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: a plain system call with integer arguments; the result is checked.
    let fd = cvt(unsafe { libc::socket(domain, ty | libc::SOCK_CLOEXEC, proto) })?;
    // SAFETY: `fd` is a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn set_timeout(fd: RawFd, t: Duration) -> io::Result<()> {
    let tv = libc::timeval {
        tv_sec: t.as_secs().min(i32::MAX as u64) as libc::time_t,
        tv_usec: libc::suseconds_t::from(t.subsec_micros() as i32),
    };
    // SAFETY: `tv` is a valid timeval and its size is passed.
    cvt(unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            size_of::<libc::timeval>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

/// Whether `e` means "nothing to read now".
fn would_block(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EAGAIN) | Some(libc::EINTR) | Some(libc::ETIMEDOUT)
    ) || e.kind() == io::ErrorKind::WouldBlock
}

/// An rtnetlink socket, for dumps or, bound to multicast groups, for events.
pub struct Netlink {
    fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
}

/// How long a dump may take before it counts as failed.
const DUMP_TIMEOUT: Duration = Duration::from_secs(3);

impl Netlink {
    /// Opens a socket bound to the legacy multicast `groups` mask (0: none).
    pub fn open(groups: u32) -> io::Result<Netlink> {
        let fd = socket(libc::AF_NETLINK, libc::SOCK_RAW, libc::NETLINK_ROUTE)?;
        // SAFETY: sockaddr_nl is plain data; all-zero is a valid value.
        let mut sa: libc::sockaddr_nl = unsafe { zeroed() };
        sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        sa.nl_groups = groups;
        // SAFETY: `sa` is a valid sockaddr_nl and its size is passed.
        cvt(unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&sa as *const libc::sockaddr_nl).cast(),
                size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        })?;
        set_timeout(fd.as_raw_fd(), DUMP_TIMEOUT)?;
        let seq = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.subsec_nanos() | 1);
        Ok(Netlink {
            fd,
            seq,
            buf: vec![0; 256 * 1024],
        })
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    fn send(&self, msg: &[u8]) -> io::Result<()> {
        // SAFETY: sockaddr_nl is plain data; zero means the kernel.
        let mut sa: libc::sockaddr_nl = unsafe { zeroed() };
        sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: `msg` and `sa` are valid for the lengths passed.
        let n = cvt_size(unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                msg.as_ptr().cast(),
                msg.len(),
                0,
                (&sa as *const libc::sockaddr_nl).cast(),
                size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        })?;
        if n != msg.len() {
            return Err(io::Error::other("short netlink send"));
        }
        Ok(())
    }

    /// Receives one datagram. `Ok(None)` when nothing is waiting (non-blocking or timed out).
    /// `ENOBUFS` (events were dropped) is returned as an error for the caller to resync.
    pub fn recv(&mut self, flags: libc::c_int) -> io::Result<Option<&[u8]>> {
        // SAFETY: the buffer is valid for its length.
        let r = unsafe {
            libc::recv(
                self.fd.as_raw_fd(),
                self.buf.as_mut_ptr().cast(),
                self.buf.len(),
                flags | libc::MSG_TRUNC,
            )
        };
        match cvt_size(r) {
            Ok(n) if n > self.buf.len() => Err(io::Error::other(format!(
                "netlink message of {n} bytes truncated"
            ))),
            Ok(n) => Ok(self.buf.get(..n)),
            Err(e) if would_block(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends the request that `build(seq)` makes and collects the dump it answers.
    pub fn dump(&mut self, build: impl Fn(u32) -> Vec<u8>) -> io::Result<Vec<Message>> {
        // A dump interrupted by a change of the table (NLM_F_DUMP_INTR) is redone.
        for _ in 0..3 {
            self.seq = self.seq.wrapping_add(1);
            let seq = self.seq;
            self.send(&build(seq))?;
            let mut out = Vec::new();
            let mut interrupted = false;
            'recv: loop {
                let Some(buf) = self.recv(0)? else {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the kernel did not finish a netlink dump",
                    ));
                };
                for m in netlink::messages(buf) {
                    if m.seq != seq {
                        continue;
                    }
                    interrupted |= m.flags & netlink::NLM_F_DUMP_INTR != 0;
                    match netlink::parse_message(&m) {
                        Message::Done => break 'recv,
                        Message::Error(0) => {}
                        Message::Error(e) => return Err(io::Error::from_raw_os_error(e)),
                        Message::Overrun => interrupted = true,
                        other => out.push(other),
                    }
                }
            }
            if !interrupted {
                return Ok(out);
            }
        }
        Err(io::Error::other(
            "netlink dump kept being interrupted by changes",
        ))
    }
}

/// What the kernel says about a received packet.
#[derive(Debug, Clone, Copy)]
pub struct Received {
    pub len: usize,
    pub ifindex: u32,
    /// `PACKET_HOST`, `PACKET_BROADCAST`, … `PACKET_OUTGOING` (our own, looped back).
    pub pkttype: u8,
    /// The link-layer source address.
    pub src: Option<MacAddr>,
}

pub const PACKET_OUTGOING: u8 = 4;

/// A raw `AF_PACKET` socket for ARP (`SOCK_DGRAM`: the kernel adds and strips the Ethernet
/// header). Opening it needs `CAP_NET_RAW`.
pub struct PacketSocket {
    fd: OwnedFd,
}

impl PacketSocket {
    pub fn open() -> io::Result<PacketSocket> {
        let proto = (crate::arp::ETH_P_ARP).to_be() as libc::c_int;
        let fd = socket(
            libc::AF_PACKET,
            libc::SOCK_DGRAM | libc::SOCK_NONBLOCK,
            proto,
        )?;
        Ok(PacketSocket { fd })
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Sends an ARP packet out of interface `ifindex` to `dst`.
    pub fn send(&self, ifindex: u32, dst: MacAddr, arp: &[u8]) -> io::Result<()> {
        // SAFETY: sockaddr_ll is plain data; all-zero is a valid value.
        let mut sa: libc::sockaddr_ll = unsafe { zeroed() };
        sa.sll_family = libc::AF_PACKET as u16;
        sa.sll_protocol = crate::arp::ETH_P_ARP.to_be();
        sa.sll_ifindex = ifindex as libc::c_int;
        sa.sll_halen = 6;
        sa.sll_addr[..6].copy_from_slice(&dst.0);
        // SAFETY: `arp` and `sa` are valid for the lengths passed.
        let n = cvt_size(unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                arp.as_ptr().cast(),
                arp.len(),
                0,
                (&sa as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        })?;
        if n != arp.len() {
            return Err(io::Error::other("short ARP send"));
        }
        Ok(())
    }

    /// Receives one packet into `buf`; `Ok(None)` when none is waiting.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<Received>> {
        // SAFETY: sockaddr_ll is plain data; all-zero is a valid value.
        let mut sa: libc::sockaddr_ll = unsafe { zeroed() };
        let mut sl = size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: `buf`, `sa` and `sl` are valid for the lengths passed.
        let r = unsafe {
            libc::recvfrom(
                self.fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
                (&mut sa as *mut libc::sockaddr_ll).cast(),
                &mut sl,
            )
        };
        match cvt_size(r) {
            Ok(len) => Ok(Some(Received {
                len: len.min(buf.len()),
                ifindex: u32::try_from(sa.sll_ifindex).unwrap_or(0),
                pkttype: sa.sll_pkttype,
                src: if sa.sll_halen == 6 {
                    MacAddr::from_slice(&sa.sll_addr[..6])
                } else {
                    None
                },
            })),
            Err(e) if would_block(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Waits until one of `fds` is readable or `timeout` passes; returns which are readable.
pub fn poll_readable(fds: &[RawFd], timeout: Duration) -> io::Result<Vec<bool>> {
    let mut p: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    // SAFETY: `p` is a valid array of pollfd of the length passed.
    let r = unsafe { libc::poll(p.as_mut_ptr(), p.len() as libc::nfds_t, ms) };
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EINTR) {
            return Ok(vec![false; fds.len()]);
        }
        return Err(e);
    }
    Ok(p.iter().map(|q| q.revents != 0).collect())
}
