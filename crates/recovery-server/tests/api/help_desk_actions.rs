//! What agents do for a verified caller, behind the guard: each action works through the same
//! flows as self-service, is audited with `detail.help_desk` and announced to the person
//! naming the agent; every refusal is audited and changes nothing.

use recovery_api::demo::Channel;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;

use crate::{
    help_desk_support::{
        count_events, email_code_to_ada, give_hopper_a_token, hopper_token, margaret_token,
        newest_to, post_as, verified_by_email, verified_by_pin, HOPPER, MARGARET,
    },
    on_both_databases,
    support::{
        expect_problem, Backend, TestService, ADA, ADA_DOB, ADA_EMAIL, ADA_PASSWORD, ADA_PIN,
    },
};

on_both_databases!(
    a_help_desk_code_is_issued_audited_and_announced,
    help_desk_and_self_service_codes_replace_only_their_own,
    the_guard_refuses_and_changes_nothing,
    the_agents_hourly_limit_holds,
    unlocking_needs_the_permission_for_the_lock,
    clearing_the_pin_and_removing_a_device,
    parallel_help_desk_codes_leave_one_live,
);

async fn issue(
    service: &TestService,
    token: &str,
    username: &str,
    body: &Value,
) -> reqwest::Response {
    post_as(
        service,
        token,
        &format!("/v1/help-desk/people/{username}/bypass-codes"),
        body,
    )
    .await
}

