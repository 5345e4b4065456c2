//! A Twilio-compatible voice and SMS REST API: `Calls.json` with TwiML that speaks the code
//! (and `SendDigits` for the extension), `Messages.json` for texts.

use std::time::Duration;

use async_trait::async_trait;
use recovery_api::Secret;
use serde::Deserialize;
use url::Url;

use super::{spoken_script, CodeCall, Telephony, TelephonyError};

#[derive(Clone)]
pub struct VoiceApiTelephony {
    http: reqwest::Client,
    base: Url,
    account_sid: String,
    auth_token: Secret,
    from: String,
}

impl std::fmt::Debug for VoiceApiTelephony {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoiceApiTelephony")
            .field("base", &self.base.as_str())
            .field("account_sid", &self.account_sid)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// Twilio's error body.
#[derive(Debug, Deserialize)]
struct ApiError {
    code: Option<i64>,
    message: Option<String>,
}

impl VoiceApiTelephony {
    /// Plain `http://` only on loopback (tests); anything else must be `https://`.
    pub fn new(
        base_url: &str,
        account_sid: &str,
        auth_token: &Secret,
        from: &str,
    ) -> Result<Self, TelephonyError> {
        let base = Url::parse(base_url).map_err(|_| {
            TelephonyError::Misconfigured("the voice API base URL is not a URL".to_owned())
        })?;
        let loopback = match base.host() {
            Some(url::Host::Domain(host)) => host == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        if base.scheme() != "https" && !(base.scheme() == "http" && loopback) {
            return Err(TelephonyError::Misconfigured(
                "the voice API must be reached over https".to_owned(),
            ));
        }
        if account_sid.is_empty() || from.is_empty() {
            return Err(TelephonyError::Misconfigured(
                "the voice API needs account_sid and from".to_owned(),
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| TelephonyError::Misconfigured(e.to_string()))?;
        Ok(Self {
            http,
            base,
            account_sid: account_sid.to_owned(),
            auth_token: auth_token.clone(),
            from: from.to_owned(),
        })
    }

    fn endpoint(&self, resource: &str) -> Result<Url, TelephonyError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|_| {
                TelephonyError::Misconfigured(
                    "the voice API base URL cannot have a path".to_owned(),
                )
            })?
            .pop_if_empty()
            .extend(["2010-04-01", "Accounts", &self.account_sid, resource]);
        Ok(url)
    }

    async fn post(&self, resource: &str, form: &[(&str, &str)]) -> Result<(), TelephonyError> {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let response = self
            .http
            .post(self.endpoint(resource)?)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose()))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| TelephonyError::Unavailable(without_url(&e)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(TelephonyError::Misconfigured(
                "the voice API refused the credentials".to_owned(),
            ));
        }
        if status.is_server_error() {
            return Err(TelephonyError::Unavailable(format!(
                "the voice API answered {status}"
            )));
        }
        let error: Option<ApiError> = response.json().await.ok();
        Err(TelephonyError::Rejected {
            status: status.as_u16(),
            code: error.as_ref().and_then(|e| e.code),
            message: error.and_then(|e| e.message).unwrap_or_default(),
        })
    }
}

#[async_trait]
impl Telephony for VoiceApiTelephony {
    async fn place_code_call(&self, call: &CodeCall<'_>) -> Result<(), TelephonyError> {
        let twiml = format!(
            "<Response><Pause length=\"1\"/><Say>{}</Say></Response>",
            xml_escape(&spoken_script(call))
        );
        let digits = call.extension.map(|extension| format!("wwww{extension}"));
        let mut form = vec![
            ("To", call.to),
            ("From", self.from.as_str()),
            ("Twiml", twiml.as_str()),
        ];
        if let Some(digits) = &digits {
            form.push(("SendDigits", digits.as_str()));
        }
        self.post("Calls.json", &form).await
    }

    async fn send_sms(&self, to: &str, body: &Secret) -> Result<(), TelephonyError> {
        self.post(
            "Messages.json",
            &[
                ("To", to),
                ("From", self.from.as_str()),
                ("Body", body.expose()),
            ],
        )
        .await
    }
}

