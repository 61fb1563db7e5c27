//! The DynamoDB implementation of the domain's store traits.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::interceptors::BeforeDeserializationInterceptorContextMut;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::{TransactWriteItemsError, TransactWriteItemsOutput};
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, KeysAndAttributes, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, Select,
    TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::{AggregatedBytes, ByteStream};
use survey_domain::answer::{AnswerId, AnswerRecord, ScannedAnswer};
use survey_domain::audit::{Appended, AuditEntry, AuditStore, Change};
use survey_domain::contact::Contact;
use survey_domain::forms::{Form, FormStore, FormToken, Mailing, RecipientEntry, Saved};
use survey_domain::keys::TokenDigest;
use survey_domain::store::*;
use survey_domain::{CodeDigest, UnitNumber, Wave, WaveId};
use survey_results::export::read_scan_page;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::config::TableNames;
use crate::error::store_error;
use crate::items::*;

/// The answers table's index by unit and wave (see the schema).
const ANSWERS_BY_UNIT: &str = "by_unit";

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    tables: TableNames,
    /// Waves read in the last `ttl`, when this instance keeps them (see [`DynamoStore::caching_waves`]).
    waves: Option<Arc<WaveCache>>,
}

/// Waves as this instance last read them: a wave changes a few times a year,
/// and every submission and code check reads one.
#[derive(Debug)]
struct WaveCache {
    ttl: std::time::Duration,
    read: Mutex<HashMap<WaveId, (std::time::Instant, Wave)>>,
}

impl DynamoStore {
    /// An `UpdateItem` of one contact's item.
    fn contact_update(&self, survey: &WaveId, unit: UnitNumber, contact_id: &str) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.tables.contacts)
            .set_key(Some(key(&[("registration", &registration_key(survey, unit)), ("contact_id", contact_id)])))
    }

    pub fn new(client: Client, tables: TableNames) -> Self {
        Self { client, tables, waves: None }
    }

    /// Keeps each wave it reads for `ttl` before reading it again. A change
    /// made through another instance (the console, `survey-admin`) reaches
    /// this one within `ttl`; one made through this instance at once.
    pub fn caching_waves(self, ttl: std::time::Duration) -> Self {
        Self { waves: Some(Arc::new(WaveCache { ttl, read: Mutex::new(HashMap::new()) })), ..self }
    }

    fn forget_wave(&self, id: &WaveId) {
        if let Some(cache) = &self.waves {
            cache.read.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(id);
        }
    }

    async fn get(&self, context: &'static str, table: &str, key: Item) -> StoreResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error(context, e))?;
        Ok(out.item)
    }
}

fn key(pairs: &[(&str, &str)]) -> Item {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), AttributeValue::S((*v).to_owned()))).collect()
}

impl WaveStore for DynamoStore {
    async fn wave(&self, id: &WaveId) -> StoreResult<Option<Wave>> {
        if let Some(cache) = &self.waves {
            let read = cache.read.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((_, wave)) = read.get(id).filter(|(at, _)| at.elapsed() < cache.ttl) {
                return Ok(Some(wave.clone()));
            }
        }
        let item = self.get("get wave", &self.tables.waves, key(&[("survey_id", id.as_str())])).await?;
        let wave = item.as_ref().map(|i| WaveItem::try_from(i).map(|w| w.0)).transpose()?;
        // Only a wave that exists is kept: one created a moment later is found at once.
        if let (Some(cache), Some(wave)) = (&self.waves, &wave) {
            let mut read = cache.read.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            read.insert(id.clone(), (std::time::Instant::now(), wave.clone()));
        }
        Ok(wave)
    }

    async fn waves(&self) -> StoreResult<Vec<Wave>> {
        let mut pages = self.client.scan().table_name(&self.tables.waves).into_paginator().items().send();
        let mut waves = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| store_error("list waves", e))?;
            waves.push(WaveItem::try_from(&item)?.0);
        }
        Ok(waves)
    }

    async fn create_wave(&self, wave: &Wave) -> StoreResult<bool> {
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.waves)
            .set_item(Some(wave_item(wave)))
            .condition_expression("attribute_not_exists(survey_id)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.as_service_error(), Some(PutItemError::ConditionalCheckFailedException(_))) => {
                Ok(false)
            }
            Err(e) => Err(store_error("create wave", e)),
        }
    }
}

impl RegistrationStore for DynamoStore {
    async fn code_entry(&self, digest: &CodeDigest) -> StoreResult<Option<CodeEntry>> {
        let item = self.get("get code", &self.tables.codes, key(&[("code_digest", &digest.0)])).await?;
        item.as_ref().map(|i| CodeItem::try_from(i).map(|c| c.0)).transpose()
    }

    async fn registration(&self, survey: &WaveId, unit: UnitNumber) -> StoreResult<Option<UnitRegistration>> {
        let key = key(&[("survey_id", survey.as_str()), ("unit", unit.as_str())]);
        let item = self.get("get registration", &self.tables.registrations, key).await?;
        item.as_ref().map(|i| RegistrationItem::try_from(i).map(|r| r.0)).transpose()
    }

