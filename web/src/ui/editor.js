/** The code editor: CodeMirror 6 with Python, search, bracket matching, an error-line marker,
 * a theme that follows the system, and Mod-Enter / Escape handed to the page.
 */
import { basicSetup } from "codemirror";
import { EditorView, keymap, Decoration, GutterMarker, gutter } from "@codemirror/view";
import { EditorState, Compartment, StateField, StateEffect, Prec, RangeSet } from "@codemirror/state";
import { indentWithTab } from "@codemirror/commands";
import { indentUnit } from "@codemirror/language";
import { python } from "@codemirror/lang-python";
import { oneDark } from "@codemirror/theme-one-dark";

const setErrorLine = StateEffect.define(); // line number (1-based) or null

class ErrorMarker extends GutterMarker {
  toDOM() {
    const el = document.createElement("span");
    el.className = "cm-error-marker";
    el.textContent = "●";
    el.title = "the error happened here";
    return el;
  }
}

/** The failed run's line: a line decoration plus a gutter dot; cleared on the next edit. */
const errorLineField = StateField.define({
  create: () => null,
  update(line, tr) {
    for (const e of tr.effects) if (e.is(setErrorLine)) return e.value;
    return tr.docChanged ? null : line;
  },
  provide: (field) => [
    EditorView.decorations.compute([field], (state) => {
      const line = state.field(field);
      return line ? Decoration.set([Decoration.line({ class: "cm-error-line" }).range(state.doc.line(line).from)]) : Decoration.none;
    }),
    gutter({
      class: "cm-error-gutter",
      markers: (view) => {
        const line = view.state.field(field);
        return line ? RangeSet.of([new ErrorMarker().range(view.state.doc.line(line).from)]) : RangeSet.empty;
      },
    }),
  ],
});

const darkQuery = matchMedia("(prefers-color-scheme: dark)");
const themeFor = (dark) => (dark ? oneDark : []);

export function createEditor(parent, { doc = "", onChange = () => {}, onRun = () => {}, onStop = () => {} }) {
  const theme = new Compartment();
  const locked = new Compartment(); // read-only while a shared program's results are shown
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        Prec.highest(keymap.of([
          { key: "Mod-Enter", run: () => (onRun(), true) },
          { key: "Escape", run: () => onStop() === true },
        ])),
        basicSetup,
        keymap.of([indentWithTab]),
        indentUnit.of("    "),
        python(),
        errorLineField,
        theme.of(themeFor(darkQuery.matches)),
        locked.of([]),
        EditorView.contentAttributes.of({ "aria-label": "Python code" }),
        EditorView.updateListener.of((u) => u.docChanged && onChange(u.state.doc.toString())),
      ],
    }),
  });
  darkQuery.addEventListener("change", (e) => view.dispatch({ effects: theme.reconfigure(themeFor(e.matches)) }));

  return {
    view,
    getCode: () => view.state.doc.toString(),
    /** Replace the whole program (an example, a shared link); the change counts as the user's edit for undo. */
    setCode(code) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: code }, selection: { anchor: 0 }, scrollIntoView: true });
    },
    /** Mark `line` (1-based in the user's program) as the error line, or clear with null. */
    markError(line) {
      const valid = Number.isInteger(line) && line >= 1 && line <= view.state.doc.lines;
      const effects = [setErrorLine.of(valid ? line : null)];
      if (valid) effects.push(EditorView.scrollIntoView(view.state.doc.line(line).from, { y: "center" }));
      view.dispatch({ effects });
    },
    errorLine: () => view.state.field(errorLineField),
    /** Read-only (a shared program shown with its results) or editable again. */
    setReadOnly(on) {
      view.dispatch({ effects: locked.reconfigure(on ? [EditorState.readOnly.of(true), EditorView.editable.of(false)] : []) });
    },
    isReadOnly: () => view.state.readOnly,
    focus: () => view.focus(),
  };
}
