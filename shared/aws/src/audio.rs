//! A wave's audio clips in the content bucket:
//! `content/{survey}/audio/{lang}/{hash}.mp3` and the language's `manifest.json`.
//!
//! Clips are named by their content, so they never change: they are served
//! with a year's immutable cache. The manifest changes when clips are added,
//! so it is cached briefly, and it is written after its clips, so the page
//! never sees a clip listed before it exists.

use std::collections::BTreeSet;

use aws_sdk_s3::primitives::ByteStream;
use futures::stream::{self, TryStreamExt};
use survey_domain::audio::{audio_dir, Clip, Manifest};
use survey_domain::{StoreError, WaveId};

use crate::content::content_key;
use crate::error::store_error;

pub const CLIP_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";
pub const MANIFEST_CACHE_CONTROL: &str = "public, max-age=60";
/// Clips are small: several uploads at a time make publishing a language fast.
const UPLOADS_AT_ONCE: usize = 8;

/// The key of a language's manifest.
pub fn manifest_key(survey: &WaveId, lang: &str) -> String {
    content_key(survey, &format!("{}/manifest.json", audio_dir(lang)))
}

/// The key of one clip file.
pub fn clip_key(survey: &WaveId, lang: &str, file: &str) -> String {
    content_key(survey, &format!("{}/{file}", audio_dir(lang)))
}

/// The key of the wave's summary of which languages have sound:
/// `content/{survey}/audio/coverage.json`, read by the classroom sheet.
pub fn sound_summary_key(survey: &WaveId) -> String {
    content_key(survey, "audio/coverage.json")
}

/// Writes the wave's sound summary (cached briefly, as a manifest is).
pub async fn put_sound_summary(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    survey: &WaveId,
    summary: &serde_json::Value,
) -> Result<(), StoreError> {
    s3.put_object()
        .bucket(bucket)
        .key(sound_summary_key(survey))
        .content_type("application/json; charset=utf-8")
        .cache_control(MANIFEST_CACHE_CONTROL)
        .body(ByteStream::from(serde_json::to_vec(summary).expect("a summary serialises")))
        .send()
        .await
        .map_err(|e| store_error("store the sound summary", e))?;
    Ok(())
}

/// A language's manifest, or `None` where it has no audio yet.
pub async fn read_manifest(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    survey: &WaveId,
    lang: &str,
) -> Result<Option<Manifest>, StoreError> {
    let object = match s3.get_object().bucket(bucket).key(manifest_key(survey, lang)).send().await {
        Ok(object) => object,
        Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => return Ok(None),
        Err(err) => return Err(store_error("read audio manifest", err)),
    };
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|e| StoreError::Failed { context: "read audio manifest", source: Box::new(e) })?
        .into_bytes();
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| StoreError::Failed { context: "parse audio manifest", source: Box::new(e) })
}

/// The clip files stored for a language.
pub async fn stored_clips(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    survey: &WaveId,
    lang: &str,
) -> Result<BTreeSet<String>, StoreError> {
    let prefix = content_key(survey, &format!("{}/", audio_dir(lang)));
    let mut files = BTreeSet::new();
    let mut pages = s3.list_objects_v2().bucket(bucket).prefix(&prefix).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| store_error("list audio clips", e))?;
        for object in page.contents() {
            if let Some(file) = object.key().and_then(|k| k.strip_prefix(&prefix)).filter(|f| f.ends_with(".mp3")) {
                files.insert(file.to_owned());
            }
        }
    }
    Ok(files)
}

/// Stores one clip's MP3 bytes under its content-hashed name.
pub async fn put_clip(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    survey: &WaveId,
    lang: &str,
    clip: &Clip,
    mp3: Vec<u8>,
) -> Result<(), StoreError> {
    s3.put_object()
        .bucket(bucket)
        .key(clip_key(survey, lang, &clip.file))
        .content_type("audio/mpeg")
        .cache_control(CLIP_CACHE_CONTROL)
        .body(ByteStream::from(mp3))
        .send()
        .await
        .map_err(|e| store_error("store audio clip", e))?;
    Ok(())
}

/// Writes a language's manifest; call it after every clip it lists is stored.
pub async fn put_manifest(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    survey: &WaveId,
    manifest: &Manifest,
) -> Result<(), StoreError> {
    let body = serde_json::to_vec(manifest).expect("a manifest serialises");
    s3.put_object()
        .bucket(bucket)
        .key(manifest_key(survey, &manifest.lang))
        .content_type("application/json; charset=utf-8")
        .cache_control(MANIFEST_CACHE_CONTROL)
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| store_error("store audio manifest", e))?;
    Ok(())
}

/// Stores the clips that are not stored yet, then the manifest.
/// `clips` pairs each new clip with its bytes; returns how many were uploaded.
pub async fn publish(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    survey: &WaveId,
    manifest: &Manifest,
    clips: Vec<(Clip, Vec<u8>)>,
) -> Result<usize, StoreError> {
    let mut stored = stored_clips(s3, bucket, survey, &manifest.lang).await?;
    let new: Vec<(Clip, Vec<u8>)> = clips.into_iter().filter(|(clip, _)| stored.insert(clip.file.clone())).collect();
    let uploaded = new.len();
    stream::iter(new.into_iter().map(Ok))
        .try_for_each_concurrent(UPLOADS_AT_ONCE, |(clip, mp3)| async move {
            put_clip(s3, bucket, survey, &manifest.lang, &clip, mp3).await
        })
        .await?;
    put_manifest(s3, bucket, survey, manifest).await?;
    Ok(uploaded)
}
