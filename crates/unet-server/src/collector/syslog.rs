//! The syslog trigger: a UDP listener (off unless `collect.syslog_listen` is set) that
//! collects a node as soon as it logs a configuration change. The sender's address names the
//! node (its management_ip); messages within `collect.syslog_debounce` of each other start one
//! collection, after the last of them, so a burst of commits is read once, when it is over.
//! A change logged while the node is being collected is collected again afterwards.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use unet_core::{Uuid, is_config_change_message};
use unet_settings::SyslogListener;

use super::{Collector, Trigger, log_unrecorded};
use crate::error::Error;

/// The largest syslog datagram read (RFC 5426 receivers must take 2048 bytes; more is cut).
const MAX_MESSAGE: usize = 8192;

/// Binds the listener (an error names the address) and serves until `stop` turns true.
pub async fn run_syslog(
    collector: Arc<Collector>,
    listener: SyslogListener,
    stop: watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>, Error> {
    let socket = UdpSocket::bind(listener.listen)
        .await
        .map_err(|e| Error::io(format!("collect.syslog_listen {}", listener.listen), e))?;
    tracing::info!(target: "unet::collect", "syslog trigger listening on udp://{}", listener.listen);
    Ok(tokio::spawn(serve(
        collector,
        socket,
        listener.debounce,
        stop,
    )))
}

async fn serve(
    collector: Arc<Collector>,
    socket: UdpSocket,
    debounce: Duration,
    mut stop: watch::Receiver<bool>,
) {
    // Per node, when its pending collection starts: pushed back by every further message.
    let pending: Arc<Mutex<HashMap<Uuid, Instant>>> = Arc::default();
    let mut waiting = JoinSet::new();
    let mut buffer = vec![0u8; MAX_MESSAGE];
    loop {
        let (length, from) = tokio::select! {
            _ = stop.wait_for(|stop| *stop) => break,
            Some(_) = waiting.join_next(), if !waiting.is_empty() => continue,
            received = socket.recv_from(&mut buffer) => match received {
                Ok(received) => received,
                Err(e) => {
                    tracing::warn!(target: "unet::collect", "syslog receive failed: {e}");
                    continue;
                }
            },
        };
        let message = String::from_utf8_lossy(buffer.get(..length).unwrap_or_default());
        if !is_config_change_message(&message) {
            continue;
        }
        let address = from.ip().to_canonical().to_string();
        let node = match collector.store.managed_node_at(&address).await {
            Ok(Some(node)) => node,
            Ok(None) => {
                tracing::debug!(target: "unet::collect", address, "configuration change logged by an address that is no managed node's");
                continue;
            }
            Err(e) => {
                tracing::error!(target: "unet::collect", "ERROR looking up the node at {address} failed: {e}");
                continue;
            }
        };
        let due = Instant::now() + debounce;
        let fresh = pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(node, due)
            .is_none();
        if fresh {
            tracing::info!(target: "unet::collect", event = "syslog_trigger", node_id = %node, address, "configuration change logged; collecting");
            waiting.spawn(collect_after(collector.clone(), pending.clone(), node));
        }
    }
    waiting.abort_all();
    while waiting.join_next().await.is_some() {}
}

/// Waits until the node's last message is `debounce` old, then collects it — after the
/// collection in progress, if there is one, since that may have read the old configuration.
async fn collect_after(
    collector: Arc<Collector>,
    pending: Arc<Mutex<HashMap<Uuid, Instant>>>,
    node: Uuid,
) {
    loop {
        let due = pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&node)
            .copied();
        match due {
            Some(due) if due > Instant::now() => tokio::time::sleep_until(due).await,
            _ => break,
        }
    }
    pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&node);
    let guard = loop {
        // Made before the check, so that a collection ending in between still wakes it.
        let finished = collector.busy.finished.notified();
        if let Some(guard) = collector.busy.begin(node) {
            break guard;
        }
        finished.await;
    };
    let target = match collector.store.collection_target(node).await {
        Ok(target) => target,
        Err(e) => {
            tracing::warn!(target: "unet::collect", node_id = %node, "the node logged a change but cannot be read: {e}");
            return;
        }
    };
    let name = target.name.clone();
    if let Err(e) = collector.collect(target, Trigger::Syslog).await {
        log_unrecorded(&name, &e);
    }
    drop(guard);
}
