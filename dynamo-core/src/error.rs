//! [`Error`]: what a table operation can fail with.

use crate::expr::ConditionFailure;
use crate::mapping::entity::{Entity, Item};
use crate::mapping::error::{MappingError, ValueError};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use std::fmt;

/// The DynamoDB operation that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// GetItem.
    GetItem,
    /// PutItem.
    PutItem,
    /// UpdateItem.
    UpdateItem,
    /// DeleteItem.
    DeleteItem,
    /// Query.
    Query,
    /// Scan.
    Scan,
    /// BatchGetItem.
    BatchGetItem,
    /// BatchWriteItem.
    BatchWriteItem,
    /// TransactWriteItems.
    TransactWriteItems,
    /// TransactGetItems.
    TransactGetItems,
    /// CreateTable.
    CreateTable,
    /// DescribeTable.
    DescribeTable,
    /// DescribeTimeToLive.
    DescribeTimeToLive,
    /// UpdateTimeToLive.
    UpdateTimeToLive,
    /// UpdateTable.
    UpdateTable,
    /// DeleteTable.
    DeleteTable,
    /// ListTables.
    ListTables,
}

impl Operation {
    /// The operation's API name, e.g. `"PutItem"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Operation::GetItem => "GetItem",
            Operation::PutItem => "PutItem",
            Operation::UpdateItem => "UpdateItem",
            Operation::DeleteItem => "DeleteItem",
            Operation::Query => "Query",
            Operation::Scan => "Scan",
            Operation::BatchGetItem => "BatchGetItem",
            Operation::BatchWriteItem => "BatchWriteItem",
            Operation::TransactWriteItems => "TransactWriteItems",
            Operation::TransactGetItems => "TransactGetItems",
            Operation::CreateTable => "CreateTable",
            Operation::DescribeTable => "DescribeTable",
            Operation::DescribeTimeToLive => "DescribeTimeToLive",
            Operation::UpdateTimeToLive => "UpdateTimeToLive",
            Operation::UpdateTable => "UpdateTable",
            Operation::DeleteTable => "DeleteTable",
            Operation::ListTables => "ListTables",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The SDK error behind an [`Error`], kept as its source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why one item of a canceled transaction failed.
#[derive(Debug, Clone, PartialEq)]
pub struct CancellationReason {
    /// The item's position in the transaction, in the order it was added.
    pub index: usize,
    /// The table of the item.
    pub table: String,
    /// What the transaction did with the item (`Put`, `Update`, `Delete`, `ConditionCheck`, `Get`).
    pub action: &'static str,
    /// DynamoDB's code: `ConditionalCheckFailed`, `TransactionConflict`, `ThrottlingError`, ...
    pub code: String,
    /// DynamoDB's message, when it gave one.
    pub message: Option<String>,
    /// The item as it was when its condition failed (`None` when it did not exist).
    pub item: Option<Item>,
    /// Why the item's condition failed, clause by clause, when it did.
    pub explanation: Option<ConditionFailure>,
}

impl CancellationReason {
    /// Whether this item's condition failed.
    pub fn is_condition_failed(&self) -> bool {
        self.code == "ConditionalCheckFailed"
    }
}

impl fmt::Display for CancellationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "#{} {} on {}: {}",
            self.index, self.action, self.table, self.code
        )?;
        match (&self.explanation, &self.message) {
            (Some(explanation), _) => write!(f, ": {explanation}"),
            (None, Some(message)) => write!(f, " ({message})"),
            (None, None) => Ok(()),
        }
    }
}

