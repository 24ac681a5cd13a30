// After django-otp-webauthn's script has saved a new passkey, go on to the page that lists
// it (and shows recovery codes if this was the first factor). A file: the CSP allows no
// inline script.
document.addEventListener("otp_webauthn.register_complete", () => {
  const box = document.getElementById("passkey-registration");
  if (box && box.dataset.after) window.location.assign(box.dataset.after);
});
