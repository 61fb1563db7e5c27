//! `GET /api/surveys/{survey_id}`, `GET /api/surveys/{survey_id}/questionnaire`,
//! `GET /api/surveys?registration=open`, `GET /api/units[?survey=S]` (a wave's
//! units) and `GET /api/health`:
//! what the pages need to know about a wave and the units that can take part.

use lambda_http::http::{header, HeaderValue, Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::json;
use survey_domain::store::WaveStore;
use survey_domain::translation::Texts;
use survey_domain::{catalogue, Unit, Wave, WaveId};
use survey_http::{api_segments, json_response, method_not_allowed, respond, ApiError};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub struct App<S> {
    pub store: S,
}

pub async fn handle<S: WaveStore>(app: &App<S>, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    if req.method() != Method::GET {
        return Ok(method_not_allowed("GET"));
    }
    let segments = api_segments(&req);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let result = match segments.as_slice() {
        ["health"] => Ok(json_response(StatusCode::OK, &json!({ "status": "ok" }))),
        ["surveys"] => open_for_registration(app, &req).await.map(cached),
        ["units"] => units(app, &req).await.map(cached),
        ["surveys", id] => wave(app, id).await.map(|w| {
            let texts = Texts::embedded(w.questionnaire());
            cached(json_response(StatusCode::OK, &survey_body(&w, texts)))
        }),
        ["surveys", id, "questionnaire"] => wave(app, id).await.map(|w| {
            let questionnaire = w.questionnaire();
            let mut body = serde_json::to_value(questionnaire).expect("a questionnaire serialises");
            body["plan"] = serde_json::to_value(w.survey().page_plan(questionnaire)).expect("a plan serialises");
            cached(json_response(StatusCode::OK, &body))
        }),
        _ => Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is nothing at this path")),
    };
    Ok(respond("survey_info", result))
}

/// Wave settings change rarely; a minute of caching spares the table in a classroom rush.
fn cached(mut response: Response<Body>) -> Response<Body> {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    response
}

async fn wave<S: WaveStore>(app: &App<S>, id: &str) -> Result<Wave, ApiError> {
    let unknown = || ApiError::new(StatusCode::NOT_FOUND, "unknown_survey", "there is no such survey");
    let id = WaveId::parse(id).map_err(|_| unknown())?;
    app.store.wave(&id).await.map_err(ApiError::from)?.ok_or_else(unknown)
}

/// `GET /api/units[?survey=S]`: the units of the wave's survey, or without a
/// wave the participant survey's municipalities and districts.
async fn units<S: WaveStore>(app: &App<S>, req: &Request) -> Result<Response<Body>, ApiError> {
    let params = req.query_string_parameters_ref().cloned().unwrap_or_default();
    let survey = match params.first("survey") {
        Some(id) => wave(app, id).await?.survey(),
        None => catalogue::default_survey(),
    };
    let units: Vec<&Unit> = survey.units().collect();
    Ok(json_response(StatusCode::OK, &units))
}

/// `GET /api/surveys?registration=open`: the waves that take registrations
/// now, soonest deadline first, so a page can let a contact choose one. The
/// only listing offered; without the filter the request is 400, so nothing
/// lists past or hidden waves by accident.
async fn open_for_registration<S: WaveStore>(app: &App<S>, req: &Request) -> Result<Response<Body>, ApiError> {
    let params = req.query_string_parameters_ref().cloned().unwrap_or_default();
    if params.first("registration") != Some("open") {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", "only ?registration=open is offered")
            .with_field("/registration"));
    }
    let now = OffsetDateTime::now_utc();
    let mut waves: Vec<Wave> = app
        .store
        .waves()
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .filter(|w| now < w.registration_deadline)
        .collect();
    waves.sort_by_key(|w| (w.registration_deadline, w.opens_at));
    let rfc3339 = |t: OffsetDateTime| t.format(&Rfc3339).expect("formattable");
    let surveys: Vec<_> = waves
        .iter()
        .map(|w| {
            json!({
                "survey_id": w.survey_id,
                "opens_at": rfc3339(w.opens_at),
                "closes_at": rfc3339(w.closes_at),
                "registration_deadline": rfc3339(w.registration_deadline),
                "status": w.status(now),
            })
        })
        .collect();
    Ok(json_response(StatusCode::OK, &json!({ "surveys": surveys })))
}

/// The wave's settings, with those of its languages whose texts are complete
/// in both the questionnaire and the page.
fn survey_body(wave: &Wave, texts: &Texts) -> serde_json::Value {
    let rfc3339 = |t: OffsetDateTime| t.format(&Rfc3339).expect("formattable");
    let languages: Vec<_> =
        wave.languages.iter().filter(|l| texts.is_complete(l.as_str())).map(|l| l.language()).collect();
    json!({
        "survey_id": wave.survey_id,
        "definition": wave.definition,
        "opens_at": rfc3339(wave.opens_at),
        "closes_at": rfc3339(wave.closes_at),
        "registration_deadline": rfc3339(wave.registration_deadline),
        "results_until": rfc3339(wave.results_until),
        "min_respondents": wave.min_respondents,
        "status": wave.status(OffsetDateTime::now_utc()),
        "languages": languages,
    })
}

