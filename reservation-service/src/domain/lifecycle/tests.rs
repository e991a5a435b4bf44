//! The rules, table-driven: every state a reservation can be in (an open hold, a hold past its
//! end the sweeper has not recorded, and the three closed states) against every action (hold,
//! confirm with each payment answer, cancel, expire).

use super::*;
use std::time::Duration;

const NOW: i64 = 1_800_000_000;

fn at(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).expect("a time")
}

fn krw(amount: u64) -> Money {
    Money {
        amount,
        currency: "KRW".into(),
    }
}

/// The states, as (name, stored status, end of the hold relative to now).
const STATES: [(&str, ReservationStatus, i64); 5] = [
    ("open hold", ReservationStatus::Hold, 60),
    ("hold past its end", ReservationStatus::Hold, -1),
    ("confirmed", ReservationStatus::Confirmed, -60),
    ("cancelled", ReservationStatus::Cancelled, 60),
    ("expired", ReservationStatus::Expired, -60),
];

struct Fixture {
    seats: Vec<String>,
    total: Money,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            seats: vec!["A-1".into(), "A-2".into()],
            total: krw(100_000),
        }
    }

    fn booking(&self, status: ReservationStatus, ends_in: i64) -> Booking<'_> {
        Booking {
            id: "rsv_1",
            user_id: "alice",
            event_id: "evt_1",
            seat_ids: &self.seats,
            status,
            hold_expires_at: at(NOW + ends_in),
            total: Some(self.total.clone()),
            counted: true,
        }
    }
}

fn intent() -> PaymentIntentId {
    PaymentIntentId::parse("pay_xyz789").expect("an id")
}

/// What a confirmation step came to, in a word, for the table.
fn step(c: &Confirmation) -> String {
    match c {
        Confirmation::Ask(amount) => format!("ask {}", amount.amount),
        Confirmation::Commit(close) => format!("commit {}", close.to.as_str()),
        Confirmation::HandBack(back, refused) => {
            format!("hand back {} and refuse: {refused}", back.reason)
        }
        Confirmation::Refuse(e) => format!("refuse: {e}"),
    }
}

fn declined() -> Error {
    Error::PaymentNotApproved("declined".into())
}

fn used(paid: bool) -> Payment {
    Payment::Used(Use {
        user_id: "alice".into(),
        reservation_id: "rsv_0".into(),
        paid,
    })
}

/// Each payment answer a confirmation can know: unasked, approved, declined, used.
fn payments() -> [Payment; 4] {
    [
        Payment::Unasked,
        Payment::Approved,
        Payment::Declined(declined()),
        used(true),
    ]
}

/// What confirming a closed reservation does with each payment answer (unasked, approved,
/// declined, used): ask, hand the approved payment back, refuse.
fn closed(refused: &str, reason: &str) -> [String; 4] {
    [
        "ask 100000".into(),
        format!("hand back {reason} and refuse: {refused}"),
        format!("refuse: {refused}"),
        format!("refuse: {refused}"),
    ]
}

