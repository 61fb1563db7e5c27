//! Creates the tables (with their indexes and TTL) and buckets of the schema and
//! the sender's SES identity, for the local stack and the tests. (In AWS the CDK
//! app creates them from the same schema.)

use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_s3::operation::create_bucket::CreateBucketError;
use survey_domain::StoreError;

use crate::config::{Clients, Config};
use crate::config::{LOCAL_MAIL_DLQ, LOCAL_MAIL_QUEUE, LOCAL_MAIL_VISIBILITY_SECONDS, MAIL_MAX_RECEIVES};
use crate::error::store_error;
use crate::schema::{schema, Key, Table};

fn attribute(key: &Key) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(&key.name)
        .attribute_type(ScalarAttributeType::from(key.kind.as_str()))
        .build()
        .expect("name and type are set")
}

fn key_element(key: &Key, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder().attribute_name(&key.name).key_type(kind).build().expect("name and type are set")
}

async fn create_table(clients: &Clients, table: &Table, name: &str) -> Result<bool, StoreError> {
    let mut create = clients
        .dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute(&table.partition_key))
        .key_schema(key_element(&table.partition_key, KeyType::Hash));
    let mut defined = vec![table.partition_key.name.clone()];
    if let Some(sort) = &table.sort_key {
        create = create.attribute_definitions(attribute(sort)).key_schema(key_element(sort, KeyType::Range));
        defined.push(sort.name.clone());
    }
    for index in &table.indexes {
        let mut gsi = GlobalSecondaryIndex::builder()
            .index_name(&index.name)
            .key_schema(key_element(&index.partition_key, KeyType::Hash))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::from(index.projection.as_str()))
                    .set_non_key_attributes(
                        (!index.non_key_attributes.is_empty()).then(|| index.non_key_attributes.clone()),
                    )
                    .build(),
            );
        if let Some(sort) = &index.sort_key {
            gsi = gsi.key_schema(key_element(sort, KeyType::Range));
        }
        for key in std::iter::once(&index.partition_key).chain(&index.sort_key) {
            if !defined.contains(&key.name) {
                create = create.attribute_definitions(attribute(key));
                defined.push(key.name.clone());
            }
        }
        create = create.global_secondary_indexes(gsi.build().expect("name, keys and projection are set"));
    }
    match create.send().await {
        Ok(_) => {}
        Err(e) if matches!(e.as_service_error(), Some(CreateTableError::ResourceInUseException(_))) => {
            return Ok(false)
        }
        Err(e) => return Err(store_error("create table", e)),
    }
    if let Some(ttl) = &table.ttl_attribute {
        clients
            .dynamodb
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(ttl)
                    .enabled(true)
                    .build()
                    .expect("name and flag are set"),
            )
            .send()
            .await
            .map_err(|e| store_error("set time to live", e))?;
    }
    Ok(true)
}

/// Creates whatever of the schema is missing; returns the names it created.
pub async fn create_all(clients: &Clients, config: &Config) -> Result<Vec<String>, StoreError> {
    let t = &config.tables;
    let mut created = Vec::new();
    for table in &schema().tables {
        let name = match table.name.as_str() {
            "waves" => &t.waves,
            "registrations" => &t.registrations,
            "codes" => &t.codes,
            "contacts" => &t.contacts,
            "verifications" => &t.verifications,
            "access_tokens" => &t.access_tokens,
            "answers" => &t.answers,
            "rate_limits" => &t.rate_limits,
            "recipients" => &t.recipients,
            "form_tokens" => &t.form_tokens,
            "forms" => &t.forms,
            "audit" => &t.audit,
            "run_leases" => &t.run_leases,
            other => panic!("the schema has a table `{other}` that Config does not name"),
        };
        if create_table(clients, table, name).await? {
            created.push(name.clone());
        }
    }
    for bucket in [&config.buckets.content, &config.buckets.results] {
        let region = clients.s3.config().region().map(|r| r.to_string()).unwrap_or_default();
        let location = aws_sdk_s3::types::CreateBucketConfiguration::builder()
            .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region.as_str()))
            .build();
        match clients.s3.create_bucket().bucket(bucket).create_bucket_configuration(location).send().await {
            Ok(_) => created.push(bucket.clone()),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(CreateBucketError::BucketAlreadyOwnedByYou(_) | CreateBucketError::BucketAlreadyExists(_))
                ) => {}
            Err(e) => return Err(store_error("create bucket", e)),
        }
    }
    created.extend(create_mail_queues(clients).await?);
    let domain = config.mail.sender_domain();
    match clients.ses.get_email_identity().email_identity(domain).send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found_exception()) => {
            clients
                .ses
                .create_email_identity()
                .email_identity(domain)
                .send()
                .await
                .map_err(|e| store_error("create e-mail identity", e))?;
            created.push(format!("e-mail identity {domain}"));
        }
        Err(e) => return Err(store_error("look up e-mail identity", e)),
    }
    Ok(created)
}

/// The local stack's mail queue and its dead-letter queue (the infra makes
/// both in AWS), unless they exist.
async fn create_mail_queues(clients: &Clients) -> Result<Vec<String>, StoreError> {
    use aws_sdk_sqs::types::QueueAttributeName;
    if clients.sqs.get_queue_url().queue_name(LOCAL_MAIL_QUEUE).send().await.is_ok() {
        return Ok(Vec::new());
    }
    let dlq = clients
        .sqs
        .create_queue()
        .queue_name(LOCAL_MAIL_DLQ)
        .send()
        .await
        .map_err(|e| store_error("create dead-letter queue", e))?;
    let dlq_url = dlq.queue_url.unwrap_or_default();
    let arn = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| store_error("read dead-letter queue", e))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .unwrap_or_default();
    let redrive = serde_json::json!({ "deadLetterTargetArn": arn, "maxReceiveCount": MAIL_MAX_RECEIVES }).to_string();
    clients
        .sqs
        .create_queue()
        .queue_name(LOCAL_MAIL_QUEUE)
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .attributes(QueueAttributeName::VisibilityTimeout, LOCAL_MAIL_VISIBILITY_SECONDS.to_string())
        .send()
        .await
        .map_err(|e| store_error("create mail queue", e))?;
    Ok(vec![LOCAL_MAIL_QUEUE.to_owned(), LOCAL_MAIL_DLQ.to_owned()])
}
