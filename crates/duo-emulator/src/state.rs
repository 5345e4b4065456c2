//! The emulator's in-memory Duo account: users, phones, tokens, WebAuthn credentials,
//! bypass codes, activations, Auth API transactions, plus the knobs tests turn.

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng;
use serde_json::{json, Value};

use crate::envelope::ApiError;
use crate::hotp::hotp;
use crate::model::{
    ActivationInfo, AuthTransaction, BypassCodeInfo, CallPolicy, Fault, IntegrationKind,
    Permission, PhoneInfo, RequestRecord, SmsActivation, TokenInfo, TransactionState, UserInfo,
    WebAuthnInfo,
};

/// Object limits from Duo's rate-limit page (reference section 1.5).
pub(crate) const MAX_BYPASS_CODES_PER_USER: usize = 100;
pub(crate) const MAX_PHONES_PER_USER: usize = 100;
pub(crate) const MAX_TOKENS_PER_USER: usize = 100;
pub(crate) const MAX_WEBAUTHN_PER_USER: usize = 100;
pub(crate) const MAX_USERS_PER_DEVICE: usize = 100;
/// How far `POST /admin/v1/tokens/{id}/resync` scans ahead of the stored counter.
pub(crate) const RESYNC_LOOKAHEAD: u64 = 10_000;
/// How many HOTP values ahead of the stored counter a passcode may be.
pub(crate) const HOTP_AUTH_WINDOW: u64 = 10;

pub(crate) const PHONE_TYPES: [&str; 3] = ["unknown", "mobile", "landline"];
pub(crate) const PLATFORMS: [(&str, &str); 10] = [
    ("unknown", "Unknown"),
    ("google android", "Google Android"),
    ("apple ios", "Apple iOS"),
    ("windows phone 7", "Windows Phone 7"),
    ("rim blackberry", "RIM BlackBerry"),
    ("java j2me", "Java J2ME"),
    ("palm webos", "Palm WebOS"),
    ("symbian os", "Symbian OS"),
    ("windows mobile", "Windows Mobile"),
    ("generic smartphone", "Generic Smartphone"),
];

pub(crate) struct Integration {
    pub ikey: String,
    pub skey: String,
    pub kind: IntegrationKind,
    pub permissions: BTreeSet<Permission>,
}

pub(crate) struct User {
    pub user_id: String,
    pub username: String,
    pub realname: String,
    pub email: String,
    pub status: String,
    pub notes: String,
    pub created: i64,
    pub phone_ids: Vec<String>,
    pub token_ids: Vec<String>,
}

pub(crate) struct Phone {
    pub phone_id: String,
    pub number: String,
    pub extension: String,
    pub name: String,
    pub phone_type: String,
    pub platform: String,
    pub activated: bool,
    pub predelay: Option<i64>,
    pub postdelay: Option<i64>,
}

pub(crate) struct Token {
    pub token_id: String,
    pub token_type: String,
    pub serial: String,
    pub secret: Vec<u8>,
    pub counter: u64,
    pub totp_step: Option<u64>,
}

pub(crate) struct PendingFault {
    pub path_prefix: Option<String>,
    pub fault: Fault,
}

/// Phone fields a create or modify call may set; `None` leaves a field alone.
#[derive(Default)]
pub(crate) struct PhoneFields {
    pub number: Option<String>,
    pub extension: Option<String>,
    pub name: Option<String>,
    pub phone_type: Option<String>,
    pub platform: Option<String>,
    pub predelay: Option<i64>,
    pub postdelay: Option<i64>,
}

pub(crate) struct State {
    pub api_host: String,
    pub integrations: Vec<Integration>,
    pub users: Vec<User>,
    pub phones: Vec<Phone>,
    pub tokens: Vec<Token>,
    pub webauthn: Vec<WebAuthnInfo>,
    pub bypass: Vec<BypassCodeInfo>,
    /// Ids of deleted phones, WebAuthn credentials and bypass codes: deleting them again is
    /// a no-op (reference sections 3, 4, 6), while an id never seen is a 404.
    pub deleted: HashSet<String>,
    pub activations: Vec<ActivationInfo>,
    pub sms: Vec<SmsActivation>,
    pub transactions: Vec<AuthTransaction>,
    pub call_policy: CallPolicy,
    pub log: Vec<RequestRecord>,
    pub faults: VecDeque<PendingFault>,
    /// Seconds the emulator's clock runs ahead (positive) or behind (negative).
    pub clock_skew: i64,
    /// Extra seconds for expiries only (bypass codes, activation links).
    pub time_offset: i64,
}

fn system_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

fn random_string(len: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| {
            let i = rng.gen_range(0..alphabet.len());
            char::from(alphabet.get(i).copied().unwrap_or(b'X'))
        })
        .collect()
}

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const CODE_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

