fn main() {
    // The app's own commands, so that the capability file can grant exactly these.
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "app_info",
            "begin_sign_in",
            "verify_pin",
            "verify_passcode",
            "list_devices",
            "issue_bypass_code",
            "copy_bypass_code",
            "add_landline",
            "verify_landline",
            "show_activation_qr",
            "text_activation_link",
            "remove_device",
            "resync_token",
            "finish",
            "demo_inbox",
            "ui_ready",
            "start_security_key",
            "answer_key_pin",
            "cancel_security_key",
            "touch_demo_key",
            "rename_device",
            "recovery_pin_status",
            "set_recovery_pin",
        ]),
    ))
    .unwrap_or_else(|error| {
        println!("cargo::error=tauri-build failed: {error:#}");
    });
}
