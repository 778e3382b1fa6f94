// Runs in the inference process.
// Entry of the production inference worker process (imported by worker-boot.mjs): serves the
// engine's requests with no hooks.
import { serveInference } from './worker-process.ts';

serveInference();
