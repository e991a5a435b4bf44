//! [`Error`]: what a table operation can fail with: one type carrying the context (operation,
//! table, index, key), a small [`ErrorKind`] to branch on, and the details of its kind.

use crate::expr::ConditionFailure;
use crate::mapping::entity::Entity;
use crate::mapping::error::{MappingError, ValueError, truncate};
use crate::mapping::item::Item;
use crate::table::transact::Cancellation;
use crate::table::unique::UniqueViolation;
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

/// What kind of failure an [`Error`] is: the one thing to branch on.
///
/// ```
/// # async fn f(err: dynamo_core::Error) {
/// use dynamo_core::ErrorKind;
/// match err.kind() {
///     ErrorKind::ConditionFailed => { /* someone else changed it: err.condition_failure() says how */ }
///     ErrorKind::NotFound => { /* the update or delete required the item */ }
///     kind if err.is_transient() => { /* throttled, conflict, timeout: retry later ({kind}) */ }
///     _ => { /* a bug or an outage */ }
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The write's condition (or its version check) did not hold:
    /// [`Error::condition_failure`] says which clause was false and what was found.
    ConditionFailed,
    /// The item the operation required does not exist (an update without `upsert`, a delete
    /// that [`must_exist`](crate::Delete::must_exist)).
    NotFound,
    /// A transaction was canceled: [`Error::cancellation`] gives the reason of each write.
    TransactionCanceled,
    /// The item is being changed by a transaction in progress: retrying shortly may succeed.
    TransactionConflict,
    /// DynamoDB throttled the request and the retries ran out.
    Throttled,
    /// An item could not be mapped to or from the entity: [`Error::mapping`] says which
    /// field, naming the item's key when it was read from a table.
    Mapping,
    /// A cursor given back to a query or scan is not one this table issued for it.
    InvalidCursor,
    /// The table does not exist (in this region and endpoint).
    TableNotFound,
    /// The request is invalid: DynamoDB's `ValidationException`, or a value that cannot be sent
    /// (a non-finite number in an expression, too many writes for a transaction).
    Validation,
    /// The item is over DynamoDB's 400 KB limit: refused before it was sent.
    /// [`Error::item_too_large`] gives its size and its largest attributes.
    ItemTooLarge,
    /// A unique value (`#[dynamo(unique(..))]`) the write would give the item is another
    /// item's: [`Error::unique_violation`] names the constraint, the value and its owner.
    UniqueViolation,
    /// The request did not finish in time (connect, attempt or operation timeout).
    Timeout,
    /// DynamoDB could not be reached (connection refused, DNS, TLS).
    Unreachable,
    /// Any other error of DynamoDB or the SDK (credentials, access denied, internal errors).
    Service,
}

impl ErrorKind {
    /// The kind's name, e.g. `"ConditionFailed"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::ConditionFailed => "ConditionFailed",
            ErrorKind::NotFound => "NotFound",
            ErrorKind::TransactionCanceled => "TransactionCanceled",
            ErrorKind::TransactionConflict => "TransactionConflict",
            ErrorKind::Throttled => "Throttled",
            ErrorKind::Mapping => "Mapping",
            ErrorKind::InvalidCursor => "InvalidCursor",
            ErrorKind::TableNotFound => "TableNotFound",
            ErrorKind::Validation => "Validation",
            ErrorKind::ItemTooLarge => "ItemTooLarge",
            ErrorKind::UniqueViolation => "UniqueViolation",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::Unreachable => "Unreachable",
            ErrorKind::Service => "Service",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A table operation failed.
///
/// One type for every operation: the context ([`operation`](Error::operation),
/// [`table`](Error::table), [`index`](Error::index), [`key`](Error::key)), the
/// [`kind`](Error::kind) to branch on, and what the kind knows: the explanation of a failed
/// condition, the reasons of a canceled transaction, the mapping error. The SDK's error, when
/// there is one, is the [`source`](std::error::Error::source).
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    operation: Operation,
    table: Option<String>,
    index: Option<String>,
    key: Option<Item>,
    detail: Detail,
    source: Option<BoxError>,
}

