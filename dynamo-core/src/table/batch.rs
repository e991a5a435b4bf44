//! BatchGetItem and BatchWriteItem: chunked to DynamoDB's limits, unprocessed items retried
//! with exponential backoff and jitter, and whatever still failed returned, never dropped.

use super::InSpan;
use super::capacity::{self, ConsumedCapacity};
use crate::error::{Error, Operation};
use crate::mapping::entity::{Entity, EntityKey};
use crate::mapping::item::Item;
use crate::table::Table;
use aws_sdk_dynamodb::types::{DeleteRequest, KeysAndAttributes, PutRequest, WriteRequest};
use std::collections::HashMap;
use std::time::Duration;

/// How unprocessed batch items are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts per chunk, the first included.
    pub max_attempts: u32,
    /// Delay before the first retry; doubled each time.
    pub base: Duration,
    /// Longest delay.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            max_attempts: 8,
            base: Duration::from_millis(25),
            cap: Duration::from_secs(2),
        }
    }
}

impl Backoff {
    /// "Full jitter": a random delay up to the exponential bound.
    fn delay(&self, retry: u32) -> Duration {
        let bound = self
            .base
            .saturating_mul(1u32 << retry.min(16))
            .min(self.cap);
        let nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

/// What a batch get read, and the keys DynamoDB left unprocessed after every retry.
#[derive(Debug)]
pub struct BatchGetOutput<E: Entity> {
    /// The items found (missing keys are simply absent), in no particular order.
    pub items: Vec<E>,
    /// The keys of the items found under their previous key (an entity that declares
    /// `#[dynamo(previous(pk = ".."))]`), where an earlier version stored them: read as they
    /// are; move them ([`Rekey::move_key`](crate::table::Rekey::move_key)) before writing them.
    pub under_previous_key: Vec<E::Key>,
    /// Keys still unprocessed when the retries ran out.
    pub unprocessed: Vec<Item>,
    /// What the requests cost, when
    /// [`return_consumed_capacity`](BatchGet::return_consumed_capacity) asked for it.
    pub consumed_capacity: Option<ConsumedCapacity>,
}

/// What a batch write left unprocessed after every retry.
#[derive(Debug, Default)]
pub struct BatchWriteOutput {
    /// Writes still unprocessed when the retries ran out; empty when everything was written.
    pub unprocessed: Vec<WriteRequest>,
    /// What the requests cost, when
    /// [`return_consumed_capacity`](BatchWrite::return_consumed_capacity) asked for it.
    pub consumed_capacity: Option<ConsumedCapacity>,
}

impl BatchWriteOutput {
    /// Whether every write went through.
    pub fn is_complete(&self) -> bool {
        self.unprocessed.is_empty()
    }
}

impl<E: Entity> Table<E> {
    /// BatchGetItem for any number of keys: requests of 100 keys.
    pub fn batch_get(&self, keys: impl IntoIterator<Item = E::Key>) -> BatchGet<'_, E> {
        BatchGet {
            table: self,
            keys: keys.into_iter().collect(),
            consistent: false,
            backoff: Backoff::default(),
            capacity: false,
        }
    }

    /// BatchWriteItem for any number of puts and deletes: requests of 25 writes.
    pub fn batch_write(&self) -> BatchWrite<'_, E> {
        BatchWrite {
            table: self,
            writes: Vec::new(),
            backoff: Backoff::default(),
            error: None,
            capacity: false,
        }
    }
}

/// [`Table::batch_get`].
#[must_use = "a request does nothing until it is sent"]
pub struct BatchGet<'a, E: Entity> {
    table: &'a Table<E>,
    keys: Vec<E::Key>,
    consistent: bool,
    backoff: Backoff,
    capacity: bool,
}

