// The REST base URL: discord.js's `rest.api` (default https://discord.com/api), set from
// DISCORD_API_BASE for a rate-limit proxy or a local fake. A trailing /v10 names the version.

/** REST options for a base URL such as "http://127.0.0.1:9000/api" or ".../api/v10"; {} for Discord itself. */
export function restOptions(apiBase?: string): { api?: string; version?: string } {
  if (!apiBase) return {};
  const trimmed = apiBase.replace(/\/+$/, '');
  const m = /^(.*)\/v(\d+)$/.exec(trimmed);
  return m ? { api: m[1], version: m[2] } : { api: trimmed };
}
