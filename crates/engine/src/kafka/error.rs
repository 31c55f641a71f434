//! Kafka's error codes, by the names the protocol and the tools print.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorCode {
    UnknownTopicOrPartition,
    TopicAlreadyExists,
    InvalidPartitions,
    InvalidReplicationFactor,
    InvalidConfig,
    InvalidRequest,
    LeaderNotAvailable,
    NotLeaderOrFollower,
    NotEnoughReplicas,
    NotEnoughReplicasAfterAppend,
    RequestTimedOut,
    NetworkException,
    MessageTooLarge,
    InvalidRecord,
    ProducerFenced,
    OutOfOrderSequenceNumber,
    InvalidTxnState,
    ConcurrentTransactions,
    CoordinatorNotAvailable,
    CoordinatorLoadInProgress,
    BrokerNotAvailable,
    OffsetOutOfRange,
    GroupIdNotFound,
    NonEmptyGroup,
    UnknownMemberId,
    IllegalGeneration,
    RebalanceInProgress,
    DeliveryTimeout,
    ControllerNotAvailable,
    ProducerClosed,
    NotCoordinator,
    MemberIdRequired,
    InconsistentGroupProtocol,
    InvalidGroupId,
    InvalidSessionTimeout,
    GroupMaxSizeReached,
    FencedInstanceId,
    OffsetMetadataTooLarge,
    InvalidProducerIdMapping,
    InvalidTransactionTimeout,
    GroupAuthorizationFailed,
    /// Not Kafka's: the simulator's resource budget refused the request ([`crate::budget`]).
    SimulationLimit,
}

impl ErrorCode {
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::UnknownTopicOrPartition => "UNKNOWN_TOPIC_OR_PARTITION",
            ErrorCode::TopicAlreadyExists => "TOPIC_ALREADY_EXISTS",
            ErrorCode::InvalidPartitions => "INVALID_PARTITIONS",
            ErrorCode::InvalidReplicationFactor => "INVALID_REPLICATION_FACTOR",
            ErrorCode::InvalidConfig => "INVALID_CONFIG",
            ErrorCode::InvalidRequest => "INVALID_REQUEST",
            ErrorCode::LeaderNotAvailable => "LEADER_NOT_AVAILABLE",
            ErrorCode::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER",
            ErrorCode::NotEnoughReplicas => "NOT_ENOUGH_REPLICAS",
            ErrorCode::NotEnoughReplicasAfterAppend => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            ErrorCode::RequestTimedOut => "REQUEST_TIMED_OUT",
            ErrorCode::NetworkException => "NETWORK_EXCEPTION",
            ErrorCode::MessageTooLarge => "MESSAGE_TOO_LARGE",
            ErrorCode::InvalidRecord => "INVALID_RECORD",
            ErrorCode::ProducerFenced => "PRODUCER_FENCED",
            ErrorCode::OutOfOrderSequenceNumber => "OUT_OF_ORDER_SEQUENCE_NUMBER",
            ErrorCode::InvalidTxnState => "INVALID_TXN_STATE",
            ErrorCode::ConcurrentTransactions => "CONCURRENT_TRANSACTIONS",
            ErrorCode::CoordinatorNotAvailable => "COORDINATOR_NOT_AVAILABLE",
            ErrorCode::CoordinatorLoadInProgress => "COORDINATOR_LOAD_IN_PROGRESS",
            ErrorCode::BrokerNotAvailable => "BROKER_NOT_AVAILABLE",
            ErrorCode::OffsetOutOfRange => "OFFSET_OUT_OF_RANGE",
            ErrorCode::GroupIdNotFound => "GROUP_ID_NOT_FOUND",
            ErrorCode::NonEmptyGroup => "NON_EMPTY_GROUP",
            ErrorCode::UnknownMemberId => "UNKNOWN_MEMBER_ID",
            ErrorCode::IllegalGeneration => "ILLEGAL_GENERATION",
            ErrorCode::RebalanceInProgress => "REBALANCE_IN_PROGRESS",
            // The Java client's TimeoutException when delivery.timeout.ms expires.
            ErrorCode::DeliveryTimeout => "DELIVERY_TIMEOUT",
            ErrorCode::ControllerNotAvailable => "CONTROLLER_NOT_AVAILABLE",
            // The Java client's KafkaException for batches a closing producer abandons.
            ErrorCode::ProducerClosed => "PRODUCER_CLOSED",
            ErrorCode::NotCoordinator => "NOT_COORDINATOR",
            ErrorCode::MemberIdRequired => "MEMBER_ID_REQUIRED",
            ErrorCode::InconsistentGroupProtocol => "INCONSISTENT_GROUP_PROTOCOL",
            ErrorCode::InvalidGroupId => "INVALID_GROUP_ID",
            ErrorCode::InvalidSessionTimeout => "INVALID_SESSION_TIMEOUT",
            ErrorCode::GroupMaxSizeReached => "GROUP_MAX_SIZE_REACHED",
            ErrorCode::FencedInstanceId => "FENCED_INSTANCE_ID",
            ErrorCode::OffsetMetadataTooLarge => "OFFSET_METADATA_TOO_LARGE",
            ErrorCode::InvalidProducerIdMapping => "INVALID_PRODUCER_ID_MAPPING",
            ErrorCode::InvalidTransactionTimeout => "INVALID_TRANSACTION_TIMEOUT",
            ErrorCode::GroupAuthorizationFailed => "GROUP_AUTHORIZATION_FAILED",
            ErrorCode::SimulationLimit => crate::budget::CODE,
        }
    }

    /// Errors the producer retries (`RetriableException` in the Java client).
    pub fn is_retriable(self) -> bool {
        matches!(
            self,
            ErrorCode::LeaderNotAvailable
                | ErrorCode::NotLeaderOrFollower
                | ErrorCode::NotEnoughReplicas
                | ErrorCode::NotEnoughReplicasAfterAppend
                | ErrorCode::RequestTimedOut
                | ErrorCode::NetworkException
                | ErrorCode::UnknownTopicOrPartition
                | ErrorCode::CoordinatorNotAvailable
                | ErrorCode::CoordinatorLoadInProgress
                | ErrorCode::ConcurrentTransactions
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.name())]
pub struct KafkaError {
    pub code: ErrorCode,
    pub message: String,
}

impl KafkaError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        KafkaError {
            code,
            message: message.into(),
        }
    }
    /// A refusal by the simulator's budget (see [`crate::budget::refusal`]).
    pub fn limit(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::SimulationLimit, message)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

pub type Result<T, E = KafkaError> = std::result::Result<T, E>;