impl<E: Entity> BatchGet<'_, E> {
    /// Strongly consistent reads.
    pub fn consistent_read(mut self) -> Self {
        self.consistent = true;
        self
    }

    /// How unprocessed keys are retried.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Asks DynamoDB for the capacity the requests consume, summed in the output.
    pub fn return_consumed_capacity(mut self) -> Self {
        self.capacity = true;
        self
    }

    /// Sends the requests, one chunk of 100 keys at a time. An item that does not map fails it
    /// with an [`ErrorKind::Mapping`](crate::ErrorKind::Mapping) naming the item's key. For an
    /// entity that declares previous keys, the keys without an item are read again under their
    /// previous key ([`BatchGetOutput::under_previous_key`]).
    pub async fn send(mut self) -> Result<BatchGetOutput<E>, Error> {
        let op = Operation::BatchGetItem;
        let table = self.table;
        let asked = std::mem::take(&mut self.keys);
        let mut keys = Vec::with_capacity(asked.len());
        // For an entity with previous keys: each key now, with its previous key.
        let mut previous = Vec::new();
        for key in asked {
            let old = key
                .previous_key_item()
                .map_err(|e| Error::mapping_failed(table.name(), op, e))?;
            let now = table.key_item(op, key)?;
            if let Some(old) = old {
                previous.push((now.clone(), old));
            }
            keys.push(now);
        }
        let mut totals = Vec::new();
        let (found, mut unprocessed) = self.fetch(keys, &mut totals).await?;
        let mut out = BatchGetOutput {
            items: Vec::with_capacity(found.len()),
            under_previous_key: Vec::new(),
            unprocessed: Vec::new(),
            consumed_capacity: None,
        };
        let found_keys: Vec<Item> = match previous.is_empty() {
            true => Vec::new(),
            false => found
                .iter()
                .map(|item| crate::mapping::error::key_of(&E::TABLE, item))
                .collect(),
        };
        for item in found {
            out.items.push(table.read(op, item)?);
        }
        // Keys without an item, under their previous key: those DynamoDB left unprocessed may
        // have one under their key now, and are reported unprocessed instead.
        let missing: Vec<(Item, Item)> = previous
            .into_iter()
            .filter(|(now, _)| !found_keys.contains(now) && !unprocessed.contains(now))
            .collect();
        if !missing.is_empty() {
            let old_keys = missing.iter().map(|(_, old)| old.clone()).collect();
            let (found, left) = self.fetch(old_keys, &mut totals).await?;
            for mut item in found {
                E::read_previous_key(&mut item)
                    .map_err(|e| Error::mapping_failed(table.name(), op, e))?;
                let entity: E = table.read(op, item)?;
                out.under_previous_key.push(entity.key());
                out.items.push(entity);
            }
            // Reported by the keys the caller asked for.
            unprocessed.extend(
                missing
                    .into_iter()
                    .filter(|(_, old)| left.contains(old))
                    .map(|(now, _)| now),
            );
        }
        if !unprocessed.is_empty() {
            tracing::warn!(
                table = table.name(),
                keys = unprocessed.len(),
                "batch get left keys unprocessed after retries"
            );
        }
        out.unprocessed = unprocessed;
        out.consumed_capacity = totals.pop();
        Ok(out)
    }

    /// The items of `keys`, 100 keys a request, and the keys still unprocessed after the
    /// retries.
    async fn fetch(
        &self,
        keys: Vec<Item>,
        totals: &mut Vec<ConsumedCapacity>,
    ) -> Result<(Vec<Item>, Vec<Item>), Error> {
        let op = Operation::BatchGetItem;
        let table = self.table;
        let mut items = Vec::with_capacity(keys.len());
        let mut unprocessed = Vec::new();
        for chunk in keys.chunks(100) {
            let mut pending = chunk.to_vec();
            let mut attempt = 0;
            while !pending.is_empty() {
                if attempt >= self.backoff.max_attempts {
                    unprocessed.append(&mut pending);
                    break;
                }
                if attempt > 0 {
                    tracing::debug!(
                        table = table.name(),
                        keys = pending.len(),
                        attempt,
                        "retrying unprocessed keys"
                    );
                    tokio::time::sleep(self.backoff.delay(attempt - 1)).await;
                }
                attempt += 1;
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut pending)))
                    .consistent_read(self.consistent)
                    .build()
                    .map_err(|e| Error::validation(table.name(), op, e.to_string()))?;
                let span = table.span(op);
                let output = table
                    .client()
                    .batch_get_item()
                    .request_items(table.name(), request)
                    .set_return_consumed_capacity(capacity::level(self.capacity))
                    .send()
                    .in_span(span.clone())
                    .await
                    .map_err(|e| Error::from_sdk(table.name(), op, e))?;
                record(&span, totals, output.consumed_capacity());
                if let Some(mut responses) = output.responses {
                    items.append(&mut responses.remove(table.name()).unwrap_or_default());
                }
                pending = output
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(table.name()))
                    .map(|k| k.keys)
                    .unwrap_or_default();
            }
        }
        Ok((items, unprocessed))
    }
}

/// [`Table::batch_write`].
#[must_use = "a request does nothing until it is sent"]
pub struct BatchWrite<'a, E: Entity> {
    table: &'a Table<E>,
    writes: Vec<WriteRequest>,
    backoff: Backoff,
    error: Option<Error>,
    capacity: bool,
}

