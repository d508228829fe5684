// Wide formulas, code and tables scroll sideways inside themselves rather than widening the page. Mark the
// ones that do (class "scrolls": a shadow on the side with more) and put a short note under each, so
// nobody misses the hidden part: on a phone it may hold what a question refers to. The page supplies the
// note's words in #scroll-hint-text (the script holds no language).
const WIDE = ".highlight, math, .table-scroll";
const hintText = document.getElementById("scroll-hint-text")?.textContent || "→";

export function markScrollers(scope = document) {
  for (const el of scope.querySelectorAll(WIDE)) {
    const scrolls = el.scrollWidth > el.clientWidth + 1;
    el.classList.toggle("scrolls", scrolls);
    if (scrolls) el.tabIndex = 0; // so the keyboard can scroll it too
    else el.removeAttribute("tabindex");
    const next = el.nextElementSibling;
    const hasHint = next?.classList.contains("scroll-hint");
    if (scrolls && !hasHint) {
      const hint = document.createElement("span"); // inline math sits inside a paragraph
      hint.className = "scroll-hint";
      hint.textContent = hintText;
      el.after(hint);
    } else if (!scrolls && hasHint) {
      next.remove();
    }
  }
}

markScrollers();
window.addEventListener("resize", () => markScrollers());
document.addEventListener("toggle", (event) => markScrollers(event.target), true); // a <details> opened
