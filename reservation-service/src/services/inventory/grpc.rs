//! inventory-api over gRPC, with a compensation in the outbox for every remote commit.

use super::proto::inventory_client::InventoryClient;
use super::proto::{CheckAvailabilityRequest, CommitReservationRequest, ReleaseHoldRequest};
use super::{Inventory, InventoryFuture, InventoryWrites, NewHold, Offer, RELEASE_TASK, Release};
use crate::domain::Error;
use crate::metrics::Metrics;
use crate::resilience::{Guard, Guarded};
use crate::store::{OutboxEvent, OutboxEventGsi1Keys, OutboxEventKey, OutboxStatus, Reservation};
use dynamo_core::{Table, TransactWrite};
use std::future::Future;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tonic::transport::{Channel, Endpoint};

const SERVICE: &str = "inventory.v1.Inventory";

/// Why an inventory call gave no answer to use.
#[derive(Debug)]
enum CallError {
    /// The inventory answered that the seats cannot be had (`FAILED_PRECONDITION`,
    /// `ABORTED`, `ALREADY_EXISTS`, `NOT_FOUND`).
    Conflict(String),
    /// The inventory refused the request as malformed (`INVALID_ARGUMENT`).
    Invalid(String),
    /// No answer within the deadline: whether a commit happened is unknown.
    Timeout(String),
    /// Unreachable, failing, or not called (circuit breaker, bulkhead).
    Unavailable(String),
}

impl CallError {
    fn from_status(status: &tonic::Status) -> Self {
        use tonic::Code;
        let message = format!("{:?}: {}", status.code(), status.message());
        match status.code() {
            Code::FailedPrecondition | Code::Aborted | Code::AlreadyExists | Code::NotFound => {
                CallError::Conflict(status.message().to_owned())
            }
            Code::InvalidArgument | Code::OutOfRange => {
                CallError::Invalid(status.message().to_owned())
            }
            Code::DeadlineExceeded | Code::Cancelled => CallError::Timeout(message),
            _ => CallError::Unavailable(message),
        }
    }

    /// Whether the inventory itself failed (counts against its circuit breaker).
    fn is_failure(&self) -> bool {
        matches!(self, CallError::Timeout(_) | CallError::Unavailable(_))
    }

    fn into_error(self, seats: &[String]) -> Error {
        match self {
            // The inventory says no without naming seats: every requested seat is in question.
            CallError::Conflict(message) => {
                tracing::info!(message, "the inventory refused the seats");
                Error::SeatsTaken(seats.to_vec())
            }
            CallError::Invalid(message) => {
                Error::Invalid(format!("the inventory refused the request: {message}"))
            }
            CallError::Timeout(detail) => Error::Timeout {
                dependency: "the inventory",
                detail,
            },
            CallError::Unavailable(detail) => Error::Unavailable {
                dependency: "the inventory",
                detail,
            },
        }
    }
}

/// inventory-api at its configured address ([`InventorySettings`](super::InventorySettings)).
/// Each call has the configured deadline (under the inventory service's 250 ms) and goes through the inventory's circuit breaker and bulkhead;
/// the channel connects lazily, so start-up never waits for the inventory.
#[derive(Clone)]
pub struct GrpcInventory {
    client: InventoryClient<Channel>,
    address: String,
    timeout: Duration,
    guard: Guard,
    metrics: Metrics,
    outbox: Table<OutboxEvent>,
    grace: Duration,
}

