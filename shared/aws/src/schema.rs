//! The one schema definition of tables and buckets, shared with the infrastructure.

use std::sync::OnceLock;

use serde::Deserialize;

pub const SCHEMA_JSON: &str = include_str!("../../schema/tables.json");

#[derive(Debug, Clone, Deserialize)]
pub struct Key {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// A global secondary index: keys only, or keys and the listed attributes (`INCLUDE`).
#[derive(Debug, Clone, Deserialize)]
pub struct Index {
    pub name: String,
    pub partition_key: Key,
    pub sort_key: Option<Key>,
    pub projection: String,
    #[serde(default)]
    pub non_key_attributes: Vec<String>,
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Table {
    pub name: String,
    pub env: String,
    pub local_name: String,
    pub description: String,
    pub partition_key: Key,
    pub sort_key: Option<Key>,
    pub ttl_attribute: Option<String>,
    #[serde(default)]
    pub personal_data: bool,
    #[serde(default)]
    pub indexes: Vec<Index>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Bucket {
    pub name: String,
    pub env: String,
    pub local_name: String,
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Schema {
    pub tables: Vec<Table>,
    pub buckets: Vec<Bucket>,
}

pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::from_str(SCHEMA_JSON).expect("shared/schema/tables.json is valid"))
}

impl Schema {
    pub fn table(&self, name: &str) -> &Table {
        self.tables.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no table `{name}` in the schema"))
    }

    pub fn bucket(&self, name: &str) -> &Bucket {
        self.buckets.iter().find(|b| b.name == name).unwrap_or_else(|| panic!("no bucket `{name}` in the schema"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_names_every_table_the_stores_use() {
        for name in [
            "waves",
            "registrations",
            "codes",
            "contacts",
            "answers",
            "rate_limits",
            "recipients",
            "forms",
            "run_leases",
        ] {
            let table = schema().table(name);
            assert!(table.env.ends_with("_TABLE"), "{name}");
        }
        for name in ["contacts", "rate_limits", "recipients"] {
            assert_eq!(schema().table(name).ttl_attribute.as_deref(), Some("expires_at"), "{name}");
        }
        // Names and addresses live in these two tables only, apart from answers and forms.
        let personal: Vec<&str> = schema().tables.iter().filter(|t| t.personal_data).map(|t| t.name.as_str()).collect();
        assert_eq!(personal, ["contacts", "recipients"]);
        let by_unit = &schema().table("answers").indexes[0];
        // The answers' index holds the day each arrived, never the answers.
        assert_eq!((by_unit.name.as_str(), by_unit.projection.as_str()), ("by_unit", "INCLUDE"));
        assert_eq!(by_unit.non_key_attributes, ["date"]);
    }
}
