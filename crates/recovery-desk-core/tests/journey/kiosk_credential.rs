//! The kiosk credential's round trip through a real OS keyring: the kernel's keyutils, which
//! works headless (chosen explicitly; the default on a desktop is the Secret Service).
//!
//! keyring's own keyutils builder also links each key into the user's persistent keyring; in
//! containers that keyring often belongs to another user namespace and refuses the link. The
//! builder here is the same store with the session keyring only.

use recovery_api::Secret;
use recovery_desk_core::kiosk_credential::{self, KioskCredentialStore, KioskError};
use url::Url;

use crate::support::demo;

#[tokio::test]
async fn enrollment_stores_the_credential_in_the_keyring_until_forgotten() {
    keyring::set_default_credential_builder(Box::new(SessionKeyutils));
    let demo = demo().await;
    let url = Url::parse(&demo.service.url()).unwrap();
    let (_, token) =
        recovery_server::flows::kiosk::create_enrollment(demo.service.app(), "Help Desk Kiosk 2")
            .await
            .unwrap();
    let store = KioskCredentialStore::for_service(&url).unwrap();
    store.forget().unwrap();
    assert!(store.load().unwrap().is_none());

    let refused = kiosk_credential::enroll(&url, Secret::new("not-a-token"), &store).await;
    assert!(matches!(refused, Err(KioskError::Service(_))));
    assert!(
        store.load().unwrap().is_none(),
        "a refused enrollment stores nothing"
    );
    assert!(matches!(
        kiosk_credential::enroll(&url, Secret::new("  "), &store).await,
        Err(KioskError::EmptyToken)
    ));

    let enrolled = kiosk_credential::enroll(&url, token.clone(), &store)
        .await
        .unwrap();
    assert_eq!(enrolled.name, "Help Desk Kiosk 2");
    let loaded = KioskCredentialStore::for_service(&url)
        .unwrap()
        .load()
        .unwrap()
        .unwrap();
    assert_eq!(loaded.kiosk_id, enrolled.kiosk_id);
    assert_eq!(loaded.credential.expose(), enrolled.credential.expose());
    assert!(!format!("{loaded:?}").contains(loaded.credential.expose()));

    // The token was for one use.
    let again = kiosk_credential::enroll(&url, token, &store).await;
    assert!(matches!(again, Err(KioskError::Service(_))));
    assert!(
        store.load().unwrap().is_some(),
        "a refused second enrollment keeps the first"
    );

    // The service knows the kiosk by its credential.
    let kiosk = demo
        .service
        .app()
        .kiosks
        .identify(&loaded.credential)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kiosk.name, "Help Desk Kiosk 2");

    assert!(store.forget().unwrap());
    assert!(store.load().unwrap().is_none());
    assert!(!store.forget().unwrap());
}

#[derive(Debug)]
struct SessionKeyutils;

impl keyring::credential::CredentialBuilderApi for SessionKeyutils {
    fn build(
        &self,
        _target: Option<&str>,
        service: &str,
        user: &str,
    ) -> keyring::Result<Box<keyring::credential::Credential>> {
        let session = linux_keyutils::KeyRing::from_special_id(
            linux_keyutils::KeyRingIdentifier::Session,
            false,
        )
        .map_err(|e| keyring::Error::PlatformFailure(Box::new(e)))?;
        Ok(Box::new(keyring::keyutils::KeyutilsCredential {
            session,
            persistent: None,
            description: format!("recovery-desk-test:{user}@{service}"),
        }))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