    async fn registrations(&self, survey: &WaveId) -> StoreResult<Vec<UnitRegistration>> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.tables.registrations)
            .key_condition_expression("survey_id = :s")
            .expression_attribute_values(":s", AttributeValue::S(survey.to_string()))
            .into_paginator()
            .items()
            .send();
        let mut registrations = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| store_error("list registrations", e))?;
            registrations.push(RegistrationItem::try_from(&item)?.0);
        }
        Ok(registrations)
    }

    async fn register_unit(&self, registration: &UnitRegistration, digest: &CodeDigest) -> StoreResult<Registered> {
        let entry = CodeEntry {
            digest: digest.clone(),
            survey_id: registration.survey_id.clone(),
            unit: registration.unit,
            closed_at: registration.closed_at,
        };
        let put = |table: &str, item: Item, condition: &str| {
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(table)
                        .set_item(Some(item))
                        .condition_expression(condition)
                        .build()
                        .expect("table, item and condition are set"),
                )
                .build()
        };
        let result = self
            .client
            .transact_write_items()
            .transact_items(put(
                &self.tables.registrations,
                registration_item(registration),
                "attribute_not_exists(survey_id)",
            ))
            .transact_items(put(&self.tables.codes, code_item(&entry), "attribute_not_exists(code_digest)"))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Registered::New),
            Err(e)
                if matches!(e.as_service_error(), Some(TransactWriteItemsError::TransactionCanceledException(_))) =>
            {
                match self.registration(&registration.survey_id, registration.unit).await? {
                    Some(existing) => Ok(Registered::Existing(existing)),
                    None => Err(store_error("register unit", e)),
                }
            }
            Err(e) => Err(store_error("register unit", e)),
        }
    }

    async fn rotate_code(&self, rotation: &CodeRotation<'_>) -> StoreResult<Rotated> {
        let registration = rotation.registration();
        let entry = CodeEntry {
            digest: rotation.new_digest.clone(),
            survey_id: registration.survey_id.clone(),
            unit: registration.unit,
            closed_at: registration.closed_at,
        };
        // Only from the code it replaces: a rotation that lost a race writes nothing. A
        // registration holds its code as registered (canonical) or, once rotated before
        // this was written, grouped as people read it.
        let old = &rotation.old.access_code;
        let update = Update::builder()
            .table_name(&self.tables.registrations)
            .set_key(Some(key(&[("survey_id", registration.survey_id.as_str()), ("unit", registration.unit.as_str())])))
            .update_expression("SET access_code = :code")
            .condition_expression("access_code IN (:old, :old_grouped)")
            .expression_attribute_values(":code", AttributeValue::S(registration.access_code.canonical().to_owned()))
            .expression_attribute_values(":old", AttributeValue::S(old.canonical().to_owned()))
            .expression_attribute_values(":old_grouped", AttributeValue::S(old.to_string()))
            .build()
            .expect("table, key and expression are set");
        let put = Put::builder()
            .table_name(&self.tables.codes)
            .set_item(Some(code_item(&entry)))
            .condition_expression("attribute_not_exists(code_digest)")
            .build()
            .expect("table, item and condition are set");
        let delete = Delete::builder()
            .table_name(&self.tables.codes)
            .set_key(Some(key(&[("code_digest", &rotation.old_digest.0)])))
            .build()
            .expect("table and key are set");
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(update).build())
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(self.append_item(audit_item(rotation.entry)))
            .transact_items(self.append_item(audit_key_item(rotation.key, rotation.entry)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Rotated::Now),
            Err(e)
                if matches!(e.as_service_error(), Some(TransactWriteItemsError::TransactionCanceledException(_))) =>
            {
                if let Some(first) = self.added_under(rotation.key).await? {
                    return Ok(Rotated::Before(first));
                }
                match self.registration(&registration.survey_id, registration.unit).await? {
                    None => Ok(Rotated::NotRegistered),
                    Some(now) if now.access_code != rotation.old.access_code => Ok(Rotated::CodeChanged),
                    Some(_) => Err(store_error("rotate code", e)),
                }
            }
            Err(e) => Err(store_error("rotate code", e)),
        }
    }

    async fn set_expected_participants(&self, survey: &WaveId, unit: UnitNumber, expected: u32) -> StoreResult<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.registrations)
            .set_key(Some(key(&[("survey_id", survey.as_str()), ("unit", unit.as_str())])))
            .update_expression("SET expected_participants = :n")
            .condition_expression("attribute_exists(survey_id)")
            .expression_attribute_values(":n", AttributeValue::N(expected.to_string()))
            .send()
            .await;
        applied(result, "set expected participants").map(|_| ())
    }

    async fn close_unit(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        digest: &CodeDigest,
        at: OffsetDateTime,
    ) -> StoreResult<bool> {
        let result = self.client.transact_write_items().set_transact_items(Some(self.close_items(
            survey,
            unit,
            digest,
            Some(at),
        )));
        conditions_held(result.send().await, "close unit")
    }
}

impl DynamoStore {
    /// The items of a table keyed by wave and `unit_role` (recipients, forms):
    /// the whole wave's, or with `unit` only that unit's, whose keys begin
    /// `4601#` (the `#` keeps Oslo's `0301` apart from its districts' `030101`).
    async fn query_roles<T>(
        &self,
        table: &str,
        survey: &WaveId,
        unit: Option<UnitNumber>,
        context: &'static str,
        read: impl Fn(&Item) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let mut query = self
            .client
            .query()
            .table_name(table)
            .key_condition_expression(match unit {
                Some(_) => "survey_id = :s AND begins_with(unit_role, :u)",
                None => "survey_id = :s",
            })
            .expression_attribute_values(":s", AttributeValue::S(survey.to_string()))
            .consistent_read(true);
        if let Some(unit) = unit {
            query = query.expression_attribute_values(":u", AttributeValue::S(format!("{unit}#")));
        }
        let mut pages = query.into_paginator().items().send();
        let mut found = Vec::new();
        while let Some(item) = pages.next().await {
            found.push(read(&item.map_err(|e| store_error(context, e))?)?);
        }
        Ok(found)
    }

