//! The Admin API calls the Duo provider needs: find a user and their devices, issue one
//! bypass code, add or remove a phone, (re)activate Duo Mobile, resync a token, remove a
//! security key. All are v2-signed query strings or form bodies: none of them takes JSON.
//! Duo's Admin API application needs "Grant read resource" and "Grant write resource".

use recovery_api::Secret;
use reqwest::Method;

use crate::objects::{
    DuoActivation, DuoBypassCodeMeta, DuoPhone, DuoPhoneType, DuoPhoneWithUsers, DuoUser,
    DuoWebauthn,
};

use crate::{envelope::decode, DuoClient, DuoError};

/// The Admin API application's client.
#[derive(Debug, Clone)]
pub struct DuoAdmin {
    client: DuoClient,
}

impl DuoAdmin {
    pub(crate) fn new(client: DuoClient) -> Self {
        Self { client }
    }

    /// The raw signed client, for calls not wrapped here.
    pub fn client(&self) -> &DuoClient {
        &self.client
    }

    /// `GET /admin/v1/users?username=`. Duo also matches aliases, so the user's `username`
    /// may differ from the one asked for.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<DuoUser>, DuoError> {
        // An empty filter would list every user.
        if username.is_empty() {
            return Err(DuoError::InvalidInput("an empty username"));
        }
        let users: Vec<DuoUser> = decode(
            self.client
                .call(Method::GET, "/admin/v1/users", &[("username", username)])
                .await?,
            "users",
        )?;
        at_most_one(users, "users")
    }

    /// `GET /admin/v1/users/[user_id]/webauthncredentials`. One call: Duo holds at most 100
    /// per user, and paging parameters are documented only for the account-wide list.
    pub async fn webauthn_credentials(&self, user_id: &str) -> Result<Vec<DuoWebauthn>, DuoError> {
        let path = format!("/admin/v1/users/{}/webauthncredentials", id(user_id)?);
        decode(
            self.client.call(Method::GET, &path, &[]).await?,
            "webauthncredentials",
        )
    }

    /// `POST /admin/v1/users/[user_id]/bypass_codes` with `count=1`, `reuse_count=1`,
    /// `preserve_existing=true`: Duo's defaults would issue 10 codes that never expire and
    /// wipe the ones the help desk gave out. `valid_secs=0` means "never expires" to Duo, so
    /// it is refused here. The code can be read only now.
    pub async fn create_bypass_code(
        &self,
        user_id: &str,
        valid_secs: u64,
    ) -> Result<Secret, DuoError> {
        if valid_secs == 0 {
            return Err(DuoError::InvalidInput(
                "a bypass code must expire (valid_secs 0 means never)",
            ));
        }
        let path = format!("/admin/v1/users/{}/bypass_codes", id(user_id)?);
        let valid_secs = valid_secs.to_string();
        let codes: Vec<Secret> = decode(
            self.client
                .call(
                    Method::POST,
                    &path,
                    &[
                        ("count", "1"),
                        ("reuse_count", "1"),
                        ("preserve_existing", "true"),
                        ("valid_secs", &valid_secs),
                    ],
                )
                .await?,
            "bypass_codes",
        )?;
        let mut codes = codes.into_iter();
        match (codes.next(), codes.next()) {
            (Some(code), None) if !code.expose().is_empty() => Ok(code),
            _ => Err(DuoError::Protocol(
                "bypass_codes did not answer exactly one code".to_owned(),
            )),
        }
    }

    /// `GET /admin/v1/users/[user_id]/bypass_codes`: the ids of the user's live codes (Duo
    /// never lists the codes themselves). One page: Duo holds at most 100 codes per user.
    pub async fn bypass_code_ids(&self, user_id: &str) -> Result<Vec<String>, DuoError> {
        let path = format!("/admin/v1/users/{}/bypass_codes", id(user_id)?);
        let codes: Vec<DuoBypassCodeMeta> = decode(
            self.client
                .call(Method::GET, &path, &[("limit", "100")])
                .await?,
            "bypass_codes",
        )?;
        Ok(codes.into_iter().map(|c| c.bypass_code_id).collect())
    }

    /// `DELETE /admin/v1/bypass_codes/[bypass_code_id]`: the code stops working at once. A code
    /// already gone (used, expired, deleted) is no error.
    pub async fn delete_bypass_code(&self, bypass_code_id: &str) -> Result<(), DuoError> {
        let path = format!("/admin/v1/bypass_codes/{}", id(bypass_code_id)?);
        match self.client.call(Method::DELETE, &path, &[]).await {
            Ok(_) | Err(DuoError::NotFound { .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// `GET /admin/v1/phones?number=&extension=`: creating a number that exists fails with
    /// 40003, so look it up first.
    pub async fn phone_by_number(
        &self,
        number: &str,
        extension: Option<&str>,
    ) -> Result<Option<DuoPhoneWithUsers>, DuoError> {
        // An empty filter would list every phone.
        if number.is_empty() {
            return Err(DuoError::InvalidInput("an empty phone number"));
        }
        let mut params = vec![("number", number)];
        if let Some(extension) = extension.filter(|e| !e.is_empty()) {
            params.push(("extension", extension));
        }
        let phones: Vec<DuoPhoneWithUsers> = decode(
            self.client
                .call(Method::GET, "/admin/v1/phones", &params)
                .await?,
            "phones",
        )?;
        at_most_one(phones, "phones")
    }

    /// `POST /admin/v1/phones`. `number` in E.164 (without `+` Duo assumes +1).
    pub async fn create_phone(
        &self,
        number: &str,
        extension: Option<&str>,
        phone_type: DuoPhoneType,
    ) -> Result<DuoPhone, DuoError> {
        let mut params = vec![("number", number)];
        if let Some(extension) = extension.filter(|e| !e.is_empty()) {
            params.push(("extension", extension));
        }
        match phone_type {
            DuoPhoneType::Landline => params.push(("type", "landline")),
            DuoPhoneType::Mobile => {
                params.push(("type", "mobile"));
                params.push(("platform", "generic smartphone"));
            }
        }
        decode(
            self.client
                .call(Method::POST, "/admin/v1/phones", &params)
                .await?,
            "phone",
        )
    }

    /// `POST /admin/v1/users/[user_id]/phones` with `phone_id`.
    pub async fn associate_phone(&self, user_id: &str, phone_id: &str) -> Result<(), DuoError> {
        let path = format!("/admin/v1/users/{}/phones", id(user_id)?);
        self.client
            .call(Method::POST, &path, &[("phone_id", id(phone_id)?)])
            .await?;
        Ok(())
    }

    /// `DELETE /admin/v1/users/[user_id]/phones/[phone_id]`: the user loses the phone; other
    /// users keep it. The safe "remove a lost device".
    pub async fn disassociate_phone(&self, user_id: &str, phone_id: &str) -> Result<(), DuoError> {
        let path = format!("/admin/v1/users/{}/phones/{}", id(user_id)?, id(phone_id)?);
        self.client.call(Method::DELETE, &path, &[]).await?;
        Ok(())
    }

    /// `GET /admin/v1/phones/[phone_id]`, with the users who share it.
    pub async fn phone(&self, phone_id: &str) -> Result<DuoPhoneWithUsers, DuoError> {
        let path = format!("/admin/v1/phones/{}", id(phone_id)?);
        decode(self.client.call(Method::GET, &path, &[]).await?, "phone")
    }

    /// `DELETE /admin/v1/phones/[phone_id]`: removes the phone from every user. Check
    /// [`Self::phone`]'s `users` first.
    pub async fn delete_phone(&self, phone_id: &str) -> Result<(), DuoError> {
        let path = format!("/admin/v1/phones/{}", id(phone_id)?);
        self.client.call(Method::DELETE, &path, &[]).await?;
        Ok(())
    }

    /// `POST /admin/v1/phones/[phone_id]/activation_url`. Duo refuses a phone whose type or
    /// platform is unknown. `install` is sent as Duo's `1`/`0`.
    pub async fn activation_url(
        &self,
        phone_id: &str,
        valid_secs: u64,
        install: bool,
    ) -> Result<DuoActivation, DuoError> {
        let path = format!("/admin/v1/phones/{}/activation_url", id(phone_id)?);
        let valid_secs = valid_secs.to_string();
        decode(
            self.client
                .call(
                    Method::POST,
                    &path,
                    &[("valid_secs", &valid_secs), ("install", flag(install))],
                )
                .await?,
            "activation_url",
        )
    }

    /// `POST /admin/v1/phones/[phone_id]/send_sms_activation`: Duo texts the link (and, with
    /// `install`, an install link first) with its own default wording.
    pub async fn send_sms_activation(
        &self,
        phone_id: &str,
        valid_secs: u64,
        install: bool,
    ) -> Result<(), DuoError> {
        let path = format!("/admin/v1/phones/{}/send_sms_activation", id(phone_id)?);
        let valid_secs = valid_secs.to_string();
        self.client
            .call(
                Method::POST,
                &path,
                &[("valid_secs", &valid_secs), ("install", flag(install))],
            )
            .await?;
        Ok(())
    }

    /// `POST /admin/v1/tokens/[token_id]/resync` with three successive codes. HOTP and
    /// D-100 tokens only; Duo scans ahead for the counter.
    pub async fn resync_token(&self, token_id: &str, codes: &[Secret; 3]) -> Result<(), DuoError> {
        let path = format!("/admin/v1/tokens/{}/resync", id(token_id)?);
        let [code1, code2, code3] = codes;
        self.client
            .call(
                Method::POST,
                &path,
                &[
                    ("code1", code1.expose()),
                    ("code2", code2.expose()),
                    ("code3", code3.expose()),
                ],
            )
            .await?;
        Ok(())
    }

    /// `DELETE /admin/v1/webauthncredentials/[webauthnkey]`.
    pub async fn delete_webauthn(&self, webauthnkey: &str) -> Result<(), DuoError> {
        let path = format!("/admin/v1/webauthncredentials/{}", id(webauthnkey)?);
        self.client.call(Method::DELETE, &path, &[]).await?;
        Ok(())
    }
}

/// Duo's ids (`DU…`, `DP…`, `DH…`, `WA…`) go into paths: anything but letters, digits, `-`
/// and `_` could reach another endpoint, so it is refused.
fn id(value: &str) -> Result<&str, DuoError> {
    if !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(value)
    } else {
        Err(DuoError::InvalidInput("not a Duo object id"))
    }
}

fn flag(value: bool) -> &'static str {
    if value {
        "1"
    } else {
        "0"
    }
}

fn at_most_one<T>(items: Vec<T>, what: &str) -> Result<Option<T>, DuoError> {
    let mut items = items.into_iter();
    match (items.next(), items.next()) {
        (first, None) => Ok(first),
        _ => Err(DuoError::Protocol(format!(
            "a {what} lookup matched more than one"
        ))),
    }
}
