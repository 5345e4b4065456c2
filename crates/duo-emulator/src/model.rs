//! The public types tests use to configure the emulator and inspect its state.

use std::time::Duration;

use crate::signing::SignatureVersion;

/// The host name clients sign with unless [`EmulatorConfig::api_host`] says otherwise.
pub const DEFAULT_API_HOST: &str = "api-emulator.duosecurity.com";

/// The two integrations, as in Duo: the Admin API application and the Auth API application
/// each have their own integration key and secret key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatorKeys {
    pub admin_ikey: String,
    pub admin_skey: String,
    pub auth_ikey: String,
    pub auth_skey: String,
}

impl EmulatorKeys {
    /// Fixed, Duo-shaped keys for tests (20-character ikeys starting with `DI`, 40-character
    /// skeys).
    pub fn example() -> Self {
        EmulatorKeys {
            admin_ikey: "DIADMINEMULATOR00001".to_owned(),
            admin_skey: "AdminEmulatorSecretKey000000000000000001".to_owned(),
            auth_ikey: "DIAUTHEMULATOR000001".to_owned(),
            auth_skey: "AuthEmulatorSecretKey0000000000000000001".to_owned(),
        }
    }
}

/// Everything [`crate::DuoEmulator::start_with`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatorConfig {
    pub keys: EmulatorKeys,
    /// The host the client signs (it connects to the base URL but signs this name).
    pub api_host: String,
}

impl EmulatorConfig {
    pub fn new(keys: EmulatorKeys) -> Self {
        EmulatorConfig {
            keys,
            api_host: DEFAULT_API_HOST.to_owned(),
        }
    }
}

/// Which API an integration key belongs to. Admin API paths (`/admin/…`) accept only Admin
/// integrations, Auth API paths (`/auth/…`) only Auth integrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntegrationKind {
    Admin,
    Auth,
}

/// Admin API permission grants (Admin Panel → the Admin API application → Permissions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// "Grant administrators".
    Administrators,
    /// "Grant read information".
    ReadInformation,
    /// "Grant applications".
    Applications,
    /// "Grant settings".
    Settings,
    /// "Grant read log".
    ReadLog,
    /// "Grant read resource": every GET on users, phones, tokens, bypass codes, WebAuthn.
    ReadResource,
    /// "Grant write resource": every POST/DELETE on those.
    WriteResource,
}

impl Permission {
    /// All grants; a new Admin integration in the emulator has all of them.
    pub const ALL: [Permission; 7] = [
        Permission::Administrators,
        Permission::ReadInformation,
        Permission::Applications,
        Permission::Settings,
        Permission::ReadLog,
        Permission::ReadResource,
        Permission::WriteResource,
    ];

    /// The snake-case name, e.g. `grant_read_resource`.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Administrators => "grant_administrators",
            Permission::ReadInformation => "grant_read_information",
            Permission::Applications => "grant_applications",
            Permission::Settings => "grant_settings",
            Permission::ReadLog => "grant_read_log",
            Permission::ReadResource => "grant_read_resource",
            Permission::WriteResource => "grant_write_resource",
        }
    }

    /// The inverse of [`Permission::as_str`].
    pub fn from_name(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// A fault the next matching request(s) run into, before any signature check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 with `{"stat":"FAIL","code":42901,"message":"Too Many Requests"}` and no
    /// rate-limit headers (elastic/integrations#11441 says Duo sends none).
    RateLimited,
    /// HTTP 500 with the 50001 envelope.
    ServerError,
    /// HTTP 503 with a non-JSON (HTML) body, as a load balancer in front of Duo would send.
    ServiceUnavailable,
    /// Waits this long, then answers the request normally.
    Slow(Duration),
    /// Answers exactly this status and body (as `application/json`, whatever it holds), to
    /// test how a client reads an answer that is not Duo's envelope or not the shape a call
    /// expects.
    Answer { status: u16, body: String },
}

/// What happens to a phone call or push that a test has not answered with
/// [`crate::DuoEmulator::answer_call`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CallPolicy {
    /// Stay `waiting` until the test answers (the default).
    #[default]
    Manual,
    /// The user answers and approves at once.
    Allow,
    /// The user answers but does not approve ("No keypress detected").
    Deny,
}

