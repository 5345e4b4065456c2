//! Each recovery flow, done at Duo. Device ids carry their kind (`phone:DP…`, `token:DH…`,
//! `webauthn:…`) so removal knows which Duo object it names; every id is checked against the
//! person's own Duo user before anything is changed.

use async_trait::async_trait;
use recovery_api::{
    authenticator::{
        Authenticator, AuthenticatorKind, AuthenticatorStatus, PhoneDetails, PhoneType,
    },
    phone::{CodeDelivery, RemovalReason},
    security_key::{RegisterPublicKeyCredential, RegistrationStarted},
    Secret,
};
use sqlx::Row;
use time::{Duration, OffsetDateTime};

use super::client::{
    AuthStatus, DuoClients, DuoError, DuoPhone, DuoPhoneType, DuoUser, DuoUserRef, Method,
};
use crate::{
    clock::{from_unix, to_unix},
    config::DevicePolicy,
    directory::Person,
    mfa::{
        ActivatedApp, Activation, ActivationTexted, BypassCode, BypassCodeOrigin, IssuedBypassCode,
        MfaProvider, Passcode, PendingPhone, PhoneCheck, ProviderError,
    },
    phone_number::E164Number,
    storage::{Database, UnitOfWork},
};

#[derive(Debug, Clone)]
pub struct DuoProvider {
    duo: DuoClients,
    db: Database,
    policy: DevicePolicy,
}