enum Detail {
    None,
    /// What DynamoDB or the check said (validation, other service errors, cursors).
    Message(String),
    /// The item as it was when the condition failed, and why it failed.
    Condition {
        item: Option<Item>,
        explanation: Option<ConditionFailure>,
    },
    Canceled(Cancellation),
    Mapping(MappingError),
    /// Why DynamoDB throttled, when it said.
    Throttled(Vec<ThrottleReason>),
    TooLarge(ItemTooLarge),
    Unique(UniqueViolation),
}

/// An item over DynamoDB's 400 KB limit ([`ErrorKind::ItemTooLarge`]): its size and where the
/// bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemTooLarge {
    /// The item's size by DynamoDB's rules ([`item_size`](crate::mapping::item_size)).
    pub size: usize,
    /// Its largest attributes and their sizes (name included), largest first, at most three.
    pub largest: Vec<(String, usize)>,
}

/// Why DynamoDB throttled a request, as it reports it (`ThrottlingReasons`): the limit and the
/// table or index it applies to.
///
/// ```
/// use dynamo_core::error::ThrottleReason;
///
/// let reason = ThrottleReason {
///     reason: "IndexWriteKeyRangeThroughputExceeded".into(),
///     resource: "arn:aws:dynamodb:eu-west-1:111122223333:table/orders/index/GSI1".into(),
/// };
/// assert_eq!(reason.table(), Some("orders"));
/// assert_eq!(reason.index(), Some("GSI1"));
/// assert!(reason.is_hot_key());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleReason {
    /// `ResourceType` + `OperationType` + `LimitType`, e.g.
    /// `TableWriteKeyRangeThroughputExceeded` (one partition key value is over its limit),
    /// `IndexReadProvisionedThroughputExceeded`, `TableWriteAccountLimitExceeded`.
    pub reason: String,
    /// The ARN of the table or index throttled.
    pub resource: String,
}

impl ThrottleReason {
    /// The table throttled, from the resource's ARN.
    pub fn table(&self) -> Option<&str> {
        let (_, rest) = self.resource.split_once(":table/")?;
        Some(rest.split('/').next().unwrap_or(rest))
    }

    /// The index throttled, when it is an index.
    pub fn index(&self) -> Option<&str> {
        let (_, index) = self.resource.split_once("/index/")?;
        Some(index)
    }

    /// Whether one partition key value took more than its partition's share (a hot key), not
    /// the table's or the account's capacity.
    pub fn is_hot_key(&self) -> bool {
        self.reason.ends_with("KeyRangeThroughputExceeded")
    }

    fn from_sdk(reason: &aws_sdk_dynamodb::types::ThrottlingReason) -> Self {
        ThrottleReason {
            reason: reason.reason().unwrap_or_default().to_owned(),
            resource: reason.resource().unwrap_or_default().to_owned(),
        }
    }
}

impl fmt::Display for ThrottleReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)?;
        match (self.index(), self.table()) {
            (Some(index), Some(table)) => write!(f, " on index {index} of table {table}"),
            (None, Some(table)) => write!(f, " on table {table}"),
            _ if !self.resource.is_empty() => write!(f, " on {}", self.resource),
            _ => Ok(()),
        }
    }
}

/// The throttling reasons an operation's error carries (every data-plane operation's error has
/// DynamoDB's three throttling exceptions; control-plane ones have none).
pub(crate) trait ThrottlingReasons {
    fn throttling_reasons(&self) -> &[aws_sdk_dynamodb::types::ThrottlingReason] {
        &[]
    }
}

