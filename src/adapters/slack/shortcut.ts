// The message shortcut "Diffuse this image": on a message with an image it opens a modal
// (technique + prompt and options in the slash-command syntax); submitting it runs the
// technique on that image and answers in the message's thread.
import type { App } from '@slack/bolt';
import { COMMANDS, getCommand, parseTextArgs } from '../../../commands/index.ts';
import { ACCEPTED_FORMATS_TEXT } from '../../imaging/index.ts';
import type { SlackContext } from './context.ts';
import { latestImage, type SlackFile } from './files.ts';
import { errorText } from './log.ts';
import { runSlackCommand, SHORTCUT_CALLBACK_ID, storeSlackImage, type Reply } from './run-command.ts';
import { escapeMrkdwn } from './text.ts';

/** Callback id of the modal the shortcut opens. */
export const MODAL_CALLBACK_ID = 'diffuse_image_submit';

/** What the modal remembers about the image (private_metadata). */
interface ModalMeta {
  /** Channel, thread root, and the image file (id, name, type; the URL is fetched again with files.info). */
  c: string;
  t: string;
  f: Pick<SlackFile, 'id' | 'name' | 'mimetype' | 'filetype'>;
}

/** The techniques that take an image, in help order. */
export function imageTechniques(): string[] {
  return COMMANDS.filter((c) => c.spec.options.some((o) => o.type === 'image')).map((c) => c.spec.name);
}

const plain = (text: string) => ({ type: 'plain_text' as const, text });

/** The modal of the message shortcut. */
export function shortcutModal(meta: ModalMeta) {
  const options = imageTechniques().map((name) => {
    const desc = getCommand(name)?.spec.description ?? '';
    return { text: plain(`${name}: ${desc}`.slice(0, 75)), value: name };
  });
  return {
    type: 'modal' as const,
    callback_id: MODAL_CALLBACK_ID,
    private_metadata: JSON.stringify(meta),
    title: plain('Diffuse this image'),
    submit: plain('Run'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: 'technique',
        label: plain('Technique'),
        element: { type: 'static_select', action_id: 'technique', initial_option: options[0], options },
      },
      {
        type: 'input',
        block_id: 'args',
        optional: true,
        label: plain('Prompt and options'),
        hint: plain('As in the slash commands, e.g. a rocket ship --noise_level 5 --seed 3'),
        element: { type: 'plain_text_input', action_id: 'args', placeholder: plain('a rocket ship --noise_level 5') },
      },
    ],
  };
}

/** Registers the message shortcut and its modal's submission. */
export function registerShortcut(app: App, ctx: SlackContext): void {
  app.shortcut(SHORTCUT_CALLBACK_ID, async ({ shortcut, ack, client, respond }) => {
    await ack();
    if (shortcut.type !== 'message_action') return;
    try {
      const message = shortcut.message as { ts: string; thread_ts?: string; files?: SlackFile[] };
      const found = latestImage([{ ts: message.ts, files: message.files ?? [] }]);
      if (!found.image) {
        await respond({ response_type: 'ephemeral', text: `:warning: That message has no image. Use this shortcut on a message with a ${ACCEPTED_FORMATS_TEXT} image.` });
        return;
      }
      const f = found.image;
      const meta: ModalMeta = {
        c: shortcut.channel.id,
        t: message.thread_ts ?? message.ts,
        f: { id: f.id, ...(f.name ? { name: f.name.slice(0, 200) } : {}), ...(f.mimetype ? { mimetype: f.mimetype } : {}), ...(f.filetype ? { filetype: f.filetype } : {}) },
      };
      await client.views.open({ trigger_id: shortcut.trigger_id, view: shortcutModal(meta) });
    } catch (err) {
      ctx.log.error({ err: errorText(err, ctx.secrets) }, 'message shortcut failed');
      await respond({ response_type: 'ephemeral', text: ':warning: Something went wrong; please try again.' }).catch(() => {});
    }
  });

  app.view(MODAL_CALLBACK_ID, async ({ ack, view, body }) => {
    const values = view.state.values as Record<string, Record<string, { selected_option?: { value?: string } | null; value?: string | null }>>;
    const technique = values.technique?.technique?.selected_option?.value ?? '';
    const args = values.args?.args?.value ?? '';
    const cmd = getCommand(technique);
    if (!cmd || !imageTechniques().includes(cmd.spec.name)) {
      await ack({ response_action: 'errors', errors: { technique: 'Pick a technique.' } });
      return;
    }
    const parsed = parseTextArgs(args, cmd.spec);
    if (!parsed.ok) {
      await ack({ response_action: 'errors', errors: { args: parsed.error.slice(0, 150) } });
      return;
    }
    await ack();
    let meta: ModalMeta;
    try {
      meta = JSON.parse(view.private_metadata) as ModalMeta;
    } catch {
      return;
    }
    const user = body.user.id;
    const reply: Reply = async (text) => {
      await ctx.client.chat.postEphemeral({ channel: meta.c, user, thread_ts: meta.t, text });
    };
    try {
      const stored = await storeSlackImage(ctx, meta.f, user);
      if (!stored.ok) return await reply(`:warning: ${escapeMrkdwn(stored.message)}`, true);
      const options = { ...parsed.options };
      for (const slot of parsed.missingImages) options[slot] = stored.ref;
      if (parsed.missingImages.length === 0) options.image = stored.ref;
      await runSlackCommand(ctx, cmd, options, user, { channel: meta.c, threadTs: meta.t }, reply);
    } catch (err) {
      ctx.log.error({ err: errorText(err, ctx.secrets) }, 'shortcut submission failed');
      await reply(':warning: Something went wrong; please try again.', true).catch(() => {});
    }
  });
}
