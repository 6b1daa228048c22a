import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { json, jsonLanguage, jsonParseLinter } from '@codemirror/lang-json';
import { bracketMatching, defaultHighlightStyle, foldGutter, foldKeymap, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { linter, lintGutter, lintKeymap, type Diagnostic } from '@codemirror/lint';
import { EditorSelection, EditorState, type Extension } from '@codemirror/state';
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  hoverTooltip,
  keymap,
  lineNumbers,
} from '@codemirror/view';
import { disableErrorLogging } from 'best-effort-json-parser';
import { jsonCompletion, jsonSchemaHover, stateExtensions } from 'codemirror-json-schema';
import type { FieldProblem } from '../types';
import { completionSchema } from './completion-schema';
import { firstSyntaxError, locatePath } from './paths';

/**
 * The profile editor: CodeMirror 6 with JSON, driven by the service's profile JSON Schema
 * (completion of keys and values, hover docs) and checked as you type: syntax errors at once by the
 * parser, then — debounced — the service's validation errors and warnings, each placed at the line
 * of its dotted path. Loaded on demand (its own chunk).
 */

export type ProblemAt = FieldProblem & { severity: 'error' | 'warning'; line: number; from: number; to: number; exact: boolean };

export type CheckState =
  | { state: 'checking' }
  | { state: 'syntax'; problems: ProblemAt[] }
  | { state: 'checked'; valid: boolean; problems: ProblemAt[] }
  | { state: 'failed'; detail: string };

export type JsonEditorOptions = {
  parent: HTMLElement;
  doc: string;
  schema: Record<string, unknown> | null;
  nonce: string | null;
  readOnly: boolean;
  label: string;
  describedBy?: string;
  onChange: (text: string) => void;
  /** Asks the service about a document that parses (POST /v1/profiles/validate). */
  check: (document: unknown, signal: AbortSignal) => Promise<{ errors: FieldProblem[]; warnings: FieldProblem[]; valid: boolean }>;
  onCheck: (state: CheckState) => void;
  delayMs?: number;
};

export type JsonEditor = {
  view: EditorView;
  setDoc(text: string): void;
  text(): string;
  /** Moves the cursor to a problem and focuses the editor. */
  reveal(from: number, to: number): void;
  destroy(): void;
};

const theme = EditorView.theme({
  '&': { fontSize: '13px', border: '1px solid var(--border)', borderRadius: '6px', backgroundColor: 'var(--surface)' },
  '&.cm-focused': { outline: '3px solid var(--focus)', outlineOffset: '1px' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.5', minHeight: '320px', maxHeight: '65vh' },
  '.cm-gutters': { backgroundColor: 'var(--surface-2)', color: 'var(--muted)', borderRight: '1px solid var(--border)' },
  '.cm-activeLine': { backgroundColor: 'rgba(40, 90, 200, 0.06)' },
  '.cm-tooltip': { maxWidth: '36em', fontSize: '13px' },
  '.cm-tooltip.cm-tooltip-hover, .cm-tooltip-lint': { padding: '4px 8px' },
  '.cm-diagnostic': { whiteSpace: 'pre-wrap' },
});

// codemirror-json-schema reads half-typed JSON with best-effort-json-parser, which would log every
// incomplete document to the console as an error.
disableErrorLogging();

export function createJsonEditor(options: JsonEditorOptions): JsonEditor {
  let pending: AbortController | undefined;
  const parseLint = jsonParseLinter();

  const source = async (view: EditorView): Promise<Diagnostic[]> => {
    const state = view.state;
    const text = state.doc.toString();
    pending?.abort();
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      const diagnostics = parseLint(view);
      const treeError = firstSyntaxError(state);
      const problems: ProblemAt[] = diagnostics.map((diagnostic) => {
        const from = diagnostic.from === 0 && treeError !== undefined ? treeError : diagnostic.from;
        const line = state.doc.lineAt(from);
        const to = Math.max(from, Math.min(line.to, from + 1));
        return {
          path: `line ${line.number}`,
          message: `JSON syntax: ${diagnostic.message}`,
          severity: 'error',
          line: line.number,
          from,
          to,
          exact: true,
        };
      });
      options.onCheck({ state: 'syntax', problems });
      return problems.map((problem) => ({
        from: problem.from,
        to: problem.to,
        severity: 'error',
        message: problem.message,
        source: 'JSON',
      }));
    }
    const controller = new AbortController();
    pending = controller;
    options.onCheck({ state: 'checking' });
    let answer: Awaited<ReturnType<JsonEditorOptions['check']>>;
    try {
      answer = await options.check(document, controller.signal);
    } catch (error) {
      if (controller.signal.aborted) return [];
      options.onCheck({ state: 'failed', detail: (error as Error).message });
      return [];
    }
    // The text changed while the service answered: the next run reports.
    if (controller.signal.aborted || view.state.doc !== state.doc) return [];
    const place = (problem: FieldProblem, severity: 'error' | 'warning'): ProblemAt => ({
      ...problem,
      severity,
      ...locatePath(state, problem.path),
    });
    const problems = [
      ...answer.errors.map((problem) => place(problem, 'error')),
      ...answer.warnings.map((problem) => place(problem, 'warning')),
    ].sort((a, b) => a.from - b.from);
    options.onCheck({ state: 'checked', valid: answer.valid, problems });
    return problems.map((problem) => ({
      from: problem.from,
      to: Math.max(problem.to, problem.from),
      severity: problem.severity,
      message: `${problem.exact ? '' : `${problem.path}: `}${problem.message}`,
      source: problem.severity === 'error' ? 'the service refuses this' : 'warning',
    }));
  };

  const extensions: Extension[] = [
    lineNumbers(),
    highlightActiveLineGutter(),
    foldGutter(),
    history(),
    drawSelection(),
    indentOnInput(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    bracketMatching(),
    closeBrackets(),
    autocompletion({ icons: false }),
    highlightActiveLine(),
    keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...foldKeymap, ...completionKeymap, ...lintKeymap]),
    json(),
    lintGutter(),
    linter(source, { delay: options.delayMs ?? 500 }),
    theme,
    EditorView.lineWrapping,
    // tabindex: the content is reachable with Tab also when read-only (and axe sees the scrolling box has focusable content).
    EditorView.contentAttributes.of({
      'aria-label': options.label,
      tabindex: '0',
      ...(options.describedBy ? { 'aria-describedby': options.describedBy } : {}),
    }),
    EditorState.readOnly.of(options.readOnly),
    EditorView.editable.of(!options.readOnly),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) options.onChange(update.state.doc.toString());
    }),
  ];
  if (options.nonce) extensions.push(EditorView.cspNonce.of(options.nonce));
  if (options.schema) {
    extensions.push(
      jsonLanguage.data.of({ autocomplete: jsonCompletion() }),
      hoverTooltip(jsonSchemaHover()),
      stateExtensions(completionSchema(options.schema)),
    );
  }

  const view = new EditorView({ parent: options.parent, state: EditorState.create({ doc: options.doc, extensions }) });
  return {
    view,
    setDoc(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    text: () => view.state.doc.toString(),
    reveal(from, to) {
      const end = Math.min(to, view.state.doc.length);
      view.dispatch({
        selection: EditorSelection.single(Math.min(from, end), end),
        effects: EditorView.scrollIntoView(from, { y: 'center' }),
      });
      view.focus();
    },
    destroy: () => {
      pending?.abort();
      view.destroy();
    },
  };
}