impl<E: Entity> BatchWrite<'_, E> {
    /// Puts an entity (unconditionally: batch writes take no conditions, so `#[version]` is not
    /// checked).
    pub fn put(mut self, entity: E) -> Self {
        let op = Operation::BatchWriteItem;
        if let Some(refused) = self.unguarded() {
            self.fail(refused);
            return self;
        }
        let item = entity
            .into_item()
            .map_err(|e| Error::mapping_failed(self.table.name(), op, e));
        let item = item.and_then(|mut item| {
            super::stamp_put::<E>(&mut item);
            super::write::WriteRequest::fits::<E>(self.table.name(), op, &item).map(|()| item)
        });
        match item {
            Ok(item) => match PutRequest::builder().set_item(Some(item)).build() {
                Ok(put) => self
                    .writes
                    .push(WriteRequest::builder().put_request(put).build()),
                Err(e) => self.fail(Error::validation(self.table.name(), op, e.to_string())),
            },
            Err(e) => self.fail(e),
        }
        self
    }

    /// Puts every entity.
    pub fn put_all(self, entities: impl IntoIterator<Item = E>) -> Self {
        entities.into_iter().fold(self, Self::put)
    }

    /// Deletes an item.
    pub fn delete(mut self, key: E::Key) -> Self {
        let op = Operation::BatchWriteItem;
        if let Some(refused) = self.unguarded() {
            self.fail(refused);
            return self;
        }
        match self.table.key_item(op, key) {
            Ok(key) => match DeleteRequest::builder().set_key(Some(key)).build() {
                Ok(delete) => self
                    .writes
                    .push(WriteRequest::builder().delete_request(delete).build()),
                Err(e) => self.fail(Error::validation(self.table.name(), op, e.to_string())),
            },
            Err(e) => self.fail(e),
        }
        self
    }

    /// Deletes every item.
    pub fn delete_all(self, keys: impl IntoIterator<Item = E::Key>) -> Self {
        keys.into_iter().fold(self, Self::delete)
    }

    /// How unprocessed writes are retried.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Asks DynamoDB for the capacity the requests consume, summed in the output.
    pub fn return_consumed_capacity(mut self) -> Self {
        self.capacity = true;
        self
    }

    /// A batch write cannot keep the guards of unique values (it takes no conditions): refused
    /// for entities with unique constraints.
    fn unguarded(&self) -> Option<Error> {
        let c = E::SCHEMA.unique.first()?;
        Some(Error::validation(
            self.table.name(),
            Operation::BatchWriteItem,
            format!(
                "{} has unique constraints ({} ..) whose guards a batch write cannot keep: put or delete each item alone, or put them in a transaction",
                E::SCHEMA.name,
                c.name
            ),
        ))
    }

    fn fail(&mut self, error: Error) {
        self.error.get_or_insert(error);
    }

    /// Sends the writes, 25 per request. An item that cannot be mapped fails the whole batch
    /// before anything is sent.
    pub async fn send(self) -> Result<BatchWriteOutput, Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let op = Operation::BatchWriteItem;
        let table = self.table;
        let mut out = BatchWriteOutput::default();
        let mut totals = Vec::new();
        for chunk in self.writes.chunks(25) {
            let mut pending = chunk.to_vec();
            let mut attempt = 0;
            while !pending.is_empty() {
                if attempt >= self.backoff.max_attempts {
                    out.unprocessed.append(&mut pending);
                    break;
                }
                if attempt > 0 {
                    tracing::debug!(
                        table = table.name(),
                        writes = pending.len(),
                        attempt,
                        "retrying unprocessed writes"
                    );
                    tokio::time::sleep(self.backoff.delay(attempt - 1)).await;
                }
                attempt += 1;
                let span = table.span(op);
                let output = table
                    .client()
                    .batch_write_item()
                    .set_request_items(Some(HashMap::from([(
                        table.name().to_owned(),
                        std::mem::take(&mut pending),
                    )])))
                    .set_return_consumed_capacity(capacity::level(self.capacity))
                    .send()
                    .in_span(span.clone())
                    .await
                    .map_err(|e| Error::from_sdk(table.name(), op, e))?;
                record(&span, &mut totals, output.consumed_capacity());
                pending = output
                    .unprocessed_items
                    .and_then(|mut u| u.remove(table.name()))
                    .unwrap_or_default();
            }
        }
        if !out.unprocessed.is_empty() {
            tracing::warn!(
                table = table.name(),
                writes = out.unprocessed.len(),
                "batch write left writes unprocessed after retries"
            );
        }
        out.consumed_capacity = totals.pop();
        Ok(out)
    }
}

/// Adds one response's consumed capacity to the batch's total and records it on its span.
fn record(
    span: &tracing::Span,
    totals: &mut Vec<ConsumedCapacity>,
    consumed: &[aws_sdk_dynamodb::types::ConsumedCapacity],
) {
    let this: f64 = consumed.iter().filter_map(|c| c.capacity_units()).sum();
    if !consumed.is_empty() {
        span.record("consumed_capacity", this);
    }
    ConsumedCapacity::merge_into(totals, consumed);
}
