//! Where seats are held: the variables, declared once.

use crate::setting::{Described, Env, Number, Var};
use std::time::Duration;

const INVENTORY_GRPC_ADDRESS: Described = Described::new(
    "INVENTORY_GRPC_ADDRESS",
    "(unset: the seats table)",
    "inventory-api's gRPC address, e.g. `http://inventory-api:9090` (`host:port` is accepted too): seats are held and released there instead of in DynamoDB",
);
const INVENTORY_TIMEOUT: Number = Number::millis(
    "INVENTORY_TIMEOUT_MS",
    200,
    10,
    249,
    "deadline of each inventory call; the inventory service is to answer within 250 ms",
);

/// The variables of the inventory.
pub const VARIABLES: [Var; 2] = [INVENTORY_GRPC_ADDRESS.var(), INVENTORY_TIMEOUT.var()];

/// Where seats are held and released.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum InventorySettings {
    /// In the service's seats table, in the same transaction as the reservation.
    #[default]
    Seats,
    /// In inventory-api over gRPC (`INVENTORY_GRPC_ADDRESS`).
    Grpc {
        /// `http://host:port`.
        address: axum::http::Uri,
        /// `INVENTORY_TIMEOUT_MS` (200): the deadline of each call.
        timeout: Duration,
    },
}

impl InventorySettings {
    /// inventory-api at `address`, with the default deadline.
    pub fn grpc(address: axum::http::Uri) -> Self {
        InventorySettings::Grpc {
            address,
            timeout: INVENTORY_TIMEOUT.default_duration(),
        }
    }

    /// Reads them: the seats table, or inventory-api at a valid address.
    pub fn read(env: &mut Env<'_>) -> Self {
        let timeout = env.duration(&INVENTORY_TIMEOUT);
        let Some(address) = env.raw(&INVENTORY_GRPC_ADDRESS) else {
            return InventorySettings::Seats;
        };
        // tonic wants a URI; the inventory service's own documentation writes `host:port`.
        let address = if address.contains("://") {
            address
        } else {
            format!("http://{address}")
        };
        match address.parse::<axum::http::Uri>() {
            Ok(uri) if uri.host().is_some() && uri.port_u16().is_some() => {
                InventorySettings::Grpc {
                    address: uri,
                    timeout,
                }
            }
            _ => {
                env.problem(format!(
                    "INVENTORY_GRPC_ADDRESS={address:?} is not valid: host:port or http://host:port"
                ));
                InventorySettings::Seats
            }
        }
    }
}
