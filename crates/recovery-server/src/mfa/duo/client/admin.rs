//! The Admin API calls the Duo provider needs: find a user and their devices, issue one
//! bypass code, add or remove a phone, (re)activate Duo Mobile, resync a token, remove a
//! security key. All are v2-signed query strings or form bodies: none of them takes JSON.
//! Duo's Admin API application needs "Grant read resource" and "Grant write resource".

use recovery_api::Secret;
use reqwest::Method;
use serde::{Deserialize, Deserializer};

use super::{transport::decode, DuoClient, DuoError};

/// A Duo user with the devices the provider lists.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DuoUser {
    pub user_id: String,
    pub username: String,
    /// `active`, `bypass`, `disabled` or `locked out`. A user in `bypass` passes every Duo
    /// check, so a passcode "accepted" for them proves nothing.
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub phones: Vec<DuoPhone>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tokens: Vec<DuoToken>,
}

/// What Duo lists of a bypass code: never the code.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct DuoBypassCodeMeta {
    bypass_code_id: String,
}

/// A phone: a smartphone with Duo Mobile, a mobile for SMS, or a landline for calls.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DuoPhone {
    /// `DP…`
    pub phone_id: String,
    /// E.164; empty for a tablet.
    #[serde(default, deserialize_with = "null_as_default")]
    pub number: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub extension: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    /// `mobile`, `landline` or `unknown`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub r#type: String,
    /// `apple ios`, `google android`, `generic smartphone`, … or `unknown`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub platform: String,
    /// Duo Mobile is activated on it.
    #[serde(default, deserialize_with = "null_as_default")]
    pub activated: bool,
    /// `auto`, `push`, `sms`, `phone`, `mobile_otp`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub capabilities: Vec<String>,
}

/// A phone and everyone it belongs to: Duo shares one phone among up to 100 users, so
/// deleting it would take it from all of them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DuoPhoneWithUsers {
    #[serde(flatten)]
    pub phone: DuoPhone,
    #[serde(default, deserialize_with = "null_as_default")]
    pub users: Vec<DuoPhoneUser>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DuoPhoneUser {
    pub user_id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub username: String,
}

/// A hardware OTP token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DuoToken {
    /// `DH…`
    pub token_id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub serial: String,
    /// `h6`, `h8` (HOTP), `t6`, `t8` (TOTP), `yk` (YubiKey AES), `d1` (Duo D-100).
    #[serde(default, deserialize_with = "null_as_default")]
    pub r#type: String,
}

/// A WebAuthn credential (security key or platform authenticator).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DuoWebauthn {
    pub webauthnkey: String,
    /// What the user called it, e.g. "Touch ID".
    #[serde(default, deserialize_with = "null_as_default")]
    pub credential_name: String,
    /// Duo's kind, e.g. "Security Key".
    #[serde(default, deserialize_with = "null_as_default")]
    pub label: String,
    /// Unix seconds.
    #[serde(default)]
    pub date_added: Option<i64>,
}

/// A Duo Mobile activation link. The link itself is a credential: whoever opens it first
/// becomes the phone, and reactivating kills the old Duo Mobile credentials.
#[derive(Debug, Deserialize)]
pub struct DuoActivation {
    pub activation_url: Secret,
    /// Present when `install` was asked for.
    #[serde(default)]
    pub installation_url: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub valid_secs: u64,
}

/// What kind of phone to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuoPhoneType {
    /// Calls only.
    Landline,
    /// Created as a `generic smartphone`; Duo detects the platform on activation.
    Mobile,
}

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

