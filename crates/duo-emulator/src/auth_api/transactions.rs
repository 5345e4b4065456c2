//! Auth API transactions: phone calls and pushes (waiting until the test answers them or
//! the call policy settles them), passcode checks, the JSON `auth_status` answers for each,
//! and the handle's inspection and answering of calls.

use serde_json::{json, Value};

use crate::account::Account;
use crate::model::{AuthTransaction, CallPolicy, TransactionState};
use crate::DuoEmulator;

fn mask_number(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(|c| c.is_ascii_digit()).collect();
    let last: String = digits.iter().skip(digits.len().saturating_sub(4)).collect();
    format!("XXX-XXX-{last}")
}

impl Account {
    /// Checks a passcode: first the user's bypass codes (consuming a use), then the user's
    /// hardware tokens (advancing the HOTP counter past the code).
    pub(crate) fn check_passcode(&mut self, user_id: &str, passcode: &str) -> bool {
        self.accept_bypass_code(user_id, passcode) || self.accept_token_code(user_id, passcode)
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

impl DuoEmulator {
    /// Every Auth API transaction (calls, pushes, async passcodes), oldest first.
    pub fn transactions(&self) -> Vec<AuthTransaction> {
        self.account().transactions.clone()
    }

    /// The phone calls placed through `factor=phone` (or `auto` falling back to a call).
    pub fn calls(&self) -> Vec<AuthTransaction> {
        self.account()
            .transactions
            .iter()
            .filter(|t| t.factor == "phone")
            .cloned()
            .collect()
    }

    /// One transaction by txid.
    pub fn transaction(&self, txid: &str) -> Option<AuthTransaction> {
        self.account().transaction(txid).cloned()
    }

    /// Settles a waiting phone call or push: the user pressed a key / approved (`true`)
    /// or did not (`false`). `false` when the txid is unknown or no longer waiting.
    pub fn answer_call(&self, txid: &str, allow: bool) -> bool {
        let mut account = self.account();
        match account.transaction_mut(txid) {
            Some(tx) if tx.state == TransactionState::Waiting => {
                tx.state = if allow {
                    TransactionState::Allowed
                } else {
                    TransactionState::Denied
                };
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_numbers() {
        assert_eq!(mask_number("+15551234567"), "XXX-XXX-4567");
    }
}
