import { ensureSyntaxTree } from '@codemirror/language';
import type { EditorState } from '@codemirror/state';
import type { SyntaxNode } from '@lezer/common';

/**
 * Where a problem the service reports sits in the JSON text: its dotted path
 * (`rules.0.conditions.all.0.path`, `(document)`) is walked down CodeMirror's JSON syntax tree.
 * A path that ends at a member that is missing points at the nearest object that should hold it.
 */

const VALUE_NODES = new Set(['Object', 'Array', 'String', 'Number', 'True', 'False', 'Null']);

export type Located = { from: number; to: number; line: number; exact: boolean };

function children(node: SyntaxNode, names: Set<string> | string): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (typeof names === 'string' ? child.name === names : names.has(child.name)) found.push(child);
  }
  return found;
}

function keyOf(state: EditorState, nameNode: SyntaxNode): string | undefined {
  const text = state.doc.sliceString(nameNode.from, nameNode.to);
  try {
    return JSON.parse(text) as string;
  } catch {
    return text.replace(/^"|"$/g, '');
  }
}

/** The segments of a dotted path; `(document)` and `(body)` are the whole document. */
export function pathSegments(path: string): string[] {
  if (!path || path.startsWith('(')) return [];
  return path.split('.');
}

export function locatePath(state: EditorState, path: string): Located {
  const tree = ensureSyntaxTree(state, state.doc.length, 500);
  const firstLine = state.doc.line(1);
  const whole: Located = { from: firstLine.from, to: firstLine.to, line: 1, exact: path.startsWith('(') };
  if (!tree) return whole;
  let value: SyntaxNode | null = children(tree.topNode, VALUE_NODES)[0] ?? null;
  if (!value) return whole;
  // The key of the member we are in (highlighted for objects and arrays, which span many lines).
  let keyNode: SyntaxNode | null = null;
  const segments = pathSegments(path);
  let exact = true;
  for (const segment of segments) {
    let next: SyntaxNode | null = null;
    let nextKey: SyntaxNode | null = null;
    if (value.name === 'Object') {
      for (const property of children(value, 'Property')) {
        const name = property.getChild('PropertyName');
        if (name && keyOf(state, name) === segment) {
          nextKey = name;
          next = children(property, VALUE_NODES)[0] ?? null;
          if (!next) next = name;
          break;
        }
      }
    } else if (value.name === 'Array' && /^\d+$/.test(segment)) {
      next = children(value, VALUE_NODES)[Number(segment)] ?? null;
    }
    if (!next) {
      exact = false;
      break;
    }
    value = next;
    keyNode = nextKey;
  }
  let from: number;
  let to: number;
  if (value.name === 'Object' || value.name === 'Array') {
    // A member holding an object or a list: mark its key (or the opening bracket) rather than every line.
    if (keyNode) {
      from = keyNode.from;
      to = keyNode.to;
    } else {
      from = value.from;
      to = Math.min(value.to, state.doc.lineAt(value.from).to);
    }
  } else {
    from = keyNode && !exact ? keyNode.from : value.from;
    to = value.to;
  }
  if (segments.length === 0) exact = whole.exact;
  return { from, to, line: state.doc.lineAt(from).number, exact };
}

/** The first place the parser could not make sense of (for syntax errors JSON.parse locates poorly). */
export function firstSyntaxError(state: EditorState): number | undefined {
  const tree = ensureSyntaxTree(state, state.doc.length, 500);
  let found: number | undefined;
  tree?.iterate({
    enter: (node) => {
      if (found !== undefined) return false;
      if (node.type.isError) {
        found = node.from;
        return false;
      }
      return undefined;
    },
  });
  return found;
}