    /// A query of one unit's answers in a wave, through the `by_unit` index.
    fn unit_answers(&self, survey: &WaveId, unit: UnitNumber) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.tables.answers)
            .index_name(ANSWERS_BY_UNIT)
            .key_condition_expression("#unit = :u AND survey_id = :s")
            .expression_attribute_names("#unit", "unit")
            .expression_attribute_values(":u", AttributeValue::S(unit.to_string()))
            .expression_attribute_values(":s", AttributeValue::S(survey.to_string()))
    }

    /// The writes of a unit's early close, set (`Some`) or taken off (`None`)
    /// on its registration and its code's entry, each on the condition that
    /// the item is there (and, to reopen, that the unit is closed).
    fn close_items(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        digest: &CodeDigest,
        at: Option<OffsetDateTime>,
    ) -> Vec<TransactWriteItem> {
        let (expression, registration_condition) = match at {
            Some(_) => ("SET closed_at = :at", "attribute_exists(survey_id)"),
            None => ("REMOVE closed_at", "attribute_exists(closed_at)"),
        };
        let at = at.map(|at| {
            HashMap::from([(":at".to_owned(), AttributeValue::S(at.format(&Rfc3339).expect("formattable")))])
        });
        let update = |table: &str, key: Item, condition: &str| {
            let update = Update::builder()
                .table_name(table)
                .set_key(Some(key))
                .update_expression(expression)
                .condition_expression(condition)
                .set_expression_attribute_values(at.clone())
                .build()
                .expect("table, key and expression are set");
            TransactWriteItem::builder().update(update).build()
        };
        vec![
            update(
                &self.tables.registrations,
                key(&[("survey_id", survey.as_str()), ("unit", unit.as_str())]),
                registration_condition,
            ),
            update(&self.tables.codes, key(&[("code_digest", &digest.0)]), "attribute_exists(code_digest)"),
        ]
    }

    /// The writes of a logged change, without its entry.
    fn change_items(&self, change: Change<'_>) -> Vec<TransactWriteItem> {
        let put = |table: &str, item: Item, condition: Option<&str>| {
            let put = Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .set_condition_expression(condition.map(str::to_owned))
                .build()
                .expect("table and item are set");
            TransactWriteItem::builder().put(put).build()
        };
        match change {
            Change::EditWave { before, after } => {
                let (condition, names, values) = wave_settings_condition(before);
                let put = Put::builder()
                    .table_name(&self.tables.waves)
                    .set_item(Some(wave_item(after)))
                    .condition_expression(condition)
                    .set_expression_attribute_names(Some(names))
                    .set_expression_attribute_values(Some(values))
                    .build()
                    .expect("table and item are set");
                vec![TransactWriteItem::builder().put(put).build()]
            }
            Change::CloseUnit { survey, unit, digest, at } => self.close_items(survey, unit, digest, Some(at)),
            Change::ReopenUnit { survey, unit, digest } => self.close_items(survey, unit, digest, None),
            Change::AllowDomain { survey, unit, domain, expires_at } => {
                vec![put(&self.tables.contacts, allowed_domain_item(survey, unit, domain, expires_at), None)]
            }
            Change::RemoveContact { survey, unit, contact_ids, removed, expires_at } => {
                let mark = put(&self.tables.contacts, removed_item(survey, unit, removed, expires_at), None);
                let deletes = contact_ids.iter().map(|id| {
                    let delete = Delete::builder()
                        .table_name(&self.tables.contacts)
                        .set_key(Some(key(&[("registration", &registration_key(survey, unit)), ("contact_id", id)])))
                        .condition_expression("attribute_exists(contact_id)")
                        .build()
                        .expect("table and key are set");
                    TransactWriteItem::builder().delete(delete).build()
                });
                std::iter::once(mark).chain(deletes).collect()
            }
        }
    }
}

/// `true` when a transaction was written, `false` when a condition of it
/// failed; an error for anything else (a conflict with another transaction
/// is one, and may be retried).
fn conditions_held(
    result: Result<TransactWriteItemsOutput, SdkError<TransactWriteItemsError, HttpResponse>>,
    context: &'static str,
) -> StoreResult<bool> {
    match result {
        Ok(_) => Ok(true),
        Err(e) => match e.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancelled))
                if cancelled.cancellation_reasons().iter().any(|r| r.code() == Some("ConditionalCheckFailed")) =>
            {
                Ok(false)
            }
            _ => Err(store_error(context, e)),
        },
    }
}

impl ContactStore for DynamoStore {
    async fn put_contact(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        contact: &Contact,
        expires_at: OffsetDateTime,
    ) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.tables.contacts)
            .set_item(Some(contact_item(survey, unit, contact, expires_at)))
            .send()
            .await
            .map_err(|e| store_error("put contact", e))?;
        Ok(())
    }

    async fn contacts(&self, survey: &WaveId, unit: UnitNumber) -> StoreResult<Vec<ContactEntry>> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.tables.contacts)
            .key_condition_expression("registration = :r")
            .expression_attribute_values(":r", AttributeValue::S(registration_key(survey, unit)))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut contacts = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| store_error("list contacts", e))?;
            if is_contact(&item) {
                contacts.push(ContactItem::try_from(&item)?.0);
            }
        }
        Ok(contacts)
    }

    async fn allowed_domains(&self, survey: &WaveId, unit: UnitNumber) -> StoreResult<Vec<String>> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.tables.contacts)
            .key_condition_expression("registration = :r AND begins_with(contact_id, :p)")
            .expression_attribute_values(":r", AttributeValue::S(registration_key(survey, unit)))
            .expression_attribute_values(":p", AttributeValue::S(ALLOWED_DOMAIN_PREFIX.to_owned()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut domains = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| store_error("list allowed domains", e))?;
            if let Some(AttributeValue::S(id)) = item.get("contact_id") {
                domains.extend(id.strip_prefix(ALLOWED_DOMAIN_PREFIX).map(str::to_owned));
            }
        }
        Ok(domains)
    }

    /// A Query on the item's whole key (the functions that check marks may
    /// query the unit's partition, not get items).
    async fn was_removed(&self, survey: &WaveId, unit: UnitNumber, digest: &str) -> StoreResult<bool> {
        let found = self
            .client
            .query()
            .table_name(&self.tables.contacts)
            .key_condition_expression("registration = :r AND contact_id = :id")
            .expression_attribute_values(":r", AttributeValue::S(registration_key(survey, unit)))
            .expression_attribute_values(":id", AttributeValue::S(format!("{REMOVED_PREFIX}{digest}")))
            .select(Select::Count)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("look up a removed contact", e))?;
        Ok(found.count > 0)
    }

    async fn clear_removed(&self, survey: &WaveId, unit: UnitNumber, digest: &str) -> StoreResult<()> {
        let id = format!("{REMOVED_PREFIX}{digest}");
        self.client
            .delete_item()
            .table_name(&self.tables.contacts)
            .set_key(Some(key(&[("registration", &registration_key(survey, unit)), ("contact_id", &id)])))
            .send()
            .await
            .map_err(|e| store_error("clear a removed contact's mark", e))?;
        Ok(())
    }

    /// One scan of the contacts table (a few items per unit), filtered to the wave.
    async fn wave_contacts(&self, survey: &WaveId) -> StoreResult<BTreeMap<UnitNumber, UnitContacts>> {
        let prefix = format!("{survey}#");
        let mut pages = self
            .client
            .scan()
            .table_name(&self.tables.contacts)
            .filter_expression("begins_with(registration, :p)")
            .expression_attribute_values(":p", AttributeValue::S(prefix.clone()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut units: BTreeMap<UnitNumber, UnitContacts> = BTreeMap::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| store_error("list a wave's contacts", e))?;
            let unit = match item.get("registration") {
                Some(AttributeValue::S(r)) => r.strip_prefix(&prefix).and_then(|u| UnitNumber::parse(u).ok()),
                _ => None,
            };
            let Some(unit) = unit else { continue };
            let entry = units.entry(unit).or_default();
            match item.get("contact_id") {
                Some(AttributeValue::S(id)) if id.starts_with(ALLOWED_DOMAIN_PREFIX) => {
                    entry.domains.extend(id.strip_prefix(ALLOWED_DOMAIN_PREFIX).map(str::to_owned));
                }
                _ if is_contact(&item) => entry.contacts.push(ContactItem::try_from(&item)?.0),
                _ => {}
            }
        }
        Ok(units)
    }

    /// One conditional `UpdateItem` on the contact's item, which must exist.
    async fn mark_reminded(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        contact_id: &str,
        round: &str,
    ) -> StoreResult<bool> {
        let result = self
            .contact_update(survey, unit, contact_id)
            .update_expression("SET reminded = :round")
            .condition_expression(
                "attribute_exists(contact_id) AND (attribute_not_exists(reminded) OR reminded <> :round)",
            )
            .expression_attribute_values(":round", AttributeValue::S(round.to_owned()))
            .send()
            .await;
        applied(result, "mark a contact reminded")
    }

    /// One conditional `UpdateItem`: the mark goes only if it is still `round`'s.
    async fn unmark_reminded(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        contact_id: &str,
        round: &str,
    ) -> StoreResult<()> {
        let result = self
            .contact_update(survey, unit, contact_id)
            .update_expression("REMOVE reminded")
            .condition_expression("reminded = :round")
            .expression_attribute_values(":round", AttributeValue::S(round.to_owned()))
            .send()
            .await;
        applied(result, "unmark a contact reminded").map(|_| ())
    }

    /// One conditional `UpdateItem` adding `mailing` to the contact's set of
    /// marks (`mailed`), on an item that must exist.
    async fn mark_mailed(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        contact_id: &str,
        mailing: &str,
    ) -> StoreResult<bool> {
        let result = self
            .contact_update(survey, unit, contact_id)
            .update_expression("ADD mailed :marks")
            .condition_expression("attribute_exists(contact_id) AND NOT contains(mailed, :mailing)")
            .expression_attribute_values(":marks", AttributeValue::Ss(vec![mailing.to_owned()]))
            .expression_attribute_values(":mailing", AttributeValue::S(mailing.to_owned()))
            .send()
            .await;
        applied(result, "mark a contact mailed")
    }

    /// One conditional `UpdateItem`: only a contact that has the mark is written.
    async fn unmark_mailed(
        &self,
        survey: &WaveId,
        unit: UnitNumber,
        contact_id: &str,
        mailing: &str,
    ) -> StoreResult<()> {
        let result = self
            .contact_update(survey, unit, contact_id)
            .update_expression("DELETE mailed :marks")
            .condition_expression("contains(mailed, :mailing)")
            .expression_attribute_values(":marks", AttributeValue::Ss(vec![mailing.to_owned()]))
            .expression_attribute_values(":mailing", AttributeValue::S(mailing.to_owned()))
            .send()
            .await;
        applied(result, "unmark a contact mailed").map(|_| ())
    }
}

