//! A Twilio-compatible voice and SMS REST API: `Calls.json` with TwiML that speaks the code
//! (and `SendDigits` for the extension), `Messages.json` for texts.
//!
//! The TwiML holds the code and a text's body holds an activation link, so neither is ever
//! logged or put in an error; nor is the auth token.

use std::time::Duration;

use async_trait::async_trait;
use recovery_api::Secret;
use reqwest::StatusCode;
use serde::Deserialize;
use url::Url;

use super::{spoken_script, CodeCall, Telephony, TelephonyError};

/// A person waits on the page while the call is placed: give up rather than hang.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The longest provider message kept for the admin log; anything longer is not a message.
const MESSAGE_LIMIT: usize = 300;

/// Places calls and sends texts through `{base_url}/2010-04-01/Accounts/{account_sid}/…`.
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

/// What Twilio answers when it accepts a call or a text.
#[derive(Deserialize)]
struct Created {
    sid: String,
}

/// Twilio's error body.
#[derive(Deserialize)]
struct ApiError {
    code: Option<i64>,
    message: Option<String>,
}

impl VoiceApiTelephony {
    /// Plain `http://` only on loopback (tests); anything else must be `https://`, since the
    /// requests carry the auth token and the code.
    pub fn new(
        base_url: &str,
        account_sid: &str,
        auth_token: &Secret,
        from: &str,
    ) -> Result<Self, TelephonyError> {
        Self::with_timeout(base_url, account_sid, auth_token, from, TIMEOUT)
    }

    fn with_timeout(
        base_url: &str,
        account_sid: &str,
        auth_token: &Secret,
        from: &str,
        timeout: Duration,
    ) -> Result<Self, TelephonyError> {
        let base = parse_base(base_url)?;
        // `.` and `..` vanish from a URL path and `:` ends the basic-auth user; anything else
        // is percent-encoded into its own path segment.
        if matches!(account_sid, "" | "." | "..")
            || account_sid.contains(':')
            || account_sid.chars().any(char::is_control)
        {
            return Err(misconfigured("the voice API account_sid is not valid"));
        }
        if !is_e164(from) {
            return Err(misconfigured(
                "the voice API caller id (from) must be E.164, like +12015550100",
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            // A redirect would resend the token and the code somewhere we did not configure.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| misconfigured("the HTTP client for the voice API cannot be built"))?;
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
            .map_err(|_| misconfigured("the voice API base URL cannot have a path"))?
            .pop_if_empty()
            .extend(["2010-04-01", "Accounts", &self.account_sid, resource]);
        Ok(url)
    }

    async fn post(&self, resource: &str, form: &[(&str, &str)]) -> Result<(), TelephonyError> {
        let response = self
            .http
            .post(self.endpoint(resource)?)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose()))
            .form(form)
            .send()
            .await
            .map_err(|e| TelephonyError::Unavailable(describe(&e)))?;
        let status = response.status();
        if status.is_success() {
            let created: Created = response.json().await.map_err(|_| {
                misconfigured("the voice API answered without a sid: is base_url right?")
            })?;
            tracing::debug!(resource, sid = %created.sid, "the voice API accepted the request");
            return Ok(());
        }
        if let Some(error) = refusal(status) {
            return Err(error);
        }
        let error: Option<ApiError> = match response.bytes().await {
            Ok(body) => serde_json::from_slice(&body).ok(),
            Err(_) => None,
        };
        let (code, message) = error.map_or((None, None), |e| (e.code, e.message));
        Err(TelephonyError::Rejected {
            status: status.as_u16(),
            code,
            message: message
                .map(|m| m.chars().take(MESSAGE_LIMIT).collect())
                .unwrap_or_default(),
        })
    }
}

#[async_trait]
impl Telephony for VoiceApiTelephony {
    async fn place_code_call(&self, call: &CodeCall<'_>) -> Result<(), TelephonyError> {
        // `SendDigits` also understands `w`, `#` and `*`: only digits may reach it.
        let digits = match call.extension {
            Some(extension) if is_extension(extension) => Some(format!("wwww{extension}")),
            Some(_) => {
                return Err(TelephonyError::Rejected {
                    status: 0,
                    code: None,
                    message: "the extension is not digits only".to_owned(),
                })
            }
            None => None,
        };
        let twiml = format!(
            "<Response><Pause length=\"1\"/><Say>{}</Say></Response>",
            xml_escape(&spoken_script(call))
        );
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

/// `https://` anywhere, `http://` only on loopback; no credentials, query or fragment (they
/// would ride along on every request). The URL is never echoed: it might hold a password.
fn parse_base(base_url: &str) -> Result<Url, TelephonyError> {
    let base =
        Url::parse(base_url).map_err(|_| misconfigured("the voice API base URL is not a URL"))?;
    let loopback = match base.host() {
        Some(url::Host::Domain(host)) => host.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if base.scheme() != "https" && !(base.scheme() == "http" && loopback) {
        return Err(misconfigured(
            "the voice API must be reached over https (plain http only on loopback)",
        ));
    }
    if !base.username().is_empty() || base.password().is_some() {
        return Err(misconfigured(
            "the voice API base URL must not hold credentials: use account_sid and auth_token",
        ));
    }
    if base.query().is_some() || base.fragment().is_some() {
        return Err(misconfigured(
            "the voice API base URL must not have a query or a fragment",
        ));
    }
    Ok(base)
}

/// The statuses that say nothing about the number: our setup, or the provider's state.
fn refusal(status: StatusCode) -> Option<TelephonyError> {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            Some(misconfigured("the voice API refused the credentials"))
        }
        StatusCode::NOT_FOUND => Some(misconfigured(
            "the voice API has no such account or endpoint: check base_url and account_sid",
        )),
        StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS => Some(
            TelephonyError::Unavailable(format!("the voice API answered {status}: try later")),
        ),
        _ if status.is_redirection() => Some(misconfigured(
            "the voice API answered with a redirect: check base_url",
        )),
        _ if status.is_client_error() => None,
        _ => Some(TelephonyError::Unavailable(format!(
            "the voice API answered {status}"
        ))),
    }
}

/// reqwest's errors print the URL; keep the message to what an operator can act on.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "the voice API did not answer in time".to_owned()
    } else if error.is_connect() {
        "the voice API cannot be reached".to_owned()
    } else {
        "the request to the voice API failed".to_owned()
    }
}