/// A table operation failed.
///
/// Every variant says which table and operation; the SDK's error, when there is one, is the
/// [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operation's condition (or the version check) did not hold. `reason` says which
    /// clause was false and what was found, e.g. `status = "HOLD" was false: found
    /// "CONFIRMED"`.
    #[error("{operation} on table {table}: the condition failed{}", reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default())]
    ConditionFailed {
        /// The table.
        table: String,
        /// The operation.
        operation: Operation,
        /// The item as it was (`None` when it did not exist).
        item: Option<Box<Item>>,
        /// Why the condition failed.
        reason: Option<ConditionFailure>,
    },
    /// A transaction was canceled; one reason per item, in request order.
    #[error("{operation} canceled: {}", join_reasons(.reasons))]
    TransactionCanceled {
        /// The operation (`TransactWriteItems` or `TransactGetItems`).
        operation: Operation,
        /// Why each item failed (items that did not fail have code `None` and are left out).
        reasons: Vec<CancellationReason>,
    },
    /// An item could not be mapped to or from the entity; the mapping error names the item's
    /// key when it was read from a table.
    #[error("{operation} on table {table}: {source}")]
    Mapping {
        /// The table.
        table: String,
        /// The operation.
        operation: Operation,
        /// What did not map.
        #[source]
        source: MappingError,
    },
    /// A cursor given back to a query or scan is not one this table issued for it.
    #[error("{operation} on table {table}: invalid cursor: {reason}")]
    InvalidCursor {
        /// The table.
        table: String,
        /// The operation.
        operation: Operation,
        /// Why it was refused.
        reason: &'static str,
    },
    /// DynamoDB throttled the request and the retries ran out.
    #[error("{operation} on table {table}: throttled by DynamoDB after retries")]
    Throttled {
        /// The table.
        table: String,
        /// The operation.
        operation: Operation,
        /// The SDK error.
        #[source]
        source: BoxError,
    },
    /// The item is being changed by a transaction in progress (`TransactionConflictException`):
    /// retrying shortly may succeed.
    #[error("{operation} on table {table}: the item is being changed by a transaction in progress")]
    TransactionConflict {
        /// The table.
        table: String,
        /// The operation.
        operation: Operation,
        /// The SDK error.
        #[source]
        source: BoxError,
    },
    /// The item the operation promised does not exist.
    #[error("{operation} on table {table}: no such item")]
    NotFound {
        /// The table.
        table: String,
        /// The operation.
        operation: Operation,
    },
    /// The table does not exist (in this region and endpoint).
    #[error("{operation}: table {table} does not exist")]
    TableNotFound {
        /// The table.
        table: String,
        /// The operation.
        operation: Operation,
        /// The SDK error.
        #[source]
        source: BoxError,
    },
    /// The request is invalid: DynamoDB's `ValidationException`, or a value that cannot be
    /// sent (a non-finite number in an expression, too many items for a transaction).
    #[error("{}: invalid request: {message}", place(*.operation, .table))]
    Validation {
        /// The table.
        table: String,
        /// The operation.
        operation: Operation,
        /// What is wrong.
        message: String,
        /// The SDK error, when DynamoDB refused the request.
        #[source]
        source: Option<BoxError>,
    },
    /// The request did not finish in time (connect, attempt or operation timeout).
    #[error("{operation} on table {table}: timed out")]
    Timeout {
        /// The table.
        table: String,
        /// The operation.
        operation: Operation,
        /// The SDK error.
        #[source]
        source: BoxError,
    },
    /// DynamoDB could not be reached (connection refused, DNS, TLS).
    #[error(
        "{operation} on table {table}: DynamoDB is unreachable (check DYNAMODB_ENDPOINT / AWS_REGION and the network)"
    )]
    Unreachable {
        /// The table.
        table: String,
        /// The operation.
        operation: Operation,
        /// The SDK error.
        #[source]
        source: BoxError,
    },
    /// Any other SDK error (credentials, access denied, service errors).
    #[error("{operation} on table {table}: {message}")]
    Sdk {
        /// The table.
        table: String,
        /// The operation.
        operation: Operation,
        /// The error code and message DynamoDB gave, or the SDK's description.
        message: String,
        /// The SDK error.
        #[source]
        source: BoxError,
    },
}

/// `PutItem on table t`, or the operation alone when there is no table (an empty
/// transaction).
fn place(operation: Operation, table: &str) -> String {
    if table.is_empty() {
        operation.to_string()
    } else {
        format!("{operation} on table {table}")
    }
}