#[test]
fn every_state_against_every_action() {
    let f = Fixture::new();
    let now = at(NOW);
    let expired = "the hold on reservation rsv_1 has expired";
    let not =
        |action: &str, state: &str| format!("cannot {action} reservation rsv_1: it is {state}");
    let open = [
        "ask 100000".into(),
        "commit CONFIRMED".into(),
        "refuse: declined".into(),
        "refuse: payment pay_…89 has already been used: it paid for reservation rsv_0".into(),
    ];
    // state: confirm × (unasked, approved, declined, used), cancel, expire
    let table: [(&str, [String; 4], String, &str); 5] = [
        ("open hold", open, "CANCELLED".into(), "-"),
        (
            "hold past its end",
            closed(expired, "RESERVATION_EXPIRED"),
            expired.into(),
            "EXPIRED",
        ),
        (
            "confirmed",
            closed(&not("confirm", "CONFIRMED"), "RESERVATION_CONFIRMED"),
            not("cancel", "CONFIRMED"),
            "-",
        ),
        (
            "cancelled",
            closed(&not("confirm", "CANCELLED"), "RESERVATION_CANCELLED"),
            not("cancel", "CANCELLED"),
            "-",
        ),
        (
            "expired",
            closed(expired, "RESERVATION_EXPIRED"),
            expired.into(),
            "-",
        ),
    ];
    for ((name, status, ends_in), (row, confirms, cancel_to, expire_to)) in
        STATES.into_iter().zip(table)
    {
        assert_eq!(name, row);
        let b = f.booking(status, ends_in);
        for (payment, expected) in payments().into_iter().zip(confirms) {
            let what = format!("{payment:?}");
            let times = Times { started: now, now };
            let got = step(&confirm(&b, &intent(), payment, "ord_1", times));
            assert_eq!(got, expected, "{name}: confirm, payment {what}");
        }
        let cancelled = match cancel(&b, now) {
            Ok(close) => close.to.as_str().to_owned(),
            Err(e) => e.to_string(),
        };
        assert_eq!(cancelled, cancel_to, "{name}: cancel");
        let expiry = expire(&b, now).map_or("-", |close| close.to.as_str());
        assert_eq!(expiry, expire_to, "{name}: expire");
    }
}