/// The key of a recipient's item: its wave, and its unit and role.
fn recipient_key(r: &RecipientEntry) -> Item {
    key(&[("survey_id", r.survey_id.as_str()), ("unit_role", &unit_role(r.recipient.unit, &r.recipient.role))])
}

/// Whether an item of the contacts table is a contact, not one of the unit's
/// allowed domains or a mark of a removed address, which share its partition.
fn is_contact(item: &Item) -> bool {
    !matches!(
        item.get("contact_id"),
        Some(AttributeValue::S(id)) if id.starts_with(ALLOWED_DOMAIN_PREFIX) || id.starts_with(REMOVED_PREFIX)
    )
}

impl VerificationStore for DynamoStore {
    async fn put_verification(&self, verification: &Verification) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.tables.verifications)
            .set_item(Some(verification_item(verification)))
            .send()
            .await
            .map_err(|e| store_error("put verification", e))?;
        Ok(())
    }

    async fn consume_verification(&self, digest: &TokenDigest, now: OffsetDateTime) -> StoreResult<Consumed> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.verifications)
            .set_key(Some(key(&[("token_digest", &digest.0)])))
            .update_expression("SET taken_at = :now")
            .condition_expression(
                "attribute_exists(token_digest) AND attribute_not_exists(used_at) AND expires_at > :now \
                 AND (attribute_not_exists(taken_at) OR taken_at <= :stale)",
            )
            .expression_attribute_values(":now", AttributeValue::N(now.unix_timestamp().to_string()))
            .expression_attribute_values(
                ":stale",
                AttributeValue::N((now - VERIFICATION_CLAIM).unix_timestamp().to_string()),
            )
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => {
                let item = out.attributes.ok_or_else(|| StoreError::Corrupt("verification".into()))?;
                let verification = VerificationItem::try_from(&item)?.0;
                Ok(if item.contains_key("taken_at") {
                    Consumed::Again(verification)
                } else {
                    Consumed::Now(verification)
                })
            }
            Err(e) if matches!(e.as_service_error(), Some(UpdateItemError::ConditionalCheckFailedException(_))) => {
                let item = self
                    .get("get verification", &self.tables.verifications, key(&[("token_digest", &digest.0)]))
                    .await?;
                Ok(match item {
                    None => Consumed::Unknown,
                    Some(item) if item.contains_key("used_at") => Consumed::AlreadyUsed,
                    Some(item) if VerificationItem::try_from(&item)?.0.expires_at <= now => Consumed::Expired,
                    Some(_) => Consumed::InProgress,
                })
            }
            Err(e) => Err(store_error("consume verification", e)),
        }
    }

    async fn finish_verification(&self, digest: &TokenDigest, now: OffsetDateTime) -> StoreResult<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.verifications)
            .set_key(Some(key(&[("token_digest", &digest.0)])))
            .update_expression("SET used_at = :now")
            .condition_expression("attribute_exists(token_digest)")
            .expression_attribute_values(":now", AttributeValue::N(now.unix_timestamp().to_string()))
            .send()
            .await;
        match result {
            // Gone already (its time to live passed): it opens nothing either way.
            Err(e) if matches!(e.as_service_error(), Some(UpdateItemError::ConditionalCheckFailedException(_))) => {
                Ok(())
            }
            other => other.map(drop).map_err(|e| store_error("finish verification", e)),
        }
    }
}

