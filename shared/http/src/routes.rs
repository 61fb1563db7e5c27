//! The HTTP API's route table, `shared/schema/routes.json`: which function
//! answers which method and path. API Gateway is built from it (infra), and the
//! local gateway and the handler tests dispatch by it, so the three never drift.

use std::sync::OnceLock;

use serde::Deserialize;

const ROUTES_JSON: &str = include_str!("../../schema/routes.json");

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Route {
    pub method: String,
    /// A path template: `/api/results/{survey_id}/{unit}`.
    pub path: String,
    /// The function (Cargo binary) that answers it.
    pub function: String,
}

#[derive(Deserialize)]
struct RouteFile {
    routes: Vec<Route>,
}

pub fn routes() -> &'static [Route] {
    static ROUTES: OnceLock<Vec<Route>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        serde_json::from_str::<RouteFile>(ROUTES_JSON).expect("shared/schema/routes.json is valid").routes
    })
}

impl Route {
    /// Whether `path` fits the template: the same segments, a `{name}` standing for any one.
    pub fn matches(&self, path: &str) -> bool {
        let (mut template, mut given) = (self.path.split('/'), path.split('/'));
        loop {
            match (template.next(), given.next()) {
                (None, None) => return true,
                (Some(t), Some(g)) if (t.starts_with('{') && t.ends_with('}') && !g.is_empty()) || t == g => {}
                _ => return false,
            }
        }
    }
}

/// The function that answers `path`, whatever the method: the function itself
/// answers a method it does not take with 405 and the methods it does.
pub fn function_for(path: &str) -> Option<&'static str> {
    routes().iter().find(|r| r.matches(path)).map(|r| r.function.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_find_their_function_by_template() {
        let cases = [
            ("/api/codes/validate", Some("validate-code")),
            ("/api/surveys", Some("survey-info")),
            ("/api/surveys/2026", Some("survey-info")),
            ("/api/surveys/2026/questionnaire", Some("survey-info")),
            ("/api/results/2026/4601", Some("results")),
            ("/api/results/2026/4601/count", Some("results")),
            ("/api/org-responses/current/submit", Some("org-response")),
            ("/api/results/2026/4601/count/x", None),
            ("/api/surveys//questionnaire", None),
            ("/api/nothing", None),
            ("/api", None),
        ];
        for (path, function) in cases {
            assert_eq!(function_for(path), function, "{path}");
        }
    }

    #[test]
    fn each_method_and_template_is_routed_once() {
        let mut seen = std::collections::BTreeSet::new();
        for r in routes() {
            assert!(["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&r.method.as_str()), "{r:?}");
            assert!(r.path.starts_with("/api/"), "{r:?}");
            assert!(seen.insert((r.method.as_str(), r.path.as_str())), "twice: {r:?}");
        }
    }
}