pub(crate) fn display_type(phone_type: &str) -> String {
    match phone_type {
        "mobile" => "Mobile".to_owned(),
        "landline" => "Landline".to_owned(),
        _ => "Unknown".to_owned(),
    }
}

pub(crate) fn display_platform(platform: &str) -> String {
    PLATFORMS
        .iter()
        .find(|(key, _)| *key == platform)
        .map(|(_, shown)| (*shown).to_owned())
        .unwrap_or_else(|| "Unknown".to_owned())
}

/// Lower-cases and checks a `type` parameter.
pub(crate) fn normalize_type(value: &str) -> Option<String> {
    let lowered = value.trim().to_ascii_lowercase();
    PHONE_TYPES.contains(&lowered.as_str()).then_some(lowered)
}

/// Lower-cases and checks a `platform` parameter (`windows phone` is an alias).
pub(crate) fn normalize_platform(value: &str) -> Option<String> {
    let lowered = value.trim().to_ascii_lowercase();
    let lowered = if lowered == "windows phone" {
        "windows phone 7".to_owned()
    } else {
        lowered
    };
    PLATFORMS
        .iter()
        .any(|(key, _)| *key == lowered)
        .then_some(lowered)
}

/// Dashes and spaces are ignored; without a leading `+` Duo assumes `+1`. `None` when
/// anything but digits remains.
pub(crate) fn normalize_number(value: &str) -> Option<String> {
    let compact: String = value.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if compact.is_empty() {
        return Some(String::new());
    }
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(if compact.starts_with('+') {
        compact
    } else {
        format!("+1{digits}")
    })
}

fn phone_capabilities(phone: &Phone) -> Vec<String> {
    let mut caps: Vec<&str> = Vec::new();
    if phone.activated && phone.platform != "unknown" {
        caps.push("push");
    }
    if !phone.number.is_empty() {
        if phone.phone_type == "mobile" {
            caps.push("sms");
        }
        caps.push("phone");
    }
    if phone.activated && phone.platform != "unknown" {
        caps.push("mobile_otp");
    }
    if !caps.is_empty() {
        caps.insert(0, "auto");
    }
    caps.into_iter().map(str::to_owned).collect()
}

fn mask_number(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(|c| c.is_ascii_digit()).collect();
    let last: String = digits.iter().skip(digits.len().saturating_sub(4)).collect();
    format!("XXX-XXX-{last}")
}

impl State {
    pub(crate) fn new(api_host: String) -> Self {
        State {
            api_host,
            integrations: Vec::new(),
            users: Vec::new(),
            phones: Vec::new(),
            tokens: Vec::new(),
            webauthn: Vec::new(),
            bypass: Vec::new(),
            deleted: HashSet::new(),
            activations: Vec::new(),
            sms: Vec::new(),
            transactions: Vec::new(),
            call_policy: CallPolicy::Manual,
            log: Vec::new(),
            faults: VecDeque::new(),
            clock_skew: 0,
            time_offset: 0,
        }
    }

    /// The emulator's clock (Unix seconds), skew included: what `ping` answers and what the
    /// ±300 s Date check compares with.
    pub(crate) fn now(&self) -> i64 {
        system_now().saturating_add(self.clock_skew)
    }

    /// The clock expiries are measured with.
    pub(crate) fn state_now(&self) -> i64 {
        self.now().saturating_add(self.time_offset)
    }

    fn id_taken(&self, id: &str) -> bool {
        self.deleted.contains(id)
            || self.users.iter().any(|u| u.user_id == id)
            || self.phones.iter().any(|p| p.phone_id == id)
            || self.tokens.iter().any(|t| t.token_id == id)
            || self.webauthn.iter().any(|w| w.webauthnkey == id)
            || self.bypass.iter().any(|b| b.bypass_code_id == id)
    }

    /// A Duo-shaped id: two-letter prefix plus 18 upper-case letters and digits.
    pub(crate) fn new_id(&self, prefix: &str) -> String {
        loop {
            let id = format!("{prefix}{}", random_string(18, ID_ALPHABET));
            if !self.id_taken(&id) {
                return id;
            }
        }
    }

    pub(crate) fn mobile_host(&self) -> String {
        match self.api_host.strip_prefix("api-") {
            Some(rest) => format!("m-{rest}"),
            None => "m-emulator.duosecurity.com".to_owned(),
        }
    }

    // ----- integrations --------------------------------------------------------------

    pub(crate) fn integration(&self, ikey: &str) -> Option<&Integration> {
        self.integrations.iter().find(|i| i.ikey == ikey)
    }

    pub(crate) fn integration_mut(&mut self, ikey: &str) -> Option<&mut Integration> {
        self.integrations.iter_mut().find(|i| i.ikey == ikey)
    }

