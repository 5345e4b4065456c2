//! privacyIDEA's answer envelope: `result.status` and `result.value` on success,
//! `result.error.code` on failure, and a `detail` object beside `result`. Errors are told
//! apart by their numeric code and the HTTP status, never by their text: privacyIDEA
//! translates its messages.

use serde_json::Value;

use super::error::PiError;

/// A successful answer.
#[derive(Debug)]
pub struct Answer {
    pub value: Value,
    pub detail: Value,
}

/// Reads one answer. `status` is the HTTP status; the body may be anything.
pub fn parse(status: u16, body: &[u8]) -> Result<Answer, PiError> {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return Err(if status >= 500 {
            PiError::Unavailable(format!("privacyIDEA answered HTTP {status}"))
        } else {
            PiError::Protocol(format!("an HTTP {status} answer that is not JSON"))
        });
    };
    let result = &json["result"];
    if result["status"].as_bool() == Some(true) && status < 400 {
        return Ok(Answer {
            value: result["value"].clone(),
            detail: json["detail"].clone(),
        });
    }
    let code = result["error"]["code"].as_i64().unwrap_or(0);
    let message = result["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Err(PiError::from_failure(status, code, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_gives_value_and_detail() {
        let body = br#"{"result":{"status":true,"value":true},"detail":{"serial":"S1"}}"#;
        let answer = parse(200, body).unwrap();
        assert_eq!(answer.value, Value::Bool(true));
        assert_eq!(answer.detail["serial"], "S1");
    }

    #[test]
    fn failures_map_on_code_and_status() {
        let body =
            br#"{"result":{"status":false,"error":{"code":4031,"message":"Wrong credentials"}}}"#;
        assert!(matches!(parse(401, body), Err(PiError::WrongCredentials)));
        let body = br#"{"result":{"status":false,"error":{"code":4305,"message":"expired"}}}"#;
        assert!(matches!(parse(401, body), Err(PiError::SessionExpired)));
        let body = br#"{"result":{"status":false,"error":{"code":303,"message":"Admin actions are defined, but the action x is not allowed!"}}}"#;
        assert!(matches!(
            parse(403, body),
            Err(PiError::NotAllowed { code: 303 })
        ));
        let body = br#"{"result":{"status":false,"error":{"code":601,"message":"no token"}}}"#;
        assert!(matches!(parse(404, body), Err(PiError::NotFound)));
        assert!(matches!(
            parse(502, b"<html>bad gateway</html>"),
            Err(PiError::Unavailable(_))
        ));
    }

    #[test]
    fn display_keeps_privacyideas_words_out() {
        let body =
            br#"{"result":{"status":false,"error":{"code":905,"message":"ERR905: secret words"}}}"#;
        let error = parse(400, body).unwrap_err();
        assert!(!error.to_string().contains("secret"), "{error}");
    }
}