impl AccessTokenStore for DynamoStore {
    async fn put_access_token(&self, token: &AccessToken) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.tables.access_tokens)
            .set_item(Some(access_token_item(token)))
            .send()
            .await
            .map_err(|e| store_error("put access token", e))?;
        Ok(())
    }

    async fn access_token(&self, digest: &TokenDigest) -> StoreResult<Option<AccessToken>> {
        let item =
            self.get("get access token", &self.tables.access_tokens, key(&[("token_digest", &digest.0)])).await?;
        item.as_ref().map(|i| AccessTokenItem::try_from(i).map(|t| t.0)).transpose()
    }
}

impl AnswerStore for DynamoStore {
    async fn insert_answer(&self, record: AnswerRecord) -> StoreResult<Inserted> {
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.answers)
            .set_item(Some(answer_item(&record)))
            .condition_expression("attribute_not_exists(answer_id)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(Inserted::New),
            Err(e) if matches!(e.as_service_error(), Some(PutItemError::ConditionalCheckFailedException(_))) => {
                match self.answer(&record.answer_id).await? {
                    Some(existing) => Ok(Inserted::against(&existing, &record)),
                    None => Err(store_error("insert answer", e)),
                }
            }
            Err(e) => Err(store_error("insert answer", e)),
        }
    }

    async fn answer(&self, id: &AnswerId) -> StoreResult<Option<AnswerRecord>> {
        let item = self.get("get answer", &self.tables.answers, key(&[("answer_id", &id.0)])).await?;
        item.as_ref().map(|i| AnswerItem::try_from(i).map(|a| a.0)).transpose()
    }

    async fn scan_answers<F>(&self, survey: &WaveId, segment: u32, segments: u32, mut visit: F) -> StoreResult<u64>
    where
        F: FnMut(&ScannedAnswer<'_>) + Send,
    {
        let mut start = None;
        let mut visited = 0;
        loop {
            let body = self.scan_page(survey, segment, segments, start.take()).await?.into_bytes();
            let page = std::str::from_utf8(&body)
                .map_err(|e| e.to_string())
                .and_then(|text| read_scan_page(text, &mut visit))
                .map_err(|e| StoreError::Corrupt(format!("a scan page: {e}")))?;
            visited += page.items;
            match page.last_key {
                Some(key) => {
                    start = Some(key.into_iter().map(|(name, value)| (name, AttributeValue::S(value))).collect())
                }
                None => return Ok(visited),
            }
        }
    }

    async fn answer_days(&self, survey: &WaveId, unit: UnitNumber) -> StoreResult<Vec<time::Date>> {
        let mut days = Vec::new();
        let mut pages = self
            .unit_answers(survey, unit)
            .projection_expression("#date")
            .expression_attribute_names("#date", "date")
            .into_paginator()
            .send();
        let format = time::macros::format_description!("[year]-[month]-[day]");
        while let Some(page) = pages.next().await {
            for item in page.map_err(|e| store_error("read a unit's answer days", e))?.items() {
                let day = item.get("date").and_then(|v| v.as_s().ok()).and_then(|d| time::Date::parse(d, &format).ok());
                days.extend(day);
            }
        }
        Ok(days)
    }

    async fn count_answers(&self, survey: &WaveId, unit: Option<UnitNumber>) -> StoreResult<u64> {
        let mut count = 0u64;
        match unit {
            // A unit's count reads only that unit's keys, through the by_unit index.
            Some(unit) => {
                let mut pages = self.unit_answers(survey, unit).select(Select::Count).into_paginator().send();
                while let Some(page) = pages.next().await {
                    count += page.map_err(|e| store_error("count a unit's answers", e))?.count as u64;
                }
            }
            // A whole wave's count is an operator's question: a scan is fine.
            None => {
                let mut pages = self
                    .client
                    .scan()
                    .table_name(&self.tables.answers)
                    .select(Select::Count)
                    .filter_expression("survey_id = :s")
                    .expression_attribute_values(":s", AttributeValue::S(survey.to_string()))
                    .into_paginator()
                    .send();
                while let Some(page) = pages.next().await {
                    count += page.map_err(|e| store_error("count answers", e))?.count as u64;
                }
            }
        }
        Ok(count)
    }
}

/// How many times a scan page whose body broke off is asked for again, and
/// how long its body may take to arrive.
const PAGE_ATTEMPTS: u32 = 3;
const PAGE_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

impl DynamoStore {
    /// One page of a segment's scan of the wave's answers, from `start`, as
    /// the bytes DynamoDB sent. The SDK signs, sends and retries the request,
    /// and reads an error; a page's items are read by
    /// [`read_scan_page`] instead of the SDK's model, which builds a map and
    /// a `String` per attribute and was nine tenths of a scan's CPU
    /// (`docs/scaling.md`). The whole body is read before any item is
    /// visited, so a body that breaks off is asked for again without an
    /// answer visited twice.
    async fn scan_page(
        &self,
        survey: &WaveId,
        segment: u32,
        segments: u32,
        start: Option<HashMap<String, AttributeValue>>,
    ) -> StoreResult<AggregatedBytes> {
        let mut attempt = 1;
        loop {
            let body = RawBody::default();
            self.client
                .scan()
                .table_name(&self.tables.answers)
                .segment(segment as i32)
                .total_segments(segments as i32)
                .filter_expression("survey_id = :s")
                .expression_attribute_values(":s", AttributeValue::S(survey.to_string()))
                .set_exclusive_start_key(start.clone())
                .customize()
                .interceptor(body.clone())
                .send()
                .await
                .map_err(|e| store_error("scan answers", e))?;
            let stream = body.take().ok_or_else(|| StoreError::Corrupt("a scan page without a body".to_owned()))?;
            let read = tokio::time::timeout(PAGE_BODY_TIMEOUT, ByteStream::new(stream).collect()).await;
            match read {
                Ok(Ok(bytes)) => return Ok(bytes),
                _ if attempt < PAGE_ATTEMPTS => attempt += 1,
                Ok(Err(e)) => return Err(StoreError::Unavailable { context: "read a scan page", source: e.into() }),
                Err(e) => return Err(StoreError::Unavailable { context: "read a scan page", source: e.into() }),
            }
        }
    }
}

