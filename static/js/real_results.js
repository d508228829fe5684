// The real-result form: the session list shows only the chosen exam's sessions. Without this script every
// exam's sessions are listed under the exam's name; the server checks the exam and session either way.

const examSelect = document.getElementById("id_exam");
const sessionSelect = document.getElementById("id_session");

if (examSelect && sessionSelect) {
  const placeholder = sessionSelect.querySelector(":scope > option[value='']");
  const groups = [...sessionSelect.querySelectorAll(":scope > optgroup")];
  const none = document.createElement("option");
  none.disabled = true;
  none.textContent = sessionSelect.dataset.noSessions;

  // Removed from the list rather than hidden: phones' pickers show hidden options.
  const showSessionsOf = (keepLabel) => {
    const exam = examSelect.selectedIndex > 0 ? examSelect.options[examSelect.selectedIndex].text : "";
    const label = sessionSelect.value;
    const shown = exam ? groups.filter((group) => group.label === exam) : groups;
    sessionSelect.replaceChildren(...[placeholder, ...shown].filter(Boolean));
    if (exam && shown.length === 0) sessionSelect.append(none);
    // After a refused form the same label is chosen again in this exam's list; a new exam starts afresh.
    const same = keepLabel && [...sessionSelect.options].find((option) => option.value === label && label);
    sessionSelect.value = same ? label : "";
  };

  examSelect.addEventListener("change", () => showSessionsOf(false));
  showSessionsOf(true);
}
