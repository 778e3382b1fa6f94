// The conversation: the user's messages and the bot's answers, one answer per job that follows
// the job's server-sent events (queued with position, started, progress with preview frames,
// then the image, the GIF and the caption, or the failure).
import { gifTitle } from '../../../../commands/gif-title.ts';
import type { JobView } from './api.ts';
import { queuedText } from '../../../../commands/format.ts';
import { clock, h, richText } from './dom.ts';
import { editButtons } from './edit-result.ts';
import { icon } from './icons.ts';

/** What the buttons of a job message do. */
export interface JobActions {
  regenerate(jobId: string): void;
  cancel(jobId: string): void;
  /** Runs a follow-up button of a result (POST its url). */
  followUp(jobId: string, url: string, label: string): void;
  /** Shows the job's /info. */
  info(jobId: string): void;
  /** Opens the mask painter on candidate `n` of a finished picture (Edit). */
  edit(view: JobView, n: number, count: number): void;
}

/** Least time between two spoken progress announcements. */
const ANNOUNCE_EVERY_MS = 8000;

/** The message list. */
export class Conversation {
  private readonly jobs = new Map<string, JobMessage>();
  private lastAnnounce = 0;

  constructor(
    readonly list: HTMLOListElement,
    private readonly announcer: HTMLElement,
    readonly actions: JobActions,
  ) {}

  /** Speaks a short status through the polite live region (progress is throttled). */
  announce(text: string, progress = false): void {
    const now = Date.now();
    if (progress && now - this.lastAnnounce < ANNOUNCE_EVERY_MS) return;
    this.lastAnnounce = now;
    this.announcer.textContent = text;
  }

  /** Keeps the newest message in view when the reader is already at the bottom. */
  stick<T>(change: () => T): T {
    const el = document.scrollingElement ?? document.documentElement;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 120;
    const out = change();
    if (atBottom) requestAnimationFrame(() => el.scrollTo({ top: el.scrollHeight }));
    return out;
  }

  /** Adds a message from the user: the command line and thumbnails of its attachments. */
  addUser(text: string, images: { url: string; alt: string }[] = [], at = Date.now()): HTMLLIElement {
    const li = message('user', 'You', icon('user'), at, h('div', { class: 'text' }, text));
    if (images.length > 0) {
      li.querySelector('.body')!.append(
        h(
          'div',
          { class: 'thumbs' },
          ...images.map((i) => h('img', { src: i.url, alt: i.alt, class: 'thumb' })),
        ),
      );
    }
    return this.stick(() => {
      this.list.append(li);
      return li;
    });
  }

  /** Adds a bot message with text (the bot's light markdown); `error` marks a refusal. */
  addBot(text: string, kind: 'info' | 'error' = 'info', at = Date.now()): HTMLLIElement {
    const body = h('div', { class: 'text' }, richText(text));
    const li = message(kind === 'error' ? 'bot error' : 'bot', 'diffuse-bot', icon('bot'), at, body);
    if (kind === 'error') {
      body.prepend(h('span', { class: 'visually-hidden' }, 'Error: '));
      li.querySelector('.meta')!.append(h('span', { class: 'only-you' }, 'only you can see this'));
    }
    return this.stick(() => {
      this.list.append(li);
      return li;
    });
  }

  /** Adds the bot's message for a job (queued text, or a view from history) and returns it. */
  addJob(jobId: string, text: string, at = Date.now(), mine = true): JobMessage {
    const m = new JobMessage(this, jobId, text, at, mine);
    this.jobs.set(jobId, m);
    this.stick(() => this.list.append(m.el));
    return m;
  }

  /** The message of a job, if shown. */
  job(jobId: string): JobMessage | undefined {
    return this.jobs.get(jobId);
  }
}

function message(
  kind: string,
  author: string,
  avatar: Node,
  at: number,
  ...content: Node[]
): HTMLLIElement {
  return h(
    'li',
    {
      class: `msg ${kind
        .split(' ')
        .map((k) => `msg-${k}`)
        .join(' ')}`,
    },
    h('div', { class: 'avatar', 'aria-hidden': 'true' }, avatar),
    h(
      'div',
      { class: 'body' },
      h(
        'div',
        { class: 'meta' },
        h('span', { class: 'author' }, author),
        author === 'diffuse-bot' ? h('span', { class: 'badge' }, 'BOT') : null,
        h('time', { datetime: new Date(at).toISOString() }, clock(at)),
      ),
      ...content,
    ),
  );
}

