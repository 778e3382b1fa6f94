// Completion of slash commands and their options in the message box (WAI-ARIA combobox with a
// listbox popup): "/" lists the commands, "--" lists the options of the typed command, and an
// option with fixed choices lists its values.
import type { CommandSpec, OptionSpec } from './api.ts';
import { h } from './dom.ts';

interface Item {
  label: string;
  detail: string;
  /** Text that replaces [from, to) of the message. */
  insert: string;
  from: number;
  to: number;
}

const DEFAULT_HINT = 'Enter sends, Shift+Enter starts a new line.';

/** Options that free text fills (as commands/text-args.ts reads it): the required text options, else the first text option. */
function positional(c: CommandSpec): OptionSpec[] {
  const text = c.options.filter((o) => o.type === 'string' && !o.choices);
  const required = text.filter((o) => o.required);
  return required.length > 0 ? required : text.slice(0, 1);
}

/** "/imagine prompt [--negative] [--seed]", "/anagram prompt_upright | prompt_flipped [--view]", "/sketch [prompt] [image: attach]" */
export function usageLine(c: CommandSpec): string {
  const free = positional(c);
  const text = free.map((o) => o.name).join(' | ');
  const parts = ['/' + c.name];
  if (free.length > 0) parts.push(free.every((o) => o.required) ? text : `[${text}]`);
  for (const o of c.options) {
    if (free.includes(o)) continue;
    parts.push(
      o.type === 'image'
        ? o.required
          ? `${o.name}: attach`
          : `[${o.name}: attach]`
        : o.required
          ? `--${o.name}`
          : `[--${o.name}]`,
    );
  }
  return parts.join(' ');
}

/** Suggestions for the message box, driven by the command specs from /api/commands. */
export class Completion {
  private items: Item[] = [];
  private active = -1;
  private commands: CommandSpec[] = [];

  constructor(
    private readonly input: HTMLTextAreaElement,
    private readonly list: HTMLUListElement,
    private readonly hint: HTMLElement,
  ) {
    input.addEventListener('input', () => this.update());
    input.addEventListener('click', () => this.update());
    input.addEventListener('blur', () => setTimeout(() => this.close(), 100));
    input.addEventListener('keydown', (e) => this.onKey(e));
  }

  /** Sets the command specs (after /api/commands answers). */
  setCommands(commands: CommandSpec[]): void {
    this.commands = commands;
    this.update();
  }

  /** Whether the suggestion list is showing. */
  get open(): boolean {
    return !this.list.hidden;
  }

  /** The command the message starts with, if known. */
  currentCommand(): CommandSpec | undefined {
    const m = /^\/(\S+)/.exec(this.input.value);
    return m ? this.commands.find((c) => c.name === m[1].toLowerCase()) : undefined;
  }

  /** Recomputes suggestions and the usage hint for the text before the caret. */
  update(): void {
    const value = this.input.value;
    const caret = this.input.selectionStart ?? value.length;
    const before = value.slice(0, caret);
    const cmd = this.currentCommand();
    this.hint.textContent = cmd ? `${usageLine(cmd)} — ${cmd.description}` : DEFAULT_HINT;
    if (!value.startsWith('/')) return this.show([]);
    const wordEnd = caret + (/^\S*/.exec(value.slice(caret))?.[0].length ?? 0);
    const first = /^\/(\S*)$/.exec(before);
    if (first) {
      const typed = first[1].toLowerCase();
      return this.show(
        this.commands
          .filter((c) => c.name.startsWith(typed))
          .map((c) => ({
            label: '/' + c.name,
            detail: c.description,
            insert: `/${c.name} `,
            from: 0,
            to: wordEnd,
          })),
      );
    }
    if (!cmd) return this.show([]);
    const word = /(\S*)$/.exec(before)?.[1] ?? '';
    const from = caret - word.length;
    if (/^(--|—)/.test(word) || word === '-') {
      const typed = word.replace(/^(-+|—)/, '').toLowerCase();
      const used = new Set([...value.matchAll(/(?:^|\s)--([\w-]+)/g)].map((m) => m[1]));
      return this.show(
        cmd.options
          .filter(
            (o) => o.type !== 'image' && o.name.startsWith(typed) && (!used.has(o.name) || o.name === typed),
          )
          .map((o) => ({
            label: `--${o.name}`,
            detail: describe(o),
            insert: `--${o.name} `,
            from,
            to: wordEnd,
          })),
      );
    }
    const prev = /--([\w-]+)\s+\S*$/.exec(before);
    const opt = prev ? cmd.options.find((o) => o.name === prev[1]) : undefined;
    if (opt?.choices) {
      return this.show(
        opt.choices
          .filter((c) => String(c.value).startsWith(word))
          .map((c) => ({
            label: String(c.value),
            detail: c.name === String(c.value) ? opt.name : c.name,
            insert: `${c.value} `,
            from,
            to: wordEnd,
          })),
      );
    }
    this.show([]);
  }

  private show(items: Item[]): void {
    this.items = items.slice(0, 12);
    this.list.replaceChildren(
      ...this.items.map((it, i) =>
        h(
          'li',
          {
            id: `completion-${i}`,
            role: 'option',
            'aria-selected': 'false',
            onmousedown: (e: Event) => {
              e.preventDefault();
              this.accept(i);
            },
          },
          h('span', { class: 'completion-label' }, it.label),
          h('span', { class: 'completion-detail' }, it.detail),
        ),
      ),
    );
    const open = this.items.length > 0;
    this.list.hidden = !open;
    this.input.setAttribute('aria-expanded', String(open));
    this.select(open ? 0 : -1);
  }

  private select(i: number): void {
    this.active = i;
    [...this.list.children].forEach((li, k) => li.setAttribute('aria-selected', String(k === i)));
    if (i >= 0) {
      this.input.setAttribute('aria-activedescendant', `completion-${i}`);
      this.list.children[i]?.scrollIntoView({ block: 'nearest' });
    } else this.input.removeAttribute('aria-activedescendant');
  }

  /** Closes the list. */
  close(): void {
    if (this.list.hidden) return;
    this.show([]);
  }

  private accept(i: number): void {
    const it = this.items[i];
    if (!it) return;
    const v = this.input.value;
    const next = v.slice(0, it.from) + it.insert + v.slice(it.to).replace(/^\s+/, '');
    this.input.value = next;
    const caret = it.from + it.insert.length;
    this.input.setSelectionRange(caret, caret);
    this.input.focus();
    this.input.dispatchEvent(new Event('input', { bubbles: true }));
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.open) return;
    const n = this.items.length;
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      this.select((this.active + 1) % n);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      this.select((this.active - 1 + n) % n);
    } else if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
      if (this.active < 0) return;
      // Enter on a command that is already typed in full sends instead of re-completing it.
      const it = this.items[this.active];
      if (e.key === 'Enter' && this.input.value.slice(it.from, it.to) + ' ' === it.insert)
        return this.close();
      e.preventDefault();
      e.stopImmediatePropagation();
      this.accept(this.active);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      this.close();
    }
  }
}

function describe(o: OptionSpec): string {
  const range = o.min !== undefined && o.max !== undefined ? ` (${o.min}–${o.max})` : '';
  return `${o.description}${range}`;
}
