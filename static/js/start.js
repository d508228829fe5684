// The drill's area tree: each top-level area folds its leaves away, its box selects them all (and shows
// "some" when only some are chosen), and one box selects every area. Without this script the tree is
// simply listed open, and choosing a whole area works the same (the server keeps the whole area).
const tree = document.querySelector(".area-tree");
if (tree) {
  const boxes = (scope) => [...scope.querySelectorAll("input[name=areas]")];
  const selectAll = tree.querySelector("[data-select-all]");
  const groups = [...tree.querySelectorAll(".area-groups > li")].map((li) => ({
    parent: li.querySelector(".area-top input[name=areas]"),
    toggle: li.querySelector(".area-toggle"),
    list: li.querySelector(".area-children"),
  }));

  const paint = () => {
    for (const { parent, list } of groups) {
      if (!list) continue;
      const children = boxes(list);
      const on = children.filter((c) => c.checked).length;
      if (on === children.length) parent.checked = true;
      else if (on > 0 || !parent.checked) parent.checked = false;
      parent.indeterminate = on > 0 && on < children.length;
    }
    const all = boxes(tree);
    selectAll.checked = all.every((b) => b.checked);
    selectAll.indeterminate = !selectAll.checked && all.some((b) => b.checked);
  };

  const fold = ({ toggle, list }, open) => {
    list.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
  };

  selectAll.closest("label").hidden = false;
  for (const group of groups) {
    if (!group.list) continue;
    fold(group, boxes(group.list).some((c) => c.checked) && !group.parent.checked);
    group.toggle.addEventListener("click", () => fold(group, group.list.hidden));
  }
  tree.addEventListener("change", (event) => {
    const box = event.target;
    if (box === selectAll) {
      boxes(tree).forEach((b) => (b.checked = box.checked));
    } else {
      const group = groups.find((g) => g.parent === box);
      if (group?.list) boxes(group.list).forEach((c) => (c.checked = box.checked));
    }
    paint();
  });
  paint();
}
