fn main() {
    // Like the app: an app manifest, so that the capability grants exactly this command.
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(&["ui_ready"])),
    )
    .unwrap_or_else(|error| {
        println!("cargo::error=tauri-build failed: {error:#}");
    });
}