async fn live_codes(service: &TestService, origin: &str) -> i64 {
    sqlx::query(
        "SELECT COUNT(*) AS n FROM bypass_codes WHERE origin = $1 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(origin)
    .fetch_one(service.app.db.pool())
    .await
    .unwrap()
    .try_get("n")
    .unwrap()
}

async fn a_help_desk_code_is_issued_audited_and_announced(backend: Backend) {
    let service = TestService::start(backend).await;
    give_hopper_a_token(&service).await;
    let token = hopper_token(&service, 0).await;
    let caller = verified_by_email(&service, &token, ADA).await;
    let issued = issue(&service, &token, ADA, &json!({ "caller_verification": caller, "reason": "ticket 4711, lost phone", "valid_minutes": 30 })).await;
    assert_eq!(issued.status(), StatusCode::CREATED);
    let issued: Value = issued.json().await.unwrap();
    let code = issued["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 9);
    let records = service.audit().await;
    let record = records
        .iter()
        .rev()
        .find(|r| r.event == "bypass_code_issued")
        .unwrap();
    assert_eq!(record.detail["origin"], "help_desk");
    assert_eq!(record.detail["valid_seconds"], 1800);
    let help_desk = &record.detail["help_desk"];
    assert_eq!(help_desk["agent"], HOPPER);
    assert_eq!(help_desk["agent_role"], "help_desk");
    assert_eq!(help_desk["caller_verification"], "sent_code");
    assert_eq!(help_desk["caller_verification_id"], caller.as_str());
    assert_eq!(help_desk["reason"], "ticket 4711, lost phone");
    assert!(record.client.starts_with("agent hopper at "));
    assert!(!records.iter().any(|r| r.detail.to_string().contains(&code)));
    let notice = newest_to(&service, Channel::Email, ADA_EMAIL).await;
    assert!(notice.body.contains("agent hopper at"), "{}", notice.body);
    // The code signs ada in.
    let signed_in = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, &code)
        .await;
    assert_eq!(signed_in.status(), StatusCode::CREATED);
    // Longer than the ceiling, or zero, is refused.
    for minutes in [0, 481] {
        let refused = issue(
            &service,
            &token,
            ADA,
            &json!({ "caller_verification": caller, "reason": "x", "valid_minutes": minutes }),
        )
        .await;
        let problem = expect_problem(refused, 422, "invalid_field").await;
        assert_eq!(problem["field"], "valid_minutes");
    }
    service.stop().await;
}

async fn help_desk_and_self_service_codes_replace_only_their_own(backend: Backend) {
    let service = TestService::start(backend).await;
    give_hopper_a_token(&service).await;
    let token = hopper_token(&service, 0).await;
    let caller = verified_by_email(&service, &token, ADA).await;
    let body = json!({ "caller_verification": caller, "reason": "lost phone" });
    let first: Value = issue(&service, &token, ADA, &body)
        .await
        .json()
        .await
        .unwrap();
    let session = service.ada_token().await;
    let own = service.bypass_code(&session).await;
    let second: Value = issue(&service, &token, ADA, &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        live_codes(&service, "help_desk").await,
        1,
        "the second replaced the first"
    );
    assert_eq!(
        live_codes(&service, "self_service").await,
        1,
        "the person's own code stays"
    );
    let replaced = service
        .sign_in_with_passcode(ADA, ADA_PASSWORD, first["code"].as_str().unwrap())
        .await;
    expect_problem(replaced, 401, "verification_failed").await;
    // A new self-service code leaves the help desk's alone.
    let session = service.ada_token().await;
    let newer_own = service.bypass_code(&session).await;
    assert_eq!(live_codes(&service, "help_desk").await, 1);
    let old_own = service.sign_in_with_passcode(ADA, ADA_PASSWORD, &own).await;
    expect_problem(old_own, 401, "verification_failed").await;
    for code in [second["code"].as_str().unwrap(), newer_own.as_str()] {
        let works = service.sign_in_with_passcode(ADA, ADA_PASSWORD, code).await;
        assert_eq!(works.status(), StatusCode::CREATED);
    }
    service.stop().await;
}

/// What must stay unchanged after a refusal: codes, devices, PINs, successful changes.
async fn state(service: &TestService) -> (i64, i64, i64, usize) {
    let pool = service.app.db.pool();
    let count = |sql: &'static str| async move {
        sqlx::query(sql)
            .fetch_one(pool)
            .await
            .unwrap()
            .try_get::<i64, _>("n")
            .unwrap()
    };
    let codes = count("SELECT COUNT(*) AS n FROM bypass_codes").await;
    let devices = count("SELECT COUNT(*) AS n FROM authenticators WHERE status = 'active'").await;
    let pins = count("SELECT COUNT(*) AS n FROM recovery_pins").await;
    let changes = service
        .audit()
        .await
        .iter()
        .filter(|r| {
            [
                "bypass_code_issued",
                "account_unlocked",
                "recovery_pin_cleared",
                "authenticator_removed",
            ]
            .contains(&r.event.as_str())
        })
        .count();
    (codes, devices, pins, changes)
}