fn misconfigured(why: &str) -> TelephonyError {
    TelephonyError::Misconfigured(why.to_owned())
}

/// `+`, then 2 to 15 digits.
fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

fn is_extension(extension: &str) -> bool {
    !extension.is_empty() && extension.bytes().all(|b| b.is_ascii_digit())
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::{
        extract::{Path, State},
        http::HeaderMap,
        routing::{any, post},
        Router,
    };
    use base64::{engine::general_purpose::STANDARD, Engine};

    use super::*;

    const SID: &str = "AC0123456789abcdef0123456789abcdef";
    const TOKEN: &str = "secret-token-9f8e";
    const FROM: &str = "+12015550100";

    /// One request the fake accepted.
    #[derive(Debug, Clone)]
    struct Received {
        account: String,
        resource: String,
        form: Vec<(String, String)>,
    }

    impl Received {
        fn field(&self, name: &str) -> Option<&str> {
            self.form
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        }
    }

    type Log = Arc<Mutex<Vec<Received>>>;

    fn twilio_error(status: StatusCode, code: i64, message: &str) -> (StatusCode, String) {
        let body =
            serde_json::json!({ "code": code, "message": message, "status": status.as_u16() });
        (status, body.to_string())
    }

    fn e164(value: Option<&str>) -> bool {
        value.is_some_and(is_e164)
    }

    /// A fake Twilio that checks each request the way Twilio would, and records what it took.
    async fn fake_twilio(
        State(log): State<Log>,
        Path((account, resource)): Path<(String, String)>,
        headers: HeaderMap,
        body: String,
    ) -> (StatusCode, String) {
        let expected = format!("Basic {}", STANDARD.encode(format!("{SID}:{TOKEN}")));
        let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
        if authorization != Some(expected.as_str()) || account != SID {
            return twilio_error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
        }
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        if content_type != Some("application/x-www-form-urlencoded") {
            return twilio_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, 20415, "Unsupported");
        }
        let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let received = Received {
            account,
            resource,
            form,
        };
        if !e164(received.field("To")) {
            return twilio_error(StatusCode::BAD_REQUEST, 21211, "Invalid 'To' Phone Number");
        }
        if !e164(received.field("From")) {
            return twilio_error(
                StatusCode::BAD_REQUEST,
                21212,
                "Invalid 'From' Phone Number",
            );
        }
        let sid = match received.resource.as_str() {
            "Calls.json" => {
                if received.field("Twiml").is_none() && received.field("Url").is_none() {
                    return twilio_error(
                        StatusCode::BAD_REQUEST,
                        21205,
                        "Url parameter is required",
                    );
                }
                let digits_ok = received.field("SendDigits").is_none_or(|d| {
                    !d.is_empty() && d.chars().all(|c| c.is_ascii_digit() || "w#*".contains(c))
                });
                if !digits_ok {
                    return twilio_error(StatusCode::BAD_REQUEST, 21207, "Invalid SendDigits");
                }
                "CA00000000000000000000000000000001"
            }
            "Messages.json" => {
                if received.field("Body").is_none_or(str::is_empty) {
                    return twilio_error(
                        StatusCode::BAD_REQUEST,
                        21602,
                        "Message body is required",
                    );
                }
                "SM00000000000000000000000000000001"
            }
            _ => {
                return twilio_error(
                    StatusCode::NOT_FOUND,
                    20404,
                    "The requested resource was not found",
                )
            }
        };
        log.lock().unwrap().push(received);
        let answer = serde_json::json!({ "sid": sid, "status": "queued" });
        (StatusCode::CREATED, answer.to_string())
    }

    async fn serve(app: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{address}")
    }

    async fn start() -> (String, Log) {
        let log: Log = Arc::default();
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/{resource}",
                post(fake_twilio),
            )
            .with_state(log.clone());
        (serve(app).await, log)
    }

    /// A server that answers every request the same way.
    async fn answering(status: StatusCode, body: &'static str) -> String {
        serve(Router::new().fallback(any(move || async move { (status, body) }))).await
    }

    fn client(base: &str) -> VoiceApiTelephony {
        VoiceApiTelephony::new(base, SID, &Secret::new(TOKEN), FROM).unwrap()
    }

    async fn text(api: &VoiceApiTelephony, to: &str) -> Result<(), TelephonyError> {
        api.send_sms(
            to,
            &Secret::new("Open https://desk.example.org/v1/activations/k3y"),
        )
        .await
    }

    fn assert_nothing_secret(error: &TelephonyError) {
        for shown in [format!("{error}"), format!("{error:?}")] {
            for secret in [TOKEN, "k3y", "1, 2, 3", "123456"] {
                assert!(!shown.contains(secret), "{shown}");
            }
        }
    }

    #[tokio::test]
    async fn a_call_speaks_the_code_and_dials_the_extension() {
        let (base, log) = start().await;
        let code = Secret::new("123456");
        let call = CodeCall {
            to: "+12015550199",
            extension: Some("123"),
            code: &code,
            organisation: "Smith & Sons <Ltd>",
        };
        client(&base).place_code_call(&call).await.unwrap();
        let received = log.lock().unwrap().clone();
        assert_eq!(received.len(), 1);
        let call = &received[0];
        assert_eq!(
            (call.account.as_str(), call.resource.as_str()),
            (SID, "Calls.json")
        );
        assert_eq!(call.field("To"), Some("+12015550199"));
        assert_eq!(call.field("From"), Some(FROM));
        assert_eq!(call.field("SendDigits"), Some("wwww123"));
        let twiml = call.field("Twiml").unwrap();
        assert_eq!(
            twiml,
            "<Response><Pause length=\"1\"/><Say>This is Smith &amp; Sons &lt;Ltd&gt;. \
             Your verification code is 1, 2, 3, 4, 5, 6. Again: 1, 2, 3, 4, 5, 6. Goodbye.\
             </Say></Response>"
        );
    }

    #[tokio::test]
    async fn a_call_without_an_extension_sends_no_digits() {
        let (base, log) = start().await;
        let code = Secret::new("000042");
        let call = CodeCall {
            to: "+442079460000",
            extension: None,
            code: &code,
            organisation: "Example",
        };
        client(&base).place_code_call(&call).await.unwrap();
        let received = log.lock().unwrap().clone();
        assert_eq!(received[0].field("SendDigits"), None);
        assert!(received[0]
            .field("Twiml")
            .unwrap()
            .contains("0, 0, 0, 0, 4, 2"));
    }

    #[tokio::test]
    async fn an_extension_that_is_not_digits_never_reaches_the_provider() {
        let (base, log) = start().await;
        let code = Secret::new("123456");
        let call = CodeCall {
            to: "+12015550199",
            extension: Some("12w9#"),
            code: &code,
            organisation: "Example",
        };
        let error = client(&base).place_code_call(&call).await.unwrap_err();
        assert!(
            matches!(error, TelephonyError::Rejected { status: 0, .. }),
            "{error:?}"
        );
        assert!(log.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_text_goes_to_messages() {
        let (base, log) = start().await;
        text(&client(&base), "+12015550123").await.unwrap();
        let received = log.lock().unwrap().clone();
        assert_eq!(received[0].resource, "Messages.json");
        assert_eq!(received[0].field("To"), Some("+12015550123"));
        assert_eq!(received[0].field("From"), Some(FROM));
        assert_eq!(
            received[0].field("Body"),
            Some("Open https://desk.example.org/v1/activations/k3y")
        );
    }

    #[tokio::test]
    async fn wrong_credentials_are_a_misconfiguration() {
        let (base, log) = start().await;
        let wrong = VoiceApiTelephony::new(&base, SID, &Secret::new("wrong-token"), FROM).unwrap();
        let error = text(&wrong, "+12015550123").await.unwrap_err();
        assert!(
            matches!(error, TelephonyError::Misconfigured(_)),
            "{error:?}"
        );
        assert!(!format!("{error:?}").contains("wrong-token"));
        let other_account =
            VoiceApiTelephony::new(&base, "AC1", &Secret::new(TOKEN), FROM).unwrap();
        let error = text(&other_account, "+12015550123").await.unwrap_err();
        assert!(
            matches!(error, TelephonyError::Misconfigured(_)),
            "{error:?}"
        );
        assert!(log.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_refused_number_is_rejected_with_the_providers_code() {
        let (base, _log) = start().await;
        let error = text(&client(&base), "0123").await.unwrap_err();
        assert!(
            matches!(
                &error,
                TelephonyError::Rejected { status: 400, code: Some(21211), message }
                    if message == "Invalid 'To' Phone Number"
            ),
            "{error:?}"
        );
        assert_nothing_secret(&error);
    }

    #[tokio::test]
    async fn a_refusal_without_json_is_still_rejected() {
        let base = answering(StatusCode::BAD_REQUEST, "<html>Bad Request</html>").await;
        let error = text(&client(&base), "+12015550123").await.unwrap_err();
        assert!(
            matches!(
                &error,
                TelephonyError::Rejected { status: 400, code: None, message } if message.is_empty()
            ),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_server_that_is_down_is_unavailable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let error = text(&client(&format!("http://{address}")), "+12015550123")
            .await
            .unwrap_err();
        assert!(matches!(error, TelephonyError::Unavailable(_)), "{error:?}");
        assert_nothing_secret(&error);
    }

    #[tokio::test]
    async fn server_errors_and_throttling_are_unavailable() {
        for status in [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::TOO_MANY_REQUESTS,
        ] {
            let base = answering(status, r#"{"code":20429,"message":"Too Many Requests"}"#).await;
            let error = text(&client(&base), "+12015550123").await.unwrap_err();
            assert!(
                matches!(error, TelephonyError::Unavailable(_)),
                "{status}: {error:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_provider_that_does_not_answer_in_time_is_unavailable() {
        let slow = Router::new().fallback(any(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            (StatusCode::CREATED, r#"{"sid":"SM1"}"#)
        }));
        let base = serve(slow).await;
        let api = VoiceApiTelephony::with_timeout(
            &base,
            SID,
            &Secret::new(TOKEN),
            FROM,
            Duration::from_millis(200),
        )
        .unwrap();
        let error = text(&api, "+12015550123").await.unwrap_err();
        assert!(
            matches!(&error, TelephonyError::Unavailable(why) if why.contains("in time")),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_wrong_base_url_is_a_misconfiguration() {
        let (base, log) = start().await;
        // Some other web server: 200 without a sid.
        let page = answering(StatusCode::OK, "<html>Welcome</html>").await;
        let error = text(&client(&page), "+12015550123").await.unwrap_err();
        assert!(
            matches!(error, TelephonyError::Misconfigured(_)),
            "{error:?}"
        );
        // A path the API does not have: 404.
        let error = text(&client(&format!("{base}/v2")), "+12015550123")
            .await
            .unwrap_err();
        assert!(
            matches!(error, TelephonyError::Misconfigured(_)),
            "{error:?}"
        );
        assert!(log.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_redirect_is_not_followed() {
        // Wherever it points, the token and the code must not follow it.
        let hits = Arc::new(Mutex::new(0_u32));
        let counted = hits.clone();
        let elsewhere = serve(Router::new().fallback(any(move || {
            *counted.lock().unwrap() += 1;
            async { (StatusCode::CREATED, r#"{"sid":"SM1"}"#) }
        })))
        .await;
        let target = format!("{elsewhere}/2010-04-01/Accounts/{SID}/Messages.json");
        let moved = serve(Router::new().fallback(any(move || {
            let target = target.clone();
            async move { (StatusCode::TEMPORARY_REDIRECT, [("location", target)]) }
        })))
        .await;
        let error = text(&client(&moved), "+12015550123").await.unwrap_err();
        assert!(
            matches!(error, TelephonyError::Misconfigured(_)),
            "{error:?}"
        );
        assert_eq!(*hits.lock().unwrap(), 0);
    }

    #[test]
    fn plain_http_only_on_loopback() {
        let token = Secret::new(TOKEN);
        for allowed in [
            "https://api.twilio.com",
            "https://api.twilio.com/",
            "https://voice.example.org:8443/proxy",
            "http://127.0.0.1:8080",
            "http://[::1]:8080",
            "http://localhost:8080",
        ] {
            assert!(
                VoiceApiTelephony::new(allowed, SID, &token, FROM).is_ok(),
                "{allowed}"
            );
        }
        for refused in [
            "http://voice.example.org",
            "http://10.0.0.1",
            "ftp://voice.example.org",
            "api.twilio.com",
            "https://user:pass@api.twilio.com",
            "https://api.twilio.com/?x=1",
        ] {
            let error = VoiceApiTelephony::new(refused, SID, &token, FROM).unwrap_err();
            assert!(
                matches!(&error, TelephonyError::Misconfigured(why) if !why.contains("pass")),
                "{refused}: {error:?}"
            );
        }
    }

    #[test]
    fn account_and_caller_id_are_checked() {
        let token = Secret::new(TOKEN);
        let base = "https://api.twilio.com";
        for sid in ["", ".", "..", "AC:1", "AC\n1"] {
            assert!(
                VoiceApiTelephony::new(base, sid, &token, FROM).is_err(),
                "{sid:?}"
            );
        }
        for from in ["", "+", "12015550100", "+1201555010a", "+1234567890123456"] {
            assert!(
                VoiceApiTelephony::new(base, SID, &token, from).is_err(),
                "{from:?}"
            );
        }
    }

    #[test]
    fn the_account_sid_stays_in_its_own_path_segment() {
        let token = Secret::new(TOKEN);
        let api = VoiceApiTelephony::new(
            "https://proxy.example.org/twilio/",
            "AC/../x?y#z",
            &token,
            FROM,
        )
        .unwrap();
        assert_eq!(
            api.endpoint("Calls.json").unwrap().as_str(),
            "https://proxy.example.org/twilio/2010-04-01/Accounts/AC%2F..%2Fx%3Fy%23z/Calls.json"
        );
        let api = VoiceApiTelephony::new("https://api.twilio.com", SID, &token, FROM).unwrap();
        assert_eq!(
            api.endpoint("Messages.json").unwrap().as_str(),
            format!("https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json")
        );
    }

    #[test]
    fn debug_omits_the_token() {
        let api = client("https://api.twilio.com");
        let shown = format!("{api:?}");
        assert!(shown.contains(SID) && !shown.contains(TOKEN), "{shown}");
    }
}