fn join_reasons(reasons: &[CancellationReason]) -> String {
    reasons
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// The table the failed operation addressed (the first one, for transactions).
    pub fn table(&self) -> &str {
        match self {
            Error::ConditionFailed { table, .. }
            | Error::Mapping { table, .. }
            | Error::InvalidCursor { table, .. }
            | Error::Throttled { table, .. }
            | Error::TransactionConflict { table, .. }
            | Error::NotFound { table, .. }
            | Error::TableNotFound { table, .. }
            | Error::Validation { table, .. }
            | Error::Timeout { table, .. }
            | Error::Unreachable { table, .. }
            | Error::Sdk { table, .. } => table,
            Error::TransactionCanceled { reasons, .. } => {
                reasons.first().map_or("", |r| r.table.as_str())
            }
        }
    }

    /// The operation that failed.
    pub fn operation(&self) -> Operation {
        match self {
            Error::ConditionFailed { operation, .. }
            | Error::TransactionCanceled { operation, .. }
            | Error::Mapping { operation, .. }
            | Error::InvalidCursor { operation, .. }
            | Error::Throttled { operation, .. }
            | Error::TransactionConflict { operation, .. }
            | Error::NotFound { operation, .. }
            | Error::TableNotFound { operation, .. }
            | Error::Validation { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::Unreachable { operation, .. }
            | Error::Sdk { operation, .. } => *operation,
        }
    }

    /// Whether the operation's condition failed (including a failed version check).
    pub fn is_condition_failed(&self) -> bool {
        matches!(self, Error::ConditionFailed { .. })
    }

    /// Whether retrying later may succeed: throttling, timeouts, unreachable DynamoDB and
    /// transaction conflicts.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Throttled { .. }
            | Error::TransactionConflict { .. }
            | Error::Timeout { .. }
            | Error::Unreachable { .. } => true,
            Error::TransactionCanceled { reasons, .. } => reasons.iter().any(|r| {
                matches!(
                    r.code.as_str(),
                    "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"
                )
            }),
            Error::Sdk { message, .. } => {
                message.starts_with("InternalServerError")
                    || message.starts_with("ServiceUnavailable")
            }
            _ => false,
        }
    }

    /// The item as it was when a condition failed, read as `E`.
    pub fn old_item<E: Entity>(&self) -> Option<Result<E, MappingError>> {
        match self {
            Error::ConditionFailed {
                item: Some(item), ..
            } => Some(E::from_item((**item).clone())),
            _ => None,
        }
    }

    pub(crate) fn mapping(table: &str, operation: Operation, source: MappingError) -> Self {
        Error::Mapping {
            table: table.to_owned(),
            operation,
            source,
        }
    }

    pub(crate) fn validation(
        table: &str,
        operation: Operation,
        message: impl Into<String>,
    ) -> Self {
        Error::Validation {
            table: table.to_owned(),
            operation,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn invalid_value(table: &str, operation: Operation, error: &ValueError) -> Self {
        Self::validation(
            table,
            operation,
            format!("a value in the expression cannot be stored: {error}"),
        )
    }

    /// Maps an SDK error: codes DynamoDB shares between operations become their own variants.
    pub(crate) fn from_sdk<E, R>(table: &str, operation: Operation, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        let table = table.to_owned();
        match &err {
            SdkError::TimeoutError(_) => {
                return Error::Timeout {
                    table,
                    operation,
                    source: Box::new(err),
                };
            }
            SdkError::DispatchFailure(failure) => {
                if failure.is_timeout() {
                    return Error::Timeout {
                        table,
                        operation,
                        source: Box::new(err),
                    };
                }
                return Error::Unreachable {
                    table,
                    operation,
                    source: Box::new(err),
                };
            }
            _ => {}
        }
        let code = err.code().unwrap_or_default().to_owned();
        let message = err.message().map(str::to_owned);
        match code.as_str() {
            "ConditionalCheckFailedException" => Error::ConditionFailed {
                table,
                operation,
                item: None,
                reason: None,
            },
            "ProvisionedThroughputExceededException"
            | "ThrottlingException"
            | "RequestLimitExceeded" => Error::Throttled {
                table,
                operation,
                source: Box::new(err),
            },
            "TransactionConflictException" => Error::TransactionConflict {
                table,
                operation,
                source: Box::new(err),
            },
            "ResourceNotFoundException" => Error::TableNotFound {
                table,
                operation,
                source: Box::new(err),
            },
            "ValidationException" => Error::Validation {
                table,
                operation,
                message: message.unwrap_or_else(|| "ValidationException".into()),
                source: Some(Box::new(err)),
            },
            _ => {
                let message = match (code.is_empty(), message) {
                    (false, Some(m)) => format!("{code}: {m}"),
                    (false, None) => code,
                    (true, _) => {
                        aws_smithy_types::error::display::DisplayErrorContext(&err).to_string()
                    }
                };
                Error::Sdk {
                    table,
                    operation,
                    message,
                    source: Box::new(err),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canceled_transactions_name_their_operation() {
        let reason = CancellationReason {
            index: 0,
            table: "seats".into(),
            action: "Get",
            code: "TransactionConflict".into(),
            message: None,
            item: None,
            explanation: None,
        };
        let get = Error::TransactionCanceled {
            operation: Operation::TransactGetItems,
            reasons: vec![reason],
        };
        assert_eq!(
            get.to_string(),
            "TransactGetItems canceled: #0 Get on seats: TransactionConflict"
        );
        let empty = Error::validation(
            "",
            Operation::TransactWriteItems,
            "the transaction has no items",
        );
        assert_eq!(
            empty.to_string(),
            "TransactWriteItems: invalid request: the transaction has no items"
        );
    }
}