async fn the_guard_refuses_and_changes_nothing(backend: Backend) {
    let service = TestService::start(backend).await;
    give_hopper_a_token(&service).await;
    let hopper = hopper_token(&service, 0).await;
    let margaret = margaret_token(&service, 0).await;
    let by_email = verified_by_email(&service, &hopper, ADA).await;
    let by_pin = verified_by_pin(&service, &hopper, ADA, ADA_DOB, ADA_PIN).await;
    let (pending, _) = email_code_to_ada(&service, &hopper).await;
    let margarets = verified_by_email(&service, &margaret, ADA).await;
    let for_grace = verified_by_email(&service, &hopper, "grace").await;
    let before = state(&service).await;
    let refused_before = count_events(&service, "help_desk_action_refused").await;

    let code =
        |caller: &str, reason: &str| json!({ "caller_verification": caller, "reason": reason });
    let mut refusals = 0;
    for (token, username, body, status, problem) in [
        (
            &hopper,
            ADA,
            code(&by_pin, "weak"),
            403,
            "caller_verification_too_weak",
        ),
        (
            &hopper,
            ADA,
            code("", "no verification"),
            403,
            "caller_not_verified",
        ),
        (
            &hopper,
            ADA,
            code(&pending, "not read back"),
            403,
            "caller_not_verified",
        ),
        (
            &hopper,
            ADA,
            code(&margarets, "margaret's"),
            403,
            "caller_not_verified",
        ),
        (
            &hopper,
            ADA,
            code(&for_grace, "grace's"),
            403,
            "caller_not_verified",
        ),
        (
            &hopper,
            MARGARET,
            code(&by_email, "an agent"),
            403,
            "permission_denied",
        ),
        (
            &hopper,
            HOPPER,
            code(&by_email, "herself"),
            403,
            "own_account",
        ),
        (
            &margaret,
            MARGARET,
            code(&margarets, "herself"),
            403,
            "own_account",
        ),
        (&hopper, "nobody", code(&by_email, "typo"), 404, "not_found"),
    ] {
        let response = issue(&service, token, username, &body).await;
        expect_problem(response, status, problem).await;
        refusals += 1;
    }
    for reason in ["", "   ", "two\nlines", &"x".repeat(201)] {
        let response = issue(&service, &hopper, ADA, &code(&by_email, reason)).await;
        let problem = expect_problem(response, 422, "invalid_field").await;
        assert_eq!(problem["field"], "reason");
    }
    // Other actions pass the same guard.
    let unlock = post_as(
        &service,
        &hopper,
        "/v1/help-desk/people/ada/unlock",
        &code("", "x"),
    )
    .await;
    expect_problem(unlock, 403, "caller_not_verified").await;
    let clear = post_as(
        &service,
        &hopper,
        "/v1/help-desk/people/margaret/recovery-pin/clear",
        &code(&by_email, "x"),
    )
    .await;
    expect_problem(clear, 403, "permission_denied").await;
    refusals += 2;

    // Expired: 15 minutes after it was verified.
    service.clock.advance(time::Duration::minutes(15));
    let late = issue(&service, &hopper, ADA, &code(&by_email, "late")).await;
    // hopper's own session ran out too at 15 minutes: sign in again, the old id stays bound to
    // the old session anyway.
    expect_problem(late, 401, "session_expired").await;
    let hopper = hopper_token(&service, 1).await;
    let late = issue(&service, &hopper, ADA, &code(&by_email, "late")).await;
    expect_problem(late, 403, "caller_not_verified").await;
    refusals += 1;

    assert_eq!(state(&service).await, before, "nothing changed");
    let refused = service.audit().await;
    let refused: Vec<_> = refused
        .iter()
        .filter(|r| r.event == "help_desk_action_refused")
        .collect();
    assert_eq!(refused.len() - refused_before, refusals);
    assert!(refused
        .iter()
        .any(|r| r.detail["refusal"] == "caller_verification_too_weak"));
    assert!(refused
        .iter()
        .any(|r| r.detail["refusal"] == "act_on_agents"));
    // margaret (admin) may act on an agent's account.
    let margaret = margaret_token(&service, 1).await;
    let caller = verified_by_email(&service, &margaret, HOPPER).await;
    let issued = issue(
        &service,
        &margaret,
        HOPPER,
        &code(&caller, "hopper's own phone"),
    )
    .await;
    assert_eq!(issued.status(), StatusCode::CREATED);
    service.stop().await;
}

