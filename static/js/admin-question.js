/* The question form in Django admin, made comfortable. Without this script the form still works as plain HTML
   (keywords as comma-separated text, every exam's areas in the list, the server checks both).
   - Keywords as chips: Enter, "," or "、" adds one, × or Backspace removes one; the original text box, now
     hidden, keeps the comma-separated value the server reads.
   - The area list shows only the chosen exam's areas (each option says its exam); choosing an area first
     chooses its exam.
   - The syllabus keywords of the chosen area are offered as one-click suggestions.
   - Choice rows get numbered names for screen readers, also when rows are added or removed.
   - The review buttons act on the saved question: they warn when the form holds unsaved changes.
   Every word shown comes from the page (data-* attributes rendered by Django), so it is translated there. */
(function () {
  "use strict";

  const SEPARATORS = /[,、，\n]/;

  function format(template, value) {
    return template.replace("%s", value);
  }

  function normalise(word) {
    return word.trim().replace(/\s+/g, " ");
  }

  function keywordEditor(input, areaSelect) {
    const text = input.dataset;
    const keywords = input.value.split(SEPARATORS).map(normalise).filter(Boolean);

    const editor = document.createElement("div");
    editor.className = "keyword-editor";
    const chips = document.createElement("ul");
    chips.className = "keyword-chips";
    chips.setAttribute("aria-label", text.chipsLabel);
    const entry = document.createElement("input");
    entry.type = "text";
    entry.className = "keyword-entry";
    entry.autocomplete = "off";
    entry.enterKeyHint = "enter";
    // The field's <label for> and help text now belong to the box the author types in.
    entry.id = input.id;
    input.id = input.id + "_value";
    if (input.hasAttribute("aria-describedby")) {
      entry.setAttribute("aria-describedby", input.getAttribute("aria-describedby"));
    }
    const status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    const suggestions = document.createElement("div");
    suggestions.className = "keyword-suggestions";
    suggestions.hidden = true;
    const suggestionsTitle = document.createElement("p");
    suggestionsTitle.id = entry.id + "_suggestions";
    suggestionsTitle.textContent = text.suggestTitle;
    const suggestionList = document.createElement("ul");
    suggestionList.setAttribute("aria-labelledby", suggestionsTitle.id);
    suggestions.append(suggestionsTitle, suggestionList);

    input.type = "hidden";
    editor.append(chips, entry);
    const field = document.createElement("div");
    field.className = "keyword-field";
    field.append(editor, suggestions, status);
    input.after(field);

    function announce(message) {
      status.textContent = message;
    }

    function sync() {
      input.value = keywords.join(", ");
      renderSuggestions();
    }

    function chip(word) {
      const item = document.createElement("li");
      item.className = "keyword-chip";
      const label = document.createElement("span");
      label.textContent = word;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "keyword-chip-remove";
      remove.textContent = "×";
      remove.setAttribute("aria-label", format(text.removeLabel, word));
      remove.addEventListener("click", () => {
        const next = item.nextElementSibling || item.previousElementSibling;
        removeKeyword(word);
        (next ? next.querySelector("button") : entry).focus();
      });
      item.append(label, remove);
      return item;
    }

    function addKeyword(raw) {
      const word = normalise(raw);
      if (!word) return false;
      if (keywords.includes(word)) {
        announce(format(text.duplicate, word));
        return false;
      }
      keywords.push(word);
      chips.append(chip(word));
      sync();
      announce(format(text.added, word));
      return true;
    }

    function removeKeyword(word) {
      const index = keywords.indexOf(word);
      if (index < 0) return;
      keywords.splice(index, 1);
      chips.children[index].remove();
      sync();
      announce(format(text.removed, word));
    }

    // What is typed stays in the box until a separator or Enter makes it a keyword.
    function takeSeparated() {
      if (!SEPARATORS.test(entry.value)) return;
      const parts = entry.value.split(SEPARATORS);
      entry.value = parts.pop();
      parts.forEach(addKeyword);
    }

    function commitEntry() {
      takeSeparated();
      if (addKeyword(entry.value) || !normalise(entry.value)) entry.value = "";
    }

    entry.addEventListener("keydown", (event) => {
      // Enter also confirms a Japanese input method's conversion: that Enter is not ours.
      if (event.isComposing || event.keyCode === 229) return;
      if (event.key === "Enter") {
        event.preventDefault();
        commitEntry();
      } else if (event.key === "Backspace" && entry.value === "" && keywords.length) {
        event.preventDefault();
        removeKeyword(keywords[keywords.length - 1]);
      }
    });
    entry.addEventListener("input", (event) => {
      if (!event.isComposing) takeSeparated();
    });
    entry.addEventListener("compositionend", takeSeparated);
    entry.addEventListener("blur", commitEntry);
    input.form.addEventListener("submit", commitEntry);

    function renderSuggestions() {
      const option = areaSelect && areaSelect.selectedOptions[0];
      let offered = [];
      try {
        offered = JSON.parse((option && option.dataset.keywords) || "[]");
      } catch (error) {
        offered = [];
      }
      offered = offered.filter((word) => !keywords.includes(word));
      suggestionList.replaceChildren(
        ...offered.map((word) => {
          const item = document.createElement("li");
          const button = document.createElement("button");
          button.type = "button";
          button.className = "keyword-suggestion";
          button.textContent = "+ " + word;
          button.setAttribute("aria-label", format(text.suggestAdd, word));
          button.dataset.keyword = word;
          button.addEventListener("click", () => {
            const next = item.nextElementSibling || item.previousElementSibling;
            addKeyword(word);
            const target = next && suggestionList.contains(next) ? next.querySelector("button") : entry;
            target.focus();
          });
          item.append(button);
          return item;
        }),
      );
      suggestions.hidden = offered.length === 0;
    }

    keywords.forEach((word) => chips.append(chip(word)));
    if (areaSelect) areaSelect.addEventListener("change", renderSuggestions);
    sync();
  }

  function areaFilter(examSelect, areaSelect) {
    const placeholder = areaSelect.querySelector('option[value=""]');
    const groups = Array.from(areaSelect.querySelectorAll("optgroup"));
    const examOf = (group) => {
      const option = group.querySelector("option[data-exam]");
      return option ? option.dataset.exam : "";
    };
    const note = document.createElement("p");
    note.className = "help";
    note.setAttribute("aria-live", "polite");
    areaSelect.closest(".related-widget-wrapper, div").after(note);

    function show() {
      const exam = examSelect.value;
      const chosen = areaSelect.value;
      const shown = groups.filter((group) => !exam || examOf(group) === exam);
      areaSelect.replaceChildren(...(placeholder ? [placeholder] : []), ...shown);
      const stillThere = shown.some((group) =>
        Array.from(group.children).some((option) => option.value === chosen),
      );
      areaSelect.value = stillThere ? chosen : "";
      return chosen && !stillThere;
    }

    examSelect.addEventListener("change", () => {
      const dropped = show();
      note.textContent = dropped ? areaSelect.dataset.reselect : "";
      areaSelect.dispatchEvent(new Event("change", { bubbles: true }));
    });
    areaSelect.addEventListener("change", () => {
      const option = areaSelect.selectedOptions[0];
      if (option && option.dataset.exam && examSelect.value !== option.dataset.exam) {
        examSelect.value = option.dataset.exam;
        show();
      }
      if (areaSelect.value) note.textContent = "";
    });
    show();
  }

  function numberChoiceRows(group) {
    const rows = group.querySelectorAll("tr.form-row:not(.empty-form)");
    rows.forEach((row, index) => {
      row.querySelectorAll("[data-choice-label]").forEach((field) => {
        const rowName = format(field.dataset.choiceRow, String(index + 1));
        field.setAttribute("aria-label", rowName + ": " + field.dataset.choiceLabel);
      });
    });
  }

  // Select2 (the admin's autocomplete) names its box after the chosen value only, so an empty box has no
  // name: add the field's label in front (axe: aria-input-field-name). It builds the box after this script runs, hence the observer.
  function labelAutocompletes(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach((select) => {
      const box = select.parentElement.querySelector(".select2-selection");
      const label = document.querySelector('label[for="' + select.id + '"]');
      if (!box || !label || box.dataset.labelled) return;
      label.id = label.id || select.id + "_label";
      const rendered = box.querySelector(".select2-selection__rendered");
      box.setAttribute("aria-labelledby", label.id + (rendered && rendered.id ? " " + rendered.id : ""));
      // Its inner "textbox" showing the value needs a name too.
      if (rendered) rendered.setAttribute("aria-labelledby", label.id);
      box.dataset.labelled = "true";
    });
  }

  function warnBeforeReview(form, reviewForm) {
    let unsaved = false;
    form.addEventListener("input", () => {
      unsaved = true;
    });
    form.addEventListener("change", () => {
      unsaved = true;
    });
    reviewForm.addEventListener("submit", (event) => {
      if (unsaved && !window.confirm(reviewForm.dataset.unsavedWarning)) event.preventDefault();
    });
  }

  function start() {
    const examSelect = document.getElementById("id_exam");
    const areaSelect = document.getElementById("id_area");
    if (examSelect && areaSelect) areaFilter(examSelect, areaSelect);
    document.querySelectorAll("input[data-keyword-input]").forEach((input) => keywordEditor(input, areaSelect));

    const choices = document.getElementById("choices-group");
    if (choices) {
      numberChoiceRows(choices);
      document.addEventListener("formset:added", () => numberChoiceRows(choices));
      document.addEventListener("formset:removed", () => numberChoiceRows(choices));
    }

    const form = document.getElementById("question_form");
    if (form) {
      labelAutocompletes(form);
      new MutationObserver(() => labelAutocompletes(form)).observe(form, { childList: true, subtree: true });
    }
    const reviewForm = document.querySelector("form.review-form");
    if (form && reviewForm) warnBeforeReview(form, reviewForm);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
