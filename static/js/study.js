// Study mode by keyboard: 1–4 or a–d choose (toggle on a select-all question), Enter answers, and after the
// answer Enter goes on to the next question (its button has the focus). Typing in the note box is left alone.
const ask = document.querySelector("form[data-study=ask]");
const next = document.querySelector("form[data-study=next]");

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.target.matches("textarea, input[type=text]")) return;
  if (ask) {
    const inputs = [...ask.querySelectorAll(".choices input")];
    const key = event.key.toLowerCase();
    const index = "1234".includes(key) ? Number(key) - 1 : "abcd".indexOf(key);
    if (key.length === 1 && index >= 0 && index < inputs.length) {
      const input = inputs[index];
      input.checked = input.type === "checkbox" ? !input.checked : true;
      input.focus();
      event.preventDefault();
    } else if (event.key === "Enter" && inputs.some((i) => i.checked)) {
      ask.requestSubmit();
      event.preventDefault();
    }
  } else if (next && event.key === "Enter" && !event.target.matches("button, a")) {
    next.requestSubmit();
    event.preventDefault();
  }
});
