// Tells the shell that the first screen is on show (`cargo xtask bench app` times up to here).
window.addEventListener('DOMContentLoaded', () => {
  window.__TAURI__.core.invoke('ui_ready');
});