/// reqwest's errors print the URL; ours holds no secret, but keep the message short.
fn without_url(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "the voice API did not answer in time".to_owned()
    } else if error.is_connect() {
        "the voice API cannot be reached".to_owned()
    } else {
        "the request to the voice API failed".to_owned()
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::{
        extract::{Path, State},
        http::{HeaderMap, StatusCode},
        routing::post,
        Router,
    };
    use base64::{engine::general_purpose::STANDARD, Engine};

    use super::*;

    #[derive(Debug, Clone)]
    struct Received {
        path: String,
        form: Vec<(String, String)>,
    }

    type Log = Arc<Mutex<Vec<Received>>>;

    /// A fake that checks requests the way Twilio would.
    async fn fake(
        State(log): State<Log>,
        Path((account, resource)): Path<(String, String)>,
        headers: HeaderMap,
        body: String,
    ) -> (StatusCode, String) {
        let expected = format!("Basic {}", STANDARD.encode("AC123:secret-token"));
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
            return (
                StatusCode::UNAUTHORIZED,
                r#"{"code":20003,"message":"Authenticate"}"#.to_owned(),
            );
        }
        if headers.get("content-type").and_then(|v| v.to_str().ok())
            != Some("application/x-www-form-urlencoded")
        {
            return (
                StatusCode::BAD_REQUEST,
                r#"{"code":1,"message":"form expected"}"#.to_owned(),
            );
        }
        let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let to = form
            .iter()
            .find(|(k, _)| k == "To")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        if !to.starts_with('+') {
            return (
                StatusCode::BAD_REQUEST,
                r#"{"code":21211,"message":"Invalid 'To' Phone Number"}"#.to_owned(),
            );
        }
        log.lock().unwrap().push(Received {
            path: format!("{account}/{resource}"),
            form,
        });
        (StatusCode::CREATED, r#"{"sid":"CA0001"}"#.to_owned())
    }

    async fn start() -> (String, Log) {
        let log: Log = Arc::default();
        let app = Router::new()
            .route("/2010-04-01/Accounts/{account}/{resource}", post(fake))
            .with_state(log.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{address}"), log)
    }

    fn field<'a>(received: &'a Received, name: &str) -> &'a str {
        received
            .form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn a_call_speaks_the_code_and_dials_the_extension() {
        let (base, log) = start().await;
        let api =
            VoiceApiTelephony::new(&base, "AC123", &Secret::new("secret-token"), "+12015550100")
                .unwrap();
        let code = Secret::new("123456");
        let call = CodeCall {
            to: "+12015550199",
            extension: Some("123"),
            code: &code,
            organisation: "Smith & Sons",
        };
        api.place_code_call(&call).await.unwrap();
        let received = log.lock().unwrap().clone();
        assert_eq!(received[0].path, "AC123/Calls.json");
        assert_eq!(field(&received[0], "To"), "+12015550199");
        assert_eq!(field(&received[0], "From"), "+12015550100");
        assert_eq!(field(&received[0], "SendDigits"), "wwww123");
        let twiml = field(&received[0], "Twiml");
        assert!(
            twiml.starts_with("<Response><Pause length=\"1\"/><Say>"),
            "{twiml}"
        );
        assert!(
            twiml.contains("Smith &amp; Sons") && twiml.contains("1, 2, 3, 4, 5, 6"),
            "{twiml}"
        );
    }

    #[tokio::test]
    async fn a_text_goes_to_messages() {
        let (base, log) = start().await;
        let api =
            VoiceApiTelephony::new(&base, "AC123", &Secret::new("secret-token"), "+12015550100")
                .unwrap();
        api.send_sms("+12015550123", &Secret::new("Open https://x/y"))
            .await
            .unwrap();
        let received = log.lock().unwrap().clone();
        assert_eq!(received[0].path, "AC123/Messages.json");
        assert_eq!(field(&received[0], "Body"), "Open https://x/y");
    }

    #[tokio::test]
    async fn failures_are_typed() {
        let (base, _log) = start().await;
        let wrong =
            VoiceApiTelephony::new(&base, "AC123", &Secret::new("wrong"), "+12015550100").unwrap();
        let error = wrong
            .send_sms("+12015550123", &Secret::new("x"))
            .await
            .unwrap_err();
        assert!(
            matches!(error, TelephonyError::Misconfigured(_)),
            "{error:?}"
        );
        assert!(!format!("{error:?}").contains("wrong"));
        let api =
            VoiceApiTelephony::new(&base, "AC123", &Secret::new("secret-token"), "+12015550100")
                .unwrap();
        let error = api.send_sms("0123", &Secret::new("x")).await.unwrap_err();
        assert!(
            matches!(
                error,
                TelephonyError::Rejected {
                    code: Some(21211),
                    ..
                }
            ),
            "{error:?}"
        );
        let down =
            VoiceApiTelephony::new("http://127.0.0.1:9", "AC123", &Secret::new("t"), "+1").unwrap();
        let error = down
            .send_sms("+12015550123", &Secret::new("x"))
            .await
            .unwrap_err();
        assert!(matches!(error, TelephonyError::Unavailable(_)), "{error:?}");
        let plain =
            VoiceApiTelephony::new("http://voice.example.org", "AC123", &Secret::new("t"), "+1");
        assert!(matches!(plain, Err(TelephonyError::Misconfigured(_))));
    }
}
