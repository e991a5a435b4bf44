//! Where the relay publishes and how hard it tries: the variables, declared once.

use crate::setting::{Described, Env, Number, Text, Var};
use std::time::Duration;

/// The default of `EVENT_BUS_NAME`: the infrastructure module's bus.
pub const DEFAULT_EVENT_BUS: &str = "reservation-events";

const EVENT_SINK: Described = Described::new(
    "EVENT_SINK",
    "eventbridge (log when local)",
    "`eventbridge` publishes the outbox events; `log` only logs them (they are then lost to consumers)",
);
const EVENT_BUS_NAME: Text = Text::new(
    "EVENT_BUS_NAME",
    DEFAULT_EVENT_BUS,
    "EventBridge bus of the outbox events",
);
const EVENT_SOURCE: Text = Text::new("EVENT_SOURCE", "ticket.reservation", "the events' `source`");
const EVENTBRIDGE_ENDPOINT: Described = Described::new(
    "EVENTBRIDGE_ENDPOINT",
    "(AWS)",
    "an EventBridge emulator's URL",
);
const OUTBOX_MAX_ATTEMPTS: Number = Number::count(
    "OUTBOX_MAX_ATTEMPTS",
    8,
    1,
    100,
    "publish attempts before an event is FAILED",
);
const RELAY_INTERVAL: Number = Number::millis(
    "RELAY_INTERVAL_MS",
    2000,
    10,
    60_000,
    "relay pause when nothing was due; this replica's own changes wake it at once",
);

/// The variables of the outbox.
pub const VARIABLES: [Var; 5] = [
    EVENT_SINK.var(),
    EVENT_BUS_NAME.var(),
    EVENT_SOURCE.var(),
    EVENTBRIDGE_ENDPOINT.var(),
    OUTBOX_MAX_ATTEMPTS.var(),
];

/// The variable of the relay's pause.
pub const RELAY_VARIABLES: [Var; 1] = [RELAY_INTERVAL.var()];

/// Where the outbox relay publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventSettings {
    /// Only logged (`EVENT_SINK=log`, or `APP_ENV=local` without `EVENT_BUS_NAME`): consumers
    /// never see them.
    Log,
    /// EventBridge.
    EventBridge {
        /// `EVENT_BUS_NAME` (`reservation-events`).
        bus: String,
        /// `EVENTBRIDGE_ENDPOINT`: an emulator's URL.
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
    /// `EVENT_SOURCE`: the events' `source`.
    pub source: String,
    /// `OUTBOX_MAX_ATTEMPTS`: publish attempts before an event is `FAILED`.
    pub max_attempts: u32,
    /// `RELAY_INTERVAL_MS`: the relay's pause when it found nothing to publish (this replica's
    /// own changes wake it at once).
    pub relay_interval: Duration,
}

impl OutboxSettings {
    /// `APP_ENV=local` with nothing set: events are logged.
    pub fn local() -> Self {
        OutboxSettings {
            events: EventSettings::Log,
            source: EVENT_SOURCE.default_value(),
            max_attempts: u32::try_from(OUTBOX_MAX_ATTEMPTS.default_value()).unwrap_or(8),
            relay_interval: RELAY_INTERVAL.default_duration(),
        }
    }

    /// Reads them: EventBridge unless the log is asked for (or local without a bus).
    pub fn read(env: &mut Env<'_>) -> Self {
        let bus = env.var("EVENT_BUS_NAME");
        let endpoint = env.url(&EVENTBRIDGE_ENDPOINT);
        let eventbridge = |bus: Option<String>| EventSettings::EventBridge {
            bus: bus.unwrap_or_else(|| EVENT_BUS_NAME.default_value()),
            endpoint: endpoint.clone(),
        };
        let events = match env.raw(&EVENT_SINK).as_deref() {
            Some("log") => {
                if !env.is_local() {
                    env.missing("EVENT_SINK=log only logs the events (consumers never see them): refused outside APP_ENV=local");
                }
                EventSettings::Log
            }
            Some("eventbridge") => eventbridge(bus),
            None if env.is_local() && bus.is_none() => EventSettings::Log,
            None => eventbridge(bus),
            Some(other) => {
                env.problem(format!(
                    "EVENT_SINK={other:?} is not valid: eventbridge or log"
                ));
                EventSettings::Log
            }
        };
        OutboxSettings {
            events,
            source: env.text(&EVENT_SOURCE),
            max_attempts: env.count(&OUTBOX_MAX_ATTEMPTS),
            relay_interval: env.duration(&RELAY_INTERVAL),
        }
    }
}