/// Takes a successful response's body away from the SDK, for
/// [`DynamoStore::scan_page`] to read, and leaves it an empty object to read
/// instead. An error's body stays, for the SDK to read and retry on.
#[derive(Debug, Clone, Default)]
struct RawBody(Arc<Mutex<Option<SdkBody>>>);

impl RawBody {
    fn take(&self) -> Option<SdkBody> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }
}

impl Intercept for RawBody {
    fn name(&self) -> &'static str {
        "RawBody"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response_mut();
        if response.status().is_success() {
            let body = std::mem::replace(response.body_mut(), SdkBody::from("{}"));
            *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(body);
        }
        Ok(())
    }
}

/// The guess counters and the code's entry in one `BatchGetItem` over both
/// tables: the code's entry read strongly consistent, as `code_entry` reads it.
impl CodeCheckStore for DynamoStore {
    async fn guesses_and_code(
        &self,
        keys: &[String],
        digest: Option<&CodeDigest>,
    ) -> StoreResult<(Vec<u32>, Option<CodeEntry>)> {
        const CONTEXT: &str = "read guess counts and the code";
        let failed = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Failed { context: CONTEXT, source: e.into() };
        let mut counters =
            KeysAndAttributes::builder().projection_expression("pk, #n").expression_attribute_names("#n", "n");
        for pk in keys {
            counters = counters.keys(key(&[("pk", pk)]));
        }
        let mut request =
            self.client.batch_get_item().request_items(&self.tables.rate_limits, counters.build().map_err(failed)?);
        if let Some(digest) = digest {
            let code = KeysAndAttributes::builder()
                .keys(key(&[("code_digest", &digest.0)]))
                .consistent_read(true)
                .build()
                .map_err(failed)?;
            request = request.request_items(&self.tables.codes, code);
        }
        let out = request.send().await.map_err(|e| store_error(CONTEXT, e))?;
        if out.unprocessed_keys.as_ref().is_some_and(|u| !u.is_empty()) {
            return Err(StoreError::Unavailable { context: CONTEXT, source: "DynamoDB left keys unprocessed".into() });
        }
        let mut responses = out.responses.unwrap_or_default();
        let counts = guess_counts_of(keys, &responses.remove(&self.tables.rate_limits).unwrap_or_default())?;
        let entry = responses
            .remove(&self.tables.codes)
            .and_then(|items| items.into_iter().next())
            .map(|item| CodeItem::try_from(&item).map(|c| c.0))
            .transpose()?;
        Ok((counts, entry))
    }
}

/// Whether a conditional `UpdateItem` was applied: `false` when its condition
/// did not hold, and nothing was written.
fn applied<O>(result: Result<O, SdkError<UpdateItemError, HttpResponse>>, context: &'static str) -> StoreResult<bool> {
    match result {
        Ok(_) => Ok(true),
        Err(e) if matches!(e.as_service_error(), Some(UpdateItemError::ConditionalCheckFailedException(_))) => {
            Ok(false)
        }
        Err(e) => Err(store_error(context, e)),
    }
}

/// The counts under `keys`, in their order, from a batch read's items; 0 where none.
fn guess_counts_of(keys: &[String], items: &[Item]) -> StoreResult<Vec<u32>> {
    keys.iter()
        .map(|pk| {
            let item = items.iter().find(|i| matches!(i.get("pk"), Some(AttributeValue::S(s)) if s == pk));
            match item.and_then(|i| i.get("n")) {
                None => Ok(0),
                Some(AttributeValue::N(n)) => {
                    n.parse().map_err(|_| StoreError::Corrupt("a guess count is not a count".to_owned()))
                }
                Some(_) => Err(StoreError::Corrupt("a guess count is not a number".to_owned())),
            }
        })
        .collect()
}

impl GuessCounterStore for DynamoStore {
    /// One `BatchGetItem`, eventually consistent: a count a moment stale lets
    /// at most a few more guesses through, at half the price of a strong read.
    async fn guess_counts(&self, keys: &[String]) -> StoreResult<Vec<u32>> {
        let mut request =
            KeysAndAttributes::builder().projection_expression("pk, #n").expression_attribute_names("#n", "n");
        for pk in keys {
            request = request.keys(key(&[("pk", pk)]));
        }
        let request =
            request.build().map_err(|e| StoreError::Failed { context: "read guess counts", source: e.into() })?;
        let out = self
            .client
            .batch_get_item()
            .request_items(&self.tables.rate_limits, request)
            .send()
            .await
            .map_err(|e| store_error("read guess counts", e))?;
        if out.unprocessed_keys.as_ref().is_some_and(|u| !u.is_empty()) {
            return Err(StoreError::Unavailable {
                context: "read guess counts",
                source: "DynamoDB left keys unprocessed".into(),
            });
        }
        let items = out.responses.and_then(|mut r| r.remove(&self.tables.rate_limits)).unwrap_or_default();
        guess_counts_of(keys, &items)
    }

    /// One conditional `ADD`, which also sets the item's time to live.
    async fn add_guess(&self, key_value: &str, limit: u32, expires_at: OffsetDateTime) -> StoreResult<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.rate_limits)
            .set_key(Some(key(&[("pk", key_value)])))
            .update_expression("ADD #n :one SET expires_at = :expires")
            .condition_expression("attribute_not_exists(#n) OR #n < :limit")
            .expression_attribute_names("#n", "n")
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()))
            .expression_attribute_values(":limit", AttributeValue::N(limit.to_string()))
            .expression_attribute_values(":expires", AttributeValue::N(expires_at.unix_timestamp().to_string()))
            .send()
            .await;
        applied(result, "count a wrong code")
    }
}