/** One job's message: status, progress bar, live preview, then the result. */
export class JobMessage {
  readonly el: HTMLLIElement;
  private readonly status: HTMLParagraphElement;
  private readonly progressRow: HTMLDivElement;
  private readonly progress: HTMLProgressElement;
  private readonly stepText: HTMLSpanElement;
  private readonly preview: HTMLImageElement;
  private readonly result: HTMLDivElement;
  private readonly actions: HTMLDivElement;
  private source: EventSource | null = null;
  private finished = false;

  constructor(
    private readonly convo: Conversation,
    readonly jobId: string,
    text: string,
    at: number,
    private readonly mine: boolean,
  ) {
    this.status = h('p', { class: 'status' }, richText(text));
    this.progress = h('progress', { max: 1, value: 0, 'aria-label': `Progress of job ${jobId}` });
    this.stepText = h('span', { class: 'step' }, '');
    this.progressRow = h('div', { class: 'progress-row', hidden: true }, this.progress, this.stepText);
    this.preview = h('img', { class: 'preview', alt: `Preview of job ${jobId} while it runs`, hidden: true });
    this.result = h('div', { class: 'result' });
    this.actions = h('div', { class: 'actions' });
    this.el = message(
      'bot',
      'diffuse-bot',
      icon('bot'),
      at,
      this.status,
      this.progressRow,
      this.preview,
      this.result,
      this.actions,
    );
    this.el.dataset.job = jobId;
    this.el.setAttribute('aria-busy', 'true');
    this.setActions('waiting');
  }

  /** Follows the job's event stream until it ends. */
  follow(): void {
    if (this.source || this.finished) return;
    const es = new EventSource(`/api/jobs/${encodeURIComponent(this.jobId)}/events`);
    this.source = es;
    const on = (type: string, f: (d: Record<string, unknown>) => void) =>
      es.addEventListener(type, (e) =>
        f(JSON.parse((e as MessageEvent<string>).data) as Record<string, unknown>),
      );
    on('queued', (d) => this.queued(Number(d.position), Number(d.estimatedWaitMs)));
    on('started', () => this.started());
    on('progress', (d) =>
      this.step(Number(d.step), Number(d.total), typeof d.preview === 'string' ? d.preview : undefined),
    );
    on('done', (d) => this.done(d.job as JobView));
    on('failed', (d) => this.failed(String(d.message)));
    on('cancelled', () => this.cancelled());
    es.onerror = () => {
      // EventSource reconnects by itself while the server is up; a closed stream after the end is expected.
      if (this.finished) es.close();
    };
  }

  private stop(): void {
    this.finished = true;
    this.source?.close();
    this.source = null;
    this.el.removeAttribute('aria-busy');
    this.progressRow.hidden = true;
  }

  /** Queue position changed. */
  queued(position: number, estimatedWaitMs: number): void {
    this.status.replaceChildren(richText(queuedText(this.jobId, position, estimatedWaitMs)));
    if (position > 0) this.convo.announce(`Job ${this.jobId} is waiting, position ${position}.`);
  }

  /** The job started. */
  started(): void {
    this.status.replaceChildren(richText(`Job \`${this.jobId}\` is running…`));
    this.progressRow.hidden = false;
    this.setActions('running');
    this.convo.announce(`Job ${this.jobId} started.`);
  }

  /** One step done (and maybe a preview frame). */
  step(step: number, total: number, preview?: string): void {
    this.progressRow.hidden = false;
    // Previews are throttled and may arrive after a later step count: the bar never goes back.
    if (total !== this.progress.max || step >= this.progress.value) {
      this.progress.max = Math.max(1, total);
      this.progress.value = step;
      this.stepText.textContent = `step ${step} of ${total}`;
    }
    if (preview) {
      this.convo.stick(() => {
        this.preview.src = preview;
        this.preview.alt = `Preview of job ${this.jobId} at step ${step} of ${total}`;
        this.preview.hidden = false;
      });
    }
    this.convo.announce(`Job ${this.jobId}: step ${step} of ${total}.`, true);
  }