/// A device id of ours, split into Duo's kind and id.
enum DeviceRef<'a> {
    Phone(&'a str),
    Token(&'a str),
    Webauthn(&'a str),
}

impl<'a> DeviceRef<'a> {
    fn parse(id: &'a str) -> Result<Self, ProviderError> {
        match id.split_once(':') {
            Some(("phone", duo_id)) if !duo_id.is_empty() => Ok(Self::Phone(duo_id)),
            Some(("token", duo_id)) if !duo_id.is_empty() => Ok(Self::Token(duo_id)),
            Some(("webauthn", duo_id)) if !duo_id.is_empty() => Ok(Self::Webauthn(duo_id)),
            _ => Err(ProviderError::NotFound),
        }
    }
}

impl DuoProvider {
    pub fn new(duo: DuoClients, db: Database, policy: DevicePolicy) -> Self {
        Self { duo, db, policy }
    }

    /// Measures the offset to Duo's clock once at start; a failure is logged, not fatal.
    pub async fn sync_clock(&self) {
        match self.duo.sync_clock().await {
            Ok(offset) => tracing::info!(offset_seconds = offset, "Duo clock offset measured"),
            Err(error) => tracing::warn!(%error, "cannot measure Duo's clock offset"),
        }
    }

    /// The person's Duo user; someone Duo does not know has no devices to change.
    async fn user(&self, person: &Person) -> Result<DuoUser, ProviderError> {
        self.duo
            .admin
            .user_by_username(&person.username)
            .await
            .map_err(duo_error)?
            .ok_or(ProviderError::NotFound)
    }

    async fn owned_phone(
        &self,
        person: &Person,
        id: &str,
    ) -> Result<(DuoUser, DuoPhone), ProviderError> {
        let DeviceRef::Phone(phone_id) = DeviceRef::parse(id)? else {
            return Err(ProviderError::NotFound);
        };
        let user = self.user(person).await?;
        let phone = user
            .phones
            .iter()
            .find(|p| p.phone_id == phone_id)
            .cloned()
            .ok_or(ProviderError::NotFound)?;
        Ok((user, phone))
    }

    async fn pending_phone_ids(&self, person: &Person) -> Result<Vec<String>, sqlx::Error> {
        let rows = sqlx::query("SELECT phone_id FROM duo_pending_phones WHERE person_id = $1")
            .bind(&person.id.0)
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(|row| row.try_get("phone_id")).collect()
    }

    /// Takes a phone that was not proven away from the person again, and deletes it when this
    /// service created it and no one else uses it. It undoes a change at Duo, so its local
    /// row goes at once, outside the flow's unit of work (which has not begun when it runs).
    async fn undo_pending(
        &self,
        user_id: &str,
        phone_id: &str,
        created: bool,
    ) -> Result<(), ProviderError> {
        self.duo
            .admin
            .disassociate_phone(user_id, phone_id)
            .await
            .map_err(duo_error)?;
        if created {
            let phone = self.duo.admin.phone(phone_id).await.map_err(duo_error)?;
            if phone.users.is_empty() {
                self.duo
                    .admin
                    .delete_phone(phone_id)
                    .await
                    .map_err(duo_error)?;
            }
        }
        sqlx::query("DELETE FROM duo_pending_phones WHERE phone_id = $1")
            .bind(phone_id)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }
}

#[async_trait]
impl MfaProvider for DuoProvider {
    async fn authenticators(
        &self,
        person: &Person,
        _now: OffsetDateTime,
    ) -> Result<Vec<Authenticator>, ProviderError> {
        let Some(user) = self
            .duo
            .admin
            .user_by_username(&person.username)
            .await
            .map_err(duo_error)?
        else {
            return Ok(Vec::new());
        };
        let pending = self.pending_phone_ids(person).await?;
        let mut devices: Vec<Authenticator> = user
            .phones
            .iter()
            .map(|phone| {
                let status = if pending.contains(&phone.phone_id) {
                    AuthenticatorStatus::Pending
                } else {
                    AuthenticatorStatus::Active
                };
                phone_authenticator(phone, status)
            })
            .collect();
        devices.extend(user.tokens.iter().map(|token| Authenticator {
            id: format!("token:{}", token.token_id),
            kind: AuthenticatorKind::HardwareToken,
            name: format!("Token {}", token.serial),
            status: AuthenticatorStatus::Active,
            phone: None,
            created_at: None,
        }));
        let keys = self
            .duo
            .admin
            .webauthn_credentials(&user.user_id)
            .await
            .map_err(duo_error)?;
        devices.extend(keys.iter().map(|key| Authenticator {
            id: format!("webauthn:{}", key.webauthnkey),
            kind: AuthenticatorKind::SecurityKey,
            name: if key.credential_name.is_empty() {
                key.label.clone()
            } else {
                key.credential_name.clone()
            },
            status: AuthenticatorStatus::Active,
            phone: None,
            created_at: key.date_added.map(from_unix),
        }));
        Ok(devices)
    }

    /// One code, one use, expiring; Duo keeps the help desk's codes (`preserve_existing`). A
    /// self-service code revokes the previous self-service code at Duo.
    ///
    /// Duo makes the code; that cannot join the local transaction. A crash between Duo's
    /// answer and the flow's commit leaves a code at Duo that no one saw and no audit record
    /// names: it was never shown, so no one can use it, and Duo expires it after `valid_for`.
    async fn issue_bypass_code(
        &self,
        _work: &mut UnitOfWork,
        person: &Person,
        origin: BypassCodeOrigin,
        valid_for: Duration,
        now: OffsetDateTime,
    ) -> Result<IssuedBypassCode, ProviderError> {
        let user = self.user(person).await?;
        let seconds = u64::try_from(valid_for.whole_seconds())
            .unwrap_or(600)
            .max(1);
        let code = match origin {
            BypassCodeOrigin::SelfService => {
                super::self_service_codes::issue(
                    &self.duo.admin,
                    &self.db,
                    person,
                    &user.user_id,
                    seconds,
                )
                .await?
            }
            BypassCodeOrigin::HelpDesk => self
                .duo
                .admin
                .create_bypass_code(&user.user_id, seconds)
                .await
                .map_err(duo_error)?,
        };
        Ok(IssuedBypassCode {
            code: BypassCode::from_provider(code),
            expires_at: now + valid_for,
        })
    }

    /// Only for a user Duo holds as `active`: in `bypass` status Duo would accept any code.
    ///
    /// Duo consumes the code; that cannot join the local transaction. A crash between Duo's
    /// answer and the flow's commit leaves the code spent at Duo with no session and no audit
    /// record here: the person was given nothing and asks for a new code.
    async fn redeem_passcode(
        &self,
        _work: &mut UnitOfWork,
        person: &Person,
        passcode: &Passcode,
        _now: OffsetDateTime,
    ) -> Result<bool, ProviderError> {
        let user = match self.user(person).await {
            Ok(user) => user,
            Err(ProviderError::NotFound) => return Ok(false),
            Err(error) => return Err(error),
        };
        if !user.status.eq_ignore_ascii_case("active") {
            tracing::warn!(status = %user.status, "passcode refused: the Duo user is not active");
            return Ok(false);
        }
        self.duo
            .auth
            .passcode_auth(DuoUserRef::UserId(&user.user_id), passcode.digits())
            .await
            .map_err(duo_error)
    }

    async fn add_landline(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        number: &E164Number,
        extension: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<PendingPhone, ProviderError> {
        let user = self.user(person).await?;
        let existing = self
            .duo
            .admin
            .phone_by_number(number.as_str(), extension)
            .await
            .map_err(duo_error)?;
        let (phone, created) = match existing {
            Some(found) if found.users.iter().any(|u| u.user_id == user.user_id) => {
                // Already theirs: a failed proof must not take a working device away.
                return Err(ProviderError::Conflict(
                    "This number is already one of your devices.".to_owned(),
                ));
            }
            Some(found) => {
                let taken =
                    sqlx::query("SELECT person_id FROM duo_pending_phones WHERE phone_id = $1")
                        .bind(&found.phone.phone_id)
                        .fetch_optional(self.db.pool())
                        .await?;
                if taken.is_some() {
                    return Err(ProviderError::Conflict(
                        "This number is being verified by someone else right now. Try again in a few minutes."
                            .to_owned(),
                    ));
                }
                (found.phone, false)
            }
            None => (
                self.duo
                    .admin
                    .create_phone(number.as_str(), extension, DuoPhoneType::Landline)
                    .await
                    .map_err(duo_error)?,
                true,
            ),
        };
        self.duo
            .admin
            .associate_phone(&user.user_id, &phone.phone_id)
            .await
            .map_err(duo_error)?;
        let txid = match self
            .duo
            .auth
            .phone_call_async(DuoUserRef::UserId(&user.user_id), &phone.phone_id)
            .await
        {
            Ok(txid) => txid,
            Err(error) => {
                self.undo_pending(&user.user_id, &phone.phone_id, created)
                    .await?;
                return Err(duo_error(error));
            }
        };
        let expires_at = now + self.policy.verification_time();
        // A crash from here to the flow's commit leaves the phone associated at Duo with no
        // pending row to undo it: the call was placed, and Duo treats the phone as the
        // person's. The audit log then has no `landline_added` for it.
        sqlx::query(
            "INSERT INTO duo_pending_phones (phone_id, person_id, user_id, txid, created_phone, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (phone_id) DO UPDATE SET txid = $4, expires_at = $6",
        )
        .bind(&phone.phone_id)
        .bind(&person.id.0)
        .bind(&user.user_id)
        .bind(&txid)
        .bind(i64::from(created))
        .bind(to_unix(expires_at))
        .execute(work.conn().await?)
        .await?;
        Ok(PendingPhone {
            id: format!("phone:{}", phone.phone_id),
            number_hint: number.hint(),
            expires_at,
            delivery: CodeDelivery::AnswerCall,
        })
    }

    async fn verify_phone(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        phone_id: &str,
        code: Option<&Secret>,
        now: OffsetDateTime,
    ) -> Result<PhoneCheck, ProviderError> {
        if code.is_some() {
            return Err(ProviderError::CodeNotUsed);
        }
        let DeviceRef::Phone(duo_phone_id) = DeviceRef::parse(phone_id)? else {
            return Err(ProviderError::NotFound);
        };
        let row = sqlx::query(
            "SELECT user_id, txid, created_phone, expires_at FROM duo_pending_phones \
             WHERE phone_id = $1 AND person_id = $2",
        )
        .bind(duo_phone_id)
        .bind(&person.id.0)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or(ProviderError::NotFound)?;
        let (user_id, txid): (String, String) = (row.try_get("user_id")?, row.try_get("txid")?);
        let created = row.try_get::<i64, _>("created_phone")? != 0;
        if from_unix(row.try_get("expires_at")?) <= now {
            self.undo_pending(&user_id, duo_phone_id, created).await?;
            return Err(ProviderError::VerificationExpired);
        }
        match self.duo.auth.auth_status(&txid).await.map_err(duo_error)? {
            AuthStatus::Waiting => {
                let (_, phone) = self.owned_phone(person, phone_id).await?;
                Ok(PhoneCheck::Waiting(phone_authenticator(
                    &phone,
                    AuthenticatorStatus::Pending,
                )))
            }
            AuthStatus::Allow => {
                let (_, phone) = self.owned_phone(person, phone_id).await?;
                sqlx::query("DELETE FROM duo_pending_phones WHERE phone_id = $1")
                    .bind(duo_phone_id)
                    .execute(work.conn().await?)
                    .await?;
                Ok(PhoneCheck::Verified(phone_authenticator(
                    &phone,
                    AuthenticatorStatus::Active,
                )))
            }
            AuthStatus::Deny(reason) => {
                tracing::info!(%reason, "Duo verification call denied; the phone is removed again");
                self.undo_pending(&user_id, duo_phone_id, created).await?;
                Err(ProviderError::VerificationExpired)
            }
        }
    }

    async fn create_activation(
        &self,
        _work: &mut UnitOfWork,
        person: &Person,
        phone_id: &str,
        now: OffsetDateTime,
    ) -> Result<Activation, ProviderError> {
        let (_, phone) = self.owned_phone(person, phone_id).await?;
        if phone.r#type.eq_ignore_ascii_case("landline") {
            return Err(ProviderError::NotFound);
        }
        let valid_for = self.policy.activation_time();
        let seconds = u64::try_from(valid_for.whole_seconds()).unwrap_or(600);
        let activation = self
            .duo
            .admin
            .activation_url(&phone.phone_id, seconds, true)
            .await
            .map_err(duo_error)?;
        Ok(Activation {
            url: activation.activation_url,
            expires_at: now + valid_for,
        })
    }

    async fn send_activation_sms(
        &self,
        _work: &mut UnitOfWork,
        person: &Person,
        phone_id: &str,
        now: OffsetDateTime,
    ) -> Result<ActivationTexted, ProviderError> {
        let (_, phone) = self.owned_phone(person, phone_id).await?;
        if phone.r#type.eq_ignore_ascii_case("landline") || phone.number.is_empty() {
            return Err(ProviderError::NotFound);
        }
        let valid_for = self.policy.activation_time();
        let seconds = u64::try_from(valid_for.whole_seconds()).unwrap_or(600);
        self.duo
            .admin
            .send_sms_activation(&phone.phone_id, seconds, true)
            .await
            .map_err(duo_error)?;
        Ok(ActivationTexted {
            expires_at: now + valid_for,
            number_hint: E164Number::from_stored(phone.number.clone()).hint(),
        })
    }

    async fn redeem_activation(
        &self,
        _work: &mut UnitOfWork,
        _code: &Secret,
        _now: OffsetDateTime,
    ) -> Result<ActivatedApp, ProviderError> {
        // Duo's activation links open Duo Mobile directly; they never come back here.
        Err(ProviderError::ActivationInvalid)
    }

    async fn start_security_key_registration(
        &self,
        _work: &mut UnitOfWork,
        _person: &Person,
        _now: OffsetDateTime,
    ) -> Result<RegistrationStarted, ProviderError> {
        Err(ProviderError::Unsupported(
            "registering security keys here; add one in Duo's device management portal",
        ))
    }

    async fn finish_security_key_registration(
        &self,
        _work: &mut UnitOfWork,
        _person: &Person,
        _registration_id: &str,
        _name: &str,
        _credential: &RegisterPublicKeyCredential,
        _now: OffsetDateTime,
    ) -> Result<Authenticator, ProviderError> {
        Err(ProviderError::Unsupported(
            "registering security keys here; add one in Duo's device management portal",
        ))
    }

    async fn rename_authenticator(
        &self,
        _work: &mut UnitOfWork,
        _person: &Person,
        _id: &str,
        _name: &str,
    ) -> Result<Authenticator, ProviderError> {
        Err(ProviderError::Unsupported("renaming devices here"))
    }

    async fn resync_hardware_token(
        &self,
        _work: &mut UnitOfWork,
        person: &Person,
        id: &str,
        codes: &[Secret],
    ) -> Result<Authenticator, ProviderError> {
        let DeviceRef::Token(token_id) = DeviceRef::parse(id)? else {
            return Err(ProviderError::NotFound);
        };
        let [first, second, third] = codes else {
            return Err(ProviderError::ThreeCodesNeeded);
        };
        let user = self.user(person).await?;
        let token = user
            .tokens
            .iter()
            .find(|t| t.token_id == token_id)
            .ok_or(ProviderError::NotFound)?;
        let codes = [first.clone(), second.clone(), third.clone()];
        match self.duo.admin.resync_token(token_id, &codes).await {
            Ok(()) => {}
            Err(DuoError::BadRequest { .. }) => return Err(ProviderError::ResyncFailed),
            Err(error) => return Err(duo_error(error)),
        }
        Ok(Authenticator {
            id: id.to_owned(),
            kind: AuthenticatorKind::HardwareToken,
            name: format!("Token {}", token.serial),
            status: AuthenticatorStatus::Active,
            phone: None,
            created_at: None,
        })
    }

    /// Phones are disassociated, then deleted when no one else uses them; tokens are taken
    /// from the person; security keys are deleted.
    async fn remove_authenticator(
        &self,
        work: &mut UnitOfWork,
        person: &Person,
        id: &str,
        _reason: RemovalReason,
        _now: OffsetDateTime,
    ) -> Result<Authenticator, ProviderError> {
        let user = self.user(person).await?;
        let removed = self
            .authenticators(person, OffsetDateTime::now_utc())
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or(ProviderError::NotFound)?;
        match DeviceRef::parse(id)? {
            DeviceRef::Phone(phone_id) => {
                self.duo
                    .admin
                    .disassociate_phone(&user.user_id, phone_id)
                    .await
                    .map_err(duo_error)?;
                let phone = self.duo.admin.phone(phone_id).await.map_err(duo_error)?;
                if phone.users.is_empty() {
                    self.duo
                        .admin
                        .delete_phone(phone_id)
                        .await
                        .map_err(duo_error)?;
                }
                sqlx::query("DELETE FROM duo_pending_phones WHERE phone_id = $1")
                    .bind(phone_id)
                    .execute(work.conn().await?)
                    .await?;
            }
            DeviceRef::Token(token_id) => {
                let path = format!("/admin/v1/users/{}/tokens/{}", user.user_id, token_id);
                self.duo
                    .admin
                    .client()
                    .call(Method::DELETE, &path, &[])
                    .await
                    .map_err(duo_error)?;
            }
            DeviceRef::Webauthn(key) => {
                self.duo
                    .admin
                    .delete_webauthn(key)
                    .await
                    .map_err(duo_error)?;
            }
        }
        Ok(Authenticator {
            status: AuthenticatorStatus::Disabled,
            ..removed
        })
    }
}

fn phone_authenticator(phone: &DuoPhone, status: AuthenticatorStatus) -> Authenticator {
    let landline = phone.r#type.eq_ignore_ascii_case("landline");
    let name = if !phone.name.is_empty() {
        phone.name.clone()
    } else if landline {
        "Landline".to_owned()
    } else {
        "Phone".to_owned()
    };
    Authenticator {
        id: format!("phone:{}", phone.phone_id),
        kind: AuthenticatorKind::Phone,
        name,
        status,
        phone: Some(PhoneDetails {
            number_hint: E164Number::from_stored(phone.number.clone()).hint(),
            phone_type: if landline {
                PhoneType::Landline
            } else {
                PhoneType::Mobile
            },
            // Duo writes "Apple iOS" in answers and takes "apple ios" in requests.
            platform: match phone.platform.to_ascii_lowercase().as_str() {
                "apple ios" => Some("ios".to_owned()),
                "google android" => Some("android".to_owned()),
                _ => None,
            },
            app_activated: phone.activated,
        }),
        created_at: None,
    }
}

/// Duo's failures, as the person's next step needs them; Duo's own words stay in the log.
impl From<super::self_service_codes::SelfServiceCodeError> for ProviderError {
    fn from(error: super::self_service_codes::SelfServiceCodeError) -> Self {
        match error {
            super::self_service_codes::SelfServiceCodeError::Duo(error) => duo_error(error),
            super::self_service_codes::SelfServiceCodeError::Storage(error) => Self::Storage(error),
        }
    }
}

fn duo_error(error: DuoError) -> ProviderError {
    match error {
        DuoError::Misconfigured { .. } | DuoError::Forbidden { .. } | DuoError::InvalidInput(_) => {
            tracing::error!(%error, "Duo refused the service's configuration");
            ProviderError::Misconfigured(error.to_string())
        }
        DuoError::NotFound { .. } => ProviderError::NotFound,
        DuoError::BadRequest { code, ref message } => {
            tracing::warn!(code, %message, "Duo refused a request");
            ProviderError::Unavailable(error.to_string())
        }
        DuoError::RateLimited | DuoError::Unavailable(_) | DuoError::Protocol(_) => {
            tracing::warn!(%error, "Duo is not answering as expected");
            ProviderError::Unavailable(error.to_string())
        }
    }
}
