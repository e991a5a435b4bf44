//! Where the relay publishes and how hard it tries: the variables, declared once.

use crate::setting::{Env, settings};
use std::time::Duration;

/// The default bus: the infrastructure module's.
pub const DEFAULT_EVENT_BUS: &str = "reservation-events";

settings! {
    /// Where the relay publishes and how hard it tries, as set: [`OutboxSettings::read`] makes
    /// them one sink.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct OutboxVariables {
        /// `eventbridge` publishes the outbox events; `log` only logs them (they are then lost
        /// to consumers)
        sink: Option<String> = raw("EVENT_SINK", "eventbridge (log when local)"),
        /// EventBridge bus of the outbox events
        bus: Option<String> = raw("EVENT_BUS_NAME", DEFAULT_EVENT_BUS),
        /// the events' `source`
        source: String = text("EVENT_SOURCE", "ticket.reservation"),
        /// an EventBridge emulator's URL
        endpoint: Option<String> = url("EVENTBRIDGE_ENDPOINT", "(AWS)"),
        /// publish attempts before an event is FAILED
        max_attempts: u32 = count("OUTBOX_MAX_ATTEMPTS", 8, 1, 100),
        /// relay pause when nothing was due; this replica's own changes wake it at once
        relay_interval: Duration = millis("RELAY_INTERVAL_MS", 2000, 10, 60_000),
    }
}

/// Where the outbox relay publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventSettings {
    /// Only logged (the `log` sink, or local development without a bus): consumers never see
    /// them.
    Log,
    /// EventBridge.
    EventBridge {
        /// The bus (`reservation-events`).
        bus: String,
        /// An emulator's URL.
        endpoint: Option<String>,
    },
}

impl EventSettings {
    /// The bus, when events go to one.
    pub fn bus(&self) -> Option<&str> {
        match self {
            EventSettings::Log => None,
            EventSettings::EventBridge { bus, .. } => Some(bus),
        }
    }
}

/// The outbox's sink and the relay's attempts and pace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxSettings {
    /// Where events go.
    pub events: EventSettings,
    /// The events' `source`.
    pub source: String,
    /// Publish attempts before an event is `FAILED`.
    pub max_attempts: u32,
    /// The relay's pause when it found nothing to publish (this replica's own changes wake it
    /// at once).
    pub relay_interval: Duration,
}

impl OutboxSettings {
    /// Local development with nothing set: events are logged.
    pub fn local() -> Self {
        let defaults = OutboxVariables::default();
        OutboxSettings {
            events: EventSettings::Log,
            source: defaults.source,
            max_attempts: defaults.max_attempts,
            relay_interval: defaults.relay_interval,
        }
    }

    /// Reads them: EventBridge unless the log is asked for (or local without a bus).
    pub fn read(env: &mut Env<'_>) -> Self {
        let OutboxVariables {
            sink,
            bus,
            source,
            endpoint,
            max_attempts,
            relay_interval,
        } = OutboxVariables::read(env);
        let eventbridge = |bus: Option<String>| EventSettings::EventBridge {
            bus: bus.unwrap_or_else(|| DEFAULT_EVENT_BUS.to_owned()),
            endpoint: endpoint.clone(),
        };
        let (sink_name, local) = (OutboxVariables::sink.name(), env.local());
        let events = match sink.as_deref() {
            Some("log") => {
                if !env.is_local() {
                    env.missing(format!("{sink_name}=log only logs the events (consumers never see them): refused outside {local}"));
                }
                EventSettings::Log
            }
            Some("eventbridge") => eventbridge(bus),
            None if env.is_local() && bus.is_none() => EventSettings::Log,
            None => eventbridge(bus),
            Some(other) => {
                env.problem(format!(
                    "{sink_name}={other:?} is not valid: eventbridge or log"
                ));
                EventSettings::Log
            }
        };
        OutboxSettings {
            events,
            source,
            max_attempts,
            relay_interval,
        }
    }
}
