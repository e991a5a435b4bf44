//! The same `TableDef`s as infrastructure code: CloudFormation (with a drift check of existing
//! templates) and Terraform, each behind its feature.

#[cfg(feature = "cloudformation")]
pub mod cloudformation;
#[cfg(feature = "terraform")]
pub mod terraform;
