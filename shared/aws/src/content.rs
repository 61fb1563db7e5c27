//! The survey page's per-wave content in S3: `content/{survey_id}/...`.

use aws_sdk_s3::primitives::ByteStream;
use survey_domain::translation::TextFile;
use survey_domain::{Questionnaire, StoreError, WaveId};

use crate::error::store_error;

/// The content bucket as the domain's [`survey_domain::store::ContentStore`].
pub struct S3Content {
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
}

impl survey_domain::store::ContentStore for S3Content {
    async fn publish_questionnaire(&self, survey: &WaveId, questionnaire: &Questionnaire) -> Result<usize, StoreError> {
        publish(&self.s3, &self.bucket, survey, questionnaire).await
    }

    async fn content(&self, survey: &WaveId, path: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.s3.get_object().bucket(&self.bucket).key(content_key(survey, path)).send().await {
            Ok(object) => {
                let bytes = object
                    .body
                    .collect()
                    .await
                    .map_err(|e| StoreError::Unavailable { context: "read content", source: Box::new(e) })?;
                Ok(Some(bytes.into_bytes().to_vec()))
            }
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => Ok(None),
            Err(e) => Err(store_error("read content", e)),
        }
    }
}

/// The key of one content file of a wave.
pub fn content_key(survey: &WaveId, path: &str) -> String {
    format!("content/{survey}/{path}")
}

/// Publishes the questionnaire and its texts in every translated language, so
/// the page (through CloudFront) can fetch `content/{survey}/i18n/{lang}.json`.
/// Only what the page reads goes out: the texts, not their translation meta.
pub async fn publish(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    survey: &WaveId,
    questionnaire: &Questionnaire,
) -> Result<usize, StoreError> {
    let mut files = vec![(
        "questionnaire.json".to_owned(),
        serde_json::to_string(questionnaire).expect("a questionnaire serialises"),
    )];
    for lang in questionnaire.translated_languages() {
        let text = questionnaire.translation(lang).expect("listed languages have texts");
        let file = TextFile::parse(text).expect("built-in texts are checked by the domain's tests");
        files.push((format!("i18n/{lang}.json"), file.to_published_json()));
    }
    for (path, body) in &files {
        s3.put_object()
            .bucket(bucket)
            .key(content_key(survey, path))
            .content_type("application/json; charset=utf-8")
            .cache_control("public, max-age=300")
            .body(ByteStream::from(body.clone().into_bytes()))
            .send()
            .await
            .map_err(|e| store_error("publish content", e))?;
    }
    Ok(files.len())
}
