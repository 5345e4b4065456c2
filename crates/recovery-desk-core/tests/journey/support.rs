use recovery_api::Secret;
use recovery_desk_core::{
    embedded::{self, DemoService},
    journey::JourneyOptions,
    view::{DeviceView, SessionView},
    Journey,
};

pub const ADA: (&str, &str, &str, &str) = ("ada", "correct-horse-battery", "1985-12-10", "246810");
pub const GRACE: (&str, &str, &str, &str) =
    ("grace", "nanosecond-wire-30cm", "1976-12-09", "135790");

pub struct Demo {
    pub journey: Journey,
    pub service: DemoService,
}

pub async fn demo() -> Demo {
    demo_with(JourneyOptions {
        demo: true,
        copy_allowed: true,
        ..JourneyOptions::default()
    })
    .await
}

pub async fn demo_with(options: JourneyOptions) -> Demo {
    let (service, client) = embedded::start_demo(None).await.unwrap();
    Demo {
        journey: Journey::new(client, options),
        service,
    }
}

impl Demo {
    pub async fn sign_in(&self, person: (&str, &str, &str, &str)) -> SessionView {
        self.journey
            .begin_sign_in(person.0, Secret::new(person.1))
            .await
            .unwrap();
        self.journey
            .verify_pin(person.2, Secret::new(person.3))
            .await
            .unwrap()
    }

    pub async fn device(&self, kind: &str) -> DeviceView {
        self.journey
            .devices()
            .await
            .unwrap()
            .into_iter()
            .find(|d| serde_json::to_value(d.kind).unwrap() == kind)
            .unwrap_or_else(|| panic!("no {kind}"))
    }

    /// The newest message of `channel` in the demo inbox.
    pub async fn last_message(&self, channel: &str) -> String {
        self.journey
            .demo_inbox()
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.channel.as_str() == channel)
            .unwrap_or_else(|| panic!("no {channel} message"))
            .body
    }
}

/// The six digits a verification call spoke ("…code is 1, 2, 3, 4, 5, 6. Again: …").
pub fn spoken_code(script: &str) -> String {
    let spoken = script.split("code is ").nth(1).unwrap();
    let spoken = spoken.split('.').next().unwrap();
    spoken.chars().filter(char::is_ascii_digit).collect()
}

pub fn code_of(error: &recovery_desk_core::FlowError) -> String {
    recovery_desk_core::AppError::from(error).code
}
