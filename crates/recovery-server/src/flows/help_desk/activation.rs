//! An agent sends the person a new phone-app activation link: by text to the phone itself, or
//! by e-mail to the person's notification addresses. Through the guard (`send_activation`; a
//! weak caller verification is enough, since the link goes only to the person's own phone or
//! addresses), then the same flow as self-service, audited with the help desk's detail.

use recovery_api::help_desk::{
    ActionContext, ActivationChannel, HelpDeskPermission, LinkSent, SendActivation,
};

use crate::{
    app::App,
    client::Client,
    error::RecoveryError,
    flows::{notice, phones, sending},
    help_desk::{guard, AgentSession},
    notify::{LinkMail, LinkPurpose},
    sending_caps::Sending,
};

pub async fn send(
    app: &App,
    session: &AgentSession,
    from: &Client,
    username: &str,
    phone_id: &str,
    request: &SendActivation,
) -> Result<LinkSent, RecoveryError> {
    let context = ActionContext {
        caller_verification: request.caller_verification.clone(),
        reason: request.reason.clone(),
    };
    let authorized = guard::authorize(
        app,
        session,
        from,
        username,
        HelpDeskPermission::SendActivation,
        &context,
        false,
    )
    .await?;
    let (client, person) = (&authorized.client, &authorized.person);
    let detail = Some(authorized.audit_detail());
    match request.channel {
        ActivationChannel::Text => {
            let sent =
                phones::text_activation_as(app, client, None, person, phone_id, detail).await?;
            Ok(LinkSent {
                sent_to: vec![sent.number_hint],
                expires_at: sent.expires_at,
            })
        }
        ActivationChannel::Email => {
            if person.notification_emails.is_empty() {
                return Err(RecoveryError::Conflict(
                    "This person has no e-mail address on record, so no link was sent. Send it \
                     by text to the phone instead."
                        .to_owned(),
                ));
            }
            let device = phones::device_name(app, person, phone_id).await?;
            // The link's own e-mail, on top of the notice the flow charges.
            let charge = sending::charge(app, person, None, &[Sending::Notice]).await?;
            let created =
                phones::create_activation_as(app, client, None, person, phone_id, "email", detail)
                    .await;
            let activation = charge.settle(created).await?;
            let mail = LinkMail {
                purpose: LinkPurpose::PhoneApp { device },
                display_name: &person.display_name,
                url: &activation.url,
                expires_at: activation.expires_at,
                from: &client.label,
            };
            let sent_to = notice::send_link(app, client, person, &mail).await?;
            Ok(LinkSent {
                sent_to,
                expires_at: activation.expires_at,
            })
        }
    }
}
