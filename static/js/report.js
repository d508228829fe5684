// The result report's question list: show only the missed or flagged questions or one area's, and open every
// explanation at once. Without this script every question is listed with its explanation folded.
const section = document.querySelector(".review-section");
if (section) {
  const filters = section.querySelector(".review-filters");
  const items = [...section.querySelectorAll(".review-item")];
  const countEl = filters.querySelector(".review-count");
  const countText = document.getElementById("review-count-text").textContent;
  const noneText = document.getElementById("review-none-text").textContent;
  const openButton = filters.querySelector("[data-action=open-explanations]");
  const openLabel = openButton.textContent;

  const apply = () => {
    const show = filters.querySelector("input[name=review-show]:checked").value;
    const area = filters.querySelector("select[name=review-area]").value;
    let shown = 0;
    for (const item of items) {
      const { result, flagged } = item.dataset;
      const visible =
        (show === "all" ||
          (show === "missed" && (result === "wrong" || result === "blank")) ||
          (show === "flagged" && flagged === "1")) &&
        (!area || item.dataset.area === area);
      item.hidden = !visible;
      shown += visible;
    }
    countEl.textContent = shown ? countText.replace("{shown}", shown).replace("{total}", items.length) : noneText;
  };

  filters.hidden = false;
  filters.addEventListener("change", apply);
  openButton.addEventListener("click", () => {
    const open = openButton.getAttribute("aria-pressed") !== "true";
    section.querySelectorAll("details.explanation").forEach((d) => (d.open = open));
    openButton.setAttribute("aria-pressed", String(open));
    openButton.textContent = open ? openButton.dataset.closeLabel || openLabel : openLabel;
  });
  // A jump from the answer grid to a question the filters hide shows everything again.
  section.querySelector(".answer-grid").addEventListener("click", (event) => {
    const cell = event.target.closest("a.grid-cell");
    const target = cell && document.getElementById(`q${cell.dataset.n}`);
    if (target?.hidden) {
      filters.querySelector("input[name=review-show][value=all]").checked = true;
      filters.querySelector("select[name=review-area]").value = "";
      apply();
    }
  });
  apply();
}
