//! Phones: the phone records (shared by up to 100 users), their capabilities and JSON, and
//! the handle's phone seeding and inspection. The HTTP side is in [`routes`]; numbers,
//! types and platforms in [`fields`]; activation links in `admin_api/activation.rs`.

pub(crate) mod fields;
mod routes;

use serde_json::{json, Value};

pub(super) use routes::routes;

use self::fields::{
    display_platform, display_type, normalize_number, normalize_platform, normalize_type,
    PhoneFields,
};
use super::users::User;
use crate::account::{Account, MAX_USERS_PER_DEVICE};
use crate::envelope::ApiError;
use crate::model::PhoneInfo;
use crate::DuoEmulator;

/// Reference section 1.5.
const MAX_PHONES_PER_USER: usize = 100;

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

impl Account {
    pub(crate) fn phone(&self, phone_id: &str) -> Option<&Phone> {
        self.phones.iter().find(|p| p.phone_id == phone_id)
    }

    pub(crate) fn phone_mut(&mut self, phone_id: &str) -> Option<&mut Phone> {
        self.phones.iter_mut().find(|p| p.phone_id == phone_id)
    }

    fn phone_users(&self, phone_id: &str) -> Vec<&User> {
        self.users
            .iter()
            .filter(|u| u.phone_ids.iter().any(|p| p == phone_id))
            .collect()
    }

    pub(crate) fn user_phones(&self, user: &User) -> Vec<&Phone> {
        user.phone_ids
            .iter()
            .filter_map(|id| self.phone(id))
            .collect()
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

    /// The phone object without its `users[]` (as nested in a user).
    pub(crate) fn phone_fields_json(&self, phone: &Phone) -> Value {
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

    /// Creates a phone from already-validated fields; 40003 when the number and extension
    /// are taken.
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
}

impl DuoEmulator {
    /// Adds a phone and associates it with `user_id` (left unattached when the user is
    /// unknown or `user_id` is empty). `phone_type` and `platform` take Duo's parameter
    /// values (`mobile`, `landline`, `unknown`; `apple ios`, `google android`,
    /// `generic smartphone`…); unrecognised values are stored as `unknown`. An unparsable
    /// number is stored as given. A number that another phone already has gets a phone of
    /// its own anyway (the API would answer 40003).
    pub fn add_phone(
        &self,
        user_id: &str,
        number: &str,
        phone_type: &str,
        platform: &str,
        activated: bool,
    ) -> String {
        let mut account = self.account();
        let phone_id = account.new_id("DP");
        account.phones.push(Phone {
            phone_id: phone_id.clone(),
            number: normalize_number(number).unwrap_or_else(|| number.to_owned()),
            extension: String::new(),
            name: String::new(),
            phone_type: normalize_type(phone_type).unwrap_or_else(|| "unknown".to_owned()),
            platform: normalize_platform(platform).unwrap_or_else(|| "unknown".to_owned()),
            activated,
            predelay: None,
            postdelay: None,
        });
        if let Some(user) = account.user_mut(user_id) {
            user.phone_ids.push(phone_id.clone());
        }
        phone_id
    }

    /// Creates a phone through the same validation as `POST /admin/v1/phones` (40003 on a
    /// duplicate number, 40002 on a bad type or platform), without associating it.
    pub fn create_phone(
        &self,
        number: &str,
        phone_type: &str,
        platform: &str,
    ) -> Result<String, ApiError> {
        let fields = PhoneFields {
            number: Some(normalize_number(number).ok_or_else(|| ApiError::invalid("number"))?),
            phone_type: Some(normalize_type(phone_type).ok_or_else(|| ApiError::invalid("type"))?),
            platform: Some(
                normalize_platform(platform).ok_or_else(|| ApiError::invalid("platform"))?,
            ),
            ..PhoneFields::default()
        };
        self.account().create_phone(fields)
    }

    /// Marks a phone activated or not. `false` for an unknown phone.
    pub fn set_phone_activated(&self, phone_id: &str, activated: bool) -> bool {
        match self.account().phone_mut(phone_id) {
            Some(phone) => {
                phone.activated = activated;
                true
            }
            None => false,
        }
    }

    /// A phone by id.
    pub fn phone(&self, phone_id: &str) -> Option<PhoneInfo> {
        let account = self.account();
        account.phone(phone_id).map(|p| account.phone_info(p))
    }

    /// All phones, in creation order.
    pub fn phones(&self) -> Vec<PhoneInfo> {
        let account = self.account();
        account
            .phones
            .iter()
            .map(|p| account.phone_info(p))
            .collect()
    }

    /// The phones associated with a user.
    pub fn phones_of(&self, user_id: &str) -> Vec<PhoneInfo> {
        let account = self.account();
        match account.user(user_id) {
            Some(user) => account
                .user_phones(user)
                .iter()
                .map(|p| account.phone_info(p))
                .collect(),
            None => Vec::new(),
        }
    }
}