macro_rules! throttling_reasons {
    (data: $($error:ty),*; control: $($control:ty),*) => {
        $(impl ThrottlingReasons for $error {
            fn throttling_reasons(&self) -> &[aws_sdk_dynamodb::types::ThrottlingReason] {
                match self {
                    Self::ProvisionedThroughputExceededException(e) => e.throttling_reasons(),
                    Self::RequestLimitExceeded(e) => e.throttling_reasons(),
                    Self::ThrottlingException(e) => e.throttling_reasons(),
                    _ => &[],
                }
            }
        })*
        $(impl ThrottlingReasons for $control {})*
    };
}

throttling_reasons!(
    data:
        aws_sdk_dynamodb::operation::get_item::GetItemError,
        aws_sdk_dynamodb::operation::put_item::PutItemError,
        aws_sdk_dynamodb::operation::update_item::UpdateItemError,
        aws_sdk_dynamodb::operation::delete_item::DeleteItemError,
        aws_sdk_dynamodb::operation::query::QueryError,
        aws_sdk_dynamodb::operation::scan::ScanError,
        aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemError,
        aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemError,
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        aws_sdk_dynamodb::operation::transact_get_items::TransactGetItemsError;
    control:
        aws_sdk_dynamodb::operation::describe_table::DescribeTableError,
        aws_sdk_dynamodb::operation::create_table::CreateTableError,
        aws_sdk_dynamodb::operation::update_table::UpdateTableError,
        aws_sdk_dynamodb::operation::describe_time_to_live::DescribeTimeToLiveError,
        aws_sdk_dynamodb::operation::update_time_to_live::UpdateTimeToLiveError
);

