// Entry of the production inference worker thread (imported by worker-boot.mjs): serves the
// engine's requests with no hooks.
import { serveInference } from './worker-thread.ts';

serveInference();