async fn the_agents_hourly_limit_holds(backend: Backend) {
    let service = TestService::start_with(backend, |config| {
        config.help_desk.actions_per_hour = 3;
    })
    .await;
    give_hopper_a_token(&service).await;
    let token = hopper_token(&service, 0).await;
    // A verification by e-mail is one action; two codes are two more.
    let caller = verified_by_email(&service, &token, ADA).await;
    let body = json!({ "caller_verification": caller, "reason": "lost phone" });
    for _ in 0..2 {
        assert_eq!(
            issue(&service, &token, ADA, &body).await.status(),
            StatusCode::CREATED
        );
    }
    let before = state(&service).await;
    let over = issue(&service, &token, ADA, &body).await;
    let problem = expect_problem(over, 429, "limit_reached").await;
    assert!(problem["retry_at"].is_string(), "{problem}");
    assert_eq!(state(&service).await, before);
    let records = service.audit().await;
    assert_eq!(records.last().unwrap().event, "help_desk_action_refused");
    assert_eq!(records.last().unwrap().detail["refusal"], "limit_reached");
    service.clock.advance(time::Duration::minutes(61));
    let hopper = hopper_token(&service, 1).await;
    let caller = verified_by_pin(&service, &hopper, ADA, ADA_DOB, ADA_PIN).await;
    let unlock = post_as(
        &service,
        &hopper,
        "/v1/help-desk/people/ada/unlock",
        &json!({ "caller_verification": caller, "reason": "after the hour" }),
    )
    .await;
    assert_eq!(unlock.status(), StatusCode::OK);
    service.stop().await;
}

async fn fail_sign_ins(service: &TestService, times: usize) {
    for _ in 0..times {
        let _ = service.sign_in(ADA, ADA_PASSWORD, ADA_DOB, "135790").await;
    }
}

async fn unlocking_needs_the_permission_for_the_lock(backend: Backend) {
    let service = TestService::start(backend).await;
    give_hopper_a_token(&service).await;
    let hopper = hopper_token(&service, 0).await;
    let margaret = margaret_token(&service, 0).await;
    fail_sign_ins(&service, 5).await;
    let caller = verified_by_email(&service, &hopper, ADA).await;
    let body = json!({ "caller_verification": caller, "reason": "locked out, ticket 12" });
    let unlocked = post_as(&service, &hopper, "/v1/help-desk/people/ada/unlock", &body).await;
    assert_eq!(unlocked.status(), StatusCode::OK);
    let unlocked: Value = unlocked.json().await.unwrap();
    assert_eq!(unlocked["lifted"], "temporary");
    let records = service.audit().await;
    let record = records
        .iter()
        .rev()
        .find(|r| r.event == "account_unlocked")
        .unwrap();
    assert_eq!(record.detail["lifted"], "temporary");
    assert_eq!(record.detail["help_desk"]["agent"], HOPPER);
    assert_eq!(
        record.detail["help_desk"]["reason"],
        "locked out, ticket 12"
    );
    let notice = newest_to(&service, Channel::Email, ADA_EMAIL).await;
    assert!(
        notice.body.contains("unlocked") && notice.body.contains("agent hopper"),
        "{}",
        notice.body
    );
    assert_eq!(
        service
            .sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN)
            .await
            .status(),
        StatusCode::CREATED
    );

    // Ten failures in a day: locked until the help desk unlocks; only an admin may.
    fail_sign_ins(&service, 5).await;
    service.clock.advance(time::Duration::minutes(16));
    fail_sign_ins(&service, 5).await;
    let hopper = hopper_token(&service, 1).await;
    let record: Value = service
        .get_with("/v1/help-desk/people/ada", &hopper)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(record["lock"]["state"], "until_help_desk");
    let caller = verified_by_email(&service, &hopper, ADA).await;
    let body = json!({ "caller_verification": caller, "reason": "daily lock" });
    let refused = post_as(&service, &hopper, "/v1/help-desk/people/ada/unlock", &body).await;
    expect_problem(refused, 403, "permission_denied").await;
    let margaret = if service
        .get_with("/v1/help-desk/me", &margaret)
        .await
        .status()
        == StatusCode::OK
    {
        margaret
    } else {
        margaret_token(&service, 1).await
    };
    let caller = verified_by_email(&service, &margaret, ADA).await;
    let body = json!({ "caller_verification": caller, "reason": "daily lock" });
    let unlocked = post_as(
        &service,
        &margaret,
        "/v1/help-desk/people/ada/unlock",
        &body,
    )
    .await;
    assert_eq!(unlocked.status(), StatusCode::OK);
    assert_eq!(
        unlocked.json::<Value>().await.unwrap()["lifted"],
        "until_help_desk"
    );
    assert_eq!(
        service
            .sign_in(ADA, ADA_PASSWORD, ADA_DOB, ADA_PIN)
            .await
            .status(),
        StatusCode::CREATED
    );
    service.stop().await;
}

