//! The security-key enrolment page (`GET /v1/enrolments/{code}`): one task, in English or
//! Spanish, with the words its script shows carried in `data-` attributes (the script has no
//! text of its own). A link that no longer works gets a page that says so and whom to call.

use super::{escape, Language};
use crate::config::Organisation;

/// The page's script and style, served from `/v1/enrolments/assets/`.
pub const SCRIPT: &str = include_str!("enrol.js");
pub const STYLE: &str = include_str!("enrol.css");

const SCRIPT_PATH: &str = "/v1/enrolments/assets/enrol.js";
const STYLE_PATH: &str = "/v1/enrolments/assets/enrol.css";

struct Words {
    title: &'static str,
    intro: &'static str,
    steps: &'static str,
    name_label: &'static str,
    name_hint: &'static str,
    button: &'static str,
    no_script: &'static str,
    working: &'static str,
    done: &'static str,
    cancelled: &'static str,
    already: &'static str,
    rejected: &'static str,
    limit: &'static str,
    failed: &'static str,
    unsupported: &'static str,
    invalid_title: &'static str,
    invalid: &'static str,
    call: &'static str,
}

const ENGLISH: Words = Words {
    title: "Add your security key",
    intro: "The help desk sent you this page so that you can add a security key to your account at",
    steps: "Plug your security key into this computer. Choose the button below, then touch the key when it blinks. If the key asks for its PIN, enter it.",
    name_label: "Name for the key (optional)",
    name_hint: "For example \"Blue key\". You will see this name in your list of devices.",
    button: "Add my security key",
    no_script: "This page needs JavaScript to talk to your security key. Turn JavaScript on, or call the help desk.",
    working: "Touch your security key now. If it asks for its PIN, enter it.",
    done: "Done: your security key was added to your account. You can close this page.",
    cancelled: "The key was not used in time, or the request was cancelled. Choose the button to try again.",
    already: "This security key is already on your account. Use another key, or close this page.",
    rejected: "Your security key's answer was not accepted, so it was not added. Choose the button to try again.",
    limit: "Too many messages were sent for your account today, so the key was not added. Try again tomorrow, or call the help desk.",
    failed: "Something went wrong and the key was not added. Choose the button to try again, or call the help desk.",
    unsupported: "This browser cannot use security keys. Open the link in a current version of Chrome, Edge, Firefox or Safari.",
    invalid_title: "This link no longer works",
    invalid: "The link was already used, ran out of time, or was tried too often. Nothing was changed on your account.",
    call: "To get a new link, call the help desk:",
};

const SPANISH: Words = Words {
    title: "Añade tu llave de seguridad",
    intro: "El servicio de ayuda te ha enviado esta página para que añadas una llave de seguridad a tu cuenta de",
    steps: "Conecta tu llave de seguridad a este ordenador. Pulsa el botón de abajo y toca la llave cuando parpadee. Si la llave te pide su PIN, escríbelo.",
    name_label: "Nombre de la llave (opcional)",
    name_hint: "Por ejemplo «Llave azul». Verás este nombre en tu lista de dispositivos.",
    button: "Añadir mi llave de seguridad",
    no_script: "Esta página necesita JavaScript para hablar con tu llave de seguridad. Activa JavaScript o llama al servicio de ayuda.",
    working: "Toca ahora tu llave de seguridad. Si te pide su PIN, escríbelo.",
    done: "Listo: tu llave de seguridad se ha añadido a tu cuenta. Ya puedes cerrar esta página.",
    cancelled: "La llave no se usó a tiempo o se canceló la petición. Pulsa el botón para intentarlo de nuevo.",
    already: "Esta llave de seguridad ya está en tu cuenta. Usa otra llave o cierra esta página.",
    rejected: "No se aceptó la respuesta de tu llave de seguridad, así que no se ha añadido. Pulsa el botón para intentarlo de nuevo.",
    limit: "Hoy se han enviado demasiados mensajes para tu cuenta, así que la llave no se ha añadido. Inténtalo mañana o llama al servicio de ayuda.",
    failed: "Algo ha fallado y la llave no se ha añadido. Pulsa el botón para intentarlo de nuevo o llama al servicio de ayuda.",
    unsupported: "Este navegador no puede usar llaves de seguridad. Abre el enlace en una versión actual de Chrome, Edge, Firefox o Safari.",
    invalid_title: "Este enlace ya no funciona",
    invalid: "El enlace ya se usó, caducó o se intentó demasiadas veces. No se ha cambiado nada en tu cuenta.",
    call: "Para recibir un enlace nuevo, llama al servicio de ayuda:",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::English => &ENGLISH,
        Language::Spanish => &SPANISH,
    }
}