#[cfg(test)]
mod tests {
    use lambda_http::request::from_str;
    use survey_domain::memory::MemoryStore;
    use survey_domain::translation::TextSet;
    use survey_domain::Questionnaire;
    use time::Duration;

    use super::*;

    async fn app() -> App<MemoryStore> {
        let now = OffsetDateTime::now_utc();
        let store = MemoryStore::new();
        store
            .create_wave(&Wave {
                opens_at: now + Duration::days(2),
                closes_at: now + Duration::days(60),
                registration_deadline: now + Duration::days(1),
                ..survey_domain::synthetic::open_wave("2026", now)
            })
            .await
            .unwrap();
        App { store }
    }

    async fn get(app: &App<MemoryStore>, event: &str, path: Option<&str>) -> (StatusCode, serde_json::Value) {
        let mut req = from_str(event).unwrap();
        if let Some(path) = path {
            *req.uri_mut() = path.parse().unwrap();
        }
        let response = handle(app, req).await.unwrap();
        let Body::Text(text) = response.body() else { panic!("text body") };
        (response.status(), serde_json::from_str(text).unwrap())
    }

    #[tokio::test]
    async fn the_survey_lists_its_settings_and_languages() {
        let (status, body) = get(&app().await, include_str!("../../../events/get-survey.json"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "upcoming");
        assert_eq!(body["definition"], "brukerundersokelse");
        assert_eq!(body["min_respondents"], 10);
        assert_eq!(
            body["languages"][0],
            json!({"code": "nb", "native_name": "Norsk bokmål", "norwegian_name": "norsk bokmål", "dir": "ltr", "script": "Latn"})
        );
        let arabic = body["languages"].as_array().unwrap().iter().find(|l| l["code"] == "ar").unwrap();
        assert_eq!(arabic["dir"], "rtl");
        for field in ["opens_at", "closes_at", "registration_deadline", "results_until"] {
            assert!(OffsetDateTime::parse(body[field].as_str().unwrap(), &Rfc3339).is_ok(), "{field}");
        }
    }

    #[tokio::test]
    async fn only_languages_with_complete_texts_are_offered() {
        let now = OffsetDateTime::now_utc();
        let wave = survey_domain::synthetic::open_wave("2026", now);
        let complete = Texts::embedded(wave.questionnaire());
        let codes = |body: &serde_json::Value| -> Vec<String> {
            body["languages"].as_array().unwrap().iter().map(|l| l["code"].as_str().unwrap().to_owned()).collect()
        };
        let all = codes(&survey_body(&wave, complete));
        assert_eq!(all, wave.languages.iter().map(|l| l.as_str()).collect::<Vec<_>>());

        let mut questionnaire = complete.files(TextSet::Questionnaire).clone();
        let tigrinya = questionnaire.get_mut("ti").unwrap();
        let key = tigrinya.strings.keys().last().unwrap().to_owned();
        tigrinya.strings.remove(&key);
        let mut site = complete.files(TextSet::Site).clone();
        site.get_mut("uk").unwrap().strings.insert("ui.next", String::new());
        let incomplete = Texts::new(questionnaire, site);

        let offered = codes(&survey_body(&wave, &incomplete));
        let expected: Vec<&String> = all.iter().filter(|c| *c != "ti" && *c != "uk").collect();
        assert_eq!(offered.iter().collect::<Vec<_>>(), expected);
        assert!(offered.contains(&"ar".to_owned()) && offered.len() == all.len() - 2);
    }

    #[tokio::test]
    async fn the_questionnaire_is_the_waves_own_structure() {
        let (status, body) = get(&app().await, include_str!("../../../events/get-questionnaire.json"), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["version"], Questionnaire::current().version.as_str());
        let first = &body["questions"][0];
        assert_eq!(first["id"], "q_group");
        assert_eq!(first["type"], "single");
        assert_eq!(first["options"][0]["ends_survey"], false);
        assert!(first.get("show_if").is_none());
        let routed = body["questions"].as_array().unwrap().iter().find(|q| q.get("show_if").is_some()).unwrap();
        assert!(routed["show_if"]["any_of"].is_array());
    }

    #[tokio::test]
    async fn the_questionnaire_carries_the_plans_groups_and_indices_with_their_names() {
        let (_, body) = get(&app().await, include_str!("../../../events/get-questionnaire.json"), None).await;
        let plan = &body["plan"];
        let ids = |list: &serde_json::Value| -> Vec<String> {
            list.as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(ids(&plan["groups"]), ["training", "intro"]);
        assert_eq!(ids(&plan["indices"]), ["usefulness", "motivation", "wellbeing"]);
        assert_eq!(plan["groups"][1]["label"]["nb"], "Deltakere i introduksjonsprogrammet");
        assert_eq!(plan["groups"][1]["label"]["nn"], "Deltakarar i introduksjonsprogrammet");
        assert_eq!(plan["indices"][2]["label"]["en"], "Well-being");
        assert!(plan["groups_hint"]["nb"].as_str().unwrap().contains("begge"));
    }

    #[tokio::test]
    async fn unknown_surveys_and_paths_are_404() {
        let app = app().await;
        let event = include_str!("../../../events/get-survey.json");
        for (path, code) in [
            ("/api/surveys/1999", "unknown_survey"),
            ("/api/surveys/NOT%20VALID", "unknown_survey"),
            ("/api/surveys/1999/questionnaire", "unknown_survey"),
            ("/api/nothing", "not_found"),
        ] {
            let (status, body) = get(&app, event, Some(path)).await;
            assert_eq!((status, body["error"]["code"].as_str().unwrap()), (StatusCode::NOT_FOUND, code), "{path}");
        }
    }

    /// A GET of `path?query` built from the health event, as API Gateway sends it.
    async fn get_query(app: &App<MemoryStore>, path: &str, query: &str) -> (StatusCode, serde_json::Value) {
        let mut event: serde_json::Value = serde_json::from_str(include_str!("../../../events/health.json")).unwrap();
        event["rawPath"] = json!(path);
        event["requestContext"]["http"]["path"] = json!(path);
        event["rawQueryString"] = json!(query);
        get(app, &event.to_string(), None).await
    }

    #[tokio::test]
    async fn the_waves_open_for_registration_are_listed_soonest_deadline_first() {
        let now = OffsetDateTime::now_utc();
        let app = app().await; // "2026": registration until tomorrow
        let wave = |id: &str, deadline: Duration, opens: Duration| Wave {
            opens_at: now + opens,
            closes_at: now + opens + Duration::days(60),
            registration_deadline: now + deadline,
            ..survey_domain::synthetic::open_wave(id, now)
        };
        for w in [
            wave("2027", Duration::days(200), Duration::days(300)),
            wave("2025", -Duration::days(1), -Duration::days(10)),
        ] {
            app.store.create_wave(&w).await.unwrap();
        }

        let (status, body) = get_query(&app, "/api/surveys", "registration=open").await;

        assert_eq!(status, StatusCode::OK);
        let surveys = body["surveys"].as_array().unwrap();
        let ids: Vec<&str> = surveys.iter().map(|s| s["survey_id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["2026", "2027"], "the wave past its deadline is left out");
        assert_eq!(surveys[1]["status"], "upcoming");
        let fields: Vec<&String> = surveys[0].as_object().unwrap().keys().collect();
        assert_eq!(fields, ["closes_at", "opens_at", "registration_deadline", "status", "survey_id"]);
    }

    #[tokio::test]
    async fn the_survey_list_needs_its_filter() {
        let app = app().await;
        for query in ["", "registration=closed", "registration=all"] {
            let (status, body) = get_query(&app, "/api/surveys", query).await;
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (StatusCode::BAD_REQUEST, Some("invalid_query")),
                "{query}"
            );
        }
    }

    #[tokio::test]
    async fn units_list_every_municipality_and_district_with_its_county() {
        let (status, body) = get(&app().await, include_str!("../../../events/health.json"), Some("/api/units")).await;
        assert_eq!(status, StatusCode::OK);
        let units = body.as_array().unwrap();
        assert_eq!(units.len(), 357 + 15);
        assert!(units.contains(&json!({"number": "030112", "name": "Alna", "county": "Oslo"})));
    }

    #[tokio::test]
    async fn a_waves_units_are_its_surveys_own() {
        let app = app().await;
        let course = catalogue::find("kursundersokelse").expect("the tests know the course survey");
        let wave = Wave {
            survey_id: WaveId::parse("kurs").unwrap(),
            definition: course.id().to_owned(),
            questionnaire_version: course.current().version.clone(),
            ..survey_domain::synthetic::open_wave("kurs", OffsetDateTime::now_utc())
        };
        app.store.create_wave(&wave).await.unwrap();
        let (status, body) = get_query(&app, "/api/units", "survey=kurs").await;
        assert_eq!(status, StatusCode::OK);
        let numbers: Vec<&str> = body.as_array().unwrap().iter().map(|u| u["number"].as_str().unwrap()).collect();
        assert_eq!(numbers, ["9901", "9902", "9903", "9904", "9905"]);
        let (status, body) = get_query(&app, "/api/units", "survey=2026").await;
        assert_eq!((status, body.as_array().unwrap().len()), (StatusCode::OK, 357 + 15));
        let (status, body) = get_query(&app, "/api/units", "survey=1999").await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_survey")));
    }

    #[tokio::test]
    async fn health_is_ok() {
        let (status, body) = get(&app().await, include_str!("../../../events/health.json"), None).await;
        assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
    }
}
