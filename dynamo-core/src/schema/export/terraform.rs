//! Terraform export: `aws_dynamodb_table` resources, as the infrastructure module declares them.

use crate::def::{BillingMode, IndexKind, Projection, TableDef, Throughput};
use std::fmt::Write as _;

/// `warm_throughput` and `on_demand_throughput` blocks, when declared.
fn capacity(out: &mut String, indent: &str, warm: Option<Throughput>, max: Option<Throughput>) {
    if let Some(t) = warm {
        let _ = write!(
            out,
            "\n{indent}warm_throughput {{\n{indent}  read_units_per_second  = {}\n{indent}  write_units_per_second = {}\n{indent}}}\n",
            t.read_units, t.write_units
        );
    }
    if let Some(t) = max {
        let _ = write!(
            out,
            "\n{indent}on_demand_throughput {{\n{indent}  max_read_request_units  = {}\n{indent}  max_write_request_units = {}\n{indent}}}\n",
            t.read_units, t.write_units
        );
    }
}

/// The resource label Terraform uses: `ticket-reservation-orders` becomes
/// `ticket_reservation_orders`.
pub fn resource_label(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

impl TableDef {
    /// The table as an `aws_dynamodb_table` resource in HCL.
    ///
    /// ```
    /// use dynamo_core::{KeyDef, TableDef};
    /// const T: TableDef = TableDef::new("ticket-reservation-idempotency", KeyDef::string("pk")).with_ttl_attribute("ttl");
    /// let hcl = T.to_terraform();
    /// assert!(hcl.starts_with("resource \"aws_dynamodb_table\" \"ticket_reservation_idempotency\" {"));
    /// assert!(hcl.contains("hash_key     = \"pk\""));
    /// assert!(hcl.contains("attribute_name = \"ttl\""));
    /// ```
    pub fn to_terraform(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "resource \"aws_dynamodb_table\" \"{}\" {{",
            resource_label(self.name)
        );
        let _ = writeln!(out, "  name         = \"{}\"", self.name);
        match self.billing_mode {
            BillingMode::PayPerRequest => {
                let _ = writeln!(out, "  billing_mode = \"PAY_PER_REQUEST\"");
            }
            BillingMode::Provisioned { read, write } => {
                let _ = writeln!(out, "  billing_mode = \"PROVISIONED\"");
                let _ = writeln!(out, "  read_capacity  = {read}");
                let _ = writeln!(out, "  write_capacity = {write}");
            }
        }
        let _ = writeln!(out, "  hash_key     = \"{}\"", self.partition_key.name);
        if let Some(sk) = self.sort_key {
            let _ = writeln!(out, "  range_key    = \"{}\"", sk.name);
        }
        if self.deletion_protection {
            let _ = writeln!(out, "  deletion_protection_enabled = true");
        }
        if let Some(view) = self.stream {
            let _ = writeln!(out, "  stream_enabled   = true");
            let _ = writeln!(out, "  stream_view_type = \"{}\"", view.as_str());
        }
        capacity(&mut out, "  ", self.warm_throughput, self.max_on_demand);
        for key in self.key_attributes() {
            let _ = write!(
                out,
                "\n  attribute {{\n    name = \"{}\"\n    type = \"{}\"\n  }}\n",
                key.name, key.scalar
            );
        }
        for index in self.indexes {
            let block = match index.kind {
                IndexKind::Global => "global_secondary_index",
                IndexKind::Local => "local_secondary_index",
            };
            let _ = write!(
                out,
                "\n  {block} {{\n    name            = \"{}\"\n",
                index.name
            );
            if index.kind == IndexKind::Global {
                let _ = writeln!(
                    out,
                    "    hash_key        = \"{}\"",
                    index.partition_key.name
                );
            }
            if let Some(sk) = index.sort_key {
                let _ = writeln!(out, "    range_key       = \"{}\"", sk.name);
            }
            let projection = match index.projection {
                Projection::All => "ALL",
                Projection::KeysOnly => "KEYS_ONLY",
                Projection::Include(_) => "INCLUDE",
            };
            let _ = writeln!(out, "    projection_type = \"{projection}\"");
            if let Projection::Include(attrs) = index.projection {
                let list = attrs
                    .iter()
                    .map(|a| format!("\"{a}\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                let _ = writeln!(out, "    non_key_attributes = [{list}]");
            }
            if let BillingMode::Provisioned { read, write } = self.billing_mode
                && index.kind == IndexKind::Global
            {
                let _ = writeln!(
                    out,
                    "    read_capacity   = {read}\n    write_capacity  = {write}"
                );
            }
            if index.kind == IndexKind::Global {
                capacity(&mut out, "    ", index.warm_throughput, index.max_on_demand);
            }
            let _ = writeln!(out, "  }}");
        }
        if let Some(ttl) = self.ttl_attribute {
            let _ = write!(
                out,
                "\n  ttl {{\n    attribute_name = \"{ttl}\"\n    enabled        = true\n  }}\n"
            );
        }
        let _ = write!(
            out,
            "\n  point_in_time_recovery {{\n    enabled = {}\n  }}\n",
            self.point_in_time_recovery
        );
        let _ = write!(
            out,
            "\n  server_side_encryption {{\n    enabled = {}\n  }}\n",
            self.server_side_encryption
        );
        out.push_str("}\n");
        out
    }
}