  /** The job finished: the image, the GIF, the caption and 🔁. */
  done(view: JobView | null): void {
    this.stop();
    this.preview.hidden = true;
    if (!view || !view.result) {
      this.status.replaceChildren(richText(`Job \`${this.jobId}\` is done.`));
      this.setActions('done');
      return;
    }
    this.status.replaceChildren();
    this.status.hidden = true;
    const parts = view.captionParts;
    const what = parts ? `${parts.title} ${parts.prompts.join(' · ')}` : view.command;
    const figures: HTMLElement[] = [];
    if (view.links.image) {
      figures.push(
        h(
          'figure',
          { class: 'final' },
          h(
            'a',
            { href: view.links.image, target: '_blank', rel: 'noopener' },
            h('img', {
              src: view.links.image,
              alt: `Result of job ${view.jobId}: ${what} (seed ${view.result.seed})`,
              width: view.result.width,
              height: view.result.height,
              class: 'final-image',
            }),
          ),
        ),
      );
    }
    if (view.links.gif) {
      const gif = gifTitle(view.technique);
      figures.push(
        h(
          'figure',
          { class: 'trajectory' },
          h(
            'a',
            { href: view.links.gif, target: '_blank', rel: 'noopener' },
            h('img', {
              src: view.links.gif,
              alt: `${gif.replace(/^\w/, (c) => c.toUpperCase())} of job ${view.jobId} (animated GIF, ${view.result.gifFrames} frames)`,
              class: 'gif-image',
              width: 192,
              height: 192,
            }),
          ),
          h('figcaption', {}, gif),
        ),
      );
    }
    if (!view.links.image)
      figures.push(
        h('p', { class: 'status' }, 'The image files of this job were deleted; the new-seed button draws it again.'),
      );
    // Follow-ups (U n, V n, reroll, zoom out, pan), one row each, as the chat platforms show them.
    const rows = (view.actions ?? []).map((row) =>
      h(
        'div',
        { class: 'follow-ups', role: 'group', 'aria-label': `Follow-ups of job ${view.jobId}` },
        ...row.map((b) =>
          h(
            'button',
            {
              type: 'button',
              class: 'follow-up',
              'data-action': b.id,
              title: `${b.label} (job ${view.jobId})`,
              onclick: () => this.convo.actions.followUp(view.jobId, b.url, b.label),
            },
            b.label,
          ),
        ),
      ),
    );
    const edits = editButtons(view, (n, count) => this.convo.actions.edit(view, n, count));
    this.convo.stick(() => {
      this.result.replaceChildren(
        h('div', { class: 'figures' }, ...figures),
        h('p', { class: 'caption' }, view.caption ?? ''),
        ...rows,
        ...(edits ? [edits] : []),
      );
      this.setActions('done');
    });
    this.convo.announce(`Job ${this.jobId} is done: ${what}, seed ${view.result.seed}.`);
  }

  /** The job failed; the message says why. */
  failed(message: string): void {
    this.stop();
    this.preview.hidden = true;
    this.el.classList.add('msg-error');
    this.status.replaceChildren(
      h('span', { class: 'visually-hidden' }, 'Error: '),
      richText(`Job \`${this.jobId}\` failed: ${message}`),
    );
    this.setActions('failed');
    this.convo.announce(`Job ${this.jobId} failed: ${message}`);
  }

  /** The job was cancelled. */
  cancelled(): void {
    this.stop();
    this.preview.hidden = true;
    this.status.replaceChildren(richText(`Job \`${this.jobId}\` was cancelled.`));
    this.setActions('cancelled');
    this.convo.announce(`Job ${this.jobId} was cancelled.`);
  }

  /** Shows a stored job as it is now (from history), following it if it has not finished. */
  restore(view: JobView): void {
    if (view.status === 'done') this.done(view);
    else if (view.status === 'failed') this.failed(view.error ?? 'unknown error');
    else if (view.status === 'cancelled') this.cancelled();
    else {
      if (view.status === 'running') this.started();
      else this.queued(view.position ?? 0, 0);
      this.follow();
    }
  }

  private setActions(state: 'waiting' | 'running' | 'done' | 'failed' | 'cancelled'): void {
    const buttons: HTMLElement[] = [];
    if ((state === 'waiting' || state === 'running') && this.mine) {
      buttons.push(
        h(
          'button',
          { type: 'button', class: 'cancel', onclick: () => this.convo.actions.cancel(this.jobId) },
          'Cancel',
        ),
      );
    }
    if (state === 'done' || state === 'failed' || state === 'cancelled') {
      buttons.push(
        h(
          'button',
          {
            type: 'button',
            class: 'regen',
            'aria-label': `Regenerate job ${this.jobId} with a new seed`,
            title: 'Again with a new seed',
            onclick: () => this.convo.actions.regenerate(this.jobId),
          },
          icon('regen'),
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'info',
            'aria-label': `Info about job ${this.jobId}`,
            title: 'Its parameters, lineage and the command line that draws it again',
            onclick: () => this.convo.actions.info(this.jobId),
          },
          'Info',
        ),
      );
    }
    this.actions.replaceChildren(...buttons);
  }
}
