//! Prices: integer amounts in a currency's minor unit, never floating point.

/// An amount of money: `amount` in the currency's minor unit (won for KRW, cents for USD) and
/// the ISO 4217 code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"amount": 50000, "currency": "KRW"}))]
pub struct Money {
    /// In the currency's minor unit.
    pub amount: u64,
    /// ISO 4217, e.g. `KRW`.
    pub currency: String,
}

/// Why seats cannot be priced together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    /// A seat has no price: it is not for sale.
    #[error("seat {0} has no price, so it is not for sale")]
    Unpriced(String),
    /// The seats are priced in different currencies.
    #[error("seats {0} and {1} are priced in different currencies")]
    MixedCurrencies(String, String),
    /// The sum does not fit.
    #[error("the total price is too large")]
    Overflow,
    /// Nothing to price.
    #[error("no seats to price")]
    NoSeats,
}

/// Is `code` an ISO 4217-shaped currency code (three capital letters)?
pub fn is_currency(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// The total of `prices` (seat, price): one currency, every seat priced.
pub fn total<'a>(
    prices: impl IntoIterator<Item = (&'a str, Option<&'a Money>)>,
) -> Result<Money, PriceError> {
    let mut total: Option<(Money, &str)> = None;
    for (seat, price) in prices {
        let price = price.ok_or_else(|| PriceError::Unpriced(seat.to_owned()))?;
        match &mut total {
            None => total = Some((price.clone(), seat)),
            Some((sum, first)) => {
                if sum.currency != price.currency {
                    return Err(PriceError::MixedCurrencies(
                        (*first).to_owned(),
                        seat.to_owned(),
                    ));
                }
                sum.amount = sum
                    .amount
                    .checked_add(price.amount)
                    .ok_or(PriceError::Overflow)?;
            }
        }
    }
    total.map(|(sum, _)| sum).ok_or(PriceError::NoSeats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn krw(amount: u64) -> Money {
        Money {
            amount,
            currency: "KRW".into(),
        }
    }

    #[test]
    fn totals() {
        let (a, b) = (krw(25_000), krw(30_000));
        assert_eq!(
            total([("A-1", Some(&a)), ("A-2", Some(&b))]),
            Ok(krw(55_000))
        );
        assert_eq!(
            total([("A-1", Some(&a)), ("A-2", None)]),
            Err(PriceError::Unpriced("A-2".into()))
        );
        let usd = Money {
            amount: 1,
            currency: "USD".into(),
        };
        assert_eq!(
            total([("A-1", Some(&a)), ("B-1", Some(&usd))]),
            Err(PriceError::MixedCurrencies("A-1".into(), "B-1".into()))
        );
        let max = krw(u64::MAX);
        assert_eq!(
            total([("A-1", Some(&max)), ("A-2", Some(&a))]),
            Err(PriceError::Overflow)
        );
        assert_eq!(total([]), Err(PriceError::NoSeats));
        assert!(is_currency("KRW") && !is_currency("krw") && !is_currency("KRWX"));
    }
}
