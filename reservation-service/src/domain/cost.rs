//! What a journey is billed, known before it is sent: each plan of [`super::lifecycle`] lists
//! its writes ([`Write`]), and a journey (a hold, a confirmation, a cancellation, an expiry, the
//! relay's publication of one event) is the plan plus the writes around it (the
//! `Idempotency-Key`'s lock). DynamoDB bills a write 1 unit per KB of the item (every item the
//! service writes is under 1 KB), twice inside a transaction, and 1 more for each global index
//! entry it adds, changes or removes (every index projects all attributes, so any change of an
//! item in an index rewrites its entry). `docs/scale.md` shows [`journeys`], and a test keeps it
//! so.

/// The items the service writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// A seat (the seats table).
    Seat,
    /// A user's count of seats of an event.
    UserSeats,
    /// A reservation.
    Reservation,
    /// An order.
    Order,
    /// A payment intent's use.
    PaymentUse,
    /// An outbox event.
    OutboxEvent,
    /// An `Idempotency-Key`'s record.
    IdempotencyRecord,
}

/// What a write does to the item's entry in a global index: the hold index (`HOLD#`) or the
/// relay's (`PENDING#`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    /// The item is in no index before or after.
    Untouched,
    /// It enters one.
    Enters,
    /// It stays in one and changes: its entry is rewritten.
    Rewrites,
    /// It leaves one.
    Leaves,
}

/// One write of a journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Write {
    /// What it writes.
    pub item: Item,
    /// What it does to the item's index entry.
    pub index: Index,
    /// Inside a transaction (billed twice).
    pub transactional: bool,
}

impl Write {
    /// A write of `item` inside a transaction, touching no index.
    pub const fn in_transaction(item: Item) -> Self {
        Write {
            item,
            index: Index::Untouched,
            transactional: true,
        }
    }

    /// A write of `item` on its own, touching no index.
    pub const fn alone(item: Item) -> Self {
        Write {
            item,
            index: Index::Untouched,
            transactional: false,
        }
    }

    /// The same write, doing `index` to its index entry.
    pub const fn index(mut self, index: Index) -> Self {
        self.index = index;
        self
    }
}

/// Write units, the table's and the indexes' apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Units {
    /// Billed by the tables.
    pub table: u32,
    /// Billed by the global indexes: the work indexes' shards take these.
    pub index: u32,
}

impl Units {
    /// Both.
    pub fn total(self) -> u32 {
        self.table + self.index
    }
}

/// What `writes` are billed.
pub fn units(writes: &[Write]) -> Units {
    writes.iter().fold(Units::default(), |sum, w| Units {
        table: sum.table + if w.transactional { 2 } else { 1 },
        index: sum.index + u32::from(w.index != Index::Untouched),
    })
}

/// The `Idempotency-Key`'s lock a confirmation or cancellation takes before it runs (a hold's
/// record commits with it instead).
pub const LOCK: Write = Write::alone(Item::IdempotencyRecord);

/// The relay's publication of one event: the claim (its lease; the event stays in `PENDING#`),
/// then the mark (published; it leaves).
pub const PUBLICATION: [Write; 2] = [
    Write::alone(Item::OutboxEvent).index(Index::Rewrites),
    Write::alone(Item::OutboxEvent).index(Index::Leaves),
];

/// Each journey of a reservation of `seats` seats, with its writes, in the order
/// `docs/scale.md` shows them.
pub fn journeys(seats: u32) -> Vec<(&'static str, Vec<Write>)> {
    use super::lifecycle::Closing;
    let with_lock = |mut writes: Vec<Write>| {
        writes.insert(0, LOCK);
        writes
    };
    vec![
        ("hold", super::lifecycle::hold_writes(seats)),
        ("confirm", with_lock(Closing::Confirm.writes(seats))),
        ("cancel", with_lock(Closing::Cancel.writes(seats))),
        ("expire", Closing::Expire.writes(seats)),
        ("publish an event", PUBLICATION.to_vec()),
    ]
}

/// The table `docs/scale.md` shows: each journey of a two-seat reservation, its writes and
/// their units.
pub fn journeys_table() -> String {
    let mut out = String::from(
        "| journey | writes (one transaction unless marked alone) | table units | index units | write units |\n|---|---|---:|---:|---:|\n",
    );
    for (name, writes) in journeys(2) {
        let listed: Vec<String> = writes
            .iter()
            .map(|w| {
                let mut s = format!("{:?}", w.item);
                match w.index {
                    Index::Untouched => {}
                    Index::Enters => s.push_str(" (enters its index)"),
                    Index::Rewrites => s.push_str(" (rewrites its index entry)"),
                    Index::Leaves => s.push_str(" (leaves its index)"),
                }
                if !w.transactional {
                    s.push_str(" alone");
                }
                s
            })
            .collect();
        let u = units(&writes);
        out.push_str(&format!(
            "| {name} | {} | {} | {} | **{}** |\n",
            listed.join(", "),
            u.table,
            u.index,
            u.total()
        ));
    }
    out
}