/// The page for a link that works.
pub fn page(language: Language, organisation: &Organisation) -> String {
    let w = words(language);
    let contact = contact(w, organisation);
    let data = [
        ("working", w.working),
        ("done", w.done),
        ("cancelled", w.cancelled),
        ("already", w.already),
        ("rejected", w.rejected),
        ("limit", w.limit),
        ("failed", w.failed),
        ("unsupported", w.unsupported),
        ("invalid", w.invalid),
    ]
    .iter()
    .map(|(key, text)| {
        // A link that ended needs a new one: say whom to ask.
        let text = if *key == "invalid" {
            format!("{text} {} {}", w.call, contact_text(organisation))
        } else {
            (*text).to_owned()
        };
        format!(" data-{key}=\"{}\"", escape(&text))
    })
    .collect::<String>();
    let body = format!(
        "<main id=\"enrol\"{data}>\
         <h1>{title}</h1>\
         <p>{intro} {organisation}.</p>\
         <p>{steps}</p>\
         <form id=\"enrol-form\" novalidate>\
         <label for=\"key-name\">{name_label}</label>\
         <p class=\"hint\" id=\"key-name-hint\">{name_hint}</p>\
         <input type=\"text\" id=\"key-name\" name=\"name\" maxlength=\"64\" autocomplete=\"off\" aria-describedby=\"key-name-hint\">\
         <button type=\"submit\" id=\"enrol-button\" disabled>{button}</button>\
         </form>\
         <noscript><p>{no_script}</p></noscript>\
         <p id=\"enrol-status\" class=\"status\" role=\"status\" aria-live=\"polite\" tabindex=\"-1\"></p>\
         {contact}\
         </main>\
         <script src=\"{SCRIPT_PATH}\"></script>",
        title = escape(w.title),
        intro = escape(w.intro),
        organisation = escape(&organisation.name),
        steps = escape(w.steps),
        name_label = escape(w.name_label),
        name_hint = escape(w.name_hint),
        button = escape(w.button),
        no_script = escape(w.no_script),
    );
    document(language, w.title, &body)
}

/// The page for a link that is unknown, used, expired or ended by refused answers.
pub fn invalid_page(language: Language, organisation: &Organisation) -> String {
    let w = words(language);
    let body = format!(
        "<main><h1>{title}</h1><p>{invalid}</p>{contact}</main>",
        title = escape(w.invalid_title),
        invalid = escape(w.invalid),
        contact = contact(w, organisation),
    );
    document(language, w.invalid_title, &body)
}

fn contact(w: &Words, organisation: &Organisation) -> String {
    let link = if organisation.help_desk_url.starts_with("https://") {
        format!(
            " (<a href=\"{url}\">{url}</a>)",
            url = escape(&organisation.help_desk_url)
        )
    } else {
        String::new()
    };
    format!(
        "<p>{} <strong>{}</strong>{link}</p>",
        escape(w.call),
        escape(&organisation.help_desk_phone)
    )
}

fn contact_text(organisation: &Organisation) -> String {
    if organisation.help_desk_url.is_empty() {
        organisation.help_desk_phone.clone()
    } else {
        format!(
            "{} ({})",
            organisation.help_desk_phone, organisation.help_desk_url
        )
    }
}

fn document(language: Language, title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"{STYLE_PATH}\"></head>\
         <body>{body}</body></html>",
        lang = language.tag(),
        title = escape(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn organisation() -> Organisation {
        Organisation {
            name: "Example <University>".to_owned(),
            help_desk_phone: "+1 201 555 0100".to_owned(),
            help_desk_url: "https://help.example.org".to_owned(),
        }
    }

    #[test]
    fn the_page_has_no_inline_script_or_style_and_labels_its_field() {
        for language in [Language::English, Language::Spanish] {
            let html = page(language, &organisation());
            assert!(!html.contains("style="), "{html}");
            assert!(!html.contains("onclick"), "{html}");
            assert_eq!(html.matches("<script").count(), 1);
            assert!(html.contains(&format!("<script src=\"{SCRIPT_PATH}\"></script>")));
            assert!(html.contains("<label for=\"key-name\">"));
            assert!(html.contains("id=\"key-name\""));
            assert!(html.contains("Example &lt;University&gt;"));
            assert!(html.contains(&format!("lang=\"{}\"", language.tag())));
        }
        assert!(page(Language::Spanish, &organisation()).contains("Añade tu llave"));
    }

    #[test]
    fn an_invalid_link_says_whom_to_call() {
        let html = invalid_page(Language::English, &organisation());
        assert!(html.contains("This link no longer works"));
        assert!(html.contains("+1 201 555 0100"));
        assert!(html.contains("<a href=\"https://help.example.org\">"));
        assert!(!html.contains("<script"));
    }
}
