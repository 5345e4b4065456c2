//! Every error is a problem document, whatever refused the request: a path that is not text, a
//! body that is not JSON, a missing session, an unknown kiosk, a wrong method, an unknown
//! address. The routes come from the served OpenAPI document, so a new route is walked too;
//! every status met must be documented for its operation, and nothing may change.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::{
    on_both_databases,
    support::{expect_problem, Backend, TestService},
};

on_both_databases!(every_route_answers_bad_requests_with_problems);

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

struct Operation<'a> {
    method: Method,
    path: &'a str,
    spec: &'a Value,
}

impl Operation<'_> {
    fn documents(&self, status: u16) -> bool {
        self.spec["responses"][status.to_string()].is_object()
    }

    fn has_path_parameters(&self) -> bool {
        self.path.contains('{')
    }

    /// Help-desk routes take an agent's token, the others a person's.
    fn token<'t>(&self, person: &'t str, agent: &'t str) -> &'t str {
        if self.spec["security"]
            .to_string()
            .contains("help_desk_session")
        {
            agent
        } else {
            person
        }
    }

    fn needs_session(&self) -> bool {
        self.spec["security"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
    }

    fn identifies_client(&self) -> bool {
        self.spec["parameters"].as_array().is_some_and(|params| {
            params
                .iter()
                .any(|p| p["in"] == "header" && p["name"] == "x-recovery-kiosk")
        })
    }

    fn has_body(&self) -> bool {
        self.spec["requestBody"].is_object()
    }

    /// The path with every parameter replaced by `value` (already percent-encoded).
    fn path_with(&self, value: &str) -> String {
        let mut path = String::new();
        let mut rest = self.path;
        while let Some(open) = rest.find('{') {
            path.push_str(&rest[..open]);
            path.push_str(value);
            rest = rest[open..].split_once('}').map_or("", |(_, after)| after);
        }
        path.push_str(rest);
        path
    }
}

async fn every_route_answers_bad_requests_with_problems(backend: Backend) {
    let service = TestService::start(backend).await;
    let token = service.ada_token().await;
    let agent = crate::help_desk_support::margaret_token(&service, 0).await;
    let document: Value = service
        .http
        .get(service.url("/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let audit_before = service.audit().await.len();
    let outbox_before = service.outbox().await.len();

    let mut walked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        let allowed: Vec<&str> = METHODS
            .into_iter()
            .filter(|m| item[*m].is_object())
            .collect();
        for method in &allowed {
            let operation = Operation {
                method: method.to_uppercase().parse().unwrap(),
                path,
                spec: &item[*method],
            };
            walk(&service, operation.token(&token, &agent), &operation).await;
            walked += 1;
        }
        // A method the path does not take is answered with 405, saying what it takes.
        let unused = ["put", "patch", "delete", "post"]
            .into_iter()
            .find(|m| !allowed.contains(m))
            .unwrap_or_else(|| panic!("{path} takes every method"));
        let put = service
            .http
            .request(
                unused.to_uppercase().parse().unwrap(),
                service.url(
                    &Operation {
                        method: Method::PUT,
                        path,
                        spec: &Value::Null,
                    }
                    .path_with("x1"),
                ),
            )
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let allow = put
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_owned());
        expect_problem(put, 405, "method_not_allowed").await;
        let allow = allow.unwrap_or_else(|| panic!("405 without Allow for {path}"));
        for method in &allowed {
            assert!(
                allow.contains(&method.to_uppercase()),
                "{path}: Allow: {allow}"
            );
        }
        // Nothing lives below a route.
        let below = format!(
            "{}/no/such/thing",
            Operation {
                method: Method::GET,
                path,
                spec: &Value::Null
            }
            .path_with("x1")
        );
        let missing = service.http.get(service.url(&below)).send().await.unwrap();
        expect_problem(missing, 404, "not_found").await;
    }
    assert!(walked >= 19, "only {walked} operations in the document");

    assert_eq!(
        service.audit().await.len(),
        audit_before,
        "nothing was audited"
    );
    assert_eq!(
        service.outbox().await.len(),
        outbox_before,
        "nothing was sent"
    );
    let still = service.get_with("/v1/me/authenticators", &token).await;
    assert_eq!(still.status(), StatusCode::OK, "the session still works");
    let still = service.get_with("/v1/help-desk/me", &agent).await;
    assert_eq!(
        still.status(),
        StatusCode::OK,
        "the agent session still works"
    );
    service.stop().await;
}

/// Sends each kind of bad request the operation can meet, and checks the problem it gets.
async fn walk(service: &TestService, token: &str, operation: &Operation<'_>) {
    let what = format!("{} {}", operation.method, operation.path);
    eprintln!("walking {what}");
    let request = |path: &str| {
        service
            .http
            .request(operation.method.clone(), service.url(path))
            .bearer_auth(token)
    };
    let valid_path = operation.path_with("x1");
    let check = |status: u16| {
        assert!(
            operation.documents(status),
            "{what} answers {status}, which its document does not list"
        );
    };

    if operation.has_path_parameters() {
        let mut bad = request(&operation.path_with("%FF%FE"));
        if operation.has_body() {
            bad = bad.header("content-type", "application/json").body("{}");
        }
        check(400);
        expect_problem(bad.send().await.unwrap(), 400, "malformed_request").await;
    }

    if operation.needs_session() {
        check(401);
        let none = service
            .http
            .request(operation.method.clone(), service.url(&valid_path))
            .send()
            .await
            .unwrap();
        expect_problem(none, 401, "session_invalid").await;
        let not_text = service
            .http
            .request(operation.method.clone(), service.url(&valid_path))
            .header(
                "authorization",
                reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap(),
            )
            .send()
            .await
            .unwrap();
        expect_problem(not_text, 401, "session_invalid").await;
    }

    if operation.identifies_client() {
        check(401);
        let unknown_kiosk = request(&valid_path)
            .header("x-recovery-kiosk", "not-a-kiosk")
            .send()
            .await
            .unwrap();
        expect_problem(unknown_kiosk, 401, "kiosk_credential_invalid").await;
    }

    if operation.has_body() {
        let json = |body: String| {
            request(&valid_path)
                .header("content-type", "application/json")
                .body(body)
                .send()
        };
        check(400);
        expect_problem(json("{,}".into()).await.unwrap(), 400, "malformed_request").await;
        expect_problem(json("[]".into()).await.unwrap(), 400, "malformed_request").await;
        check(422);
        let unknown = json("{\"no_such_field\": 1}".into()).await.unwrap();
        expect_problem(unknown, 422, "invalid_field").await;
        check(413);
        let huge = json(format!("{{\"x\": \"{}\"}}", "x".repeat(20_000)))
            .await
            .unwrap();
        expect_problem(huge, 413, "payload_too_large").await;
        check(415);
        let text = request(&valid_path)
            .header("content-type", "text/plain")
            .body("{}")
            .send()
            .await
            .unwrap();
        expect_problem(text, 415, "unsupported_media_type").await;
        let none = request(&valid_path).body("{}").send().await.unwrap();
        expect_problem(none, 415, "unsupported_media_type").await;
    }
}
