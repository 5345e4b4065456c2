//! The embedded default: with no service configured, the app runs the recovery service
//! in-process on 127.0.0.1 with the demo directory, and messages go to the demo inbox.

pub use recovery_server::embedded::{DemoService, EmbeddedError};
use url::Url;

use crate::service_client::{ClientError, ServiceClient};

#[derive(Debug, thiserror::Error)]
pub enum DemoStartError {
    #[error("the demo service did not start: {0}")]
    Service(#[from] EmbeddedError),
    #[error("the demo service's address is not a URL")]
    Address,
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// Starts the demo service on a free loopback port, with a client for it. The database lives
/// in a temporary folder, or in `data_dir` when given (end-to-end tests reach it there).
pub async fn start_demo(
    data_dir: Option<&std::path::Path>,
) -> Result<(DemoService, ServiceClient), DemoStartError> {
    let service = DemoService::start_on_loopback(data_dir).await?;
    let base = Url::parse(&service.url()).map_err(|_| DemoStartError::Address)?;
    let client = ServiceClient::new(base, None)?;
    Ok((service, client))
}
