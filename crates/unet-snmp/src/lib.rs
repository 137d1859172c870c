//! SNMP polling of one device at a time: the system group, IF-MIB interfaces (64-bit counters
//! where the device has them) and LLDP-MIB neighbours, over SNMPv2c or SNMPv3 (USM, SHA family
//! and AES), through one shared socket; and, pure, what changed since the previous poll
//! (events, traffic rates with counter wraps) and where the device disagrees with the
//! inventory (drift). Knows nothing of the store or the server.

mod catalogue;
mod changes;
mod client;
mod credentials;
mod drift;
mod fault;
mod read;
#[cfg(feature = "testing")]
pub mod testing;
mod vendors;
mod walk;

pub use changes::{compare, failed};
pub use client::{Limits, Poller, Prepared};
pub use credentials::{AuthProtocol, Credentials, MIN_USM_PASSWORD, PrivProtocol, Usm};
pub use drift::{Inventory, InventoryLink, drift};
pub use fault::Fault;
pub use vendors::identify;