    pub(crate) fn add_integration(&mut self, kind: IntegrationKind, ikey: &str, skey: &str) {
        self.integrations.retain(|i| i.ikey != ikey);
        let permissions = match kind {
            IntegrationKind::Admin => Permission::ALL.into_iter().collect(),
            IntegrationKind::Auth => BTreeSet::new(),
        };
        self.integrations.push(Integration {
            ikey: ikey.to_owned(),
            skey: skey.to_owned(),
            kind,
            permissions,
        });
    }

    // ----- faults ----------------------------------------------------------------------

    /// Takes the first pending fault that applies to `path`.
    pub(crate) fn take_fault(&mut self, path: &str) -> Option<Fault> {
        let index = self.faults.iter().position(|f| match &f.path_prefix {
            Some(prefix) => path.starts_with(prefix.as_str()),
            None => true,
        })?;
        self.faults.remove(index).map(|f| f.fault)
    }

    // ----- lookups ---------------------------------------------------------------------

    pub(crate) fn user(&self, user_id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.user_id == user_id)
    }

    pub(crate) fn user_mut(&mut self, user_id: &str) -> Option<&mut User> {
        self.users.iter_mut().find(|u| u.user_id == user_id)
    }

    pub(crate) fn user_by_name(&self, username: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.username.eq_ignore_ascii_case(username))
    }

    pub(crate) fn phone(&self, phone_id: &str) -> Option<&Phone> {
        self.phones.iter().find(|p| p.phone_id == phone_id)
    }

    pub(crate) fn phone_mut(&mut self, phone_id: &str) -> Option<&mut Phone> {
        self.phones.iter_mut().find(|p| p.phone_id == phone_id)
    }

    pub(crate) fn token(&self, token_id: &str) -> Option<&Token> {
        self.tokens.iter().find(|t| t.token_id == token_id)
    }

    pub(crate) fn token_mut(&mut self, token_id: &str) -> Option<&mut Token> {
        self.tokens.iter_mut().find(|t| t.token_id == token_id)
    }

    fn phone_users(&self, phone_id: &str) -> Vec<&User> {
        self.users
            .iter()
            .filter(|u| u.phone_ids.iter().any(|p| p == phone_id))
            .collect()
    }

    fn token_users(&self, token_id: &str) -> Vec<&User> {
        self.users
            .iter()
            .filter(|u| u.token_ids.iter().any(|t| t == token_id))
            .collect()
    }

    pub(crate) fn user_phones(&self, user: &User) -> Vec<&Phone> {
        user.phone_ids
            .iter()
            .filter_map(|id| self.phone(id))
            .collect()
    }

    pub(crate) fn user_tokens(&self, user: &User) -> Vec<&Token> {
        user.token_ids
            .iter()
            .filter_map(|id| self.token(id))
            .collect()
    }

    pub(crate) fn user_webauthn(&self, user_id: &str) -> Vec<&WebAuthnInfo> {
        self.webauthn
            .iter()
            .filter(|w| w.user_id.as_deref() == Some(user_id))
            .collect()
    }

    /// Drops bypass codes whose expiration has passed.
    pub(crate) fn purge_expired_codes(&mut self) {
        let now = self.state_now();
        self.bypass
            .retain(|b| b.expiration.is_none_or(|expires| expires > now));
    }

    // ----- snapshots -------------------------------------------------------------------

    pub(crate) fn user_info(&self, user: &User) -> UserInfo {
        UserInfo {
            user_id: user.user_id.clone(),
            username: user.username.clone(),
            realname: user.realname.clone(),
            email: user.email.clone(),
            status: user.status.clone(),
            created: user.created,
            phone_ids: user.phone_ids.clone(),
            token_ids: user.token_ids.clone(),
            webauthn_keys: self
                .user_webauthn(&user.user_id)
                .iter()
                .map(|w| w.webauthnkey.clone())
                .collect(),
        }
    }

    pub(crate) fn phone_info(&self, phone: &Phone) -> PhoneInfo {
        PhoneInfo {
            phone_id: phone.phone_id.clone(),
            number: phone.number.clone(),
            extension: phone.extension.clone(),
            name: phone.name.clone(),
            phone_type: phone.phone_type.clone(),
            platform: phone.platform.clone(),
            activated: phone.activated,
            capabilities: phone_capabilities(phone),
            user_ids: self
                .phone_users(&phone.phone_id)
                .iter()
                .map(|u| u.user_id.clone())
                .collect(),
            predelay: phone.predelay,
            postdelay: phone.postdelay,
        }
    }

    pub(crate) fn token_info(&self, token: &Token) -> TokenInfo {
        TokenInfo {
            token_id: token.token_id.clone(),
            token_type: token.token_type.clone(),
            serial: token.serial.clone(),
            secret: token.secret.clone(),
            counter: token.counter,
            totp_step: token.totp_step,
            user_ids: self
                .token_users(&token.token_id)
                .iter()
                .map(|u| u.user_id.clone())
                .collect(),
        }
    }

    // ----- JSON as the API answers it --------------------------------------------------

    /// A user without nested device lists (as nested inside phones, tokens, codes).
    pub(crate) fn user_brief_json(&self, user: &User) -> Value {
        json!({
            "user_id": user.user_id,
            "username": user.username,
            "realname": user.realname,
            "email": user.email,
            "status": user.status,
            "is_enrolled": self.is_enrolled(user),
            "created": user.created,
            "last_login": Value::Null,
            "notes": user.notes,
        })
    }

    fn is_enrolled(&self, user: &User) -> bool {
        !user.phone_ids.is_empty()
            || !user.token_ids.is_empty()
            || !self.user_webauthn(&user.user_id).is_empty()
    }

    /// The full user object: `phones[]`, `tokens[]`, `u2ftokens[]`,
    /// `webauthncredentials[]` nested (reference section 2).
    pub(crate) fn user_json(&self, user: &User) -> Value {
        json!({
            "user_id": user.user_id,
            "username": user.username,
            "realname": user.realname,
            "firstname": "",
            "lastname": "",
            "email": user.email,
            "status": user.status,
            "is_enrolled": self.is_enrolled(user),
            "created": user.created,
            "last_login": Value::Null,
            "last_directory_sync": Value::Null,
            "lockout_reason": Value::Null,
            "notes": user.notes,
            "alias1": Value::Null,
            "alias2": Value::Null,
            "alias3": Value::Null,
            "alias4": Value::Null,
            "aliases": {},
            "groups": [],
            "phones": self.user_phones(user).iter().map(|p| self.phone_fields_json(p)).collect::<Vec<_>>(),
            "tokens": self.user_tokens(user).iter().map(|t| token_brief_json(t)).collect::<Vec<_>>(),
            "u2ftokens": [],
            "webauthncredentials": self.user_webauthn(&user.user_id).iter().map(|w| webauthn_brief_json(w)).collect::<Vec<_>>(),
        })
    }

    fn phone_fields_json(&self, phone: &Phone) -> Value {
        json!({
            "phone_id": phone.phone_id,
            "number": phone.number,
            "extension": phone.extension,
            "name": phone.name,
            "type": display_type(&phone.phone_type),
            "platform": display_platform(&phone.platform),
            "activated": phone.activated,
            "capabilities": phone_capabilities(phone),
            "sms_passcodes_sent": false,
            "last_seen": "",
            "model": "Unknown",
            "predelay": phone.predelay,
            "postdelay": phone.postdelay,
            "encrypted": "",
            "fingerprint": "",
            "screenlock": "",
            "tampered": "",
        })
    }

    /// The phone object with its `users[]`.
    pub(crate) fn phone_json(&self, phone: &Phone) -> Value {
        let mut value = self.phone_fields_json(phone);
        let users: Vec<Value> = self
            .phone_users(&phone.phone_id)
            .iter()
            .map(|u| self.user_brief_json(u))
            .collect();
        if let Some(object) = value.as_object_mut() {
            object.insert("users".to_owned(), Value::Array(users));
        }
        value
    }

    /// The token object with its `users[]`.
    pub(crate) fn token_json(&self, token: &Token) -> Value {
        let mut value = token_brief_json(token);
        let users: Vec<Value> = self
            .token_users(&token.token_id)
            .iter()
            .map(|u| self.user_brief_json(u))
            .collect();
        if let Some(object) = value.as_object_mut() {
            object.insert("users".to_owned(), Value::Array(users));
        }
        value
    }

    /// A WebAuthn credential with its `user` (as the top-level list answers it).
    pub(crate) fn webauthn_json(&self, credential: &WebAuthnInfo) -> Value {
        let mut value = webauthn_brief_json(credential);
        let user = credential
            .user_id
            .as_deref()
            .and_then(|id| self.user(id))
            .map(|u| self.user_brief_json(u))
            .unwrap_or(Value::Null);
        if let Some(object) = value.as_object_mut() {
            object.insert("user".to_owned(), user);
        }
        value
    }

    /// Bypass-code metadata; never the code itself.
    pub(crate) fn bypass_meta_json(&self, code: &BypassCodeInfo) -> Value {
        let user = self
            .user(&code.user_id)
            .map(|u| self.user_brief_json(u))
            .unwrap_or(Value::Null);
        json!({
            "bypass_code_id": code.bypass_code_id,
            "admin_email": "",
            "created": code.created,
            "expiration": code.expiration,
            "reuse_count": code.remaining_uses.unwrap_or(0),
            "user": user,
        })
    }

    // ----- seeding and mutation ----------------------------------------------------------

    pub(crate) fn add_user(&mut self, username: &str) -> String {
        if let Some(existing) = self.user_by_name(username) {
            return existing.user_id.clone();
        }
        let user_id = self.new_id("DU");
        let created = self.state_now();
        self.users.push(User {
            user_id: user_id.clone(),
            username: username.to_owned(),
            realname: String::new(),
            email: String::new(),
            status: "active".to_owned(),
            notes: String::new(),
            created,
            phone_ids: Vec::new(),
            token_ids: Vec::new(),
        });
        user_id
    }

    /// Creates a phone from already-validated fields.
    pub(crate) fn create_phone(&mut self, fields: PhoneFields) -> Result<String, ApiError> {
        let number = fields.number.unwrap_or_default();
        let extension = fields.extension.unwrap_or_default();
        if !number.is_empty()
            && self
                .phones
                .iter()
                .any(|p| p.number == number && p.extension == extension)
        {
            return Err(ApiError::duplicate("number"));
        }
        let phone_id = self.new_id("DP");
        self.phones.push(Phone {
            phone_id: phone_id.clone(),
            number,
            extension,
            name: fields.name.unwrap_or_default(),
            phone_type: fields.phone_type.unwrap_or_else(|| "unknown".to_owned()),
            platform: fields.platform.unwrap_or_else(|| "unknown".to_owned()),
            activated: false,
            predelay: fields.predelay,
            postdelay: fields.postdelay,
        });
        Ok(phone_id)
    }

    pub(crate) fn update_phone(
        &mut self,
        phone_id: &str,
        fields: PhoneFields,
    ) -> Result<(), ApiError> {
        let Some(current) = self.phone(phone_id) else {
            return Err(ApiError::not_found("phone_id"));
        };
        let number = fields
            .number
            .clone()
            .unwrap_or_else(|| current.number.clone());
        let extension = fields
            .extension
            .clone()
            .unwrap_or_else(|| current.extension.clone());
        if !number.is_empty()
            && self
                .phones
                .iter()
                .any(|p| p.phone_id != phone_id && p.number == number && p.extension == extension)
        {
            return Err(ApiError::duplicate("number"));
        }
        if let Some(phone) = self.phone_mut(phone_id) {
            phone.number = number;
            phone.extension = extension;
            if let Some(name) = fields.name {
                phone.name = name;
            }
            if let Some(phone_type) = fields.phone_type {
                phone.phone_type = phone_type;
            }
            if let Some(platform) = fields.platform {
                phone.platform = platform;
            }
            if fields.predelay.is_some() {
                phone.predelay = fields.predelay;
            }
            if fields.postdelay.is_some() {
                phone.postdelay = fields.postdelay;
            }
        }
        Ok(())
    }

    pub(crate) fn associate_phone(
        &mut self,
        user_id: &str,
        phone_id: &str,
    ) -> Result<(), ApiError> {
        let Some(user) = self.user(user_id) else {
            return Err(ApiError::not_found("user_id"));
        };
        if self.phone(phone_id).is_none() {
            return Err(ApiError::invalid("phone_id"));
        }
        if user.phone_ids.iter().any(|p| p == phone_id) {
            return Ok(());
        }
        if user.phone_ids.len() >= MAX_PHONES_PER_USER {
            return Err(ApiError::internal("phones per user limit reached"));
        }
        if self.phone_users(phone_id).len() >= MAX_USERS_PER_DEVICE {
            return Err(ApiError::internal("users per phone limit reached"));
        }
        if let Some(user) = self.user_mut(user_id) {
            user.phone_ids.push(phone_id.to_owned());
        }
        Ok(())
    }

    pub(crate) fn disassociate_phone(
        &mut self,
        user_id: &str,
        phone_id: &str,
    ) -> Result<(), ApiError> {
        let Some(user) = self.user_mut(user_id) else {
            return Err(ApiError::not_found("user_id"));
        };
        user.phone_ids.retain(|p| p != phone_id);
        Ok(())
    }

    pub(crate) fn delete_phone(&mut self, phone_id: &str) -> Result<(), ApiError> {
        if self.phone(phone_id).is_none() {
            return if self.deleted.contains(phone_id) {
                Ok(())
            } else {
                Err(ApiError::not_found("phone_id"))
            };
        }
        self.phones.retain(|p| p.phone_id != phone_id);
        for user in &mut self.users {
            user.phone_ids.retain(|p| p != phone_id);
        }
        self.deleted.insert(phone_id.to_owned());
        Ok(())
    }

    pub(crate) fn add_token(
        &mut self,
        token_type: &str,
        serial: &str,
        secret: &[u8],
        counter: u64,
        totp_step: Option<u64>,
    ) -> Result<String, ApiError> {
        if self
            .tokens
            .iter()
            .any(|t| t.token_type == token_type && t.serial == serial)
        {
            return Err(ApiError::duplicate("serial"));
        }
        let token_id = self.new_id("DH");
        self.tokens.push(Token {
            token_id: token_id.clone(),
            token_type: token_type.to_owned(),
            serial: serial.to_owned(),
            secret: secret.to_vec(),
            counter,
            totp_step,
        });
        Ok(token_id)
    }

    pub(crate) fn associate_token(
        &mut self,
        user_id: &str,
        token_id: &str,
    ) -> Result<(), ApiError> {
        let Some(user) = self.user(user_id) else {
            return Err(ApiError::not_found("user_id"));
        };
        if self.token(token_id).is_none() {
            return Err(ApiError::invalid("token_id"));
        }
        if user.token_ids.iter().any(|t| t == token_id) {
            return Ok(());
        }
        if user.token_ids.len() >= MAX_TOKENS_PER_USER {
            return Err(ApiError::internal("tokens per user limit reached"));
        }
        if self.token_users(token_id).len() >= MAX_USERS_PER_DEVICE {
            return Err(ApiError::internal("users per token limit reached"));
        }
        if let Some(user) = self.user_mut(user_id) {
            user.token_ids.push(token_id.to_owned());
        }
        Ok(())
    }

    pub(crate) fn delete_token(&mut self, token_id: &str) -> Result<(), ApiError> {
        if self.token(token_id).is_none() {
            return if self.deleted.contains(token_id) {
                Ok(())
            } else {
                Err(ApiError::not_found("token_id"))
            };
        }
        self.tokens.retain(|t| t.token_id != token_id);
        for user in &mut self.users {
            user.token_ids.retain(|t| t != token_id);
        }
        self.deleted.insert(token_id.to_owned());
        Ok(())
    }

    pub(crate) fn add_webauthn(&mut self, user_id: &str, name: &str) -> Result<String, ApiError> {
        let owner = self.user(user_id).map(|u| u.user_id.clone());
        if let Some(owner) = &owner {
            if self.user_webauthn(owner).len() >= MAX_WEBAUTHN_PER_USER {
                return Err(ApiError::internal(
                    "WebAuthn credentials per user limit reached",
                ));
            }
        }
        let key = self.new_id("WA");
        let date_added = self.state_now();
        self.webauthn.push(WebAuthnInfo {
            webauthnkey: key.clone(),
            credential_name: name.to_owned(),
            label: "Security Key".to_owned(),
            date_added,
            user_id: owner,
        });
        Ok(key)
    }

    pub(crate) fn delete_webauthn(&mut self, key: &str) -> Result<(), ApiError> {
        if !self.webauthn.iter().any(|w| w.webauthnkey == key) {
            return if self.deleted.contains(key) {
                Ok(())
            } else {
                Err(ApiError::not_found("webauthnkey"))
            };
        }
        self.webauthn.retain(|w| w.webauthnkey != key);
        self.deleted.insert(key.to_owned());
        Ok(())
    }

    /// Stores bypass codes for a user. With `preserve_existing == false` the user's
    /// existing codes go first (Duo's default). Fails with 50001 past 100 codes.
    pub(crate) fn store_bypass_codes(
        &mut self,
        user_id: &str,
        codes: &[String],
        reuse_count: u32,
        valid_secs: u64,
        preserve_existing: bool,
    ) -> Result<(), ApiError> {
        if self.user(user_id).is_none() {
            return Err(ApiError::not_found("user_id"));
        }
        self.purge_expired_codes();
        let kept = if preserve_existing {
            self.bypass.iter().filter(|b| b.user_id == user_id).count()
        } else {
            0
        };
        if kept + codes.len() > MAX_BYPASS_CODES_PER_USER {
            return Err(ApiError::internal("bypass codes per user limit reached"));
        }
        if !preserve_existing {
            for code in self.bypass.iter().filter(|b| b.user_id == user_id) {
                self.deleted.insert(code.bypass_code_id.clone());
            }
            self.bypass.retain(|b| b.user_id != user_id);
        }
        let created = self.state_now();
        let expiration = (valid_secs > 0)
            .then(|| created.saturating_add(i64::try_from(valid_secs).unwrap_or(i64::MAX)));
        for code in codes {
            let id = self.new_id("DB");
            self.bypass.push(BypassCodeInfo {
                bypass_code_id: id,
                user_id: user_id.to_owned(),
                code: code.clone(),
                created,
                expiration,
                reuse_count,
                remaining_uses: (reuse_count > 0).then_some(reuse_count),
            });
        }
        Ok(())
    }

    pub(crate) fn random_bypass_code(&self) -> String {
        let mut rng = rand::thread_rng();
        format!("{:09}", rng.gen_range(0..1_000_000_000_u32))
    }

    pub(crate) fn delete_bypass_code(&mut self, id: &str) -> Result<(), ApiError> {
        if !self.bypass.iter().any(|b| b.bypass_code_id == id) {
            return if self.deleted.contains(id) {
                Ok(())
            } else {
                Err(ApiError::not_found("bypass_code_id"))
            };
        }
        self.bypass.retain(|b| b.bypass_code_id != id);
        self.deleted.insert(id.to_owned());
        Ok(())
    }

    /// Issues an activation link for a phone. Reactivation invalidates the phone's current
    /// Duo Mobile credentials, so the phone reads `activated: false` until the test calls
    /// [`crate::DuoEmulator::complete_activation`].
    pub(crate) fn issue_activation(
        &mut self,
        phone_id: &str,
        valid_secs: u64,
        install: bool,
        via_sms: bool,
    ) -> Result<ActivationInfo, ApiError> {
        let Some(phone) = self.phone(phone_id) else {
            return Err(ApiError::not_found("phone_id"));
        };
        if phone.phone_type == "unknown" {
            return Err(ApiError::invalid("type"));
        }
        if phone.platform == "unknown" {
            return Err(ApiError::invalid("platform"));
        }
        let code = random_string(20, CODE_ALPHABET);
        let mobile = self.mobile_host();
        let created = self.state_now();
        let info = ActivationInfo {
            phone_id: phone_id.to_owned(),
            activation_url: format!("https://{mobile}/activate/{code}"),
            activation_barcode: format!(
                "https://{}/frame/qr?value=duo%3A%2F%2F{code}",
                self.api_host
            ),
            activation_code: code,
            installation_url: install.then(|| {
                format!(
                    "https://{mobile}/install/{}",
                    random_string(12, CODE_ALPHABET)
                )
            }),
            valid_secs,
            created,
            expires: (valid_secs > 0)
                .then(|| created.saturating_add(i64::try_from(valid_secs).unwrap_or(i64::MAX))),
            via_sms,
        };
        if let Some(phone) = self.phone_mut(phone_id) {
            phone.activated = false;
        }
        self.activations.push(info.clone());
        Ok(info)
    }

    // ----- Auth API --------------------------------------------------------------------

    /// Checks a passcode: first the user's bypass codes (consuming a use), then the user's
    /// hardware tokens (advancing the HOTP counter past the code).
    pub(crate) fn check_passcode(&mut self, user_id: &str, passcode: &str) -> bool {
        self.purge_expired_codes();
        if let Some(index) = self
            .bypass
            .iter()
            .position(|b| b.user_id == user_id && b.code == passcode)
        {
            let exhausted = match self.bypass.get_mut(index) {
                Some(code) => match code.remaining_uses {
                    Some(left) if left <= 1 => true,
                    Some(left) => {
                        code.remaining_uses = Some(left - 1);
                        false
                    }
                    None => false,
                },
                None => false,
            };
            if exhausted {
                let removed = self.bypass.remove(index);
                self.deleted.insert(removed.bypass_code_id);
            }
            return true;
        }
        let token_ids: Vec<String> = self
            .user(user_id)
            .map(|u| u.token_ids.clone())
            .unwrap_or_default();
        let now = self.now();
        for token_id in token_ids {
            let Some(token) = self.token_mut(&token_id) else {
                continue;
            };
            let digits = if token.token_type.ends_with('8') {
                8
            } else {
                6
            };
            match token.token_type.as_str() {
                "t6" | "t8" => {
                    let step = token.totp_step.unwrap_or(30).max(1);
                    let current = u64::try_from(now).unwrap_or(0) / step;
                    let window = [current.saturating_sub(1), current, current + 1];
                    if window
                        .iter()
                        .any(|c| hotp(&token.secret, *c, digits) == passcode)
                    {
                        return true;
                    }
                }
                "yk" => {}
                _ => {
                    let start = token.counter;
                    if let Some(hit) = (start..start + HOTP_AUTH_WINDOW)
                        .find(|c| hotp(&token.secret, *c, digits) == passcode)
                    {
                        token.counter = hit + 1;
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Scans ahead for three consecutive codes; on a hit the counter moves past the third.
    pub(crate) fn resync_token(
        &mut self,
        token_id: &str,
        codes: [&str; 3],
    ) -> Result<(), ApiError> {
        let Some(token) = self.token_mut(token_id) else {
            return Err(ApiError::not_found("token_id"));
        };
        let digits = match token.token_type.as_str() {
            "h6" | "d1" => 6,
            "h8" => 8,
            _ => return Err(ApiError::invalid("token_id")),
        };
        let [code1, code2, code3] = codes;
        let start = token.counter;
        let found = (start..=start + RESYNC_LOOKAHEAD).find(|c| {
            hotp(&token.secret, *c, digits) == code1
                && hotp(&token.secret, c + 1, digits) == code2
                && hotp(&token.secret, c + 2, digits) == code3
        });
        match found {
            Some(c) => {
                token.counter = c + 3;
                Ok(())
            }
            None => Err(ApiError::invalid("code1, code2, code3")),
        }
    }

    /// Starts a phone call or push; the call policy may settle it at once.
    pub(crate) fn start_transaction(
        &mut self,
        factor: &str,
        user_id: &str,
        phone: Option<(&str, &str)>,
    ) -> String {
        let txid = uuid::Uuid::new_v4().to_string();
        let state = match self.call_policy {
            CallPolicy::Manual => TransactionState::Waiting,
            CallPolicy::Allow => TransactionState::Allowed,
            CallPolicy::Deny => TransactionState::Denied,
        };
        let created = self.now();
        self.transactions.push(AuthTransaction {
            txid: txid.clone(),
            factor: factor.to_owned(),
            user_id: user_id.to_owned(),
            phone_id: phone.map(|(id, _)| id.to_owned()),
            number: phone.map(|(_, number)| number.to_owned()),
            state,
            created,
        });
        txid
    }

    /// A finished passcode transaction (for `async=1` with `factor=passcode`).
    pub(crate) fn record_passcode_transaction(&mut self, user_id: &str, allowed: bool) -> String {
        let txid = uuid::Uuid::new_v4().to_string();
        let created = self.now();
        self.transactions.push(AuthTransaction {
            txid: txid.clone(),
            factor: "passcode".to_owned(),
            user_id: user_id.to_owned(),
            phone_id: None,
            number: None,
            state: if allowed {
                TransactionState::Allowed
            } else {
                TransactionState::Denied
            },
            created,
        });
        txid
    }

    pub(crate) fn transaction(&self, txid: &str) -> Option<&AuthTransaction> {
        self.transactions.iter().find(|t| t.txid == txid)
    }

    pub(crate) fn transaction_mut(&mut self, txid: &str) -> Option<&mut AuthTransaction> {
        self.transactions.iter_mut().find(|t| t.txid == txid)
    }
}

pub(crate) fn token_brief_json(token: &Token) -> Value {
    json!({
        "token_id": token.token_id,
        "type": token.token_type,
        "serial": token.serial,
        "totp_step": token.totp_step,
    })
}

pub(crate) fn webauthn_brief_json(credential: &WebAuthnInfo) -> Value {
    json!({
        "webauthnkey": credential.webauthnkey,
        "credential_name": credential.credential_name,
        "label": credential.label,
        "date_added": credential.date_added,
    })
}

/// The Auth API's answer for a transaction's state.
pub(crate) fn transaction_json(tx: &AuthTransaction) -> Value {
    let masked = tx.number.as_deref().map(mask_number).unwrap_or_default();
    match tx.state {
        TransactionState::Waiting if tx.factor == "push" => json!({
            "result": "waiting",
            "status": "pushed",
            "status_msg": "Pushed a login request to your device...",
        }),
        TransactionState::Waiting => json!({
            "result": "waiting",
            "status": "calling",
            "status_msg": format!("Dialing {masked}..."),
        }),
        TransactionState::Allowed => json!({
            "result": "allow",
            "status": "allow",
            "status_msg": "Success. Logging you in...",
        }),
        TransactionState::Denied if tx.factor == "passcode" => json!({
            "result": "deny",
            "status": "deny",
            "status_msg": "Incorrect passcode. Please try again.",
        }),
        TransactionState::Denied if tx.factor == "push" => json!({
            "result": "deny",
            "status": "deny",
            "status_msg": "Login request denied.",
        }),
        TransactionState::Denied => json!({
            "result": "deny",
            "status": "deny",
            "status_msg": "No keypress detected.",
        }),
        TransactionState::TimedOut => json!({
            "result": "deny",
            "status": "timeout",
            "status_msg": "Login timed out.",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_normalize_like_duo() {
        assert_eq!(
            normalize_number("+44 20-7946-0000").as_deref(),
            Some("+442079460000")
        );
        assert_eq!(
            normalize_number("555-123-4567").as_deref(),
            Some("+15551234567")
        );
        assert_eq!(normalize_number("").as_deref(), Some(""));
        assert_eq!(normalize_number("call me"), None);
        assert_eq!(normalize_number("+"), None);
    }

    #[test]
    fn masks_numbers() {
        assert_eq!(mask_number("+15551234567"), "XXX-XXX-4567");
    }

    #[test]
    fn platforms_normalize() {
        assert_eq!(
            normalize_platform("Apple iOS").as_deref(),
            Some("apple ios")
        );
        assert_eq!(
            normalize_platform("windows phone").as_deref(),
            Some("windows phone 7")
        );
        assert_eq!(normalize_platform("beos"), None);
        assert_eq!(normalize_type("Landline").as_deref(), Some("landline"));
        assert_eq!(display_platform("apple ios"), "Apple iOS");
    }
}
