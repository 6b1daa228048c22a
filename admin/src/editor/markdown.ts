/**
 * Stands in for codemirror-json-schema's markdown module (see admin/build.mjs): the profile schema's
 * descriptions are plain sentences, one per line, with `code` at most. Everything is escaped, so the
 * HTML it answers (which the library sets as innerHTML) can hold nothing but text, <code> and <br>.
 */
const escape = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

export function renderMarkdown(markdown: string, inline = true): string {
  const html = escape(markdown)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\n/g, '<br>');
  return inline ? html : `<p>${html}</p>`;
}
