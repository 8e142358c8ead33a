// Progressive enhancement only: every page works without this file.
// Reviewer console shortcuts: c = claim, r = release, u = uphold/block, a = allow/reject (buttons carry data-key).
document.addEventListener("keydown", function (event) {
  const target = event.target;
  // Typing in a field is not a shortcut; a chosen radio button or checkbox keeps the shortcuts working.
  const choice = target && target.tagName === "INPUT" && (target.type === "radio" || target.type === "checkbox");
  if (target && !choice && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) {
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) {
    return;
  }
  const button = document.querySelector('[data-key="' + event.key + '"]');
  if (button) {
    event.preventDefault();
    button.click();
  }
});