#[test]
fn a_confirmation_writes_the_order_the_payment_and_the_event() {
    let f = Fixture::new();
    let now = at(NOW);
    let b = f.booking(ReservationStatus::Hold, 60);
    // The payment call took the hold past its end: it started before, so it commits, on the
    // condition that the seats are still kept by the time after the call.
    let after = now + Duration::from_secs(61);
    let times = Times {
        started: now,
        now: after,
    };
    let Confirmation::Commit(close) = confirm(&b, &intent(), Payment::Approved, "ord_1", times)
    else {
        panic!("commits")
    };
    assert_eq!(close.kept, Kept::Still(after));
    assert_eq!(close.uncount, 0, "sold seats still count");
    assert_eq!(
        close.order,
        Some(NewOrder {
            order_id: "ord_1".into(),
            payment_intent_id: "pay_xyz789".into(),
            amount: krw(100_000),
        })
    );
    let (kind, payload) = close.event.to_json().expect("json");
    assert_eq!(kind, "reservation.confirmed");
    assert!(payload.contains(r#""total_amount":100000"#), "{payload}");
    assert_eq!(
        close.answer,
        Some(Answer::Confirmed(ConfirmReservationResponse {
            order_id: "ord_1".into(),
            status: "CONFIRMED".into()
        }))
    );
}

#[test]
fn released_seats_leave_the_users_count_when_they_were_counted() {
    let f = Fixture::new();
    let now = at(NOW);
    let mut b = f.booking(ReservationStatus::Hold, 60);
    assert_eq!(cancel(&b, now).expect("cancels").uncount, 2);
    b.counted = false;
    assert_eq!(cancel(&b, now).expect("cancels").uncount, 0);
    let past = f.booking(ReservationStatus::Hold, -1);
    let close = expire(&past, now).expect("expires");
    assert_eq!((close.uncount, close.kept), (2, Kept::Over(now)));
    assert!(close.answer.is_none(), "nobody asked");
}

#[test]
fn a_hold_is_priced_and_capped() {
    let seats: Vec<String> = vec!["A-1".into(), "A-2".into()];
    let request = HoldRequest {
        reservation_id: "rsv_1",
        user_id: "alice",
        event_id: "evt_1",
        seat_ids: &seats,
        until: at(NOW) + Duration::from_secs(300),
    };
    let (a, b) = (krw(50_000), krw(70_000));
    let plan = hold(&request, &[("A-1", Some(&a)), ("A-2", Some(&b))], 10).expect("a plan");
    assert_eq!((plan.total.amount, plan.seats, plan.room), (120_000, 2, 8));
    assert_eq!(
        plan.answer,
        Answer::Created(CreateReservationResponse {
            reservation_id: "rsv_1".into(),
            hold_expires_at: "2027-01-15T08:05:00Z".into(),
        })
    );
    let (kind, _) = plan.event.to_json().expect("json");
    assert_eq!(kind, "reservation.hold.created");

    let over = hold(&request, &[("A-1", Some(&a)), ("A-2", Some(&b))], 1);
    assert!(
        matches!(&over, Err(Error::SeatLimit(m)) if m.ends_with("this hold asks for 2 more")),
        "{over:?}"
    );
    let usd = Money {
        amount: 1,
        currency: "USD".into(),
    };
    let mixed = hold(&request, &[("A-1", Some(&a)), ("A-2", Some(&usd))], 10);
    assert!(matches!(mixed, Err(Error::NotForSale(_))));
    let unpriced = hold(&request, &[("A-1", Some(&a)), ("A-2", None)], 10);
    assert!(
        matches!(&unpriced, Err(Error::NotForSale(m)) if m == "event evt_1: seat A-2 has no price, so it is not for sale")
    );
}

#[test]
fn a_reservation_without_a_price_cannot_be_confirmed() {
    let f = Fixture::new();
    let mut b = f.booking(ReservationStatus::Hold, 60);
    b.total = None;
    let now = at(NOW);
    let step = confirm(
        &b,
        &intent(),
        Payment::Approved,
        "ord_1",
        Times { started: now, now },
    );
    assert!(matches!(step, Confirmation::Refuse(Error::NotForSale(_))));
}

#[test]
fn an_intent_used_before_is_explained_only_to_its_user() {
    let id = intent();
    let mine = |paid| Use {
        user_id: "alice".into(),
        reservation_id: "rsv_0".into(),
        paid,
    };
    assert_eq!(
        used_before("alice", &id, &mine(false)).to_string(),
        "payment pay_…89 has already been used: it is being handed back, as reservation rsv_0 could not be confirmed with it"
    );
    assert_eq!(
        used_before("bob", &id, &mine(true)).to_string(),
        "payment pay_…89 is not approved for this reservation"
    );
}

#[test]
fn each_journey_is_priced_from_its_plan() {
    use crate::domain::cost::{Index, journeys, units};
    // Write units of a two-seat reservation's journeys (table, index): what docs/scale.md shows.
    let budget = [
        ("hold", (12, 2)),
        ("confirm", (15, 2)),
        ("cancel", (13, 2)),
        ("expire", (10, 2)),
        ("publish an event", (2, 2)),
    ];
    let priced: Vec<(&str, (u32, u32))> = journeys(2)
        .iter()
        .map(|(name, writes)| {
            let u = units(writes);
            (*name, (u.table, u.index))
        })
        .collect();
    assert_eq!(priced, budget);
    // Every journey costs the index writes it needs and no more: a hold enters the hold index
    // and its event the relay's; each closing leaves the hold index and writes one event; the
    // relay's claim rewrites its entry and the mark removes it.
    for (name, writes) in journeys(2) {
        let rewrites = writes.iter().filter(|w| w.index == Index::Rewrites).count();
        assert!(rewrites <= 1, "{name}");
    }

    // The plans the rules make write what the journeys price.
    let f = Fixture::new();
    let now = at(NOW);
    let open = f.booking(ReservationStatus::Hold, 60);
    let times = Times { started: now, now };
    let Confirmation::Commit(confirmed) = confirm(&open, &intent(), Payment::Approved, "o", times)
    else {
        panic!("commits")
    };
    assert_eq!(confirmed.writes(), Closing::Confirm.writes(2));
    assert_eq!(
        cancel(&open, now).expect("cancels").writes(),
        Closing::Cancel.writes(2)
    );
    let past = f.booking(ReservationStatus::Hold, -1);
    let expiry = expire(&past, now).expect("expires");
    assert_eq!(expiry.writes(), Closing::Expire.writes(2));
    let seats: Vec<String> = f.seats.clone();
    let request = HoldRequest {
        reservation_id: "rsv_1",
        user_id: "alice",
        event_id: "evt_1",
        seat_ids: &seats,
        until: now,
    };
    let price = krw(1);
    let plan = hold(
        &request,
        &[("A-1", Some(&price)), ("A-2", Some(&price))],
        10,
    )
    .expect("a plan");
    assert_eq!(plan.writes(), hold_writes(2));
}