/// One request as the emulator saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    /// The path exactly as sent (no query string).
    pub path: String,
    /// The raw query string ("" when none).
    pub query: String,
    /// The integration key from the `Authorization` header, when one could be read.
    pub ikey: Option<String>,
    /// The signature version that matched, when one did.
    pub signature_version: Option<SignatureVersion>,
    /// `Some(true)` when the signature checked, `Some(false)` when it did not (40103),
    /// `None` when no signature was checked (unsigned ping, faults, 40101/40102/40104).
    pub signature_valid: Option<bool>,
    /// A fault that was injected into this request.
    pub fault: Option<Fault>,
    /// The HTTP status answered.
    pub status: u16,
    /// Duo's error code, for failures that carried one.
    pub error_code: Option<u32>,
}

/// A user, as the emulator holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub user_id: String,
    pub username: String,
    pub realname: String,
    pub email: String,
    /// `active`, `bypass`, `disabled` or `locked out`.
    pub status: String,
    pub created: i64,
    pub phone_ids: Vec<String>,
    pub token_ids: Vec<String>,
    pub webauthn_keys: Vec<String>,
}

/// A phone, as the emulator holds it. `phone_type` and `platform` are the lower-case
/// parameter values (`mobile`, `apple ios`…); the JSON the API answers capitalizes them as
/// Duo's examples do (`Mobile`, `Apple iOS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneInfo {
    pub phone_id: String,
    pub number: String,
    pub extension: String,
    pub name: String,
    pub phone_type: String,
    pub platform: String,
    pub activated: bool,
    pub capabilities: Vec<String>,
    pub user_ids: Vec<String>,
    pub predelay: Option<i64>,
    pub postdelay: Option<i64>,
}

/// A hardware token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub token_id: String,
    /// `h6`, `h8`, `t6`, `t8`, `yk` or `d1`.
    pub token_type: String,
    pub serial: String,
    pub secret: Vec<u8>,
    /// The next HOTP counter value the emulator expects.
    pub counter: u64,
    pub totp_step: Option<u64>,
    pub user_ids: Vec<String>,
}

/// A WebAuthn credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAuthnInfo {
    pub webauthnkey: String,
    pub credential_name: String,
    pub label: String,
    pub date_added: i64,
    pub user_id: Option<String>,
}

/// A bypass code the emulator keeps (the API returns codes only once; tests can read them
/// here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BypassCodeInfo {
    pub bypass_code_id: String,
    pub user_id: String,
    pub code: String,
    pub created: i64,
    /// Unix time the code expires; `None` never.
    pub expiration: Option<i64>,
    /// The `reuse_count` it was created with (0 = unlimited).
    pub reuse_count: u32,
    /// Uses left; `None` = unlimited.
    pub remaining_uses: Option<u32>,
}

/// An activation link issued by `activation_url` or `send_sms_activation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationInfo {
    pub phone_id: String,
    /// `https://m-emulator.duosecurity.com/activate/<code>`.
    pub activation_url: String,
    pub activation_code: String,
    pub activation_barcode: String,
    pub installation_url: Option<String>,
    pub valid_secs: u64,
    pub created: i64,
    /// `None` when the link never expires.
    pub expires: Option<i64>,
    /// Whether it went out by SMS.
    pub via_sms: bool,
}

/// An SMS the emulator "sent" for `send_sms_activation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsActivation {
    pub phone_id: String,
    pub number: String,
    /// The activation SMS with `<acturl>` replaced.
    pub activation_msg: String,
    /// The installation SMS with `<insturl>` replaced, when `install=1`.
    pub installation_msg: Option<String>,
    pub activation_url: String,
    pub installation_url: Option<String>,
    pub valid_secs: u64,
    pub sent_at: i64,
}

/// The state of an Auth API transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionState {
    Waiting,
    Allowed,
    Denied,
    TimedOut,
}

/// A phone call, push or passcode check started through `POST /auth/v2/auth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthTransaction {
    pub txid: String,
    /// `phone`, `push` or `passcode`.
    pub factor: String,
    pub user_id: String,
    pub phone_id: Option<String>,
    pub number: Option<String>,
    pub state: TransactionState,
    pub created: i64,
}