/// Duo sends `null` for some empty fields.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fake::{FakeDuo, Reply};
    use super::*;

    #[tokio::test]
    async fn user_by_username_reads_phones_and_tokens() {
        let fake = FakeDuo::start().await;
        fake.reply(Reply::ok(json!([{
            "user_id": "DU3RP9I2WOC59VZX672N",
            "username": "jdoe",
            "status": "active",
            "phones": [{
                "phone_id": "DPFZRS9FB0D46QFTM891",
                "number": "+15555550100",
                "extension": "",
                "name": "",
                "type": "mobile",
                "platform": "apple ios",
                "activated": true,
                "capabilities": ["auto", "push", "sms", "phone", "mobile_otp"],
                "last_seen": null
            }, {
                "phone_id": "DPLANDLINE0000000001",
                "number": "+15555550111",
                "extension": null,
                "name": null,
                "type": "landline",
                "platform": "unknown",
                "activated": false,
                "capabilities": ["phone"]
            }],
            "tokens": [{"token_id": "DHIZ34ALBA2445ND4AI2", "serial": "0", "type": "h6", "totp_step": null}],
            "webauthncredentials": []
        }])));
        let clients = fake.clients();
        let user = clients
            .admin
            .user_by_username("jdoe")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(user.user_id, "DU3RP9I2WOC59VZX672N");
        assert_eq!(user.phones.len(), 2);
        assert!(user.phones[0].activated);
        assert_eq!(user.phones[0].capabilities.len(), 5);
        assert_eq!(user.phones[1].r#type, "landline");
        assert_eq!(user.phones[1].extension, "");
        assert_eq!(user.tokens[0].r#type, "h6");
        let seen = fake.seen();
        assert_eq!(seen[0].method, "GET");
        assert_eq!(seen[0].path, "/admin/v1/users");
        assert_eq!(seen[0].query.as_deref(), Some("username=jdoe"));
        assert_eq!(seen[0].signed_by.as_deref(), Some(FakeDuo::ADMIN_IKEY));

        fake.reply(Reply::ok(json!([])));
        assert!(clients
            .admin
            .user_by_username("nobody")
            .await
            .unwrap()
            .is_none());
        assert!(matches!(
            clients.admin.user_by_username("").await,
            Err(DuoError::InvalidInput(_))
        ));
    }

    #[tokio::test]
    async fn a_bypass_code_is_one_expiring_single_use_code_that_keeps_the_others() {
        let fake = FakeDuo::start().await;
        fake.reply(Reply::ok(json!(["016931781"])));
        let clients = fake.clients();
        let code = clients
            .admin
            .create_bypass_code("DU3RP9I2WOC59VZX672N", 900)
            .await
            .unwrap();
        // Leading zeros are kept.
        assert_eq!(code.expose(), "016931781");
        let seen = fake.seen();
        assert_eq!(seen[0].method, "POST");
        assert_eq!(
            seen[0].path,
            "/admin/v1/users/DU3RP9I2WOC59VZX672N/bypass_codes"
        );
        assert_eq!(
            seen[0].body,
            "count=1&preserve_existing=true&reuse_count=1&valid_secs=900"
        );
        assert_eq!(
            seen[0].content_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        assert!(matches!(
            clients.admin.create_bypass_code("DU1", 0).await,
            Err(DuoError::InvalidInput(_))
        ));

        // A shape error never quotes the codes.
        fake.reply(Reply::ok(json!(["111111111", "222222222"])));
        let error = clients
            .admin
            .create_bypass_code("DU1", 60)
            .await
            .unwrap_err();
        assert!(matches!(error, DuoError::Protocol(_)));
        assert!(!format!("{error} {error:?}").contains("111111111"));
        fake.reply(Reply::ok(json!([123456789])));
        let error = clients
            .admin
            .create_bypass_code("DU1", 60)
            .await
            .unwrap_err();
        assert!(
            !format!("{error} {error:?}").contains("123456789"),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn phones_are_created_looked_up_associated_and_removed() {
        let fake = FakeDuo::start().await;
        let clients = fake.clients();
        let admin = &clients.admin;

        fake.reply(Reply::ok(json!({
            "phone_id": "DPNEW000000000000001", "number": "+12015550123", "extension": "77",
            "name": "", "type": "landline", "platform": "unknown", "activated": false,
            "capabilities": ["phone"], "users": []
        })));
        let phone = admin
            .create_phone("+12015550123", Some("77"), DuoPhoneType::Landline)
            .await
            .unwrap();
        assert_eq!(phone.phone_id, "DPNEW000000000000001");

        fake.reply(Reply::ok(json!("")));
        admin
            .associate_phone("DU3RP9I2WOC59VZX672N", "DPNEW000000000000001")
            .await
            .unwrap();

        fake.reply(Reply::ok(json!({
            "phone_id": "DPNEW000000000000001", "number": "+12015550123",
            "type": "landline", "platform": "unknown", "activated": false, "capabilities": [],
            "users": [{"user_id": "DU3RP9I2WOC59VZX672N", "username": "jdoe"},
                      {"user_id": "DUOTHER0000000000001", "username": "other"}]
        })));
        let shared = admin.phone("DPNEW000000000000001").await.unwrap();
        assert_eq!(shared.users.len(), 2);
        assert_eq!(shared.phone.number, "+12015550123");

        fake.reply(Reply::ok(json!([])));
        assert!(admin
            .phone_by_number("+12015550199", None)
            .await
            .unwrap()
            .is_none());

        fake.reply(Reply::ok(json!("")));
        admin
            .disassociate_phone("DU3RP9I2WOC59VZX672N", "DPNEW000000000000001")
            .await
            .unwrap();
        fake.reply(Reply::ok(json!("")));
        admin.delete_phone("DPNEW000000000000001").await.unwrap();

        let seen = fake.seen();
        let calls: Vec<(&str, &str, &str)> = seen
            .iter()
            .map(|s| {
                (
                    s.method.as_str(),
                    s.path.as_str(),
                    s.query.as_deref().unwrap_or(s.body.as_str()),
                )
            })
            .collect();
        assert_eq!(
            calls,
            [
                (
                    "POST",
                    "/admin/v1/phones",
                    "extension=77&number=%2B12015550123&type=landline"
                ),
                (
                    "POST",
                    "/admin/v1/users/DU3RP9I2WOC59VZX672N/phones",
                    "phone_id=DPNEW000000000000001"
                ),
                ("GET", "/admin/v1/phones/DPNEW000000000000001", ""),
                ("GET", "/admin/v1/phones", "number=%2B12015550199"),
                (
                    "DELETE",
                    "/admin/v1/users/DU3RP9I2WOC59VZX672N/phones/DPNEW000000000000001",
                    ""
                ),
                ("DELETE", "/admin/v1/phones/DPNEW000000000000001", ""),
            ]
        );
        assert!(seen.iter().all(|s| s.signed_by.is_some()));
    }

    #[tokio::test]
    async fn activation_sends_install_as_one_or_zero_and_keeps_the_link_secret() {
        let fake = FakeDuo::start().await;
        let clients = fake.clients();
        fake.reply(Reply::ok(json!({
            "activation_barcode": "https://api-abcdef.duosecurity.com/frame/qr?value=duo%3A%2F%2Factivation-code",
            "activation_url": "https://m-abcdef.duosecurity.com/iphone/7dmi4Oowz5g3J47FARLs",
            "installation_url": "https://m-abcdef.duosecurity.com/iphone",
            "valid_secs": 3600
        })));
        let activation = clients
            .admin
            .activation_url("DPFZRS9FB0D46QFTM891", 3600, true)
            .await
            .unwrap();
        assert_eq!(
            activation.activation_url.expose(),
            "https://m-abcdef.duosecurity.com/iphone/7dmi4Oowz5g3J47FARLs"
        );
        assert!(!format!("{activation:?}").contains("7dmi4Oowz5g3J47FARLs"));
        assert_eq!(activation.valid_secs, 3600);
        fake.reply(Reply::ok(json!({"activation_msg": "…", "valid_secs": 600})));
        clients
            .admin
            .send_sms_activation("DPFZRS9FB0D46QFTM891", 600, false)
            .await
            .unwrap();
        let seen = fake.seen();
        assert_eq!(
            seen[0].path,
            "/admin/v1/phones/DPFZRS9FB0D46QFTM891/activation_url"
        );
        assert_eq!(seen[0].body, "install=1&valid_secs=3600");
        assert_eq!(
            seen[1].path,
            "/admin/v1/phones/DPFZRS9FB0D46QFTM891/send_sms_activation"
        );
        assert_eq!(seen[1].body, "install=0&valid_secs=600");
    }

    #[tokio::test]
    async fn tokens_and_security_keys() {
        let fake = FakeDuo::start().await;
        let clients = fake.clients();
        fake.reply(Reply::ok(json!("")));
        clients
            .admin
            .resync_token(
                "DHIZ34ALBA2445ND4AI2",
                &[
                    Secret::new("123456"),
                    Secret::new("234567"),
                    Secret::new("345678"),
                ],
            )
            .await
            .unwrap();
        fake.reply(Reply::ok(json!([{
            "webauthnkey": "WABFEOE007ZMV1QAZTRB",
            "credential_name": "Touch ID",
            "label": "Security Key",
            "date_added": 1550685154
        }])));
        let keys = clients
            .admin
            .webauthn_credentials("DU3RP9I2WOC59VZX672N")
            .await
            .unwrap();
        assert_eq!(keys[0].credential_name, "Touch ID");
        assert_eq!(keys[0].date_added, Some(1_550_685_154));
        fake.reply(Reply::ok(json!("")));
        clients
            .admin
            .delete_webauthn("WABFEOE007ZMV1QAZTRB")
            .await
            .unwrap();
        let seen = fake.seen();
        assert_eq!(seen[0].path, "/admin/v1/tokens/DHIZ34ALBA2445ND4AI2/resync");
        assert_eq!(seen[0].body, "code1=123456&code2=234567&code3=345678");
        assert_eq!(
            seen[1].path,
            "/admin/v1/users/DU3RP9I2WOC59VZX672N/webauthncredentials"
        );
        assert_eq!(seen[1].query, None);
        assert_eq!(seen[2].method, "DELETE");
        assert_eq!(
            seen[2].path,
            "/admin/v1/webauthncredentials/WABFEOE007ZMV1QAZTRB"
        );
    }

    #[tokio::test]
    async fn ids_cannot_reach_other_endpoints() {
        let fake = FakeDuo::start().await;
        let clients = fake.clients();
        for bad in [
            "",
            "../users",
            "DP1/../../users",
            "DP1?x=1",
            "DP 1",
            "DP%2F",
        ] {
            assert!(
                matches!(
                    clients.admin.delete_phone(bad).await,
                    Err(DuoError::InvalidInput(_))
                ),
                "{bad}"
            );
        }
        assert!(fake.seen().is_empty());
    }
}
