//! The results bucket as the domain's `ResultsStore`.

use aws_sdk_s3::primitives::ByteStream;
use survey_domain::store::{ResultLinks, ResultsStore, StoreResult};
use survey_domain::StoreError;

use crate::error::store_error;

#[derive(Debug, Clone)]
pub struct S3Results {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3Results {
    pub fn new(client: aws_sdk_s3::Client, bucket: String) -> Self {
        Self { client, bucket }
    }
}

/// A presigned GET, signed with the function's own role: it opens only what the role may read.
impl ResultLinks for S3Results {
    async fn link(&self, key: &str, file_name: &str, valid: time::Duration) -> StoreResult<String> {
        let valid = std::time::Duration::from_secs(valid.whole_seconds().max(1).unsigned_abs());
        let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(valid)
            .map_err(|e| StoreError::Failed { context: "presign a link", source: Box::new(e) })?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(format!("attachment; filename=\"{file_name}\""))
            .response_content_type("application/zip")
            .presigned(config)
            .await
            .map_err(|e| store_error("presign a link", e))?;
        Ok(request.uri().to_owned())
    }
}

impl ResultsStore for S3Results {
    async fn put_object(&self, key: &str, body: Vec<u8>, content_type: &str) -> StoreResult<()> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| store_error("put result object", e))?;
        Ok(())
    }

    async fn put_file(&self, key: &str, path: &std::path::Path, content_type: &str) -> StoreResult<()> {
        let body = ByteStream::from_path(path)
            .await
            .map_err(|e| StoreError::Failed { context: "read file to upload", source: Box::new(e) })?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(body)
            .send()
            .await
            .map_err(|e| store_error("upload result file", e))?;
        Ok(())
    }

    async fn get_object(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        match self.client.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(object) => {
                let bytes = object
                    .body
                    .collect()
                    .await
                    .map_err(|e| StoreError::Unavailable { context: "read result object", source: Box::new(e) })?;
                Ok(Some(bytes.into_bytes().to_vec()))
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
            Err(e) => Err(store_error("get result object", e)),
        }
    }
}