impl RunLeaseStore for DynamoStore {
    /// One conditional put; a refused one returns the holder's item.
    async fn take_run_lease(
        &self,
        survey: &WaveId,
        run_id: &str,
        now: OffsetDateTime,
        until: OffsetDateTime,
    ) -> StoreResult<Leased> {
        let lease = RunLease { run_id: run_id.to_owned(), until };
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.run_leases)
            .set_item(Some(run_lease_item(survey, &lease)))
            .condition_expression("attribute_not_exists(survey_id) OR run_id = :run OR held_until <= :now")
            .expression_attribute_values(":run", AttributeValue::S(run_id.to_owned()))
            .expression_attribute_values(":now", AttributeValue::N(now.unix_timestamp().to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Leased::Taken),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(held)) => {
                    let item = held.item().ok_or_else(|| StoreError::Corrupt("run lease".to_owned()))?;
                    Ok(Leased::Held(RunLeaseItem::try_from(item)?.0))
                }
                _ => Err(store_error("take run lease", e)),
            },
        }
    }

    async fn extend_run_lease(&self, survey: &WaveId, run_id: &str, until: OffsetDateTime) -> StoreResult<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.run_leases)
            .set_key(Some(key(&[("survey_id", survey.as_str())])))
            .update_expression("SET held_until = :until")
            .condition_expression("run_id = :run")
            .expression_attribute_values(":run", AttributeValue::S(run_id.to_owned()))
            .expression_attribute_values(":until", AttributeValue::N(until.unix_timestamp().to_string()))
            .send()
            .await;
        applied(result, "extend run lease")
    }
}

impl DynamoStore {
    /// A put into the audit table, in a transaction, of an item whose key is new.
    fn append_item(&self, item: Item) -> TransactWriteItem {
        let put = Put::builder()
            .table_name(&self.tables.audit)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(id)")
            .build()
            .expect("table, item and condition are set");
        TransactWriteItem::builder().put(put).build()
    }

    /// The entry added under `key`, if one was.
    async fn added_under(&self, key: &str) -> StoreResult<Option<AuditEntry>> {
        let out = self
            .client
            .query()
            .table_name(&self.tables.audit)
            .key_condition_expression("#log = :l AND id = :k")
            .expression_attribute_names("#log", "log")
            .expression_attribute_values(":l", AttributeValue::S(AUDIT_KEYS.to_owned()))
            .expression_attribute_values(":k", AttributeValue::S(key.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("read an audit entry's key", e))?;
        out.items().first().map(|item| AuditKeyItem::try_from(item).map(|k| k.0)).transpose()
    }
}

impl AuditStore for DynamoStore {
    async fn append(&self, entry: &AuditEntry) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.tables.audit)
            .set_item(Some(audit_item(entry)))
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await
            .map_err(|e| store_error("add an audit entry", e))?;
        Ok(())
    }

    async fn append_once(&self, entry: &AuditEntry, key: &str) -> StoreResult<Appended> {
        let result = self
            .client
            .transact_write_items()
            .transact_items(self.append_item(audit_item(entry)))
            .transact_items(self.append_item(audit_key_item(key, entry)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Appended::Now),
            Err(e)
                if matches!(e.as_service_error(), Some(TransactWriteItemsError::TransactionCanceledException(_))) =>
            {
                match self.added_under(key).await? {
                    Some(first) => Ok(Appended::Before(first)),
                    None => Err(store_error("add an audit entry once", e)),
                }
            }
            Err(e) => Err(store_error("add an audit entry once", e)),
        }
    }

    async fn record_change(&self, change: Change<'_>, entry: &AuditEntry) -> StoreResult<bool> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(self.change_items(change)))
            .transact_items(self.append_item(audit_item(entry)))
            .send()
            .await;
        if let Change::EditWave { after, .. } = change {
            self.forget_wave(&after.survey_id);
        }
        // The entry's put is the last item, so its reason is the last.
        let entry_exists = result.as_ref().is_err_and(|e| match e.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                cancelled.cancellation_reasons().last().and_then(|r| r.code()) == Some("ConditionalCheckFailed")
            }
            _ => false,
        });
        if entry_exists {
            return Err(StoreError::Failed {
                context: "record a change",
                source: "an entry with this id exists".into(),
            });
        }
        conditions_held(result, "record a change")
    }

    async fn audit(&self, survey: Option<&WaveId>) -> StoreResult<Vec<AuditEntry>> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.tables.audit)
            .key_condition_expression("#log = :l")
            .expression_attribute_names("#log", "log")
            .expression_attribute_values(":l", AttributeValue::S(audit_log(survey)))
            .into_paginator()
            .send();
        let mut entries = Vec::new();
        while let Some(page) = pages.next().await {
            for item in page.map_err(|e| store_error("read the audit log", e))?.items() {
                entries.push(AuditItem::try_from(item)?.0);
            }
        }
        Ok(entries)
    }
}

/// The condition of a write to a recipient as it was read: the same holder
/// (`:email`), not marked undeliverable (`:false`) since.
const STILL_DELIVERABLE_HOLDER: &str =
    "email = :email AND (attribute_not_exists(undeliverable) OR undeliverable = :false)";

impl FormStore for DynamoStore {
    /// One put per recipient: an import is checked whole before it is stored,
    /// and a repeated import writes the same items again.
    async fn put_recipients(&self, recipients: &[RecipientEntry]) -> StoreResult<()> {
        for r in recipients {
            self.client
                .put_item()
                .table_name(&self.tables.recipients)
                .set_item(Some(recipient_item(r)))
                .send()
                .await
                .map_err(|e| store_error("put recipient", e))?;
        }
        Ok(())
    }

    async fn recipients(&self, survey: &WaveId) -> StoreResult<Vec<RecipientEntry>> {
        self.query_roles(
            &self.tables.recipients,
            survey,
            None,
            "list recipients",
            |i| Ok(RecipientItem::try_from(i)?.0),
        )
        .await
    }

    async fn recipient(&self, survey: &WaveId, unit: UnitNumber, role: &str) -> StoreResult<Option<RecipientEntry>> {
        let key = key(&[("survey_id", survey.as_str()), ("unit_role", &unit_role(unit, role))]);
        let item = self.get("get recipient", &self.tables.recipients, key).await?;
        item.as_ref().map(|i| RecipientItem::try_from(i).map(|r| r.0)).transpose()
    }

    async fn unit_recipients(&self, survey: &WaveId, unit: UnitNumber) -> StoreResult<Vec<RecipientEntry>> {
        self.query_roles(&self.tables.recipients, survey, Some(unit), "list a unit's recipients", |i| {
            Ok(RecipientItem::try_from(i)?.0)
        })
        .await
    }

    async fn put_form_token(&self, token: &FormToken) -> StoreResult<()> {
        self.client
            .put_item()
            .table_name(&self.tables.form_tokens)
            .set_item(Some(form_token_item(token)))
            .send()
            .await
            .map_err(|e| store_error("put form token", e))?;
        Ok(())
    }

