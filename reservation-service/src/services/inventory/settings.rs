//! Where seats are held: the variables, declared once.

use crate::setting::{Env, settings};
use std::time::Duration;

settings! {
    /// Where seats are held, as set: [`InventorySettings::read`] makes one place of them.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct InventoryVariables {
        /// inventory-api's gRPC address, e.g. `http://inventory-api:9090` (`host:port` is
        /// accepted too): seats are held and released there instead of in DynamoDB
        grpc_address: Option<String> = raw("INVENTORY_GRPC_ADDRESS", "(unset: the seats table)"),
        /// deadline of each inventory call; the inventory service is to answer within 250 ms
        timeout: Duration = millis("INVENTORY_TIMEOUT_MS", 200, 10, 249),
    }
}

/// Where seats are held and released.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum InventorySettings {
    /// In the service's seats table, in the same transaction as the reservation.
    #[default]
    Seats,
    /// In inventory-api over gRPC.
    Grpc {
        /// `http://host:port`.
        address: axum::http::Uri,
        /// The deadline of each call.
        timeout: Duration,
    },
}

impl InventorySettings {
    /// inventory-api at `address`, with the default deadline.
    pub fn grpc(address: axum::http::Uri) -> Self {
        InventorySettings::Grpc {
            address,
            timeout: InventoryVariables::timeout.default_duration(),
        }
    }

    /// Reads them: the seats table, or inventory-api at a valid address.
    pub fn read(env: &mut Env<'_>) -> Self {
        let InventoryVariables {
            grpc_address,
            timeout,
        } = InventoryVariables::read(env);
        let Some(address) = grpc_address else {
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
                    "{}={address:?} is not valid: host:port or http://host:port",
                    InventoryVariables::grpc_address.name()
                ));
                InventorySettings::Seats
            }
        }
    }
}
