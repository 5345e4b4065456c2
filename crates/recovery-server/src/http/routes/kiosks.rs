use axum::{extract::State, http::StatusCode, Json};
use recovery_api::{
    kiosk::{EnrollKiosk, KioskEnrolled},
    Problem,
};

use crate::{
    app::App,
    flows,
    http::{
        extract::{JsonBody, RequestClient},
        problem::ApiError,
    },
};

/// Trade a one-time enrollment token for this kiosk's credential.
#[utoipa::path(post, path = "/v1/kiosks/enrollments", tag = "kiosks",
    params(RequestClient),
    request_body = EnrollKiosk,
    responses(
        (status = 201, description = "Enrolled; keep the credential in the OS keyring", body = KioskEnrolled),
        (status = 401, description = "`enrollment_token_invalid`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn enroll(
    State(app): State<App>,
    RequestClient(client): RequestClient,
    JsonBody(request): JsonBody<EnrollKiosk>,
) -> Result<(StatusCode, Json<KioskEnrolled>), ApiError> {
    let (kiosk, credential) =
        flows::kiosk::enroll(&app, &client, &request.enrollment_token).await?;
    let body = KioskEnrolled {
        kiosk_id: kiosk.id,
        name: kiosk.name,
        credential,
    };
    Ok((StatusCode::CREATED, Json(body)))
}