impl Error {
    fn new(kind: ErrorKind, operation: Operation, table: &str, detail: Detail) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                operation,
                table: (!table.is_empty()).then(|| table.to_owned()),
                index: None,
                key: None,
                detail,
                source: None,
            }),
        }
    }

    fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// The same error, naming the index the operation read.
    pub(crate) fn with_index(mut self, index: Option<&str>) -> Self {
        self.inner.index = index.map(str::to_owned);
        self
    }

    /// The same error, naming the key of the item the operation addressed.
    pub(crate) fn with_key(mut self, key: Option<Item>) -> Self {
        self.inner.key = key;
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The operation that failed.
    pub fn operation(&self) -> Operation {
        self.inner.operation
    }

    /// The table the operation addressed; `None` for a transaction (each
    /// [`CancellationReason`](crate::table::CancellationReason) names its own) and for requests
    /// refused before they named one.
    pub fn table(&self) -> Option<&str> {
        self.inner.table.as_deref()
    }

    /// The index a query or scan read.
    pub fn index(&self) -> Option<&str> {
        self.inner.index.as_deref()
    }

    /// The key attributes of the item a single-item operation addressed.
    pub fn key(&self) -> Option<&Item> {
        self.inner.key.as_ref()
    }

    /// Why the condition of a write failed, clause by clause (`status = "HOLD" was false: found
    /// "CONFIRMED"`); `None` for other kinds.
    pub fn condition_failure(&self) -> Option<&ConditionFailure> {
        match &self.inner.detail {
            Detail::Condition { explanation, .. } => explanation.as_ref(),
            _ => None,
        }
    }

    /// The item as it was when a write's condition failed (`None` when it did not exist, and
    /// for other kinds).
    pub fn item(&self) -> Option<&Item> {
        match &self.inner.detail {
            Detail::Condition { item, .. } => item.as_ref(),
            _ => None,
        }
    }

    /// The item as it was when a condition failed, read as `E`.
    pub fn old_item<E: Entity>(&self) -> Option<Result<E, MappingError>> {
        self.item().map(|item| E::from_item(item.clone()))
    }

    /// The reasons of a canceled transaction, one per write that failed.
    pub fn cancellation(&self) -> Option<&Cancellation> {
        match &self.inner.detail {
            Detail::Canceled(c) => Some(c),
            _ => None,
        }
    }

    /// What did not map, for [`ErrorKind::Mapping`].
    pub fn mapping(&self) -> Option<&MappingError> {
        match &self.inner.detail {
            Detail::Mapping(e) => Some(e),
            _ => None,
        }
    }

    /// What DynamoDB or the check said, for [`ErrorKind::Validation`], [`ErrorKind::Service`]
    /// and [`ErrorKind::InvalidCursor`].
    pub fn message(&self) -> Option<&str> {
        match &self.inner.detail {
            Detail::Message(m) => Some(m),
            _ => None,
        }
    }

    /// Why DynamoDB throttled the request, as it said (`ThrottlingReasons`: the limit and the
    /// table or index); empty when it did not say or the error is no throttling.
    pub fn throttle_reasons(&self) -> &[ThrottleReason] {
        match &self.inner.detail {
            Detail::Throttled(reasons) => reasons,
            _ => &[],
        }
    }

    /// For [`ErrorKind::ItemTooLarge`]: the item's size and its largest attributes (the item's
    /// key is [`key`](Self::key)).
    pub fn item_too_large(&self) -> Option<&ItemTooLarge> {
        match &self.inner.detail {
            Detail::TooLarge(too_large) => Some(too_large),
            _ => None,
        }
    }

    /// The unique value that is another item's: for [`ErrorKind::UniqueViolation`], and for a
    /// transaction canceled because one of its guard writes found the value taken.
    pub fn unique_violation(&self) -> Option<&UniqueViolation> {
        match &self.inner.detail {
            Detail::Unique(violation) => Some(violation),
            Detail::Canceled(c) => c.unique_violation(),
            _ => None,
        }
    }

    /// Whether the operation's condition failed (including a failed version check).
    pub fn is_condition_failed(&self) -> bool {
        self.kind() == ErrorKind::ConditionFailed
    }

    /// Whether the item the operation required does not exist.
    pub fn is_not_found(&self) -> bool {
        self.kind() == ErrorKind::NotFound
    }

    /// Whether DynamoDB throttled the request, or canceled a transaction because it throttled
    /// one of its writes.
    pub fn is_throttled(&self) -> bool {
        match self.kind() {
            ErrorKind::Throttled => true,
            ErrorKind::TransactionCanceled => self
                .cancellation()
                .is_some_and(|c| c.reasons().iter().any(|r| r.code.is_throttling())),
            _ => false,
        }
    }

    /// Whether retrying later may succeed: throttling, timeouts, unreachable DynamoDB,
    /// transaction conflicts (also as a transaction's cancellation reasons) and DynamoDB's
    /// internal errors.
    pub fn is_transient(&self) -> bool {
        match self.kind() {
            ErrorKind::Throttled
            | ErrorKind::TransactionConflict
            | ErrorKind::Timeout
            | ErrorKind::Unreachable => true,
            ErrorKind::TransactionCanceled => self
                .cancellation()
                .is_some_and(|c| c.reasons().iter().any(|r| r.code.is_transient())),
            ErrorKind::Service => self.message().is_some_and(|m| {
                m.starts_with("InternalServerError") || m.starts_with("ServiceUnavailable")
            }),
            _ => false,
        }
    }

    pub(crate) fn mapping_failed(table: &str, operation: Operation, source: MappingError) -> Self {
        Error::new(
            ErrorKind::Mapping,
            operation,
            table,
            Detail::Mapping(source),
        )
    }

    /// `item`, of `key`, is over [`MAX_ITEM_SIZE`](crate::mapping::MAX_ITEM_SIZE) bytes.
    #[cold]
    pub(crate) fn too_large(
        table: &str,
        operation: Operation,
        item: &Item,
        size: usize,
        key: Item,
    ) -> Self {
        let largest = crate::mapping::size::largest(item, 3);
        Error::new(
            ErrorKind::ItemTooLarge,
            operation,
            table,
            Detail::TooLarge(ItemTooLarge { size, largest }),
        )
        .with_key(Some(key))
    }

    pub(crate) fn validation(
        table: &str,
        operation: Operation,
        message: impl Into<String>,
    ) -> Self {
        Error::new(
            ErrorKind::Validation,
            operation,
            table,
            Detail::Message(message.into()),
        )
    }

    pub(crate) fn invalid_value(table: &str, operation: Operation, error: &ValueError) -> Self {
        Self::validation(
            table,
            operation,
            format!("a value in the expression cannot be stored: {error}"),
        )
    }

    pub(crate) fn invalid_cursor(table: &str, operation: Operation, reason: &'static str) -> Self {
        Error::new(
            ErrorKind::InvalidCursor,
            operation,
            table,
            Detail::Message(reason.to_owned()),
        )
    }

    pub(crate) fn not_found(table: &str, operation: Operation) -> Self {
        Error::new(ErrorKind::NotFound, operation, table, Detail::None)
    }

    pub(crate) fn condition_failed(
        table: &str,
        operation: Operation,
        item: Option<Item>,
        explanation: Option<ConditionFailure>,
    ) -> Self {
        Error::new(
            ErrorKind::ConditionFailed,
            operation,
            table,
            Detail::Condition { item, explanation },
        )
    }

    pub(crate) fn unique_taken(
        table: &str,
        operation: Operation,
        violation: UniqueViolation,
    ) -> Self {
        Error::new(
            ErrorKind::UniqueViolation,
            operation,
            table,
            Detail::Unique(violation),
        )
    }

    pub(crate) fn canceled(operation: Operation, cancellation: Cancellation) -> Self {
        Error::new(
            ErrorKind::TransactionCanceled,
            operation,
            "",
            Detail::Canceled(cancellation),
        )
    }

    /// Maps an SDK error: codes DynamoDB shares between operations become their own kinds.
    pub(crate) fn from_sdk<E, R>(table: &str, operation: Operation, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + ThrottlingReasons + std::error::Error + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        let kind = match &err {
            SdkError::TimeoutError(_) => Some(ErrorKind::Timeout),
            SdkError::DispatchFailure(failure) if failure.is_timeout() => Some(ErrorKind::Timeout),
            SdkError::DispatchFailure(_) => Some(ErrorKind::Unreachable),
            _ => None,
        };
        if let Some(kind) = kind {
            return Error::new(kind, operation, table, Detail::None).with_source(err);
        }
        let code = err.code().unwrap_or_default().to_owned();
        let message = err.message().map(str::to_owned);
        let (kind, detail) = match code.as_str() {
            "ConditionalCheckFailedException" => (
                ErrorKind::ConditionFailed,
                Detail::Condition {
                    item: None,
                    explanation: None,
                },
            ),
            "ProvisionedThroughputExceededException"
            | "ThrottlingException"
            | "RequestLimitExceeded" => {
                let reasons = err
                    .as_service_error()
                    .map(|e| {
                        e.throttling_reasons()
                            .iter()
                            .map(ThrottleReason::from_sdk)
                            .collect()
                    })
                    .unwrap_or_default();
                (ErrorKind::Throttled, Detail::Throttled(reasons))
            }
            "TransactionConflictException" => (ErrorKind::TransactionConflict, Detail::None),
            "ResourceNotFoundException" => (ErrorKind::TableNotFound, Detail::None),
            "ValidationException" => (
                ErrorKind::Validation,
                Detail::Message(message.unwrap_or_else(|| "ValidationException".into())),
            ),
            _ => {
                let message = match (code.is_empty(), message) {
                    (false, Some(m)) => format!("{code}: {m}"),
                    (false, None) => code,
                    (true, _) => {
                        aws_smithy_types::error::display::DisplayErrorContext(&err).to_string()
                    }
                };
                (ErrorKind::Service, Detail::Message(message))
            }
        };
        Error::new(kind, operation, table, detail).with_source(err)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let operation = inner.operation;
        if let Detail::Canceled(c) = &inner.detail {
            return write!(f, "{operation} canceled: {c}");
        }
        if inner.kind == ErrorKind::TableNotFound {
            let table = inner.table.as_deref().unwrap_or_default();
            return write!(f, "{operation}: table {table} does not exist");
        }
        f.write_str(operation.as_str())?;
        if let Some(table) = &inner.table {
            write!(f, " on table {table}")?;
        }
        if let Some(index) = &inner.index {
            write!(f, " (index {index})")?;
        }
        match (inner.kind, &inner.detail) {
            (ErrorKind::ConditionFailed, Detail::Condition { explanation, .. }) => {
                f.write_str(": the condition failed")?;
                match explanation {
                    Some(e) => write!(f, ": {e}"),
                    None => Ok(()),
                }
            }
            (_, Detail::Mapping(e)) => write!(f, ": {e}"),
            (_, Detail::Unique(violation)) => write!(f, ": {violation}"),
            (_, Detail::TooLarge(too_large)) => {
                write!(
                    f,
                    ": the item is {} bytes, over DynamoDB's limit of {} (400 KB); largest attributes:",
                    too_large.size,
                    crate::mapping::MAX_ITEM_SIZE
                )?;
                for (i, (name, size)) in too_large.largest.iter().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    write!(f, "{sep}{} ({size} bytes)", truncate(name))?;
                }
                if let Some(key) = &inner.key {
                    write!(f, " (item {})", crate::mapping::error::show_key(key))?;
                }
                Ok(())
            }
            (ErrorKind::InvalidCursor, Detail::Message(m)) => write!(f, ": invalid cursor: {m}"),
            (ErrorKind::Validation, Detail::Message(m)) => write!(f, ": invalid request: {m}"),
            (_, Detail::Message(m)) => write!(f, ": {m}"),
            (ErrorKind::NotFound, _) => f.write_str(": no such item"),
            (ErrorKind::Throttled, Detail::Throttled(reasons)) if !reasons.is_empty() => {
                f.write_str(": throttled by DynamoDB after retries (")?;
                for (i, reason) in reasons.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{reason}")?;
                }
                f.write_str(")")
            }
            (ErrorKind::Throttled, _) => f.write_str(": throttled by DynamoDB after retries"),
            (ErrorKind::TransactionConflict, _) => {
                f.write_str(": the item is being changed by a transaction in progress")
            }
            (ErrorKind::Timeout, _) => f.write_str(": timed out"),
            (ErrorKind::Unreachable, _) => f.write_str(
                ": DynamoDB is unreachable (check DYNAMODB_ENDPOINT / AWS_REGION and the network)",
            ),
            (kind, _) => write!(f, ": {kind}"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &inner.kind)
            .field("operation", &inner.operation)
            .field("table", &inner.table);
        if let Some(index) = &inner.index {
            d.field("index", index);
        }
        if let Some(key) = &inner.key {
            d.field("key", key);
        }
        d.field("message", &format_args!("{self}"));
        if let Some(source) = &inner.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.inner.detail {
            Detail::Mapping(e) => Some(e),
            _ => self
                .inner
                .source
                .as_deref()
                .map(|e| e as &(dyn std::error::Error + 'static)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_stay_one_pointer_wide() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn messages_name_operation_table_and_index() {
        let empty = Error::validation(
            "",
            Operation::TransactWriteItems,
            "the transaction has no writes",
        );
        assert_eq!(
            empty.to_string(),
            "TransactWriteItems: invalid request: the transaction has no writes"
        );
        assert_eq!(empty.table(), None);
        let cursor = Error::invalid_cursor("replies", Operation::Query, "sealed for another query")
            .with_index(Some("GSI1"));
        assert_eq!(
            cursor.to_string(),
            "Query on table replies (index GSI1): invalid cursor: sealed for another query"
        );
        assert_eq!(cursor.kind(), ErrorKind::InvalidCursor);
        assert_eq!(cursor.index(), Some("GSI1"));
        let missing = Error::not_found("forums", Operation::UpdateItem);
        assert_eq!(
            missing.to_string(),
            "UpdateItem on table forums: no such item"
        );
        assert!(missing.is_not_found() && !missing.is_transient());
    }
}
