pub mod activations;
pub mod authenticators;
pub mod demo;
pub mod enrolments;
pub mod hardware_tokens;
pub mod health;
pub mod help_desk;
pub mod kiosks;
pub mod me;
pub mod phones;
pub mod recovery_pin;
pub mod security_keys;
pub mod sessions;

use axum::{extract::State, Json};

use super::{openapi::ApiDoc, problem::ApiError};
use crate::app::App;

pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// The OpenAPI document of this API (also committed as `openapi.json`; a demo service adds
/// its demo routes).
#[utoipa::path(get, path = "/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_document(State(app): State<App>) -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::document_for(app.demo))
}
