// A page sent back with errors (422) puts the focus on the first field in error. The field's
// `autofocus` does it without JavaScript; this also opens a collapsed action holding the field
// and covers a field that autofocus could not reach.
document.addEventListener("DOMContentLoaded", () => {
  const first = document.querySelector('[aria-invalid="true"]');
  if (!first || document.activeElement === first) return;
  for (let d = first.closest("details"); d; d = d.parentElement.closest("details")) d.open = true;
  first.focus();
});
