//! Following the neighbour table: arpwatch without packet capture.

use crate::check::{HostNet, dump_neighbours, observe_events, recv_events};
use crate::neigh::{Neighbour, NeighbourChange, Tracker};
use crate::netlink;
use crate::sys::{self, Netlink};
use crate::{NetError, unix_ms};
use serde::Serialize;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Only this interface (by name); all by default.
    pub interface: Option<String>,
    pub duration: Duration,
}

/// What a watch saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WatchReport {
    /// Every change, in order (new stations included).
    pub changes: Vec<NeighbourChange>,
    /// The table at the end.
    pub neighbours: Vec<Neighbour>,
    /// Times the kernel dropped events and the table was read again instead.
    pub resyncs: u32,
    pub elapsed_ms: u64,
}

/// Keeps memory bounded on a long watch of a busy segment; the callback still sees every change.
const MAX_KEPT: usize = 10_000;

/// Follows `RTM_NEWNEIGH` events (group `RTNLGRP_NEIGH`) for `opts.duration`, calling
/// `on_change` for every new station, changed address and flip-flop as it happens. The table
/// as it is at the start is the baseline: nothing in it is reported as new. Needs no privilege.
pub fn watch(
    opts: &WatchOptions,
    mut on_change: impl FnMut(&NeighbourChange),
) -> Result<WatchReport, NetError> {
    let started = Instant::now();
    let mut nl = Netlink::open(0).map_err(NetError::io("opening rtnetlink"))?;
    let mut monitor = Netlink::open(netlink::RTMGRP_NEIGH)
        .map_err(NetError::io("subscribing to neighbour events"))?;
    let host = HostNet::read(&mut nl)?;
    if let Some(i) = &opts.interface
        && !host.links.values().any(|l| &l.name == i)
    {
        return Err(NetError::NoSuchInterface(i.clone()));
    }
    let only = opts.interface.as_deref();
    let mut names = host.names();
    let mut tracker = Tracker::new();
    for n in dump_neighbours(&mut nl, &names, only)? {
        tracker.seed(&n);
    }
    let mut changes = Vec::new();
    let mut resyncs = 0;
    let mut keep = |c: NeighbourChange, changes: &mut Vec<NeighbourChange>| {
        on_change(&c);
        if changes.len() < MAX_KEPT {
            changes.push(c);
        }
    };
    loop {
        let now = started.elapsed();
        if now >= opts.duration {
            break;
        }
        let ready = sys::poll_readable(&[monitor.raw_fd()], opts.duration - now)
            .map_err(NetError::io("waiting for neighbour events"))?;
        if ready.first() != Some(&true) {
            continue;
        }
        let at = started.elapsed().as_millis() as u64;
        let (msgs, complete) = recv_events(&mut monitor);
        // An interface created since the start: learn its name.
        if msgs.iter().any(|m| !names.contains_key(&m.ifindex))
            && let Ok(h) = HostNet::read(&mut nl)
        {
            names = h.names();
        }
        for c in observe_events(msgs, &names, only, &mut tracker, at) {
            keep(c, &mut changes);
        }
        if !complete {
            // The kernel dropped events (ENOBUFS): read the whole table instead.
            resyncs += 1;
            for n in dump_neighbours(&mut nl, &names, only)? {
                if let Some(c) = tracker.observe(&n, at, unix_ms()) {
                    keep(c, &mut changes);
                }
            }
        }
    }
    let neighbours = dump_neighbours(&mut nl, &names, only)?;
    Ok(WatchReport {
        changes,
        neighbours,
        resyncs,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}
