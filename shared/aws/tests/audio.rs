//! Audio clips and manifests in the content bucket, on a moto server of the
//! test's own: clips under their content-hashed names with an immutable cache,
//! each stored once, and the manifest read back as written.

mod support;

use survey_aws::audio::{self, CLIP_CACHE_CONTROL, MANIFEST_CACHE_CONTROL};
use survey_domain::audio::{Clip, Manifest, Origin};
use survey_domain::translation::source_version;
use survey_domain::WaveId;

use support::Moto;

fn mp3(seed: u8) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xF3, 0x44, 0xC4];
    bytes.extend(std::iter::repeat_n(seed, 400));
    bytes
}

#[tokio::test]
async fn clips_are_stored_once_under_their_hash_and_the_manifest_lists_them() {
    let moto = Moto::start();
    let (clients, config) = moto.clients().await;
    let (s3, bucket) = (&clients.s3, config.buckets.content.as_str());
    let survey = WaveId::parse("audiotest").unwrap();

    assert_eq!(audio::read_manifest(s3, bucket, &survey, "ar").await.unwrap(), None, "no audio yet");

    let mut manifest = Manifest::new("ar");
    let yes = Clip::new(&mp3(1), source_version("Ja"), Origin::Synthetic, Some(source_version("نعم")));
    let no = Clip::new(&mp3(2), source_version("Nei"), Origin::Recorded, None);
    // Two keys with the same words share one file.
    manifest.clips.insert("q.q_leave.opt.yes".into(), yes.clone());
    manifest.clips.insert("q.q_plan_has.opt.yes".into(), yes.clone());
    manifest.clips.insert("q.q_leave.opt.no".into(), no.clone());
    let clips = vec![(yes.clone(), mp3(1)), (yes.clone(), mp3(1)), (no.clone(), mp3(2))];
    assert_eq!(audio::publish(s3, bucket, &survey, &manifest, clips.clone()).await.unwrap(), 2);

    assert_eq!(audio::read_manifest(s3, bucket, &survey, "ar").await.unwrap().as_ref(), Some(&manifest));
    let stored = audio::stored_clips(s3, bucket, &survey, "ar").await.unwrap();
    assert_eq!(stored, [yes.file.clone(), no.file.clone()].into_iter().collect());

    let key = audio::clip_key(&survey, "ar", &yes.file);
    assert_eq!(key, format!("content/audiotest/audio/ar/{}", yes.file));
    let object = s3.get_object().bucket(bucket).key(&key).send().await.unwrap();
    assert_eq!(object.content_type(), Some("audio/mpeg"));
    assert_eq!(object.cache_control(), Some(CLIP_CACHE_CONTROL));
    assert_eq!(object.body.collect().await.unwrap().into_bytes().as_ref(), mp3(1).as_slice());
    let head = s3.head_object().bucket(bucket).key(audio::manifest_key(&survey, "ar")).send().await.unwrap();
    assert_eq!(head.cache_control(), Some(MANIFEST_CACHE_CONTROL));
    assert_eq!(head.content_type(), Some("application/json; charset=utf-8"));

    // Publishing again uploads nothing new; other languages are untouched.
    assert_eq!(audio::publish(s3, bucket, &survey, &manifest, clips).await.unwrap(), 0);
    assert!(audio::stored_clips(s3, bucket, &survey, "nb").await.unwrap().is_empty());
    assert_eq!(audio::read_manifest(s3, bucket, &survey, "nb").await.unwrap(), None);
}