impl std::fmt::Debug for GrpcInventory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcInventory")
            .field("address", &self.address)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl GrpcInventory {
    /// Writes `hold`'s compensation, due after the grace: the relay releases the seats unless
    /// the hold's transaction deletes it.
    async fn write_compensation(&self, hold: &NewHold<'_>) -> Result<(), Error> {
        let grace = i64::try_from(self.grace.as_secs()).unwrap_or(i64::MAX);
        let due = hold.now.unix_timestamp().saturating_add(grace);
        let ids = (hold.reservation_id, hold.event_id, hold.seat_ids);
        let mut task = Self::release_task(ids.0, ids.1, ids.2, hold.now, due)?;
        task.outbox_id = hold.compensation_id.to_owned();
        match self.outbox.put(task).create_only().send().await {
            Ok(()) => Ok(()),
            // A retry of the same hold: its compensation is already written.
            Err(e) if e.is_condition_failed() => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The inventory at `address` (`http://host:port`), each call within `timeout`. Holds
    /// write their compensation to `outbox`, due after `grace`: longer than any request may
    /// take (twice the request deadline), so only an abandoned hold's task ever comes due.
    pub fn new(
        address: axum::http::Uri,
        timeout: Duration,
        guard: Guard,
        metrics: Metrics,
        outbox: Table<OutboxEvent>,
        grace: Duration,
    ) -> Self {
        let described = address.to_string();
        let channel = Endpoint::from(address)
            .connect_timeout(timeout)
            .timeout(timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_while_idle(true)
            .connect_lazy();
        GrpcInventory {
            client: InventoryClient::new(channel),
            address: described,
            timeout,
            guard,
            metrics,
            outbox,
            grace,
        }
    }

    /// One call: within the deadline, through the guard, timed in `grpc_client_duration`.
    async fn call<T, F, Fut>(&self, method: &'static str, send: F) -> Result<T, CallError>
    where
        F: FnOnce(InventoryClient<Channel>, Duration) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let started = Instant::now();
        let attempt = async {
            match tokio::time::timeout(self.timeout, send(self.client.clone(), self.timeout)).await
            {
                Ok(Ok(response)) => Ok(response.into_inner()),
                Ok(Err(status)) => Err(CallError::from_status(&status)),
                Err(_) => Err(CallError::Timeout(format!(
                    "no answer within {} ms",
                    self.timeout.as_millis()
                ))),
            }
        };
        let span = tracing::info_span!(
            "grpc",
            otel.name = %format_args!("{SERVICE}/{method}"),
            otel.kind = "client",
            rpc.system = "grpc",
            rpc.service = SERVICE,
            rpc.method = method,
        );
        let result =
            tracing::Instrument::instrument(self.guard.call(attempt, CallError::is_failure), span)
                .await;
        let code = match &result {
            Ok(_) => "OK",
            Err(Guarded::Refused(_)) => "NOT_CALLED",
            Err(Guarded::Failed(CallError::Conflict(_))) => "CONFLICT",
            Err(Guarded::Failed(CallError::Invalid(_))) => "INVALID_ARGUMENT",
            Err(Guarded::Failed(CallError::Timeout(_))) => "DEADLINE_EXCEEDED",
            Err(Guarded::Failed(CallError::Unavailable(_))) => "UNAVAILABLE",
        };
        self.metrics
            .grpc_call(SERVICE, method, code, started.elapsed());
        result.map_err(|e| match e {
            Guarded::Refused(why) => CallError::Unavailable(format!("not called: {why}")),
            Guarded::Failed(e) => e,
        })
    }

    /// The outbox task that gives the seats of `reservation_id` back, due at `due`.
    fn release_task(
        reservation_id: &str,
        event_id: &str,
        seat_ids: &[String],
        now: OffsetDateTime,
        due: i64,
    ) -> Result<OutboxEvent, Error> {
        let release = Release {
            reservation_id: reservation_id.to_owned(),
            event_id: event_id.to_owned(),
            seat_ids: seat_ids.to_vec(),
        };
        Ok(OutboxEvent::pending(
            RELEASE_TASK,
            reservation_id,
            crate::domain::to_json(&release, RELEASE_TASK)?,
            now,
            due,
        ))
    }

    fn task_key(id: &str) -> OutboxEventKey {
        OutboxEventKey::new(id.to_owned(), RELEASE_TASK.to_owned())
    }

    /// Makes the compensation of an unfinished hold due now; if this fails too, the task
    /// comes due by itself after its grace.
    async fn compensate_now(&self, hold: &NewHold<'_>) {
        let f = OutboxEvent::fields();
        let now = hold.now.unix_timestamp();
        let due = self
            .outbox
            .update(Self::task_key(hold.compensation_id))
            .set_index_keys(OutboxEventGsi1Keys {
                pending_shard: Some(crate::store::pending_shard()),
                next_retry_at: now,
            })
            .condition(f.status.eq(OutboxStatus::Pending))
            .send()
            .await;
        if let Err(error) = due {
            tracing::warn!(
                reservation_id = hold.reservation_id,
                error = %error,
                "the hold's inventory release stays due after its grace period"
            );
        }
    }
}

fn request<T>(message: T, timeout: Duration) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(timeout);
    crate::telemetry::inject_context(request.metadata_mut());
    request
}

impl Inventory for GrpcInventory {
    fn describe(&self) -> String {
        format!("inventory-api at {}", self.address)
    }

    fn offer<'a>(
        &'a self,
        event_id: &'a str,
        seat_ids: &'a [String],
        _now: OffsetDateTime,
    ) -> InventoryFuture<'a, Result<Vec<Offer>, Error>> {
        Box::pin(async move {
            let message = CheckAvailabilityRequest {
                event_id: event_id.to_owned(),
                seat_ids: seat_ids.to_vec(),
            };
            let answer = self
                .call("CheckAvailability", |mut client, timeout| async move {
                    client.check_availability(request(message, timeout)).await
                })
                .await
                .map_err(|e| e.into_error(seat_ids))?;
            let mut offers = Vec::with_capacity(seat_ids.len());
            let mut unavailable = Vec::new();
            for id in seat_ids {
                match answer.seats.iter().find(|s| &s.seat_id == id) {
                    Some(seat) if seat.available => offers.push(Offer {
                        seat_id: id.clone(),
                        price: seat.price,
                        currency: Some(seat.currency.clone()).filter(|c| !c.is_empty()),
                    }),
                    _ => unavailable.push(id.clone()),
                }
            }
            if unavailable.is_empty() {
                Ok(offers)
            } else {
                Err(Error::SeatsTaken(unavailable))
            }
        })
    }

    fn take<'a>(
        &'a self,
        tx: &'a mut TransactWrite,
        hold: &'a NewHold<'a>,
        _offers: &'a [Offer],
    ) -> InventoryFuture<'a, Result<InventoryWrites, Error>> {
        Box::pin(async move {
            // First the compensation: from here on, whatever happens, the seats are either the
            // committed reservation's or released by the relay.
            self.write_compensation(hold).await?;
            let message = CommitReservationRequest {
                reservation_id: hold.reservation_id.to_owned(),
                event_id: hold.event_id.to_owned(),
                seat_ids: hold.seat_ids.to_vec(),
                user_id: hold.user_id.to_owned(),
                hold_expires_at: hold.kept_until.unix_timestamp(),
            };
            let committed = self
                .call("CommitReservation", |mut client, timeout| async move {
                    client.commit_reservation(request(message, timeout)).await
                })
                .await;
            let refused = match committed {
                Ok(answer) if answer.committed => {
                    // The transaction removes the compensation when it commits; a relay that
                    // already claimed it (the hold outlived its grace) fails the transaction,
                    // and the seats are released.
                    let f = OutboxEvent::fields();
                    let unclaimed = f
                        .status
                        .eq(OutboxStatus::Pending)
                        .and(f.lease_owner.not_exists());
                    let delete = self.outbox.delete(Self::task_key(hold.compensation_id));
                    return Ok(InventoryWrites {
                        compensation: Some(tx.add(delete.condition(unclaimed))),
                        ..InventoryWrites::default()
                    });
                }
                Ok(answer) if answer.unavailable_seat_ids.is_empty() => {
                    Error::SeatsTaken(hold.seat_ids.to_vec())
                }
                Ok(answer) => Error::SeatsTaken(answer.unavailable_seat_ids),
                Err(e @ (CallError::Conflict(_) | CallError::Invalid(_))) => {
                    e.into_error(hold.seat_ids)
                }
                Err(e) => {
                    // Unknown whether the inventory committed: release now through the relay.
                    self.compensate_now(hold).await;
                    return Err(e.into_error(hold.seat_ids));
                }
            };
            // Nothing was committed: the compensation has nothing to do.
            let unneeded = self.outbox.delete(Self::task_key(hold.compensation_id));
            if let Err(error) = unneeded.send().await {
                tracing::debug!(error = %error, "an unneeded inventory release stays; it is harmless");
            }
            Err(refused)
        })
    }

    fn abandon<'a>(&'a self, hold: &'a NewHold<'a>) -> InventoryFuture<'a, ()> {
        Box::pin(self.compensate_now(hold))
    }

    fn sell(
        &self,
        _tx: &mut TransactWrite,
        _reservation: &Reservation,
        _now: OffsetDateTime,
    ) -> InventoryWrites {
        // The seats stay committed to the reservation: nothing to change remotely.
        InventoryWrites::default()
    }

    fn release<'a>(
        &'a self,
        tx: &'a mut TransactWrite,
        reservation: &'a Reservation,
        now: OffsetDateTime,
    ) -> InventoryFuture<'a, Result<InventoryWrites, Error>> {
        let task = Self::release_task(
            &reservation.reservation_id,
            &reservation.event_id,
            &reservation.seat_ids,
            now,
            now.unix_timestamp(),
        );
        let added = task.map(|task| {
            tx.add(self.outbox.put(task).create_only());
            InventoryWrites {
                others: 1,
                ..InventoryWrites::default()
            }
        });
        Box::pin(std::future::ready(added))
    }

    fn give_back<'a>(&'a self, release: &'a Release) -> InventoryFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let message = ReleaseHoldRequest {
                reservation_id: release.reservation_id.clone(),
                event_id: release.event_id.clone(),
                seat_ids: release.seat_ids.clone(),
            };
            self.call("ReleaseHold", |mut client, timeout| async move {
                client.release_hold(request(message, timeout)).await
            })
            .await
            .map(|_| ())
            .map_err(|e| format!("ReleaseHold: {e:?}"))
        })
    }
}
