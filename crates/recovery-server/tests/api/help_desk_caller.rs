//! The agent finds the caller's record and verifies the caller: a code e-mailed or texted and
//! read back (3 tries, 10 minutes), date of birth + PIN on the person's own throttle, or in
//! person at an enrolled kiosk. Every step is audited.

use recovery_api::{demo::Channel, kiosk::KIOSK_CREDENTIAL_HEADER};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    help_desk_support::{
        check_code, code_in, count_events, email_code_to_ada, give_hopper_a_token, hopper_token,
        kiosk_credential, margaret_token, newest_to, start_verification, HOPPER,
    },
    on_both_databases,
    support::{expect_problem, Backend, TestService, ADA, ADA_DOB, ADA_EMAIL, ADA_PIN},
};

on_both_databases!(
    a_look_up_masks_and_is_audited,
    a_code_by_email_verifies_the_caller,
    a_code_by_text_goes_to_the_directory_phones,
    three_wrong_codes_or_ten_minutes_end_a_code,
    date_of_birth_and_pin_use_the_persons_throttle,
    in_person_needs_an_enrolled_kiosk,
    look_ups_are_limited_per_agent,
    parallel_guesses_get_three_tries_in_all,
);

async fn a_look_up_masks_and_is_audited(backend: Backend) {
    let service = TestService::start(backend).await;
    give_hopper_a_token(&service).await;
    let token = hopper_token(&service, 0).await;
    let record: Value = service
        .get_with("/v1/help-desk/people/ADA", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(record["username"], ADA);
    assert_eq!(record["display_name"], "Ada Lovelace");
    assert_eq!(
        record["notification_addresses"],
        json!(["a•••@example.org"])
    );
    assert_eq!(record["directory_phones"], json!(["•••• 0123"]));
    assert_eq!(record["authenticators"].as_array().unwrap().len(), 1);
    assert!(
        !record.to_string().contains("5550123"),
        "no full number: {record}"
    );
    assert!(!record.to_string().contains(ADA_EMAIL));
    assert_eq!(record["lock"]["state"], "open");
    assert_eq!(record["recovery_pin_set"], true);
    assert_eq!(record["is_agent"], false);
    assert_eq!(record["own_account"], false);
    let looked_up = service.audit().await;
    let last = looked_up.last().unwrap();
    assert_eq!(last.event, "help_desk_look_up");
    assert_eq!(last.username.as_deref(), Some(ADA));
    assert!(
        last.client.starts_with("agent hopper at "),
        "{}",
        last.client
    );

    // The record shows the person's own events, newest first.
    service.ada_token().await;
    let record: Value = service
        .get_with("/v1/help-desk/people/ada", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(record["recent_events"][0]["event"], "session_opened");
    assert_eq!(record["recent_events"][1]["event"], "help_desk_look_up");

    let own: Value = service
        .get_with("/v1/help-desk/people/hopper", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["own_account"], true);
    assert_eq!(own["is_agent"], true);
    let nobody = service
        .get_with("/v1/help-desk/people/nobody", &token)
        .await;
    expect_problem(nobody, 404, "not_found").await;
    service.stop().await;
}

async fn a_code_by_email_verifies_the_caller(backend: Backend) {
    let service = TestService::start(backend).await;
    give_hopper_a_token(&service).await;
    let token = hopper_token(&service, 0).await;
    let started = start_verification(
        &service,
        &token,
        ADA,
        &json!({ "method": "sent_code", "channel": "email" }),
    )
    .await;
    assert_eq!(started.status(), StatusCode::CREATED);
    let started: Value = started.json().await.unwrap();
    assert_eq!(started["status"], "pending");
    assert_eq!(started["method"], "sent_code");
    assert_eq!(started["sent_to"], json!(["a•••@example.org"]));
    let id = started["id"].as_str().unwrap();
    let message = newest_to(&service, Channel::Email, ADA_EMAIL).await;
    assert!(message.body.contains("agent hopper"), "{}", message.body);
    let code = code_in(&message);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let problem = expect_problem(
        check_code(&service, &token, ADA, id, wrong).await,
        400,
        "code_incorrect",
    )
    .await;
    assert_eq!(problem["attempts_left"], 2);
    let verified = check_code(&service, &token, ADA, id, &code).await;
    assert_eq!(verified.status(), StatusCode::OK);
    let verified: Value = verified.json().await.unwrap();
    assert_eq!(verified["status"], "verified");
    // Used: it cannot be checked again.
    let again = check_code(&service, &token, ADA, id, &code).await;
    expect_problem(again, 410, "verification_expired").await;
    // Not another person's, not an unknown id.
    let elsewhere = check_code(&service, &token, "grace", id, &code).await;
    expect_problem(elsewhere, 404, "not_found").await;
    let unknown = check_code(&service, &token, ADA, "no-such-id", &code).await;
    expect_problem(unknown, 404, "not_found").await;
    let bad = check_code(&service, &token, ADA, id, "12ab56").await;
    expect_problem(bad, 422, "invalid_field").await;
    for event in [
        "caller_verification_started",
        "caller_verified",
        "caller_verification_failed",
    ] {
        assert!(count_events(&service, event).await >= 1, "{event}");
    }
    let records = service.audit().await;
    assert!(
        !records.iter().any(|r| r.detail.to_string().contains(&code)),
        "the code is never audited"
    );
    service.stop().await;
}

async fn a_code_by_text_goes_to_the_directory_phones(backend: Backend) {
    let service = TestService::start(backend).await;
    give_hopper_a_token(&service).await;
    let token = hopper_token(&service, 0).await;
    let started = start_verification(
        &service,
        &token,
        "grace",
        &json!({ "method": "sent_code", "channel": "text" }),
    )
    .await;
    assert_eq!(started.status(), StatusCode::CREATED);
    let started: Value = started.json().await.unwrap();
    assert_eq!(started["sent_to"], json!(["•••• 0145"]));
    let text = newest_to(&service, Channel::Sms, "+12015550145").await;
    let code = code_in(&text);
    let verified = check_code(
        &service,
        &token,
        "grace",
        started["id"].as_str().unwrap(),
        &code,
    )
    .await;
    assert_eq!(verified.status(), StatusCode::OK);
    // alan has no phone on record: nothing is sent, nothing recorded.
    let before = service.audit().await.len();
    let none = start_verification(
        &service,
        &token,
        "alan",
        &json!({ "method": "sent_code", "channel": "text" }),
    )
    .await;
    let problem = expect_problem(none, 422, "invalid_field").await;
    assert_eq!(problem["field"], "channel");
    assert_eq!(service.audit().await.len(), before);
    service.stop().await;
}

async fn three_wrong_codes_or_ten_minutes_end_a_code(backend: Backend) {
    let service = TestService::start(backend).await;
    give_hopper_a_token(&service).await;
    let token = hopper_token(&service, 0).await;
    let (id, code) = email_code_to_ada(&service, &token).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in [2, 1] {
        let problem = expect_problem(
            check_code(&service, &token, ADA, &id, wrong).await,
            400,
            "code_incorrect",
        )
        .await;
        assert_eq!(problem["attempts_left"], left);
    }
    let third = check_code(&service, &token, ADA, &id, wrong).await;
    expect_problem(third, 410, "verification_expired").await;
    let right_too_late = check_code(&service, &token, ADA, &id, &code).await;
    expect_problem(right_too_late, 410, "verification_expired").await;

    let (id, code) = email_code_to_ada(&service, &token).await;
    service.clock.advance(time::Duration::minutes(10));
    let expired = check_code(&service, &token, ADA, &id, &code).await;
    expect_problem(expired, 410, "verification_expired").await;

    // Another agent's session cannot use hopper's code.
    let (id, code) = email_code_to_ada(&service, &token).await;
    let margaret = margaret_token(&service, 0).await;
    let foreign = check_code(&service, &margaret, ADA, &id, &code).await;
    expect_problem(foreign, 404, "not_found").await;
    service.stop().await;
}

async fn date_of_birth_and_pin_use_the_persons_throttle(backend: Backend) {
    let service = TestService::start(backend).await;
    give_hopper_a_token(&service).await;
    let token = hopper_token(&service, 0).await;
    let by_pin = |dob: &'static str, pin: &'static str| json!({ "method": "date_of_birth_and_pin", "date_of_birth": dob, "pin": pin });
    let verified = start_verification(&service, &token, ADA, &by_pin(ADA_DOB, ADA_PIN)).await;
    assert_eq!(verified.status(), StatusCode::CREATED);
    let verified: Value = verified.json().await.unwrap();
    assert_eq!(verified["status"], "verified");
    assert_eq!(verified["method"], "date_of_birth_and_pin");

    let bad = start_verification(&service, &token, ADA, &by_pin("1985-02-30", ADA_PIN)).await;
    expect_problem(bad, 422, "invalid_field").await;
    for _ in 0..4 {
        let wrong = start_verification(&service, &token, ADA, &by_pin(ADA_DOB, "135790")).await;
        expect_problem(wrong, 401, "verification_failed").await;
    }
    // The fifth failure locks ada's self-service, as her own attempts would.
    let fifth = start_verification(&service, &token, ADA, &by_pin(ADA_DOB, "135790")).await;
    expect_problem(fifth, 429, "locked").await;
    let right_but_locked =
        start_verification(&service, &token, ADA, &by_pin(ADA_DOB, ADA_PIN)).await;
    expect_problem(right_but_locked, 429, "locked").await;
    let own = service
        .sign_in(ADA, crate::support::ADA_PASSWORD, ADA_DOB, ADA_PIN)
        .await;
    expect_problem(own, 429, "locked").await;
    let record: Value = service
        .get_with("/v1/help-desk/people/ada", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(record["lock"]["state"], "temporary");
    assert_eq!(record["lock"]["failures_last_day"], 5);
    service.stop().await;
}

async fn in_person_needs_an_enrolled_kiosk(backend: Backend) {
    let service = TestService::start(backend).await;
    give_hopper_a_token(&service).await;
    let token = hopper_token(&service, 0).await;
    let body = json!({ "method": "in_person", "id_document": "passport" });
    let refused = start_verification(&service, &token, ADA, &body).await;
    expect_problem(refused, 403, "in_person_needs_kiosk").await;
    assert_eq!(count_events(&service, "help_desk_action_refused").await, 1);
    let kiosk = kiosk_credential(&service, "Help Desk Kiosk 2").await;
    let at_kiosk = service
        .http
        .post(service.url("/v1/help-desk/people/ada/caller-verifications"))
        .bearer_auth(&token)
        .header(KIOSK_CREDENTIAL_HEADER, &kiosk)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(at_kiosk.status(), StatusCode::CREATED);
    let at_kiosk: Value = at_kiosk.json().await.unwrap();
    assert_eq!(at_kiosk["status"], "verified");
    let records = service.audit().await;
    let verified = records
        .iter()
        .rev()
        .find(|r| r.event == "caller_verified")
        .unwrap();
    assert_eq!(verified.detail["method"], "in_person");
    assert_eq!(verified.detail["id_document"], "passport");
    assert_eq!(
        verified.client,
        format!("agent {HOPPER} at Help Desk Kiosk 2")
    );
    let blank = start_verification(
        &service,
        &token,
        ADA,
        &json!({ "method": "in_person", "id_document": " " }),
    )
    .await;
    expect_problem(blank, 422, "invalid_field").await;
    service.stop().await;
}

async fn look_ups_are_limited_per_agent(backend: Backend) {
    let service = TestService::start_with(backend, |config| {
        config.help_desk.look_ups_per_hour = 2;
    })
    .await;
    give_hopper_a_token(&service).await;
    let token = hopper_token(&service, 0).await;
    for username in [ADA, "grace"] {
        let found = service
            .get_with(&format!("/v1/help-desk/people/{username}"), &token)
            .await;
        assert_eq!(found.status(), StatusCode::OK);
    }
    let over = service.get_with("/v1/help-desk/people/alan", &token).await;
    expect_problem(over, 429, "limit_reached").await;
    let records = service.audit().await;
    assert_eq!(records.last().unwrap().event, "help_desk_action_refused");
    assert_eq!(records.last().unwrap().detail["permission"], "look_up");
    // Another agent has an hour of their own.
    let margaret = margaret_token(&service, 0).await;
    let found = service
        .get_with("/v1/help-desk/people/alan", &margaret)
        .await;
    assert_eq!(found.status(), StatusCode::OK);
    service.clock.advance(time::Duration::minutes(61));
    let token = hopper_token(&service, 1).await;
    let found = service.get_with("/v1/help-desk/people/alan", &token).await;
    assert_eq!(found.status(), StatusCode::OK);
    service.stop().await;
}

async fn parallel_guesses_get_three_tries_in_all(backend: Backend) {
    let service = TestService::start(backend).await;
    give_hopper_a_token(&service).await;
    let token = hopper_token(&service, 0).await;
    let (id, code) = email_code_to_ada(&service, &token).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let url = service.url(&format!(
        "/v1/help-desk/people/{ADA}/caller-verifications/{id}/code"
    ));
    let statuses = crate::support::all_at_once(10, |_| {
        let (http, url, token) = (service.http.clone(), url.clone(), token.clone());
        async move {
            let body = json!({ "code": wrong });
            let sent = http.post(url).bearer_auth(token).json(&body).send();
            sent.await.unwrap().status().as_u16()
        }
    })
    .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 410).count(),
        8,
        "{statuses:?}"
    );
    let right = check_code(&service, &token, ADA, &id, &code).await;
    expect_problem(right, 410, "verification_expired").await;
    service.stop().await;
}
