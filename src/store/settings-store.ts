// Runs in the bot's process.
// Per-user, per-server and per-channel settings kept in the job store's SQLite file (table
// `settings`, schema version 2): a user's defaults for new jobs, a server's defaults set by its
// admins, and the banned words or patterns (content rules) of a server or channel.
import type Database from 'better-sqlite3';

/** Migration 2 of the job store (store.ts MIGRATIONS): the settings table. */
export const SETTINGS_MIGRATION = `CREATE TABLE settings (
     scope TEXT NOT NULL,
     platform TEXT NOT NULL,
     id TEXT NOT NULL,
     data TEXT NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (scope, platform, id)
   );`;

/** Who a settings row belongs to: a user, a server (Discord guild, Slack team, the playground), or a channel. */
export type SettingsScope = 'user' | 'server' | 'channel';

/** Defaults of new jobs; every field optional (absent = the next level decides). */
export interface JobDefaults {
  model?: string;
  guidance?: number;
  steps?: number;
  sampler?: string;
  /** Candidates per job, used once the job spec has a count. */
  count?: number;
  /** false: jobs without the model's coarse data prior. */
  prior?: boolean;
  /** Answer generating commands only to the caller (ephemeral). */
  private?: boolean;
}

/** One settings row: job defaults, plus (server and channel) banned words or /patterns/. */
export interface Settings extends JobDefaults {
  banned?: string[];
}

/** The settings fields a job default can hold, in display order. */
export const DEFAULT_KEYS = ['model', 'guidance', 'steps', 'sampler', 'count', 'prior', 'private'] as const;

/** What commands and adapters may do with settings (the in-process engine keeps them in SQLite). */
export interface SettingsApi {
  /** The row of (scope, platform, id), {} when none. */
  get(scope: SettingsScope, platform: string, id: string): Settings;
  /** Merges `patch` into the row: undefined fields are left alone, null fields are cleared. */
  update(scope: SettingsScope, platform: string, id: string, patch: SettingsPatch): Settings;
  /** Deletes the row. */
  clear(scope: SettingsScope, platform: string, id: string): void;
}

/** A change of settings: a value sets, null clears, absent keeps. */
export type SettingsPatch = { [K in keyof Settings]?: Settings[K] | null };

/** Settings rows in the job store's database. */
export class SettingsStore implements SettingsApi {
  constructor(private readonly db: Database.Database) {}

  get(scope: SettingsScope, platform: string, id: string): Settings {
    const row = this.db
      .prepare('SELECT data FROM settings WHERE scope = ? AND platform = ? AND id = ?')
      .get(scope, platform, id) as { data: string } | undefined;
    if (!row) return {};
    try {
      const v = JSON.parse(row.data) as unknown;
      return v && typeof v === 'object' ? (v as Settings) : {};
    } catch {
      return {};
    }
  }

  update(scope: SettingsScope, platform: string, id: string, patch: SettingsPatch): Settings {
    const next: Record<string, unknown> = { ...this.get(scope, platform, id) };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      if (v === null || (Array.isArray(v) && v.length === 0)) delete next[k];
      else next[k] = v;
    }
    if (Object.keys(next).length === 0) {
      this.clear(scope, platform, id);
      return {};
    }
    this.db
      .prepare(
        'INSERT INTO settings (scope, platform, id, data, updated_at) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT(scope, platform, id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at',
      )
      .run(scope, platform, id, JSON.stringify(next), Date.now());
    return next as Settings;
  }

  clear(scope: SettingsScope, platform: string, id: string): void {
    this.db.prepare('DELETE FROM settings WHERE scope = ? AND platform = ? AND id = ?').run(scope, platform, id);
  }
}
