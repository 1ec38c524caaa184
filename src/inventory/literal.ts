/**
 * Types an INI value the way Ansible does: it runs Python's `ast.literal_eval` on the text and keeps
 * the text as a string when that fails. So `2222` is a number, `True` a boolean, `'x'` the string x,
 * `['a', 'b']` a list, `{'k': 1}` a dict, and `hello world` stays a string. JSON's lowercase
 * true/false/null are accepted too, since shipshape's own docs write them that way.
 */
import { setOwn } from './own.ts';

class LiteralSyntax extends Error {}

/** Deeper nesting than any real inventory value: refused before it can exhaust the stack. */
const MAX_DEPTH = 64;

const WORDS: Record<string, unknown> = { True: true, False: false, None: null, true: true, false: false, null: null };
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' };

class LiteralParser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly text: string) {}

  parseAll(): unknown {
    const value = this.value();
    this.space();
    if (this.pos !== this.text.length) throw new LiteralSyntax();
    return value;
  }

  private space(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private value(): unknown {
    this.space();
    const char = this.text[this.pos];
    if (char === '[' || char === '(' || char === '{') {
      if (++this.depth > MAX_DEPTH) throw new LiteralSyntax();
      const value = char === '{' ? this.dict() : this.sequence(char === '[' ? ']' : ')');
      this.depth--;
      return value;
    }
    if (char === '"' || char === "'") return this.string(char);
    const match = /^(?:[+-]?(?:\d[\d_]*\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|[A-Za-z_]+)/.exec(this.text.slice(this.pos));
    if (!match) throw new LiteralSyntax();
    this.pos += match[0].length;
    const word = match[0];
    if (Object.hasOwn(WORDS, word)) return WORDS[word];
    if (/^[+-]?[\d.]/.test(word)) {
      const number = Number(word.replaceAll('_', ''));
      if (Number.isFinite(number)) return number;
    }
    throw new LiteralSyntax();
  }

  private string(quote: string): string {
    let out = '';
    this.pos++;
    while (this.pos < this.text.length) {
      const char = this.text[this.pos++];
      if (char === quote) return out;
      if (char === '\\' && this.pos < this.text.length) {
        const next = this.text[this.pos++];
        out += ESCAPES[next] ?? `\\${next}`;
      } else out += char;
    }
    throw new LiteralSyntax();
  }

  private expect(char: string): void {
    this.space();
    if (this.text[this.pos] !== char) throw new LiteralSyntax();
    this.pos++;
  }

  /** Runs `item` for each comma-separated element until `close`; trailing commas allowed. */
  private items(close: string, item: () => void): void {
    this.pos++;
    for (;;) {
      this.space();
      if (this.text[this.pos] === close) {
        this.pos++;
        return;
      }
      item();
      this.space();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== close) throw new LiteralSyntax();
    }
  }

  private sequence(close: string): unknown[] {
    const out: unknown[] = [];
    this.items(close, () => out.push(this.value()));
    return out;
  }

  private dict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.items('}', () => {
      const key = this.value();
      if (typeof key !== 'string' && typeof key !== 'number') throw new LiteralSyntax();
      this.expect(':');
      setOwn(out, String(key), this.value());
    });
    return out;
  }
}

export function parseAnsibleValue(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  try {
    return new LiteralParser(trimmed).parseAll();
  } catch (error) {
    if (error instanceof LiteralSyntax) return text.trim();
    throw error;
  }
}