async fn clearing_the_pin_and_removing_a_device(backend: Backend) {
    let service = TestService::start(backend).await;
    give_hopper_a_token(&service).await;
    let hopper = hopper_token(&service, 0).await;
    // Weak verification is enough for both.
    let caller = verified_by_pin(&service, &hopper, ADA, ADA_DOB, ADA_PIN).await;
    let body = json!({ "caller_verification": caller, "reason": "PIN told to a colleague" });
    let cleared = post_as(
        &service,
        &hopper,
        "/v1/help-desk/people/ada/recovery-pin/clear",
        &body,
    )
    .await;
    assert_eq!(cleared.status(), StatusCode::OK);
    assert_eq!(cleared.json::<Value>().await.unwrap()["cleared"], true);
    let records = service.audit().await;
    let record = records
        .iter()
        .rev()
        .find(|r| r.event == "recovery_pin_cleared")
        .unwrap();
    assert_eq!(
        record.detail["help_desk"]["caller_verification"],
        "date_of_birth_and_pin"
    );
    assert_eq!(record.detail["reason"], "PIN told to a colleague");
    let notice = newest_to(&service, Channel::Email, ADA_EMAIL).await;
    assert!(notice.body.contains("agent hopper"), "{}", notice.body);
    let again = post_as(
        &service,
        &hopper,
        "/v1/help-desk/people/ada/recovery-pin/clear",
        &body,
    )
    .await;
    assert_eq!(again.json::<Value>().await.unwrap()["cleared"], false);

    let record: Value = service
        .get_with("/v1/help-desk/people/ada", &hopper)
        .await
        .json()
        .await
        .unwrap();
    let phone = record["authenticators"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/help-desk/people/ada/authenticators/{phone}/removal");
    let body = json!({ "caller_verification": caller, "reason": "stolen on the train", "removal_reason": "stolen" });
    let removed = post_as(&service, &hopper, &path, &body).await;
    assert_eq!(removed.status(), StatusCode::OK);
    let records = service.audit().await;
    let record = records
        .iter()
        .rev()
        .find(|r| r.event == "authenticator_removed")
        .unwrap();
    assert_eq!(record.detail["reason"], "stolen");
    assert_eq!(record.detail["help_desk"]["reason"], "stolen on the train");
    let notice = newest_to(&service, Channel::Email, ADA_EMAIL).await;
    assert!(
        notice.body.contains("removed") && notice.body.contains("agent hopper"),
        "{}",
        notice.body
    );
    let record: Value = service
        .get_with("/v1/help-desk/people/ada", &hopper)
        .await
        .json()
        .await
        .unwrap();
    assert!(record["authenticators"].as_array().unwrap().is_empty());
    let gone = post_as(&service, &hopper, &path, &body).await;
    expect_problem(gone, 404, "not_found").await;
    service.stop().await;
}

async fn parallel_help_desk_codes_leave_one_live(backend: Backend) {
    let service = TestService::start(backend).await;
    give_hopper_a_token(&service).await;
    let token = hopper_token(&service, 0).await;
    let caller = verified_by_email(&service, &token, ADA).await;
    let url = service.url("/v1/help-desk/people/ada/bypass-codes");
    let statuses = crate::support::all_at_once(8, |_| {
        let (http, url, token) = (service.http.clone(), url.clone(), token.clone());
        let body = json!({ "caller_verification": caller, "reason": "parallel" });
        async move {
            let sent = http.post(url).bearer_auth(token).json(&body).send();
            sent.await.unwrap().status()
        }
    })
    .await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::CREATED),
        "{statuses:?}"
    );
    assert_eq!(live_codes(&service, "help_desk").await, 1);
    service.stop().await;
}
