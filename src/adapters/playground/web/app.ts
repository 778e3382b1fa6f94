// The playground page: a chat channel where slash commands run diffusion jobs through the JSON
// HTTP API. Wires the composer (completion, attachments by picker, drag-and-drop and paste,
// sketch and mask painters) to the conversation, and restores this browser's history.
import {
  ApiError,
  cancelJob,
  fetchCommands,
  fetchHealth,
  fetchHistory,
  regenerateJob,
  runAction,
  submitCommand,
  type CommandSpec,
  type JobView,
} from './api.ts';
import { Attachments, type Slot } from './attachments.ts';
import { Completion } from './completion.ts';
import { PromptReading } from './prompt-reading.ts';
import { byId } from './dom.ts';
import { fillIcons } from './icons.ts';
import { candidatePicture, inpaintCommandText } from './edit-result.ts';
import { Conversation } from './messages.ts';
import { setupMaskDialog, setupSketchDialog } from './paint-dialogs.ts';

const ACCEPTED = 'PNG, JPEG, WebP, GIF, AVIF, TIFF';

function main(): void {
  fillIcons();
  const form = byId<HTMLFormElement>('composer');
  const input = byId<HTMLTextAreaElement>('message');
  const send = byId<HTMLButtonElement>('send');
  const file = byId<HTMLInputElement>('file');
  const errorBox = byId<HTMLParagraphElement>('composer-error');
  const maskButton = byId<HTMLButtonElement>('open-mask');
  const overlay = byId<HTMLDivElement>('drop-overlay');
  let commands: CommandSpec[] = [];

  const showError = (text: string | null) => {
    errorBox.textContent = text ?? '';
    errorBox.hidden = !text;
  };

  const attachments = new Attachments(byId('attachments'), () => {
    maskButton.disabled = !attachments.get('image');
  });
  const completion = new Completion(input, byId('completion'), byId('composer-hint'));
  const reading = new PromptReading(byId('composer-reading'));

  const convo = new Conversation(byId('messages'), byId('announcer'), {
    regenerate: (jobId) => void regenerate(jobId),
    cancel: (jobId) => void cancel(jobId),
    followUp: (jobId, url, label) => void followUp(jobId, url, label),
    info: (jobId) => void info(jobId),
    edit: (view, n, count) => void edit(view, n, count),
  });

  /** Starts the message with `/name ` when it is empty, a bare command or plain words; a command with text stays. */
  const suggestCommand = (name: string) => {
    const v = input.value.trim();
    if (v === '' || /^\/[\w-]*$/.test(v)) input.value = `/${name} `;
    else if (!v.startsWith('/')) input.value = `/${name} ${v}`;
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
    completion.update();
  };

  const attachFile = (f: File | Blob, name: string, slot: Slot = 'image') => {
    showError(null);
    if (f.type && !f.type.startsWith('image/')) {
      showError(`${name} is not an image (${ACCEPTED}).`);
      return;
    }
    attachments.set(slot, f, name);
  };

  // ---- attachments: picker, drag-and-drop, paste --------------------------------------------

  byId<HTMLButtonElement>('attach').addEventListener('click', () => file.click());
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f) attachFile(f, f.name || 'image');
    file.value = '';
    input.focus();
  });
  let dragDepth = 0;
  const hasFiles = (e: DragEvent) => [...(e.dataTransfer?.types ?? [])].includes('Files');
  window.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    dragDepth++;
    overlay.hidden = false;
  });
  window.addEventListener('dragleave', () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) overlay.hidden = true;
  });
  window.addEventListener('dragover', (e) => {
    if (hasFiles(e)) e.preventDefault();
  });
  window.addEventListener('drop', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth = 0;
    overlay.hidden = true;
    const f = e.dataTransfer?.files[0];
    if (f) attachFile(f, f.name || 'dropped image');
    input.focus();
  });
  input.addEventListener('paste', (e) => {
    const item = [...(e.clipboardData?.items ?? [])].find((i) => i.kind === 'file');
    const f = item?.getAsFile();
    if (!f) return;
    e.preventDefault();
    attachFile(f, f.name && f.name !== 'image.png' ? f.name : 'pasted image');
  });

  // ---- sketch and mask -----------------------------------------------------------------------

  const openSketch = setupSketchDialog((png) => {
    attachments.set('image', png, 'sketch.png');
    suggestCommand('sketch');
  });
  byId<HTMLButtonElement>('open-sketch').addEventListener('click', openSketch);
  // Edit on a result: the mask painter opens on that candidate; the composer then inpaints it by reference.
  let editing: { jobId: string; n: number } | null = null;
  const openMask = setupMaskDialog((png) => {
    attachments.set('mask', png, 'mask.png');
    if (!editing) return suggestCommand('inpaint');
    input.value = inpaintCommandText(editing.jobId, editing.n);
    editing = null;
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
    completion.update();
  });
  async function edit(view: JobView, n: number, count: number): Promise<void> {
    try {
      const picture = await candidatePicture(view.links.image!, count, n);
      editing = { jobId: view.jobId, n };
      await openMask(picture);
    } catch (err) {
      editing = null;
      showError(`That picture cannot be shown for painting: ${(err as Error).message}`);
    }
  }
  maskButton.addEventListener('click', () => {
    editing = null;
    const img = attachments.get('image');
    if (img)
      void openMask(img.blob).catch((err: unknown) =>
        showError(`That image cannot be shown for painting: ${(err as Error).message}`),
      );
  });

  // ---- sending -------------------------------------------------------------------------------

  // An empty composer is one line (its placeholder never makes it grow); text grows it up to 200 px.
  const autoGrow = () => {
    input.style.height = 'auto';
    if (input.value !== '') input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
  };
  const narrow = window.matchMedia('(max-width: 600px)');
  const fitPlaceholder = () => (input.placeholder = narrow.matches ? 'Type / for commands' : 'Message #playground — type / for commands');
  narrow.addEventListener('change', fitPlaceholder);
  fitPlaceholder();
  input.addEventListener('input', () => {
    autoGrow();
    showError(null);
    reading.update(input.value);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !completion.open) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void sendMessage();
  });

  async function sendMessage(): Promise<void> {
    let text = input.value.trim();
    if (!text) {
      showError(
        attachments.empty
          ? 'Type a command, e.g. /imagine a red heart.'
          : 'Say what to do with the image, e.g. /sketch or /inpaint a cat.',
      );
      return;
    }
    // Plain words draw a picture, as /imagine.
    if (!text.startsWith('/')) text = `/imagine ${text}`;
    const cmd = commands.find((c) => c.name === /^\/(\S+)/.exec(text)?.[1].toLowerCase());
    const imageNames = new Set((cmd?.options ?? []).filter((o) => o.type === 'image').map((o) => o.name));
    // A job given as the image (--job ID): an attached image stays in the tray.
    if (/(?:^|\s)(?:--job\b|job:)/i.test(text)) imageNames.delete('image');
    // Attachments the command takes go with it; others stay in the tray for the next message.
    const sent = attachments.take(imageNames);
    const formData = new FormData();
    formData.set('text', text);
    for (const a of sent) formData.set(a.slot, a.blob, a.name);
    const shown = sent;
    convo.addUser(
      text,
      shown.map((a) => ({ url: a.url, alt: `${a.slot === 'mask' ? 'Mask' : 'Attached image'}: ${a.name}` })),
    );
    input.value = '';
    autoGrow();
    reading.update('');
    completion.update();
    send.disabled = true;
    try {
      const answer = await submitCommand(formData);
      if ('jobId' in answer) {
        const m = convo.addJob(answer.jobId, answer.reading ? `${answer.text}\n${answer.reading}` : answer.text);
        m.follow();
      } else {
        convo.addBot(answer.reply.text);
      }
    } catch (err) {
      handleError(err);
    } finally {
      send.disabled = false;
      input.focus();
    }
  }

  async function regenerate(jobId: string): Promise<void> {
    try {
      const a = await regenerateJob(jobId);
      convo.addUser(`Again with a new seed (job ${jobId})`);
      const m = convo.addJob(a.jobId, a.text);
      m.follow();
    } catch (err) {
      handleError(err);
    }
  }

  async function followUp(jobId: string, url: string, label: string): Promise<void> {
    try {
      const a = await runAction(url);
      convo.addUser(`${label} of job ${jobId}`);
      convo.addJob(a.jobId, a.text).follow();
    } catch (err) {
      handleError(err);
    }
  }

  async function info(jobId: string): Promise<void> {
    const text = `/info ${jobId}`;
    const form = new FormData();
    form.set('text', text);
    convo.addUser(text);
    try {
      const answer = await submitCommand(form);
      if (!('jobId' in answer)) convo.addBot(answer.reply.text);
    } catch (err) {
      handleError(err);
    }
  }

  async function cancel(jobId: string): Promise<void> {
    try {
      await cancelJob(jobId);
    } catch (err) {
      handleError(err);
    }
  }

  function handleError(err: unknown): void {
    if (err instanceof ApiError && err.status === 401) {
      showAuth(err.message);
      return;
    }
    convo.addBot(err instanceof Error ? err.message : String(err), 'error');
  }

  // ---- access token --------------------------------------------------------------------------

  function showAuth(message: string): void {
    byId('auth-message').textContent = message;
    byId('auth-banner').hidden = false;
    byId<HTMLInputElement>('auth-token').focus();
  }
  byId<HTMLFormElement>('auth-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = byId<HTMLInputElement>('auth-token').value.trim();
    if (token) location.href = `/?token=${encodeURIComponent(token)}`;
  });

  // ---- start: commands, history, health ------------------------------------------------------

  void (async () => {
    try {
      commands = (await fetchCommands()).commands;
      completion.setCommands(commands);
      const { jobs } = await fetchHistory();
      for (const job of jobs) {
        convo.addUser(askedFor(job), [], job.createdAt);
        convo.addJob(job.jobId, `Job \`${job.jobId}\``, job.createdAt, job.mine).restore(job);
      }
      const health = await fetchHealth();
      byId('engine-status').textContent =
        `Model ${health.model} on ${health.device}${health.ok ? '' : ' (not ready)'}.`;
    } catch (err) {
      handleError(err);
    }
  })();
  input.focus();
}

/** What the user asked for, as the history shows it: the command, or the follow-up and the job it started from. */
function askedFor(job: JobView): string {
  const from = job.spec.from;
  const parent = from?.jobId ?? job.parentId;
  // A result used as the image of a command the user typed: that command (with --job and --candidate).
  if (job.spec.source?.action === 'input') return job.command;
  if (!from || !parent) return job.parentId ? `Again with a new seed (job ${job.parentId})` : job.command;
  if (from.action === 'reroll') return `Again with a new seed (job ${parent})`;
  return `${from.action.replace(/^\w/, (c) => c.toUpperCase())} of job ${parent}`;
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
else main();
