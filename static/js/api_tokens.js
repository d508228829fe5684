// The API token page: a copy button for a new key, and the revocation's confirmation in a dialog.
// Without this script the page still works: the key can be selected by hand, and each 「失効させる…」 link
// opens a confirmation page with the same form.

function selectText(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

async function copyText(text, element) {
  // The Clipboard API exists only in secure contexts (HTTPS, localhost) and may be refused by the browser.
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // fall through to the older way
    }
  }
  selectText(element);
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

const copyButton = document.getElementById("copy-token");
if (copyButton) {
  const key = document.getElementById(copyButton.dataset.copy);
  const status = document.getElementById("copy-status");
  copyButton.hidden = false;
  copyButton.addEventListener("click", async () => {
    status.textContent = "";
    const copied = await copyText(key.textContent.trim(), key);
    if (!copied) selectText(key); // left selected, so Ctrl+C copies it
    status.textContent = copied ? copyButton.dataset.copied : copyButton.dataset.copyByHand;
    status.dataset.state = copied ? "copied" : "by-hand";
  });
}

for (const opener of document.querySelectorAll("a[data-dialog]")) {
  const dialog = document.getElementById(opener.dataset.dialog);
  if (!dialog || typeof dialog.showModal !== "function") continue; // the link's confirmation page instead
  opener.addEventListener("click", (event) => {
    event.preventDefault();
    dialog.showModal();
  });
}