    async fn form_token(&self, digest: &TokenDigest) -> StoreResult<Option<FormToken>> {
        let item = self.get("get form token", &self.tables.form_tokens, key(&[("token_digest", &digest.0)])).await?;
        item.as_ref().map(|i| FormTokenItem::try_from(i).map(|t| t.0)).transpose()
    }

    async fn form(&self, survey: &WaveId, unit: UnitNumber, role: &str) -> StoreResult<Option<Form>> {
        let key = key(&[("survey_id", survey.as_str()), ("unit_role", &unit_role(unit, role))]);
        let item = self.get("get form", &self.tables.forms, key).await?;
        item.as_ref().map(|i| FormItem::try_from(i).map(|f| f.0)).transpose()
    }

    async fn forms(&self, survey: &WaveId) -> StoreResult<Vec<Form>> {
        self.query_roles(&self.tables.forms, survey, None, "list forms", |i| Ok(FormItem::try_from(i)?.0)).await
    }

    async fn unit_forms(&self, survey: &WaveId, unit: UnitNumber) -> StoreResult<Vec<Form>> {
        self.query_roles(
            &self.tables.forms,
            survey,
            Some(unit),
            "list a unit's forms",
            |i| Ok(FormItem::try_from(i)?.0),
        )
        .await
    }

    /// One conditional `UpdateItem` of the recipient's `invited_at`, or of `reminders` (and `reminded`).
    async fn mark_mailing(
        &self,
        seen: &RecipientEntry,
        mailing: Mailing,
        round: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let holder = STILL_DELIVERABLE_HOLDER;
        let update = self
            .client
            .update_item()
            .table_name(&self.tables.recipients)
            .set_key(Some(recipient_key(seen)))
            .expression_attribute_values(":email", AttributeValue::S(seen.recipient.email.as_str().to_owned()))
            .expression_attribute_values(":false", AttributeValue::Bool(false));
        let update = match mailing {
            Mailing::Invitation => update
                .update_expression("SET invited_at = :now")
                .condition_expression(format!("{holder} AND attribute_not_exists(invited_at)"))
                .expression_attribute_values(":now", AttributeValue::S(now.format(&Rfc3339).expect("formattable"))),
            Mailing::Reminder => {
                // Items written before the count was kept have none: that is no reminder yet.
                let count = match seen.reminders {
                    0 => "(attribute_not_exists(reminders) OR reminders = :seen)",
                    _ => "reminders = :seen",
                };
                let update = update
                    .expression_attribute_values(":seen", AttributeValue::N(seen.reminders.to_string()))
                    .expression_attribute_values(":next", AttributeValue::N((seen.reminders + 1).to_string()));
                let reminded = format!("{holder} AND attribute_exists(invited_at) AND {count}");
                match round {
                    Some(round) => update
                        .update_expression("SET reminders = :next, reminded = :round")
                        .condition_expression(format!(
                            "{reminded} AND (attribute_not_exists(reminded) OR reminded <> :round)"
                        ))
                        .expression_attribute_values(":round", AttributeValue::S(round.to_owned())),
                    None => update.update_expression("SET reminders = :next").condition_expression(reminded),
                }
            }
        };
        applied(update.send().await, "mark a recipient mailed")
    }

    /// One conditional `UpdateItem` of `undeliverable` alone.
    async fn mark_undeliverable(&self, seen: &RecipientEntry) -> StoreResult<bool> {
        let update = self
            .client
            .update_item()
            .table_name(&self.tables.recipients)
            .set_key(Some(recipient_key(seen)))
            .update_expression("SET undeliverable = :true")
            .condition_expression(STILL_DELIVERABLE_HOLDER)
            .expression_attribute_values(":email", AttributeValue::S(seen.recipient.email.as_str().to_owned()))
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":false", AttributeValue::Bool(false));
        applied(update.send().await, "mark a recipient undeliverable")
    }

    /// One conditional `UpdateItem`: the mark goes only while it is still the one `mark_mailing` wrote.
    async fn unmark_mailing(
        &self,
        seen: &RecipientEntry,
        mailing: Mailing,
        round: Option<&str>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let update = self
            .client
            .update_item()
            .table_name(&self.tables.recipients)
            .set_key(Some(recipient_key(seen)))
            .expression_attribute_values(":email", AttributeValue::S(seen.recipient.email.as_str().to_owned()));
        let update = match mailing {
            Mailing::Invitation => update
                .update_expression("REMOVE invited_at")
                .condition_expression("email = :email AND invited_at = :now")
                .expression_attribute_values(":now", AttributeValue::S(now.format(&Rfc3339).expect("formattable"))),
            Mailing::Reminder => {
                let update = update
                    .expression_attribute_values(":seen", AttributeValue::N(seen.reminders.to_string()))
                    .expression_attribute_values(":next", AttributeValue::N((seen.reminders + 1).to_string()));
                match (round, &seen.reminded) {
                    (None, _) => update
                        .update_expression("SET reminders = :seen")
                        .condition_expression("email = :email AND reminders = :next"),
                    (Some(round), was) => {
                        let update = update
                            .condition_expression("email = :email AND reminders = :next AND reminded = :round")
                            .expression_attribute_values(":round", AttributeValue::S(round.to_owned()));
                        match was {
                            Some(was) => update
                                .update_expression("SET reminders = :seen, reminded = :was")
                                .expression_attribute_values(":was", AttributeValue::S(was.clone())),
                            None => update.update_expression("SET reminders = :seen REMOVE reminded"),
                        }
                    }
                }
            }
        };
        applied(update.send().await, "unmark a recipient mailed").map(|_| ())
    }

    async fn save_form(&self, form: &Form) -> StoreResult<Saved> {
        let result = self
            .client
            .put_item()
            .table_name(&self.tables.forms)
            .set_item(Some(form_item(form)))
            .condition_expression("attribute_not_exists(survey_id) OR #status <> :submitted")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":submitted", AttributeValue::S("submitted".into()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Saved::Saved),
            Err(e) if matches!(e.as_service_error(), Some(PutItemError::ConditionalCheckFailedException(_))) => {
                match self.form(&form.survey_id, form.unit, &form.role).await? {
                    Some(stored) => Ok(Saved::AlreadySubmitted(stored)),
                    None => Err(store_error("save form", e)),
                }
            }
            Err(e) => Err(store_error("save form", e)),
        }
    }
}
